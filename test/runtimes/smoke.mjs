// The smoke test as an ES module: `node smoke.mjs`, `deno run -A smoke.mjs`, `bun smoke.mjs`.
// Prints the text every runtime must match, then one `#info` line the matrix reads apart.
import * as lib from 'garment-wasm';
import { runSmoke } from './smoke-core.mjs';

// The binary through the package's subpath export, as a file URL.
const wasm = new URL(import.meta.resolve('garment-wasm/garment-simd.wasm'));
const { text, info } = await runSmoke(lib, { threads: 2, wasm });
console.log(text);
console.log(`#info ${JSON.stringify(info)}`);
