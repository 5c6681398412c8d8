// Deno from a local path: an unpacked copy of the package, no package manager involved.
// The build comes from the command line: node (the default), deno or web.
import { runSmoke } from './smoke-core.mjs';

const build = Deno.args[0] ?? 'node';
const lib = await import(new URL(`./vendor/garment-wasm/dist/${build}/index.js`, import.meta.url).href);
const wasm = new URL('./vendor/garment-wasm/dist/web/garment-simd.wasm', import.meta.url);
const { text, info } = await runSmoke(lib, { threads: 2, wasm });
console.log(text);
console.log(`#info ${JSON.stringify(info)}`);
