// plain.html's script, in its own file so the page also runs under a Content-Security-Policy
// without 'unsafe-inline' (test/csp.test.mjs, and the matrix's CSP rows).
import * as lib from './node_modules/garment-wasm/dist/web/index.js';
import { runSmoke } from './smoke-core.mjs';

const wasm = new URL('./node_modules/garment-wasm/dist/web/garment-simd.wasm', location.href);
runSmoke(lib, { threads: 2, wasm }).then(
  (result) => (window.__smoke = result),
  (e) => (window.__smoke = { error: String(e?.stack ?? e) }),
);
