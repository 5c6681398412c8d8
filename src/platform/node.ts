/// <reference types="node" />
// Node and Bun (and Deno given a path to this build): files through node:fs, wasm read from the
// browser build's folder (dist/web), where the package keeps its one copy of each binary.
import { createRequire } from 'node:module';
import { GarmentError } from '../errors.ts';
import type { Platform, WorkerHandle } from './types.ts';
// Named, not a namespace import: esbuild would put its namespace helper in a chunk of its own.
import { readWeightFile } from '../io/weights-read.ts';
import { storedGunzip } from '../io/gunzip-stored.ts';

// What classifying does not need loads on first use (zlib, worker_threads, the asynchronous
// file API, paths, os): an app that only classifies pays for none of it, and Bun is slow to load
// each of these modules. node:fs comes through require too, not an ESM import: Node builds an ESM
// import's namespace by reading every export, and fs's ReadStream getter loads all of node:stream
// (1 to 2 ms of a cold start, measured with --cpu-prof).
const lazyRequire = createRequire(import.meta.url);
const { readFileSync } = lazyRequire('node:fs') as typeof import('node:fs');
const os = () => lazyRequire('node:os') as typeof import('node:os');
const fsp = () => lazyRequire('node:fs/promises') as typeof import('node:fs/promises');
const paths = () => lazyRequire('node:path') as typeof import('node:path');
import { createWebWorker } from './web-worker.ts';

async function readFile(path: string): Promise<Uint8Array> {
  try {
    // A file: URL (e.g. `createClassifier({ wasm: new URL(import.meta.resolve(...)) })`) is a path too.
    const buf = await fsp().readFile(path.startsWith('file:') ? new URL(path) : path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    throw missing(e, path);
  }
}

/** A missing file as E_DATA_NOT_FOUND; any other error as it is. */
function missing(e: unknown, path: string): unknown {
  return (e as { code?: string }).code === 'ENOENT' ? new GarmentError('E_DATA_NOT_FOUND', `file not found: ${path}`, { cause: e }) : e;
}

let tmpCounter = 0;

// Bun loads node:zlib slowly (~5 ms, a third of its start-up budget) but has a fast native
// DecompressionStream, which src/io/inflate.ts uses when the leaf offers no gunzip.
const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined';

export const platform: Platform = {
  gunzip: isBun ? undefined : gunzip,
  gunzipSync,
  storedGunzip,
  async loadWasm(fileName) {
    // Read and compiled synchronously: the binaries are small and compile lazily, and the
    // asynchronous paths cost start-up a trip through the thread pool and the event loop each.
    // The package ships each binary once, beside the browser build (where bundlers need it).
    const url = new URL(`../web/${fileName}`, import.meta.url);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(url);
    } catch (e) {
      throw missing(e, (lazyRequire('node:url') as typeof import('node:url')).fileURLToPath(url));
    }
    return new WebAssembly.Module(bytes as BufferSource);
  },
  readFile,
  async fileExists(path) {
    try {
      return (await fsp().stat(path)).isFile();
    } catch {
      return false;
    }
  },
  async writeFileAtomic(path, bytes) {
    const fs = fsp();
    await fs.mkdir(paths().dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.${++tmpCounter}.tmp`;
    try {
      await fs.writeFile(tmp, bytes);
      await fs.rename(tmp, path);
    } catch (e) {
      await fs.unlink(tmp).catch(() => {});
      throw e;
    }
  },
  joinPath: (...parts) => paths().join(...parts),
  defaultCacheDir() {
    const xdg = process.env.XDG_CACHE_HOME;
    const { join } = paths();
    return join(xdg || join(os().homedir(), '.cache'), 'garment-wasm');
  },
  env: (name) => process.env[name],
  weightReader: async () => ({ readWeightFile }),
  workers: true,
  cores: () => (typeof os().availableParallelism === 'function' ? os().availableParallelism() : os().cpus().length),
  // Deno and Bun have Web Workers (their worker_threads emulation is partial); Node has not.
  createWorker: (source) => (typeof globalThis.Worker === 'function' ? createWebWorker(source) : createNodeWorker(source)),
};

/** Below this, gzip data is inflated on the spot (a weight file: about a millisecond). */
const SYNC_GUNZIP_MAX = 1 << 20;

function gunzip(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  if (bytes.length <= SYNC_GUNZIP_MAX) {
    try {
      return Promise.resolve(gunzipSync(bytes, maxBytes));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  const zlib = lazyRequire('node:zlib') as typeof import('node:zlib');
  return new Promise((resolve, reject) => {
    // maxOutputLength stops zlib as soon as the output passes the cap: gzip bombs cost nothing.
    zlib.gunzip(bytes, { maxOutputLength: maxBytes }, (err, out) => {
      if (err) reject(err);
      else resolve(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
    });
  });
}

function gunzipSync(bytes: Uint8Array, maxBytes: number): Uint8Array {
  const out = (lazyRequire('node:zlib') as typeof import('node:zlib')).gunzipSync(bytes, { maxOutputLength: maxBytes });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

function createNodeWorker(source: string): WorkerHandle {
  const { Worker: NodeWorker } = lazyRequire('node:worker_threads') as typeof import('node:worker_threads');
  // An ES module from a data: URL, whatever module type the host process defaults to.
  const prologue = "import { parentPort } from 'node:worker_threads';\nvar __GARMENT_WORKER_MODE__ = 'node';\nvar __GARMENT_PARENT_PORT__ = parentPort;\n";
  const w = new NodeWorker(new URL(`data:text/javascript,${encodeURIComponent(prologue + source)}`));
  let failed = false;
  const failure: ((e: Error) => void)[] = [];
  const fail = (e: Error) => {
    if (failed) return;
    failed = true;
    for (const cb of failure) cb(e);
  };
  w.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
  w.on('exit', (code) => fail(new Error(`worker exited with code ${code}`)));
  w.unref();
  return {
    post: (m) => w.postMessage(m),
    onMessage: (cb) => void w.on('message', cb),
    onFailure: (cb) => void failure.push(cb),
    keepAlive: (on) => (on ? w.ref() : w.unref()),
    terminate: () => {
      failed = true;
      void w.terminate();
    },
  };
}
