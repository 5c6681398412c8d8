// Deno: files through Deno's own API, wasm read from dist/web (its one copy), Web Workers for threads.
// Deno could run the node leaf, but its first `node:` import sets up the Node compatibility
// layer, which costs about 20 ms of start-up; this leaf touches no `node:` module.
import { GarmentError } from '../errors.ts';
import { gunzipCapped } from '../io/gunzip.ts';
import type { Platform } from './types.ts';
// Named, not a namespace import: esbuild would put its namespace helper in a chunk of its own.
import { readWeightFile } from '../io/weights-read.ts';
import { storedGunzip } from '../io/gunzip-stored.ts';
import { createWebWorker } from './web-worker.ts';

/** The part of Deno's namespace this leaf uses (typed here: the build has no Deno types). */
interface DenoApi {
  readFile(path: string | URL): Promise<Uint8Array>;
  readFileSync(path: string | URL): Uint8Array;
  writeFile(path: string, data: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
  mkdir(path: string, options: { recursive: boolean }): Promise<void>;
  stat(path: string): Promise<{ isFile: boolean }>;
  pid: number;
  build: { os: string };
  env: { get(name: string): string | undefined };
  permissions: { querySync?(d: { name: 'env'; variable: string }): { state: string } };
  errors: { NotFound: new (...a: never[]) => Error };
}

const deno = (globalThis as unknown as { Deno: DenoApi }).Deno;
const windows = deno.build.os === 'windows';
const sep = windows ? '\\' : '/';

async function readFile(path: string): Promise<Uint8Array> {
  try {
    // A file: URL (e.g. `createClassifier({ wasm: new URL(import.meta.resolve(...)) })`) is a path too.
    return await deno.readFile(path.startsWith('file:') ? new URL(path) : path);
  } catch (e) {
    throw missing(e, path);
  }
}

/** A missing file as E_DATA_NOT_FOUND; any other error as it is. */
function missing(e: unknown, path: string): unknown {
  return e instanceof deno.errors.NotFound ? new GarmentError('E_DATA_NOT_FOUND', `file not found: ${path}`, { cause: e }) : e;
}

/** Reads a variable only where permission is already granted: never a prompt, never a throw. */
function env(name: string): string | undefined {
  try {
    if (deno.permissions.querySync && deno.permissions.querySync({ name: 'env', variable: name }).state !== 'granted') return undefined;
    return deno.env.get(name);
  } catch {
    return undefined;
  }
}

function joinPath(...parts: string[]): string {
  const joined = parts.filter((p) => p !== '').join(sep);
  return joined.replace(windows ? /[\\/]+/g : /\/+/g, sep);
}

function dirname(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), windows ? path.lastIndexOf('\\') : -1);
  return i <= 0 ? (i === 0 ? sep : '.') : path.slice(0, i);
}

let tmpCounter = 0;

export const platform: Platform = {
  storedGunzip,
  async loadWasm(fileName) {
    // Read and compiled synchronously: the binaries are small and compile lazily, and the
    // asynchronous paths cost start-up a trip through the event loop each. The binaries are the
    // browser build's (dist/web): the package ships each once.
    const url = new URL(`../web/${fileName}`, import.meta.url);
    let bytes: Uint8Array;
    try {
      bytes = deno.readFileSync(url);
    } catch (e) {
      throw missing(e, url.href);
    }
    return new WebAssembly.Module(bytes as BufferSource);
  },
  readFile,
  async fileExists(path) {
    try {
      return (await deno.stat(path)).isFile;
    } catch {
      return false;
    }
  },
  async writeFileAtomic(path, bytes) {
    await deno.mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${deno.pid}.${++tmpCounter}.tmp`;
    try {
      await deno.writeFile(tmp, bytes);
      await deno.rename(tmp, path);
    } catch (e) {
      await deno.remove(tmp).catch(() => {});
      throw e;
    }
  },
  joinPath,
  defaultCacheDir() {
    const base = env('XDG_CACHE_HOME') || (windows ? env('LOCALAPPDATA') : undefined);
    if (base) return joinPath(base, 'garment-wasm');
    const home = env(windows ? 'USERPROFILE' : 'HOME');
    return home ? joinPath(home, '.cache', 'garment-wasm') : undefined;
  },
  env,
  weightReader: async () => ({ readWeightFile }),
  // Async gunzip is the runtime's DecompressionStream (src/io/inflate.ts); the synchronous one
  // (parseIdx on gzipped bytes) is fflate, which reports in the caller's terms.
  gunzipSync: gunzipCapped,
  workers: typeof Worker === 'function',
  cores: () => (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) || 1,
  createWorker: createWebWorker,
};
