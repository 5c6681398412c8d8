// Builds everything `dist/` holds: the wasm variants (asc), the JS bundles per runtime
// condition (esbuild) and the .d.ts types (tsc).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

// Build into a private folder and swap it in at the end, so a build never leaves a half-empty
// dist/ for a test run that is reading it.
const out = join(root, '.tmp', `build-${process.pid}`);
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

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

// 3. JS: the same sources bundled once per platform leaf (the `#platform` import condition).
const entries = { index: 'src/index.ts', internal: 'src/internal.ts' };
for (const [dir, conditions, platform] of [
  ['node', ['node'], 'node'],
  ['web', ['browser'], 'neutral'],
]) {
  await esbuild.build({
    entryPoints: entries,
    outdir: join(out, dir),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform,
    conditions,
    mainFields: ['module', 'main'],
    target: 'es2022',
    external: ['node:*'],
    // The pretrained weights are embedded as bytes (src/pretrained/default-weights.ts).
    loader: { '.gz': 'binary' },
    define: { __GARMENT_WORKER_SOURCE__: JSON.stringify(workerSource) },
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  for (const f of wasmFiles) copyFileSync(join(out, f), join(out, dir, f));
}

// 4. Types.
run(bin('tsc'), ['-p', 'tsconfig.json', '--outDir', join(out, 'types')]);

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
