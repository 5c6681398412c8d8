/// <reference types="node" />
// garment-wasm download: Fashion-MNIST into the cache, every file's SHA-256 checked.
import { loadFashionMNIST } from '../../index.ts';
import { flag, int, parse, str, UsageError } from '../args.ts';
import { cacheDir, downloadProgress } from '../data.ts';
import { line, type Io } from '../io.ts';
import { count } from '../progress.ts';

export const HELP = `Usage: garment-wasm download [options]

Downloads Fashion-MNIST (four gzipped IDX files, about 30 MB) into the cache that every command
reads, checking the SHA-256 of each file's content before it is written. Files already there are
checked and kept.

  --dir DIR                where to put the files (default: $XDG_CACHE_HOME/garment-wasm/fashion-mnist,
                           or ~/.cache/garment-wasm/fashion-mnist)
  --mirror URL             download from this base URL instead of the public mirrors (repeatable)
  --timeout SECONDS        give up on a mirror after this long without data       (default: 30)
  --progress               draw the live progress line even when not on a terminal
  --no-progress            never draw it
  -h, --help               show this help
`;

const OPTIONS = {
  dir: { type: 'string' },
  mirror: { type: 'string', multiple: true },
  timeout: { type: 'string' },
  progress: { type: 'boolean' },
  'no-progress': { type: 'boolean' },
} as const;

export async function run(args: string[], io: Io): Promise<number> {
  const p = parse('download', args, OPTIONS);
  if (flag(p, 'help')) {
    io.stdout.write(HELP);
    return 0;
  }
  if (flag(p, 'progress') && flag(p, 'no-progress')) throw new UsageError('pass --progress or --no-progress, not both');
  const dir = str(p, 'dir') ?? cacheDir(io.env);
  const mirrors = p.values.mirror as string[] | undefined;
  for (const m of mirrors ?? []) if (!/^https?:\/\//.test(m)) throw new UsageError(`--mirror must be an http(s) URL, got '${m}'`);
  const timeoutMs = int(p, 'timeout', 30, 1, 3600) * 1000;
  const progress = downloadProgress(io, flag(p, 'progress') ? true : flag(p, 'no-progress') ? false : undefined);
  // This command fills the cache: a complete GARMENT_DATA folder must not stand in for it.
  const env = process.env.GARMENT_DATA;
  delete process.env.GARMENT_DATA;
  let data;
  try {
    data = await loadFashionMNIST({ download: true, cacheDir: dir, mirrors, verify: true, timeoutMs, signal: io.signal, onProgress: progress.update });
  } finally {
    if (env !== undefined) process.env.GARMENT_DATA = env;
    progress.done();
  }
  const fetched = progress.files.size;
  line(io.stdout, `${fetched === 0 ? 'Fashion-MNIST was already in' : `downloaded ${fetched} file${fetched === 1 ? '' : 's'} into`} ${dir}: ` +
    `${count(data.train.count)} training and ${count(data.test.count)} test images, SHA-256 verified`);
  return 0;
}
