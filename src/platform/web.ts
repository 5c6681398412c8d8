// Browsers, and Deno/Bun/other hosts without the node condition: everything through fetch.
import { fetchBytes, fetchPlatform } from './fetch.ts';
import type { Platform } from './types.ts';

// Literal `new URL('./file', import.meta.url)` calls: bundlers (Vite, webpack, Parcel) find these
// and ship the binaries with the app; a template string would hide them.
const WASM_URLS: Record<string, () => URL> = {
  'garment-simd.wasm': () => new URL('./garment-simd.wasm', import.meta.url),
  'garment-simd-threads.wasm': () => new URL('./garment-simd-threads.wasm', import.meta.url),
  'garment-relaxed.wasm': () => new URL('./garment-relaxed.wasm', import.meta.url),
  'garment-relaxed-threads.wasm': () => new URL('./garment-relaxed-threads.wasm', import.meta.url),
};

export const platform: Platform = {
  ...fetchPlatform,
  async loadWasm(fileName) {
    const url = (WASM_URLS[fileName] ?? (() => new URL(`./${fileName}`, import.meta.url)))();
    // Streaming compilation needs the application/wasm MIME type; a server that sends another
    // one (or a file: URL in Deno) gets the byte path instead.
    if (typeof WebAssembly.compileStreaming === 'function') {
      try {
        return await WebAssembly.compileStreaming(fetch(url));
      } catch {
        // fall through
      }
    }
    return WebAssembly.compile((await fetchBytes(url)) as BufferSource);
  },
  workers: typeof Worker === 'function',
  cores: () => (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) || 1,
  // Loaded with the pool, on first use: pages that never start workers never fetch it.
  createWorker: async (source) => (await import('./web-worker.ts')).createWebWorker(source),
};
