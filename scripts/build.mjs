// Builds everything `dist/` holds: the wasm variants (asc), the JS bundles per runtime
// condition (esbuild) and the .d.ts types (tsc).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, copyFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { dropCoreExport, oneCoreChunk } from './one-core-chunk.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

// Build into a private folder and swap it in at the end, so a build never leaves a half-empty
// dist/ for a test run that is reading it.
const out = join(root, '.tmp', `build-${process.pid}`);
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
// A failed build leaves nothing behind (the swap below renames `out` away on success).
process.on('exit', () => rmSync(out, { recursive: true, force: true }));

// 1. wasm: one source, one binary per asconfig target.
const asconfig = JSON.parse(readFileSync(join(root, 'asconfig.json'), 'utf8'));
const wasmFiles = [];
for (const target of Object.keys(asconfig.targets)) {
  const file = asconfig.targets[target].outFile.replace(/^dist\//, '');
  run(bin('asc'), ['--config', 'asconfig.json', '--target', target, '--outFile', join(out, file), '--textFile', join(out, file.replace(/\.wasm$/, '.wat'))]);
  wasmFiles.push(file);
}

// 2. The worker: one self-contained classic script, embedded as a string so bundlers never have
//    to find a worker file (src/threads/worker-source.ts).
const worker = await esbuild.build({
  entryPoints: ['src/threads/worker.ts'],
  external: ['node:*'],
  bundle: true,
  write: false,
  format: 'iife',
  platform: 'neutral',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
const workerSource = worker.outputFiles[0].text;

// 3. The bundled model: shipped as the plain weight file, which the node bundles read, and as one
//    ES module that embeds its bytes (esbuild's binary loader), imported lazily and shared by
//    the web and edge bundles. The plain file holds the same payload in stored (uncompressed)
//    gzip blocks: Node, Deno and Bun copy it out without loading zlib (src/io/gunzip-stored.ts),
//    and the npm tarball compresses it anyway. zlib checks the source's CRC-32 here, at build time.
mkdirSync(join(out, 'pretrained'), { recursive: true });
writeFileSync(join(out, 'pretrained/default.gz'), gzipSync(gunzipSync(readFileSync(join(root, 'src/pretrained/default.gz'))), { level: 0 }));
await esbuild.build({
  entryPoints: { 'default-weights': 'src/pretrained/default-weights.ts' },
  outdir: join(out, 'pretrained'),
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  loader: { '.gz': 'binary' },
  legalComments: 'none',
  logLevel: 'warning',
});
const sharedWeights = {
  name: 'shared-weights',
  setup(b) {
    b.onResolve({ filter: /\/pretrained\/default-weights\.ts$/ }, () => ({ path: '../pretrained/default-weights.js', external: true }));
  },
};
// Node, Deno and Bun read the plain weight file instead (src/pretrained/default-weights-file.ts).
const weightsFromFile = {
  name: 'weights-from-file',
  setup(b) {
    b.onResolve({ filter: /\/pretrained\/default-weights\.ts$/ }, () => ({ path: join(root, 'src/pretrained/default-weights-file.ts') }));
  },
};
// Deno reads it through its own API (src/pretrained/default-weights-deno.ts): no node: module.
const weightsFromDenoFile = {
  name: 'weights-from-deno-file',
  setup(b) {
    b.onResolve({ filter: /\/pretrained\/default-weights\.ts$/ }, () => ({ path: join(root, 'src/pretrained/default-weights-deno.ts') }));
  },
};
// The edge leaf imports its binary as `./garment-simd.wasm?module`: left for the host's bundler
// (wrangler, Next.js, Vercel), which compiles it at deploy time. The file sits beside the bundle.
const edgeWasm = {
  name: 'edge-wasm',
  setup(b) {
    b.onResolve({ filter: /\.wasm\?module$/ }, (a) => ({ path: `./${a.path.split('/').pop()}`, external: true }));
  },
};

// 4. JS: the same sources bundled once per platform leaf (the `#platform` import condition):
//    node (Node and Bun; ESM with lazy chunks, and one CommonJS file for require), deno (the
//    same files through Deno's own API, which starts faster than its node: layer), web
//    (browsers and bundlers) and edge (workerd, Vercel Edge). The CommonJS build has no
//    import.meta: the bundle's own file URL stands in for it, and it inlines the lazy chunks.
const entries = { index: 'src/index.ts', onnx: 'src/onnx/index.ts', internal: 'src/internal.ts' };
const common = {
  bundle: true,
  target: 'es2022',
  external: ['node:*'],
  mainFields: ['module', 'main'],
  loader: { '.gz': 'binary' },
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
};
// Node, Deno and Bun (`oneChunk`): the entry's start-up code in one chunk (scripts/one-core-chunk.mjs).
const builds = [
  // The node and deno builds read the binaries from dist/web (src/platform/node.ts): each ships
  // once. Four copies of each used to cost the npm tarball ~130 KB once a binary outgrew gzip's
  // 32 KB window, which had been folding the copies together.
  { dir: 'node', conditions: ['node'], platform: 'node', wasm: [], weights: weightsFromFile, oneChunk: true },
  { dir: 'deno', conditions: ['deno'], platform: 'neutral', wasm: [], weights: weightsFromDenoFile, oneChunk: true },
  { dir: 'web', conditions: ['browser'], platform: 'neutral', wasm: wasmFiles },
  { dir: 'edge', conditions: ['workerd'], platform: 'neutral', wasm: ['garment-simd.wasm'], entries: { index: 'src/index.ts' }, noWorker: true },
];
for (const t of builds) {
  const options = {
    ...common,
    format: 'esm',
    platform: t.platform,
    conditions: t.conditions,
    // Edge runtimes never start workers; their bundle carries no worker script.
    define: { __GARMENT_WORKER_SOURCE__: JSON.stringify(t.noWorker ? '' : workerSource) },
    plugins: [t.weights ?? sharedWeights, edgeWasm],
  };
  const others = Object.values(entries).filter((p) => p !== entries.index);
  if (t.oneChunk) options.plugins.push(await oneCoreChunk(root, options, others));
  await esbuild.build({ ...options, entryPoints: t.entries ?? entries, outdir: join(out, t.dir), splitting: true });
  if (t.oneChunk) for (const name of Object.keys(entries)) if (name !== 'index') dropCoreExport(join(out, t.dir, `${name}.js`));
  for (const f of t.wasm) copyFileSync(join(out, f), join(out, t.dir, f));
}
await esbuild.build({
  ...common,
  entryPoints: { index: 'src/index.ts' },
  outdir: join(out, 'node'),
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  platform: 'node',
  conditions: ['node'],
  define: { __GARMENT_WORKER_SOURCE__: JSON.stringify(workerSource), 'import.meta.url': 'import_meta_url' },
  inject: ['scripts/cjs-import-meta-url.js'],
  plugins: [weightsFromFile],
});

// 5. Types: .d.ts per source file; and a copy that TypeScript reads as CommonJS (the nearest
//    package.json says so) for require() users, since CommonJS declarations may not re-export
//    ES module ones.
run(bin('tsc'), ['-p', 'tsconfig.json', '--outDir', join(out, 'types')]);
cpSync(join(out, 'types'), join(out, 'types-cjs'), { recursive: true });
renameSync(join(out, 'types-cjs'), join(out, 'types', 'cjs'));
writeFileSync(join(out, 'types', 'cjs', 'package.json'), '{ "type": "commonjs" }\n');

// 6a. The CLI (dist/cli.js; the library stays external to it), built into the new dist before it
//     is swapped in. The CLI and the demo are built by scripts/build-cli.mjs.
const { buildCli, buildDemo } = await import('./build-cli.mjs');
await buildCli(out);

const dist = join(root, 'dist');
const old = join(root, '.tmp', `old-${process.pid}`);
rmSync(old, { recursive: true, force: true });
try {
  renameSync(dist, old);
} catch {
  // no previous build
}
renameSync(out, dist);
rmSync(old, { recursive: true, force: true });

// 6b. The browser demo (examples/web/dist), bundled with the dist/web just swapped in.
await buildDemo(dist);
