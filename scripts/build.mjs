// Builds everything `dist/` holds: the wasm variants (asc), the JS bundles per runtime
// condition (esbuild) and the .d.ts types (tsc).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

rmSync(join(root, 'dist'), { recursive: true, force: true });
mkdirSync(join(root, 'dist'), { recursive: true });

// 1. wasm: one source, one binary per asconfig target.
const asconfig = JSON.parse(readFileSync(join(root, 'asconfig.json'), 'utf8'));
const wasmFiles = [];
for (const target of Object.keys(asconfig.targets)) {
  run(bin('asc'), ['--config', 'asconfig.json', '--target', target]);
  wasmFiles.push(asconfig.targets[target].outFile);
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
    outdir: join(root, 'dist', dir),
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
  for (const f of wasmFiles) copyFileSync(join(root, f), join(root, 'dist', dir, f.split('/').pop()));
}

// 4. Types.
run(bin('tsc'), ['-p', 'tsconfig.json']);
