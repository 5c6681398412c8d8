// The weight-file format, synchronously: encodeWeights writes the current version; decodeWeights
// reads every version it knows (gzipped or raw payload). Layout and limits: see weights-format.ts.
// The library itself loads weights through readWeightFile (weights-read.ts), which inflates
// natively where it can and keeps fflate off the start-up path.

import { GarmentError } from '../errors.ts';
import { crc32 } from './crc32.ts';
import { gunzipCapped, isGzip } from './gunzip.ts';
import { asWeightError, corrupt, decodePayload, hex, isRawPayload } from './weights-decode.ts';
import { float16ToFloat32 } from './float16.ts';
import { dequantizeInt8 } from './quantize.ts';
import { MAX_PAYLOAD_BYTES, show, type StoredFile, type WeightFile } from './weights-format.ts';

export { encodeWeights, type EncodeWeightsOptions } from './weights-encode.ts';
export {
  MAX_PAYLOAD_BYTES,
  WEIGHTS_VERSION,
  type WeightDtype,
  type WeightFile,
  type WeightInput,
  type WeightTensor,
} from './weights-format.ts';

/**
 * Reads a weight file written by {@link encodeWeights}. Every failure is a `GarmentError`:
 * `E_WEIGHTS_FORMAT` for anything corrupt, truncated or not a weight file, `E_WEIGHTS_VERSION`
 * for a file from a newer format version, `E_OPTION` when `bytes` is not a Uint8Array.
 */
export function decodeWeights(bytes: Uint8Array): WeightFile {
  if (!(bytes instanceof Uint8Array)) {
    throw new GarmentError('E_OPTION', `decodeWeights: expected the bytes as a Uint8Array, found ${show(bytes)}`);
  }
  return asWeightError(() => {
    if (isRawPayload(bytes)) {
      if (bytes.length > MAX_PAYLOAD_BYTES) corrupt(`the payload is ${bytes.length} bytes, more than the ${MAX_PAYLOAD_BYTES} allowed`);
      return allF32(decodePayload(bytes));
    }
    if (!isGzip(bytes)) {
      const found = bytes.length < 2 ? `${bytes.length} byte(s)` : `bytes ${hex(bytes.subarray(0, 2))}`;
      corrupt(`not a weight file: expected gzip data (bytes 1f 8b), found ${found}`);
    }
    const payload = gunzipCapped(bytes, MAX_PAYLOAD_BYTES, 'E_WEIGHTS_FORMAT', 'gzip');
    checkGzipTrailer(bytes, payload);
    return allF32(decodePayload(payload));
  });
}

/** Every tensor as f32 values: int8 tensors dequantised, f16 ones widened (the classifier does both in wasm instead). */
function allF32(file: StoredFile): WeightFile {
  const tensors = file.tensors.map((t) =>
    'int8' in t
      ? { name: t.name, shape: t.shape, data: dequantizeInt8(t.int8.q, t.int8.scales, t.shape) }
      : 'f16' in t
        ? { name: t.name, shape: t.shape, data: float16ToFloat32(t.f16) }
        : t,
  );
  return { ...file, tensors };
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
