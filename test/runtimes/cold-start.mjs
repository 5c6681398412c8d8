// Cold start, measured inside a fresh process: from the library's import to the first prediction
// with the bundled model. Runs unchanged in Node, Deno and Bun; prints one JSON line.
//   <runtime> cold-start.mjs <dist/node folder URL> [parts]
// `parts` times the pieces on their own instead: the import, the weights module, a first CRC-32
// over the bundled file, decoding the weight file, compiling each wasm binary.
const args = globalThis.Deno?.args ?? process.argv.slice(2);
const dir = args[0].endsWith('/') ? args[0] : `${args[0]}/`;
const image = new Uint8Array(784).map((_, i) => (i * 37) % 251);
const now = () => performance.now();
const ms = (x) => Math.round(x * 100) / 100;

if (args[1] === 'parts') {
  const t0 = now();
  await import(new URL('index.js', dir).href);
  const t1 = now();
  const { default: bytes } = await import(new URL('../pretrained/default-weights.js', dir).href);
  const t2 = now();
  const { crc32, decodeWeights } = await import(new URL('internal.js', dir).href);
  const t3 = now();
  // The checksum readWeightFile skips for the bundled model: the first CRC-32 in the process, over
  // the bundled file (a little smaller than the payload it would cover).
  crc32(bytes);
  const t3c = now();
  decodeWeights(bytes);
  const t4 = now();
  const { readFile } = await import('node:fs/promises');
  const compile = async (name) => {
    const b = await readFile(new URL(`../web/${name}`, dir)); // the binaries ship once, in dist/web
    const t = now();
    await WebAssembly.compile(b);
    return ms(now() - t);
  };
  const simd = await compile('garment-simd.wasm');
  const threads = await compile('garment-simd-threads.wasm');
  console.log(JSON.stringify({ import: ms(t1 - t0), weightsModule: ms(t2 - t1), internalImport: ms(t3 - t2), crc32Cold: ms(t3c - t3), decodeWeights: ms(t4 - t3c), compileSimd: simd, compileThreads: threads }));
} else {
  const t0 = now();
  const lib = await import(new URL('index.js', dir).href);
  const t1 = now();
  const clf = await lib.createClassifier();
  const t2 = now();
  await lib.predict(clf, image);
  const t3 = now();
  console.log(JSON.stringify({ import: ms(t1 - t0), create: ms(t2 - t1), predict: ms(t3 - t2), total: ms(t3 - t0) }));
  clf.dispose();
}
