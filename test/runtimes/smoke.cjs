// The smoke test through CommonJS: the library is loaded with require(); the shared checks
// (an ES module) run unchanged.
const lib = require('garment-wasm');

import('./smoke-core.mjs').then(async ({ runSmoke }) => {
  // The binary through the package's subpath export, as bytes.
  const wasm = require('node:fs').readFileSync(require.resolve('garment-wasm/garment-simd.wasm'));
  const { text, info } = await runSmoke(lib, { threads: 2, wasm });
  console.log(text);
  console.log(`#info ${JSON.stringify(info)}`);
});
