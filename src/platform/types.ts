import type { GarmentErrorCode } from '../errors.ts';
import type * as WeightReader from '../io/weights-read.ts';

/**
 * What the core needs from its host. Each runtime has one small leaf that implements it,
 * chosen at build time through the package's `#platform` import condition, so the core
 * never asks which runtime it is in.
 */
export interface Platform {
  /** Compiles one of the package's own `.wasm` files, shipped beside the bundle. */
  loadWasm(fileName: string): Promise<WebAssembly.Module>;
  /** Reads a whole file (Node/Deno/Bun) or URL (browsers). Missing: GarmentError E_DATA_NOT_FOUND. */
  readFile(path: string): Promise<Uint8Array>;
  /** Whether a file exists; false where the platform has no file system. */
  fileExists(path: string): Promise<boolean>;
  /** Writes through a temporary file and a rename, so readers never see half a file. */
  writeFileAtomic(path: string, bytes: Uint8Array): Promise<void>;
  /** Joins path segments with the platform's separator (or URL rules in browsers). */
  joinPath(...parts: string[]): string;
  /** Where downloads are cached by default, or undefined where nothing can be cached. */
  defaultCacheDir(): string | undefined;
  /** An environment variable, or undefined where there is no environment. */
  env(name: string): string | undefined;
  /**
   * The weight-file reader (src/io/weights-read.ts). Browsers and edge runtimes import it lazily,
   * with the weights: the bytes of the entry a page parses first count there. Node, Deno and Bun
   * have it in the entry's chunk: a module file costs them ~1 ms each to load, its bytes nothing.
   */
  weightReader(): Promise<typeof WeightReader>;
  /** Logical CPU cores this process may use. */
  cores(): number;
  /**
   * The host's own gzip decompression, capped at `maxBytes` of output (Node: zlib, far cheaper to
   * load than web streams); absent where DecompressionStream or fflate should be used.
   */
  gunzip?(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array>;
  /**
   * The same, synchronous (Node's zlib; fflate in Deno); absent in browsers and edge runtimes.
   * A leaf that raises GarmentErrors itself uses the caller's `code` and `what`; plain errors
   * are wrapped by the caller.
   */
  gunzipSync?(bytes: Uint8Array, maxBytes: number, code: GarmentErrorCode, what: string): Uint8Array;
  /**
   * The content of a stored-block gzip file, CRC unchecked (src/io/gunzip-stored.ts), for the
   * bundled model's file that Node, Deno and Bun read; absent in browsers and edge runtimes,
   * whose embedded copy is deflated, so the weight-file reader they fetch stays smaller.
   */
  storedGunzip?(bytes: Uint8Array, maxBytes: number): Uint8Array | undefined;
  /** Whether this runtime has workers at all (edge runtimes have none): threads are not tried without. */
  readonly workers: boolean;
  /**
   * Starts a worker running `source` (a classic script that reads the global
   * `__GARMENT_WORKER_MODE__`), or returns undefined where this runtime has no workers.
   */
  createWorker(source: string): WorkerHandle | undefined | Promise<WorkerHandle | undefined>;
}

/** A started worker, whatever the runtime's worker API. */
export interface WorkerHandle {
  post(message: unknown): void;
  /** Messages the worker posts. */
  onMessage(cb: (data: unknown) => void): void;
  /** Called if the worker fails to start, throws at top level, or exits. */
  onFailure(cb: (error: Error) => void): void;
  /** Whether this worker keeps the process alive (Node); no-op elsewhere. */
  keepAlive(on: boolean): void;
  terminate(): void;
}
