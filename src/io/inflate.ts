// Gzip decompression for start-up paths: the runtime's own DecompressionStream (zlib in Node,
// Deno and Bun, the browser's in browsers and workerd; it checks the gzip CRC and length) where
// there is one, fflate (loaded only then) where not. Output is read chunk by chunk and abandoned
// past `maxBytes`, so a gzip bomb costs at most that much memory.
import { GarmentError, type GarmentErrorCode } from '../errors.ts';

export async function inflateCapped(bytes: Uint8Array, maxBytes: number, code: GarmentErrorCode, what: string): Promise<Uint8Array> {
  if (typeof DecompressionStream !== 'function') {
    const { gunzipCapped } = await import('./gunzip.ts');
    return gunzipCapped(bytes, maxBytes, code, what);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) throw new GarmentError(code, `${what}: decompresses to more than ${maxBytes} bytes`);
      chunks.push(value);
    }
  } catch (e) {
    void reader.cancel().catch(() => {});
    if (e instanceof GarmentError) throw e;
    throw new GarmentError(code, `${what}: corrupt or truncated gzip data (${(e as Error)?.message ?? e})`, { cause: e });
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
