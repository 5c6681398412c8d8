// An esbuild plugin for the Node and Deno builds: everything the package entry loads at start-up
// in one chunk file.
//
// esbuild's code splitting puts each module into the chunk of the set of entry points that reach
// it, and every lazily imported module is an entry point of its own. The entry's start-up code
// therefore came out as 11 files, which Node's module loader fetches, compiles and links at about
// half a millisecond apiece: importing the package took ~11.5 ms, the same code as one file
// ~5.3 ms. Here every lazily imported module and every other entry point also re-exports the
// public entry (`__garmentCore`, never read), so all of its static code is reached by the same
// set of entry points and lands in one chunk, while the lazy modules stay lazy. Browsers keep the
// finer chunks: there the bytes a page downloads count, and bundlers re-split anyway.
import { readFileSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Every `import('./...')` target under `srcDir`, as absolute paths. */
function dynamicImportTargets(srcDir) {
  const targets = new Set();
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts')) {
        for (const m of readFileSync(p, 'utf8').matchAll(/\bimport\(\s*'(\.{1,2}\/[^']+\.ts)'\s*\)/g)) targets.add(resolve(dirname(p), m[1]));
      }
    }
  };
  walk(srcDir);
  return targets;
}

/**
 * @param root the repository root
 * @param also more modules that load lazily or as entries (other entry points; the files that
 *   a build's plugins substitute for a lazily imported one)
 */
export function oneCoreChunk(root, also) {
  const src = join(root, 'src');
  const entry = join(src, 'index.ts');
  const lazy = dynamicImportTargets(src);
  for (const p of also) lazy.add(join(root, p));
  lazy.delete(entry);
  return {
    name: 'one-core-chunk',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (a) => {
        if (!lazy.has(a.path)) return undefined;
        let spec = relative(dirname(a.path), entry).split(sep).join('/');
        if (!spec.startsWith('.')) spec = `./${spec}`;
        const code = await readFile(a.path, 'utf8');
        return { contents: `${code}\nexport * as __garmentCore from ${JSON.stringify(spec)};\n`, loader: 'ts', resolveDir: dirname(a.path) };
      });
    },
  };
}
