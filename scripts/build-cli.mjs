// The builds on top of the library: the CLI (dist/cli.js) and the browser demo (examples/web/dist).
// Called from scripts/build.mjs; `node scripts/build-cli.mjs` rebuilds both against the current dist/.
import { chmodSync, copyFileSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;

/**
 * dist/cli.js: one ESM file for Node with a shebang. The library stays external (it is
 * dist/node/index.js beside it, shared with `import 'garment-wasm'`); the CLI's own code and its
 * image decoders (fast-png, jpeg-js) are bundled in, so the package keeps no runtime dependencies.
 */
export async function buildCli(outDir) {
  const libraryEntry = join(root, 'src', 'index.ts');
  // Written beside and renamed into place: a test reading dist/ never sees half a file.
  const tmp = join(outDir, `.cli-${process.pid}.js`);
  await esbuild.build({
    entryPoints: [join(root, 'src/cli/main.ts')],
    outfile: tmp,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['node:*'],
    banner: { js: '#!/usr/bin/env node' },
    define: { __GARMENT_VERSION__: JSON.stringify(version) },
    // fast-png inflates with fflate; its plain build, without the Node build's worker_threads probe.
    alias: { fflate: join(root, 'node_modules', 'fflate', 'esm', 'browser.js') },
    plugins: [{
      name: 'library-external',
      setup(build) {
        build.onResolve({ filter: /index\.ts$/ }, (args) =>
          resolve(args.resolveDir, args.path) === libraryEntry ? { path: './node/index.js', external: true } : undefined);
      },
    }],
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  chmodSync(tmp, 0o755);
  renameSync(tmp, join(outDir, 'cli.js'));
}

/**
 * examples/web/dist: the demo page, its script bundled with the library's web build (the
 * package's `browser` entry, dist/web/index.js, which must exist) and the wasm files beside it.
 */
export async function buildDemo(distDir = join(root, 'dist')) {
  const src = join(root, 'examples', 'web');
  const out = join(root, '.tmp', `demo-${process.pid}`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await esbuild.build({
    entryPoints: [join(src, 'app.ts')],
    outfile: join(out, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    alias: { 'garment-wasm': join(distDir, 'web', 'index.js') },
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    // dist/web/index.js lists its chunks' chunks as bare imports (esbuild hoists them so that a
    // browser fetches them all at once); the chunks that use them import them too, so a bundler
    // that honours "sideEffects": false may drop the bare ones, and esbuild says so once per chunk.
    logOverride: { 'ignored-bare-import': 'silent' },
  });
  copyFileSync(join(src, 'index.html'), join(out, 'index.html'));
  copyFileSync(join(src, 'style.css'), join(out, 'style.css'));
  for (const f of readdirSync(join(distDir, 'web'))) if (f.endsWith('.wasm')) copyFileSync(join(distDir, 'web', f), join(out, f));
  const dest = join(src, 'dist');
  rmSync(dest, { recursive: true, force: true });
  renameSync(out, dest);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildCli(join(root, 'dist'));
  await buildDemo();
}
