// The smoke test in a browser page, through a bundler (esbuild, Vite): the page reads
// `window.__smoke` when it is set.
import * as lib from 'garment-wasm';
import { runSmoke } from './smoke-core.mjs';

// esbuild leaves this URL alone: the .wasm files are copied beside the bundle.
const wasm = new URL('./garment-simd.wasm', import.meta.url);
runSmoke(lib, { threads: 2, wasm }).then(
  (result) => (window.__smoke = result),
  (e) => (window.__smoke = { error: String(e?.stack ?? e) }),
);
