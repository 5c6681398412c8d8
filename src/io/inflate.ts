// Gzip decompression for start-up paths: the host's zlib where the platform leaf offers it (Node,
// Deno, Bun), else the runtime's DecompressionStream (browsers, workerd; it checks the gzip CRC
// and length), else fflate (loaded only then). Output is read chunk by chunk and abandoned
// past `maxBytes`, so a gzip bomb costs at most that much memory.
import { GarmentError, type GarmentErrorCode } from '../errors.ts';
import { platform } from '#platform';
import { concatBytes } from './concat.ts';

function failed(e: unknown, code: GarmentErrorCode, what: string, maxBytes: number): GarmentError {
  const big = /maxOutputLength|buffer.*larger|Cannot create a Buffer|decompresses to more than/i.test(String((e as Error)?.message));
  return new GarmentError(code, big ? `${what}: decompresses to more than ${maxBytes} bytes` : `${what}: corrupt or truncated gzip data (${(e as Error)?.message ?? e})`, { cause: e });
}

/**
 * Synchronous gzip decompression, where the host has it (Node, Deno, Bun). Elsewhere, callers
 * with gzipped bytes get a clear error: decompress first (DecompressionStream), or use the async
 * loaders (loadFashionMNIST), which decompress themselves.
 */
export function inflateCappedSync(bytes: Uint8Array, maxBytes: number, code: GarmentErrorCode, what: string): Uint8Array {
  if (!platform.gunzipSync) {
    throw new GarmentError('E_OPTION', `${what}: gzipped data cannot be decompressed synchronously in this runtime; decompress it first (DecompressionStream) or use loadFashionMNIST`);
  }
  try {
    return platform.gunzipSync(bytes, maxBytes, code, what);
  } catch (e) {
    if (e instanceof GarmentError) throw e; // already in the caller's terms
    throw failed(e, code, what, maxBytes);
  }
}

/** Decompresses; `verified` says whether the gzip trailer's CRC-32 and length were checked. */
export async function inflateCapped(bytes: Uint8Array, maxBytes: number, code: GarmentErrorCode, what: string): Promise<{ bytes: Uint8Array; verified: boolean }> {
  return { bytes: await inflate(bytes, maxBytes, code, what), verified: platform.gunzip !== undefined || typeof DecompressionStream === 'function' };
}

async function inflate(bytes: Uint8Array, maxBytes: number, code: GarmentErrorCode, what: string): Promise<Uint8Array> {
  if (platform.gunzip) {
    try {
      return await platform.gunzip(bytes, maxBytes);
    } catch (e) {
      throw failed(e, code, what, maxBytes);
    }
  }
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
  return concatBytes(chunks, total);
}
