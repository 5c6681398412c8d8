// Edge runtimes: Cloudflare Workers (workerd) and Vercel Edge (`edge-light`). They forbid compiling
// wasm from bytes at run time, so the binary is imported as a WebAssembly.Module that the host's
// bundler compiles at deploy time (wrangler's CompiledWasm rule, Next.js and Vercel's `?module`
// imports; the build keeps this import external). No workers and no shared memory: one thread.
// Only the plain SIMD binary ships here: a relaxed-SIMD module that the host cannot compile would
// stop the whole worker from loading, so precision 'fast' runs the exact kernels on the edge.
import simd from './garment-simd.wasm?module';
import { GarmentError } from '../errors.ts';
import { fetchPlatform } from './fetch.ts';
import type { Platform } from './types.ts';

export const platform: Platform = {
  ...fetchPlatform,
  async loadWasm(fileName) {
    if (fileName === 'garment-simd.wasm' || fileName === 'garment-relaxed.wasm') return simd;
    throw new GarmentError('E_WASM_LOAD', `${fileName} is not part of the edge build (it runs on one thread)`);
  },
  cores: () => 1,
  workers: false,
  createWorker: () => undefined,
};
