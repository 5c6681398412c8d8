// Finds, validates and compiles the wasm binary once per process.
import { GarmentError, show } from '../errors.ts';
import { platform } from '#platform';

/** The smallest module that uses a v128 instruction: validates only where SIMD is supported. */
// (module (func (result v128) (v128.const i32x4 0 0 0 0)))
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
]);

export function hasSimd(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
}

/** Where a caller may supply the binary themselves (workerd, custom hosting). */
export type WasmSource = WebAssembly.Module | Uint8Array | ArrayBuffer | URL | string;

const cache = new Map<string, Promise<WebAssembly.Module>>();

/**
 * The package's binaries: plain SIMD (everywhere), SIMD over a shared memory (threads), and the
 * same two with relaxed SIMD's fused multiply-add for `precision: 'fast'`.
 */
export const WASM_FILES = {
  simd: 'garment-simd.wasm',
  threads: 'garment-simd-threads.wasm',
  relaxed: 'garment-relaxed.wasm',
  'relaxed-threads': 'garment-relaxed-threads.wasm',
} as const;
export type WasmVariant = keyof typeof WASM_FILES;


/** Whether this runtime can share memory with workers (SharedArrayBuffer, and cross-origin isolation in browsers). */
export function canShareMemory(): boolean {
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return false;
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) return false;
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

/** Compiles `source`, or the package's own binary of `variant` when none is given; cached per file. */
export function loadModule(source?: WasmSource, variant: WasmVariant = 'simd'): Promise<WebAssembly.Module> {
  // By brand, not instanceof: edge hosts (Next.js, Vercel) hand in modules compiled in another realm.
  if (Object.prototype.toString.call(source) === '[object WebAssembly.Module]') return Promise.resolve(source as WebAssembly.Module);
  if (!hasSimd()) {
    return Promise.reject(new GarmentError('E_WASM_UNSUPPORTED', 'this runtime has no WebAssembly SIMD support, which garment-wasm needs (Node >= 16.4, Chrome/Edge >= 91, Firefox >= 89, Safari >= 16.4, Deno, Bun)'));
  }
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
    return WebAssembly.compile(source as BufferSource).catch((e) => {
      throw new GarmentError('E_WASM_LOAD', `could not compile the supplied wasm bytes: ${(e as Error).message}`, { cause: e });
    });
  }
  // Anything else would be read as a path through String(), which may even throw (no prototype).
  const isUrl = (typeof URL === 'function' && source instanceof URL) || Object.prototype.toString.call(source) === '[object URL]';
  if (source !== undefined && typeof source !== 'string' && !isUrl) {
    return Promise.reject(new GarmentError('E_OPTION', `wasm must be a WebAssembly.Module, bytes, a URL or a path, found ${show(source)}`));
  }
  const key = source === undefined ? WASM_FILES[variant] : String(source);
  let p = cache.get(key);
  if (!p) {
    p = (source === undefined ? platform.loadWasm(key) : compileFrom(String(source))).catch((e) => {
      cache.delete(key);
      if (e instanceof GarmentError && e.code !== 'E_DATA_NOT_FOUND') throw e;
      throw new GarmentError('E_WASM_LOAD', `could not load the wasm binary ${key}: ${(e as Error).message}`, { cause: e });
    });
    cache.set(key, p);
  }
  return p;
}

async function compileFrom(location: string): Promise<WebAssembly.Module> {
  return WebAssembly.compile((await platform.readFile(location)) as BufferSource);
}
