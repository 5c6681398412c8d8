/**
 * Stable error codes. A code never changes meaning once released; messages may improve.
 */
export type GarmentErrorCode =
  | 'E_OPTION' // an option or argument has the wrong type or value
  | 'E_INPUT_SHAPE' // an image or batch has the wrong size
  | 'E_INPUT_VALUE' // NaN, Infinity or out-of-range pixel values
  | 'E_EMPTY_BATCH' // a batch or dataset with no images
  | 'E_LABEL_RANGE' // a label outside 0..classes-1
  | 'E_MODEL_UNKNOWN' // no preset with that name
  | 'E_MODEL_SPEC' // a layer list that does not describe a valid network
  | 'E_WEIGHTS_FORMAT' // a weight file that is corrupt, truncated or not a weight file
  | 'E_WEIGHTS_VERSION' // a weight file written by a newer, unknown format version
  | 'E_WEIGHTS_MISMATCH' // weights that do not fit the model they are loaded into
  | 'E_IDX_FORMAT' // a bad IDX file (magic, dimensions, truncated data)
  | 'E_CSV_FORMAT' // a bad CSV file (column count, non-numeric cells)
  | 'E_DATA_NOT_FOUND' // a data folder or file that does not exist
  | 'E_IO' // a file could not be written (checkpoints): the cause holds the system's error
  | 'E_CHECKSUM' // downloaded or cached data whose checksum does not match
  | 'E_DOWNLOAD' // a download that failed on every mirror
  | 'E_WASM_UNSUPPORTED' // a runtime without WebAssembly SIMD
  | 'E_WASM_LOAD' // the wasm binary could not be fetched, compiled or instantiated, or is from another release
  | 'E_MEMORY' // the model or batch needs more memory than wasm can address
  | 'E_DISPOSED' // a classifier used after dispose()
  | 'E_ABORTED' // training stopped by an AbortSignal
  | 'E_DIVERGED' // NaN or Infinity appeared in the loss or the weights
  | 'E_NUMERIC' // the model's arithmetic overflowed (e.g. weights too large): no finite answer
  | 'E_WORKER'; // a worker thread failed to start or died

/** The one error type the library throws on purpose. Check `code`, not the message. */
export class GarmentError extends Error {
  readonly code: GarmentErrorCode;
  constructor(code: GarmentErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GarmentError';
    this.code = code;
  }
}

export function isGarmentError(e: unknown): e is GarmentError {
  return e instanceof GarmentError;
}

/**
 * A short rendering of an untrusted value for an error message. Never throws: `String(v)` does on
 * objects without a prototype or with a throwing `toString`, which would turn the GarmentError
 * being built into a raw TypeError.
 */
export function show(v: unknown): string {
  let s: string;
  try {
    if (v === undefined) s = 'undefined';
    else if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') s = String(v);
    else if (typeof v === 'string') s = JSON.stringify(v);
    else if (Array.isArray(v)) s = `an array of ${v.length}`;
    else if (v === null) s = 'null';
    else if (typeof v === 'object') s = v.constructor?.name ? `a ${v.constructor.name}` : 'an object';
    else s = typeof v;
  } catch {
    s = typeof v;
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
