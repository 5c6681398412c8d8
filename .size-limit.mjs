// Size budgets (size-limit; `npm run size`, run by .ci/run after the build).
// - The inference entry: what `import { createClassifier, predict }` pulls into a browser app,
//   bundled, minified and gzipped. The lazily imported chunks (the bundled model's weights, the
//   worker script) load only when used, so they are left out: marked external, they stay dynamic
//   imports.
// - Every wasm binary the package ships, gzipped.
import { readdirSync } from 'node:fs';

const wasm = readdirSync(new URL('./dist/web/', import.meta.url)).filter((f) => f.endsWith('.wasm')).sort();

export default [
  {
    name: 'inference entry: import { createClassifier, predict } (browser build)',
    path: 'dist/web/index.js',
    import: '{ createClassifier, predict }',
    // Lazily imported on first use: the bundled weights, the worker script, the pool and its
    // side of a network, the web worker factory, presets and weight initialisation (fresh models
    // only), training, evaluation, saving (with fflate's compressor), fflate's inflater where the
    // runtime has none, and photo preprocessing (only for images that are not 28x28).
    ignore: ['../pretrained/*', './worker-source-*', './pool-*', './network-pool-*', './presets-*', './init-*', './web-worker-*', './train-*', './evaluate-*', './save-network-*', './gunzip-*', './preprocess-*', './onnx-*', './onnx.js', './relaxed-*'],
    modifyEsbuildConfig: (config) => ({ ...config, format: 'esm' }),
    gzip: true,
    // The goal is 12 KB. The inference core (weight-file validation, layer-list checks, the plan,
    // input checks, wasm loading) measures ~13.9 KB; this limit stops it growing.
    limit: '14 KB',
  },
  ...wasm.map((file) => ({ name: file, path: `dist/web/${file}`, disablePlugins: ['@size-limit/esbuild'], gzip: true, limit: '25 KB' })),
];
