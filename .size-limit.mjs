// Size budgets (size-limit; `npm run size`, run by .ci/run after the build).
// - The inference entry: what `import { createClassifier, predict }` pulls into a browser app,
//   bundled, minified and gzipped. The lazily imported chunks (the bundled model's weights, the
//   worker script) load only when used, so they are left out: marked external, they stay dynamic
//   imports.
// - Every wasm binary the package ships, gzipped.
import { readdirSync } from 'node:fs';

const wasm = readdirSync(new URL('./dist/web/', import.meta.url)).filter((f) => f.endsWith('.wasm')).sort();

// The JavaScript a page parses before its first call: everything below is loaded on first use
// (marked external, these stay dynamic imports): the bundled weights, the worker script, the pool
// and its side of a network, the web worker factory, presets and weight initialisation (fresh
// models only), the weight-file reader (loaded with the weights), training, evaluation, saving
// (with fflate's compressor), fflate's inflater where the runtime has none, and photo
// preprocessing (only for images that are not 28x28).
const lazy = ['../pretrained/*', './worker-source-*', './pool-*', './network-pool-*', './presets-*', './init-*', './web-worker-*', './weights-read-*', './train-*', './evaluate-*', './save-network-*', './gunzip-*', './preprocess-*', './onnx-*', './onnx.js', './relaxed-*'];

export default [
  {
    name: 'inference entry: import { createClassifier, predict } (browser build)',
    path: 'dist/web/index.js',
    import: '{ createClassifier, predict }',
    ignore: lazy,
    modifyEsbuildConfig: (config) => ({ ...config, format: 'esm' }),
    gzip: true,
    limit: '12 KB',
  },
  {
    // What classifying with a weight file costs in all (the bundled model or the user's own):
    // the entry plus the weight-file reader it loads with the weights (the weights not counted).
    name: 'entry + weight-file reader (classifying with saved or bundled weights)',
    path: 'dist/web/index.js',
    import: '{ createClassifier, predict }',
    ignore: lazy.filter((p) => p !== './weights-read-*'),
    modifyEsbuildConfig: (config) => ({ ...config, format: 'esm' }),
    gzip: true,
    limit: '14.5 KB',
  },
  ...wasm.map((file) => ({ name: file, path: `dist/web/${file}`, disablePlugins: ['@size-limit/esbuild'], gzip: true, limit: '25 KB' })),
];
