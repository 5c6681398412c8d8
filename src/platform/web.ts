// Browsers, Deno/Bun without the node condition, and edge runtimes: everything through fetch.
import { GarmentError } from '../errors.ts';
import type { Platform } from './types.ts';
import { createWebWorker } from './web-worker.ts';

async function fetchBytes(url: string | URL): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new GarmentError('E_DATA_NOT_FOUND', `could not fetch ${String(url)}: ${(e as Error).message}`, { cause: e });
  }
  if (!res.ok) throw new GarmentError('E_DATA_NOT_FOUND', `could not fetch ${String(url)}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

export const platform: Platform = {
  async loadWasm(fileName) {
    const url = new URL(`./${fileName}`, import.meta.url);
    // Streaming compilation needs the right MIME type; servers that send another one get the byte path.
    if (typeof WebAssembly.compileStreaming === 'function') {
      try {
        return await WebAssembly.compileStreaming(fetch(url));
      } catch {
        // fall through
      }
    }
    return WebAssembly.compile((await fetchBytes(url)) as BufferSource);
  },
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
  cores: () => (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) || 1,
  createWorker: createWebWorker,
};
