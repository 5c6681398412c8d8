/// <reference types="node" />
// Where commands get their images: a Kaggle-style CSV, a Fashion-MNIST folder, $GARMENT_DATA or the
// download cache (downloading into it on request), and --limit.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadFashionMNIST, parseCsv, type Dataset } from '../index.ts';
import { CliError } from './args.ts';
import { readBytes, type Io } from './io.ts';
import { StatusLine, bar, bytes, wantsLive } from './progress.ts';

export interface DataOptions {
  /** A folder with the four Fashion-MNIST IDX files. */
  dir?: string;
  /** A Kaggle-style CSV (label,pixel1..pixel784) used instead of Fashion-MNIST. */
  csv?: string;
  /** Download Fashion-MNIST into the cache if it is not found. */
  download?: boolean;
  /** Number of classes the labels may use (CSV). */
  classes: number;
}

export interface LoadedData {
  /** The training set (Fashion-MNIST's, or the CSV's rows when loading for training). */
  train?: Dataset;
  /** The test set (Fashion-MNIST's, or the CSV's rows when loading for evaluation). */
  test?: Dataset;
  /** Says where the data came from, for reports. */
  source: string;
}

const FILES = 'train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte';

/** The cache folder the library downloads into (same rule as its Node platform leaf). */
export function cacheDir(env: Record<string, string | undefined>): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'garment-wasm', 'fashion-mnist');
}

/** Loads the data a command needs; `role` says which set a CSV stands for. */
export async function loadData(o: DataOptions, io: Io, role: 'train' | 'test'): Promise<LoadedData> {
  if (o.csv !== undefined) {
    if (o.dir !== undefined) throw new CliError('pass either --csv or --data, not both');
    const set = parseCsv(readBytes(o.csv, 'CSV file'), { classes: o.classes });
    return { [role]: set, source: `CSV ${o.csv}` };
  }
  if (o.dir !== undefined) {
    try {
      const data = await loadFashionMNIST({ dir: o.dir });
      return { ...data, source: `Fashion-MNIST in ${o.dir}` };
    } catch (e) {
      if ((e as { code?: string }).code !== 'E_DATA_NOT_FOUND') throw e;
      const missing = /: (none of the four files|missing [^\n]*)/.exec((e as Error).message)?.[1] ?? 'files missing';
      throw new CliError(`--data ${o.dir}: ${missing}; it needs ${FILES} (gzipped or not), or run 'garment-wasm download' to fill the cache`, { cause: e });
    }
  }
  const progress = downloadProgress(io);
  try {
    const data = await loadFashionMNIST({ download: o.download, onProgress: progress.update, signal: io.signal });
    progress.done();
    return { ...data, source: 'Fashion-MNIST' };
  } catch (e) {
    progress.done();
    if ((e as { code?: string }).code !== 'E_DATA_NOT_FOUND') throw e;
    const env = io.env.GARMENT_DATA;
    throw new CliError(
      `Fashion-MNIST not found (${env ? `not in GARMENT_DATA=${env}` : 'GARMENT_DATA is not set'}, nor in the cache ` +
        `${cacheDir(io.env)}): run 'garment-wasm download', add --download, or pass --data DIR or --csv FILE`,
      { cause: e },
    );
  }
}

/** Progress of the (parallel) downloads: a live total on a terminal, nothing otherwise. */
export function downloadProgress(io: Io, force?: boolean) {
  const status = new StatusLine(io.stderr, wantsLive(io.stderr, io.env, force));
  const files = new Map<string, { loaded: number; total?: number }>();
  const t0 = performance.now();
  let finished = 0;
  return {
    files,
    update(p: { file: string; loaded: number; total?: number }) {
      const before = files.get(p.file);
      files.set(p.file, { loaded: p.loaded, total: p.total });
      if (p.total !== undefined && p.loaded === p.total && before?.loaded !== p.total) finished++;
      if (!status.live) return;
      let loaded = 0;
      let total = 0;
      let known = true;
      for (const f of files.values()) {
        loaded += f.loaded;
        if (f.total === undefined) known = false;
        else total += f.total;
      }
      const rate = loaded / Math.max(1e-3, (performance.now() - t0) / 1000);
      const head = `downloading ${files.size} file${files.size === 1 ? '' : 's'} (${finished} done)`;
      const amount = known ? `${bar(loaded / total)} ${bytes(loaded)} of ${bytes(total)}` : bytes(loaded);
      status.draw(`${head} ${amount}  ${bytes(rate)}/s`);
    },
    done() {
      status.clear();
    },
  };
}

/** The first `n` images of a set. */
export function limit(set: Dataset, n: number | undefined): Dataset {
  if (n === undefined || n >= set.count) return set;
  return { images: set.images.subarray(0, n * 784), labels: set.labels.subarray(0, n), count: n };
}
