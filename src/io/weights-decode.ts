// Decoding the weight-file payload (the bytes inside the gzip wrapper), for every format
// version this library knows. No decompression here: callers inflate first (natively where the
// runtime can, see weights-read.ts) or pass a raw payload.
import { GarmentError } from '../errors.ts';
import { decodeV1 } from './weights-decode-v1.ts';
import { PREFIX_BYTES, WEIGHTS_MAGIC, WEIGHTS_VERSION, type StoredFile } from './weights-format.ts';

// Versions above the current one up to this are taken as "written by a newer library"; larger
// numbers are more likely garbage than a real future version.
const MAX_PLAUSIBLE_VERSION = 0xffff;

export function corrupt(message: string): never {
  throw new GarmentError('E_WEIGHTS_FORMAT', message);
}

/** Whether `bytes` start with the payload magic: an uncompressed weight file. */
export function isRawPayload(bytes: Uint8Array): boolean {
  if (bytes.length < WEIGHTS_MAGIC.length) return false;
  for (let i = 0; i < WEIGHTS_MAGIC.length; i++) if (bytes[i] !== WEIGHTS_MAGIC.charCodeAt(i)) return false;
  return true;
}

/**
 * Reads a decompressed payload: magic, version, then that version's layout. `intact`: a
 * decompressor already verified the gzip CRC-32 over every byte (see decodeV1).
 */
export function decodePayload(payload: Uint8Array, intact = false): StoredFile {
  if (payload.length < PREFIX_BYTES) {
    corrupt(`truncated: the payload is ${payload.length} bytes, expected at least ${PREFIX_BYTES}`);
  }
  for (let i = 0; i < WEIGHTS_MAGIC.length; i++) {
    if (payload[i] !== WEIGHTS_MAGIC.charCodeAt(i)) {
      const found = hex(payload.subarray(0, 8));
      corrupt(`not a weight file: expected magic "${WEIGHTS_MAGIC}", found bytes ${found}`);
    }
  }
  const version = new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(8, true);
  // One branch per layout ever released; a version-2 reader keeps `decodeV1` for old files.
  if (version === 1) return decodeV1(payload, intact);
  if (version > WEIGHTS_VERSION && version <= MAX_PLAUSIBLE_VERSION) {
    throw new GarmentError(
      'E_WEIGHTS_VERSION',
      `written in format version ${version}; this library reads versions 1 to ${WEIGHTS_VERSION}. ` +
        'Upgrade garment-wasm to load it',
    );
  }
  return corrupt(`expected a format version from 1 to ${WEIGHTS_VERSION}, found ${version}`);
}

export function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

/** Runs `fn`, turning anything it throws into a GarmentError with a stable code. */
export function asWeightError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof GarmentError) throw new GarmentError(e.code, `weight file: ${e.message}`, { cause: e });
    const why = (e as Error)?.message;
    throw new GarmentError('E_WEIGHTS_FORMAT', `weight file: cannot be read (${why})`, { cause: e });
  }
}
