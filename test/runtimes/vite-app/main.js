// A small Vite app: the library from node_modules, built by `vite build`. Vite finds the
// package's `new URL('./x.wasm', import.meta.url)` and ships the binaries; `?url` is how an app
// names one of them itself.
import * as lib from 'garment-wasm';
import wasmUrl from 'garment-wasm/garment-simd.wasm?url';
import { runSmoke } from '../smoke-core.mjs';

runSmoke(lib, { threads: 2, wasm: new URL(wasmUrl, location.href) }).then(
  (result) => (window.__smoke = result),
  (e) => (window.__smoke = { error: String(e?.stack ?? e) }),
);
