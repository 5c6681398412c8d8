// What the fetch-based leaves (web.ts, edge.ts) share: reading a URL into bytes, and the
// platform answers of a host without a file system.
import { GarmentError } from '../errors.ts';
import type { Platform } from './types.ts';

export async function fetchBytes(url: string | URL): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new GarmentError('E_DATA_NOT_FOUND', `could not fetch ${String(url)}: ${(e as Error).message}`, { cause: e });
  }
  if (!res.ok) throw new GarmentError('E_DATA_NOT_FOUND', `could not fetch ${String(url)}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Everything but wasm loading, cores and workers, for hosts that reach files only through fetch. */
export const fetchPlatform: Omit<Platform, 'loadWasm' | 'cores' | 'workers' | 'createWorker'> = {
  readFile: (path) => fetchBytes(path),
  async fileExists(path) {
    try {
      const res = await fetch(path, { method: 'HEAD' });
      return res.ok;
    } catch {
      return false;
    }
  },
  async writeFileAtomic() {
    throw new GarmentError('E_OPTION', 'this runtime has no file system to write to');
  },
  joinPath: (...parts) => parts.map((p, i) => (i === 0 ? p.replace(/\/+$/, '') : p.replace(/^\/+|\/+$/g, ''))).join('/'),
  defaultCacheDir: () => undefined,
  env: () => undefined,
  weightReader: () => import('../io/weights-read.ts'),
};
