// Which build the bench measures. bench/run.mjs copies dist/ to a private folder when it starts and
// names it in GARMENT_BENCH_DIST for every process it starts: the whole run measures one build,
// and a rebuild by someone else mid-run cannot delete a chunk that a running process still loads
// lazily. Without the variable (a lib script run by hand), the repository's dist/ is used.
import { pathToFileURL } from 'node:url';

export const distUrl = process.env.GARMENT_BENCH_DIST
  ? pathToFileURL(`${process.env.GARMENT_BENCH_DIST.replace(/\/?$/, '/')}`)
  : new URL('../../dist/', import.meta.url);

/** The package's Node entry (what `import 'garment-wasm'` resolves to), from the measured build. */
export const importGarment = () => import(new URL('node/index.js', distUrl).href);
/** The internal test entry, from the measured build. */
export const importInternal = () => import(new URL('node/internal.js', distUrl).href);
