// The weight-file format: encodeWeights writes the current version; decodeWeights reads every
// version it knows. Layout and limits: see weights-format.ts.

import { GarmentError } from '../errors.ts';
import { crc32 } from './crc32.ts';
import { gunzipCapped, isGzip } from './gunzip.ts';
import { decodeV1 } from './weights-decode-v1.ts';
import {
  MAX_PAYLOAD_BYTES,
  PREFIX_BYTES,
  WEIGHTS_MAGIC,
  WEIGHTS_VERSION,
  show,
  type WeightFile,
} from './weights-format.ts';

export { encodeWeights, type EncodeWeightsOptions } from './weights-encode.ts';
export {
  MAX_PAYLOAD_BYTES,
  WEIGHTS_VERSION,
  type WeightDtype,
  type WeightFile,
  type WeightInput,
  type WeightTensor,
} from './weights-format.ts';

// Versions above the current one up to this are taken as "written by a newer library"; larger
// numbers are more likely garbage than a real future version.
const MAX_PLAUSIBLE_VERSION = 0xffff;

function corrupt(message: string): never {
  throw new GarmentError('E_WEIGHTS_FORMAT', message);
}

/**
 * Reads a weight file written by {@link encodeWeights}. Every failure is a `GarmentError`:
 * `E_WEIGHTS_FORMAT` for anything corrupt, truncated or not a weight file, `E_WEIGHTS_VERSION`
 * for a file from a newer format version, `E_OPTION` when `bytes` is not a Uint8Array.
 */
export function decodeWeights(bytes: Uint8Array): WeightFile {
  if (!(bytes instanceof Uint8Array)) {
    const found = show(bytes);
    throw new GarmentError('E_OPTION', `decodeWeights: expected the bytes as a Uint8Array, found ${found}`);
  }
  try {
    return decode(bytes);
  } catch (e) {
    // Whatever went wrong, the caller sees one error type with a stable code.
    if (e instanceof GarmentError) throw new GarmentError(e.code, `weight file: ${e.message}`, { cause: e });
    const why = (e as Error)?.message;
    throw new GarmentError('E_WEIGHTS_FORMAT', `weight file: cannot be read (${why})`, { cause: e });
  }
}

/** Whether `bytes` start with the payload magic: an uncompressed weight file. */
function isRawPayload(bytes: Uint8Array): boolean {
  if (bytes.length < WEIGHTS_MAGIC.length) return false;
  for (let i = 0; i < WEIGHTS_MAGIC.length; i++) if (bytes[i] !== WEIGHTS_MAGIC.charCodeAt(i)) return false;
  return true;
}

function decode(bytes: Uint8Array): WeightFile {
  let payload: Uint8Array;
  if (isRawPayload(bytes)) {
    // The payload without its gzip wrapper (what the package embeds: no inflate at start-up).
    // Everything below, the checksum included, still applies.
    if (bytes.length > MAX_PAYLOAD_BYTES) corrupt(`the payload is ${bytes.length} bytes, more than the ${MAX_PAYLOAD_BYTES} allowed`);
    payload = bytes;
  } else {
    if (!isGzip(bytes)) {
      const found = bytes.length < 2 ? `${bytes.length} byte(s)` : `bytes ${hex(bytes.subarray(0, 2))}`;
      corrupt(`not a weight file: expected gzip data (bytes 1f 8b), found ${found}`);
    }
    payload = gunzipCapped(bytes, MAX_PAYLOAD_BYTES, 'E_WEIGHTS_FORMAT', 'gzip');
    checkGzipTrailer(bytes, payload);
  }
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
  if (version === 1) return decodeV1(payload);
  if (version > WEIGHTS_VERSION && version <= MAX_PLAUSIBLE_VERSION) {
    throw new GarmentError(
      'E_WEIGHTS_VERSION',
      `written in format version ${version}; this library reads versions 1 to ${WEIGHTS_VERSION}. ` +
        'Upgrade garment-wasm to load it',
    );
  }
  return corrupt(`expected a format version from 1 to ${WEIGHTS_VERSION}, found ${version}`);
}

// fflate does not verify the gzip trailer; checking it too catches corruption in the compressed
// stream with a clear message (the payload checksum would catch it later as well).
function checkGzipTrailer(bytes: Uint8Array, payload: Uint8Array): void {
  // 10-byte gzip header, at least 2 bytes of deflate data, 8-byte trailer.
  if (bytes.length < 20) corrupt(`truncated: ${bytes.length} bytes is too short for gzip data`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = bytes.length - 8;
  if (view.getUint32(at + 4, true) !== payload.length || view.getUint32(at, true) !== crc32(payload)) {
    corrupt('corrupt gzip data: the gzip trailer (CRC-32 and size) does not match the content');
  }
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}
