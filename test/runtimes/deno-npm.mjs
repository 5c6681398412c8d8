// Deno through an npm: specifier (resolved from the project's node_modules).
import * as lib from 'npm:garment-wasm';
import { runSmoke } from './smoke-core.mjs';

const wasm = await Deno.readFile(new URL(import.meta.resolve('npm:garment-wasm/garment-simd.wasm')));
const { text, info } = await runSmoke(lib, { threads: 2, wasm });
console.log(text);
console.log(`#info ${JSON.stringify(info)}`);
