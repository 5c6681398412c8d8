// fflate's inflater, for synchronous decoding (decodeWeights) and where the host has no gzip of
// its own. Its module sets up tables when loaded, so start-up paths import this lazily.
import { Gunzip } from 'fflate';
import { GarmentError, type GarmentErrorCode } from '../errors.ts';
import { concatBytes } from './concat.ts';

export { isGzip } from './gunzip-magic.ts';

/**
 * Decompresses gzip without trusting the size the stream declares: output is collected in
 * chunks and the stream is abandoned as soon as it passes `maxBytes`, so a gzip bomb costs
 * at most `maxBytes` of memory.
 */
export function gunzipCapped(bytes: Uint8Array, maxBytes: number, code: GarmentErrorCode, what: string): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let ended = false;
  const stream = new Gunzip((chunk, final) => {
    total += chunk.length;
    if (total > maxBytes) {
      throw new GarmentError(code, `${what}: decompresses to more than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
    if (final) ended = true;
  });
  try {
    // Feed in slices so the size check runs before a huge output is built up.
    const step = 1 << 12;
    for (let i = 0; i < bytes.length; i += step) {
      stream.push(bytes.subarray(i, Math.min(bytes.length, i + step)), i + step >= bytes.length);
    }
    if (bytes.length === 0) stream.push(bytes, true);
  } catch (e) {
    if (e instanceof GarmentError) throw e;
    throw new GarmentError(code, `${what}: corrupt gzip data (${(e as Error).message})`, { cause: e });
  }
  if (!ended) throw new GarmentError(code, `${what}: gzip data is truncated`);
  return concatBytes(chunks, total);
}
