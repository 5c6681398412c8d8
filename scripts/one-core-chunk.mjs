// An esbuild plugin for the Node and Deno builds: everything the package entry loads at start-up
// in one chunk file.
//
// esbuild's code splitting puts each module into the chunk of the set of entry points that reach
// it, and every lazily imported module is an entry point of its own. The entry's start-up code
// therefore came out as 11 files, which Node's module loader fetches, compiles and links one by
// one (`npm run cold-start`'s import column in Node: ~13 ms as 11 files, ~7 ms as one). Here
// every lazily imported module and every other entry point also re-exports one binding of the
// public entry (`__garmentCore`, never read; a namespace would need a helper that esbuild puts in
// a chunk of its own), so all of the entry's static code is reached by the same set of entry
// points and lands in one chunk, while the lazy modules stay lazy.
//
// A module imported lazily somewhere and statically by the entry's code too (Deno's leaf imports
// fflate's inflater, `src/io/gunzip.ts`) gets the re-export as well, or it would be a chunk of its
// own; that makes an import cycle through the entry inside the one chunk, harmless since nobody
// reads the binding. The other entry points' export lists lose the name again after the build
// (`dropCoreExport`): it is not API. Browsers keep the finer chunks: there the bytes a page
// downloads count, and bundlers re-split anyway.
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import * as esbuild from 'esbuild';

/** Paths compared as the file system does (case-insensitively on Windows). */
const key = (p) => (process.platform === 'win32' ? resolve(p).toLowerCase() : resolve(p));

/**
 * Which modules some code imports lazily: an analysis bundle of the entry points with the build's
 * own options (conditions, plugins that substitute modules), dynamic imports left out and recorded.
 */
async function dynamicImports(root, options, entryPoints) {
  const dynamic = new Set();
  const recordDynamic = {
    name: 'record-dynamic-imports',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (a) => {
        if (a.kind !== 'dynamic-import' || a.pluginData === 'inner') return undefined;
        const r = await b.resolve(a.path, { kind: a.kind, resolveDir: a.resolveDir, importer: a.importer, pluginData: 'inner' });
        if (r.errors.length === 0 && !r.external) dynamic.add(key(r.path));
        return { path: a.path, external: true };
      });
    },
  };
  await esbuild.build({ ...options, entryPoints, write: false, splitting: false, outdir: join(root, '.tmp', 'analysis'), plugins: [...options.plugins, recordDynamic] });
  return dynamic;
}

/**
 * @param root the repository root
 * @param options the build's esbuild options (conditions, plugins, defines, ...)
 * @param others the other entry points (they re-export the entry too)
 */
export async function oneCoreChunk(root, options, others) {
  const entry = join(root, 'src', 'index.ts');
  const lazy = await dynamicImports(root, options, [entry, ...others.map((p) => join(root, p))]);
  for (const p of others) lazy.add(key(join(root, p)));
  lazy.delete(key(entry));
  if (lazy.size < 4) throw new Error(`one-core-chunk: only ${lazy.size} lazily loaded modules found; the entry would split again`);
  return {
    name: 'one-core-chunk',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (a) => {
        if (!lazy.has(key(a.path))) return undefined;
        let spec = relative(dirname(a.path), entry).split(sep).join('/');
        if (!spec.startsWith('.')) spec = `./${spec}`;
        const code = await readFile(a.path, 'utf8');
        return { contents: `${code}\nexport { createClassifier as __garmentCore } from ${JSON.stringify(spec)};\n`, loader: 'ts', resolveDir: dirname(a.path) };
      });
    },
  };
}

/** Removes `__garmentCore` from the export list of an entry file of the build (it is not API). */
export function dropCoreExport(file) {
  const code = readFileSync(file, 'utf8');
  const out = code.replace(/^\s*[\w$]+ as __garmentCore,?\n/m, '');
  if (out !== code) writeFileSync(file, out);
}
