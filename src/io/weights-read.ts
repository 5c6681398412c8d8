// How the library loads weight files: gzip inflated natively where the runtime can (fast at
// start-up, and no fflate in the inference bundle), then the same validating decoder.
import { GarmentError } from '../errors.ts';
import { platform } from '#platform';
import { inflateCapped } from './inflate.ts';
import { asWeightError, corrupt, decodePayload, hex, isRawPayload } from './weights-decode.ts';
import { MAX_PAYLOAD_BYTES, show, type StoredFile } from './weights-format.ts';

/**
 * The decoded file; int8 and f16 tensors stay in their stored form (see StoredTensor).
 * `packaged`: the bytes are the package's own bundled model, which is code as much as the wasm
 * binaries and the JS beside it (none of which is checksummed at load either), and which the
 * build and the tests read through the checking path. Its checksums are not recomputed (in cold
 * JS, a CRC-32 over the file costs 2.6 ms of Node's start-up: `node scripts/cold-start.mjs 5
 * parts`), and the stored-block gzip file the
 * Node, Deno and Bun builds ship is copied out without zlib (`platform.storedGunzip`). Every
 * structural check still runs.
 */
export async function readWeightFile(bytes: Uint8Array, { packaged = false }: { packaged?: boolean } = {}): Promise<StoredFile> {
  if (!(bytes instanceof Uint8Array)) throw new GarmentError('E_OPTION', `weights: expected a Uint8Array, found ${show(bytes)}`);
  let payload = bytes;
  let intact = false;
  if (!isRawPayload(bytes)) {
    if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
      const found = bytes.length < 2 ? `${bytes.length} byte(s)` : `bytes ${hex(bytes.subarray(0, 2))}`;
      return asWeightError(() => corrupt(`not a weight file: expected gzip data (bytes 1f 8b), found ${found}`));
    }
    const stored = packaged ? platform.storedGunzip?.(bytes, MAX_PAYLOAD_BYTES) : undefined;
    const inflated = stored ? { bytes: stored, verified: true } : await inflateCapped(bytes, MAX_PAYLOAD_BYTES, 'E_WEIGHTS_FORMAT', 'weight file: gzip');
    payload = inflated.bytes;
    intact = inflated.verified;
    // One gzip member and nothing after it, as decodeWeights demands: the trailer's length field
    // must be the last four bytes and match (zlib would stop after the first member).
    const size = bytes.length >= 4 ? new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(bytes.length - 4, true) : -1;
    if (size !== payload.length % 2 ** 32) {
      return asWeightError(() => corrupt('corrupt gzip data: the gzip trailer (length) does not match the content, or data follows it'));
    }
  } else if (bytes.length > MAX_PAYLOAD_BYTES) {
    return asWeightError(() => corrupt(`the payload is ${bytes.length} bytes, more than the ${MAX_PAYLOAD_BYTES} allowed`));
  }
  return asWeightError(() => decodePayload(payload, intact));
}
