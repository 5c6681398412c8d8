// One wasm instance over one linear memory, with typed views that survive memory growth.
import { GarmentError } from '../errors.ts';
import type { Kernels } from './kernels.ts';

/** The kernel interface this code calls: assembly/index.ts's ABI_VERSION must match. */
export const WASM_ABI = 2;

const PAGE = 65536;
/** wasm32 addresses 4 GiB; browsers and V8 cap a memory at 65536 pages. */
const MAX_PAGES = 65536;

export class Engine {
  readonly memory: WebAssembly.Memory;
  readonly k: Kernels;
  private buffer: ArrayBuffer | SharedArrayBuffer;
  private f32v: Float32Array;
  private i32v: Int32Array;
  private u8v: Uint8Array;

  private constructor(memory: WebAssembly.Memory, k: Kernels) {
    this.memory = memory;
    this.k = k;
    this.buffer = memory.buffer;
    this.f32v = new Float32Array(this.buffer);
    this.i32v = new Int32Array(this.buffer);
    this.u8v = new Uint8Array(this.buffer);
  }

  /**
   * A new instance over a new memory of at least `bytes`. With `sharedMaxBytes`, the memory is
   * shared (for the threaded build) and may grow up to that size.
   */
  static async create(module: WebAssembly.Module, bytes: number, sharedMaxBytes?: number): Promise<Engine> {
    const initial = pagesFor(bytes);
    const memory = sharedMaxBytes
      ? new WebAssembly.Memory({ initial, maximum: Math.max(initial, pagesFor(sharedMaxBytes)), shared: true })
      : new WebAssembly.Memory({ initial });
    return Engine.over(module, memory);
  }

  /** A new instance over an existing memory: how workers join a shared one. */
  static async over(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<Engine> {
    let instance: WebAssembly.Instance;
    try {
      instance = await WebAssembly.instantiate(module, { env: { memory } });
    } catch (e) {
      throw new GarmentError('E_WASM_LOAD', `could not instantiate the wasm binary: ${(e as Error)?.message}`, { cause: e });
    }
    // A module from another release (or not garment-wasm's at all) would fail later, at the first
    // kernel it lacks, as a TypeError or a trap.
    const abi = (instance.exports.ABI_VERSION as WebAssembly.Global | undefined)?.value;
    if (abi !== WASM_ABI) {
      throw new GarmentError('E_WASM_LOAD', `the wasm binary is not from this garment-wasm release (kernel interface ${abi ?? 'missing'}, expected ${WASM_ABI})`);
    }
    return new Engine(memory, instance.exports as unknown as Kernels);
  }

  /** Grows the memory so that `bytes` are addressable. */
  ensure(bytes: number): void {
    const need = pagesFor(bytes);
    const have = this.memory.buffer.byteLength / PAGE;
    if (need > have) {
      try {
        this.memory.grow(need - have);
      } catch (e) {
        throw new GarmentError('E_MEMORY', `could not grow wasm memory to ${bytes} bytes: ${(e as Error).message}`, { cause: e });
      }
    }
  }

  private refresh(): void {
    // A grown memory has a new buffer (shared memories: a longer one); old views would be short.
    if (this.buffer !== this.memory.buffer || this.f32v.byteLength !== this.memory.buffer.byteLength) {
      this.buffer = this.memory.buffer;
      this.f32v = new Float32Array(this.buffer);
      this.i32v = new Int32Array(this.buffer);
      this.u8v = new Uint8Array(this.buffer);
    }
  }

  get f32(): Float32Array {
    this.refresh();
    return this.f32v;
  }
  get i32(): Int32Array {
    this.refresh();
    return this.i32v;
  }
  get u8(): Uint8Array {
    this.refresh();
    return this.u8v;
  }
  get raw(): ArrayBuffer {
    this.refresh();
    return this.buffer as ArrayBuffer;
  }
}

function pagesFor(bytes: number): number {
  const pages = Math.ceil(bytes / PAGE);
  if (pages > MAX_PAGES) {
    throw new GarmentError('E_MEMORY', `the model and batch need ${Math.ceil(bytes / 2 ** 20)} MiB, more than wasm can address (4 GiB); use a smaller batch`);
  }
  return Math.max(1, pages);
}
