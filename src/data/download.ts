// One file from a list of mirrors. The content is checked before anything is written, and written
// through a rename, so a cache folder only ever holds whole files with the right checksum.
import { platform } from '#platform';
import { GarmentError } from '../errors.ts';
import { isGzip } from '../io/gunzip-magic.ts';
import { concatBytes } from '../io/concat.ts';
import { inflateCapped } from '../io/inflate.ts';

/** Progress of one download. `total` is known when the server sends a Content-Length. */
export interface DownloadProgress {
  file: string;
  loaded: number;
  total?: number;
}

/** What {@link downloadFile} needs to know about one file. */
export interface DownloadOptions {
  /** File name, appended to each mirror's base URL. */
  name: string;
  /** Base URLs, tried in order. */
  mirrors: readonly string[];
  /** Hex SHA-256 of the file's content, after gunzip when the file is gzipped. */
  sha256: string;
  /** Size of the content in bytes, after gunzip; checked before the hash when given. */
  size?: number;
  /** Where to write the file (as downloaded) once it is verified; omitted: keep it in memory only. */
  dest?: string;
  /** Largest content accepted, before or after gunzip. Default 64 MiB or `size`, whichever is larger. */
  maxBytes?: number;
  /** Give up on a mirror after this long without receiving data. Default 30 000 ms. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
}

/** A verified download: the bytes as served, their content after gunzip, and where they came from. */
export interface Downloaded {
  bytes: Uint8Array;
  content: Uint8Array;
  url: string;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/** Hex SHA-256 through WebCrypto: Node >= 19 (a global), Deno, Bun, workerd, browsers in secure contexts. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    const message = 'cannot verify checksums: this runtime has no WebCrypto (crypto.subtle)';
    throw new GarmentError('E_CHECKSUM', message);
  }
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/**
 * Downloads one file, trying each mirror in turn: HTTP errors, network errors, timeouts and wrong
 * content all move on to the next mirror. Fails with E_CHECKSUM when some mirror answered but none
 * with the expected content, and with E_DOWNLOAD when no mirror answered.
 */
export async function downloadFile(options: DownloadOptions): Promise<Downloaded> {
  const { name, mirrors, sha256, size, dest, signal } = options;
  if (typeof name !== 'string' || name === '') {
    throw new GarmentError('E_OPTION', 'downloadFile: name must be a file name');
  }
  const badMirror = (m: unknown) => typeof m !== 'string' || m === '';
  if (!Array.isArray(mirrors) || mirrors.length === 0 || mirrors.some(badMirror)) {
    throw new GarmentError('E_OPTION', 'downloadFile: mirrors must be a non-empty list of base URLs');
  }
  if (typeof sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(sha256)) {
    throw new GarmentError('E_OPTION', `downloadFile: sha256 of ${name} must be 64 hex digits`);
  }
  const fetchFn = options.fetch ?? globalThis.fetch;
  if (typeof fetchFn !== 'function') {
    throw new GarmentError('E_OPTION', 'downloadFile: this runtime has no fetch; pass options.fetch');
  }
  const maxBytes = options.maxBytes ?? Math.max(DEFAULT_MAX_BYTES, size ?? 0);
  const timeoutMs = options.timeoutMs ?? 30_000;

  const failures: string[] = [];
  let wrongContent = false;
  for (const mirror of mirrors) {
    const url = mirror.endsWith('/') ? mirror + name : `${mirror}/${name}`;
    let bytes: Uint8Array;
    try {
      bytes = await fetchBytes(url, fetchFn, name, maxBytes, timeoutMs, signal, options.onProgress);
    } catch (e) {
      if (signal?.aborted) throw new GarmentError('E_ABORTED', `download of ${name} aborted`, { cause: e });
      failures.push(`${url}: ${describe(e)}`);
      continue;
    }
    const checked = await verify(bytes, url, sha256.toLowerCase(), size, maxBytes);
    if (typeof checked === 'string') {
      wrongContent = true;
      failures.push(`${url}: ${checked}`);
      continue;
    }
    if (dest !== undefined) await platform.writeFileAtomic(dest, bytes);
    return { bytes, content: checked, url };
  }
  const list = failures.map((f) => `\n  - ${f}`).join('');
  if (wrongContent) {
    throw new GarmentError('E_CHECKSUM', `${name}: no mirror served the expected content:${list}`);
  }
  throw new GarmentError('E_DOWNLOAD', `${name}: the download failed on every mirror:${list}`);
}

// The content after gunzip, or what is wrong with it.
async function verify(
  bytes: Uint8Array,
  url: string,
  sha256: string,
  size: number | undefined,
  maxBytes: number,
): Promise<Uint8Array | string> {
  let content = bytes;
  if (isGzip(bytes)) {
    try {
      content = (await inflateCapped(bytes, maxBytes, 'E_CHECKSUM', url)).bytes;
    } catch (e) {
      return `bad gzip data (${(e as Error).message})`;
    }
  }
  if (size !== undefined && content.length !== size) {
    return `expected ${size} bytes of content, found ${content.length}`;
  }
  const actual = await sha256Hex(content);
  if (actual !== sha256) return `sha256 ${actual}, expected ${sha256}`;
  return content;
}

async function fetchBytes(
  url: string,
  fetchFn: typeof fetch,
  file: string,
  maxBytes: number,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  onProgress: DownloadOptions['onProgress'],
): Promise<Uint8Array> {
  signal?.throwIfAborted();
  // One controller for both the caller's signal and an idle timer that every chunk re-arms: a slow
  // but steady mirror is fine, a stalled one is abandoned.
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Error(`no data for ${timeoutMs} ms`)), timeoutMs);
  };
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    arm();
    const res = await fetchFn(url, { signal: controller.signal });
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw new Error(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
    }
    // With a Content-Encoding, fetch decodes the body and Content-Length counts the encoded bytes.
    const encoding = res.headers.get('content-encoding');
    const length = Number(res.headers.get('content-length'));
    const sized = (!encoding || encoding === 'identity') && Number.isInteger(length) && length > 0;
    const total = sized ? length : undefined;
    if (total !== undefined && total > maxBytes) {
      await res.body?.cancel().catch(() => {});
      throw new Error(`${total} bytes is more than the ${maxBytes} allowed`);
    }
    if (!res.body) {
      const bytes = new Uint8Array(await res.arrayBuffer());
      onProgress?.({ file, loaded: bytes.length, total });
      return bytes;
    }
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      arm();
      loaded += value.length;
      if (loaded > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new Error(`more than the ${maxBytes} bytes allowed`);
      }
      chunks.push(value);
      onProgress?.({ file, loaded, total });
    }
    if (total !== undefined && loaded !== total) throw new Error(`received ${loaded} of ${total} bytes`);
    return concatBytes(chunks, loaded);
  } catch (e) {
    // A timeout surfaces as an AbortError; its reason says more.
    if (controller.signal.aborted && !signal?.aborted) throw controller.signal.reason;
    throw e;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}


// Node's fetch reports "fetch failed" and keeps the useful part (ECONNREFUSED, ...) in `cause`.
function describe(e: unknown): string {
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  const message = err?.message ?? String(e);
  const cause = err?.cause?.code ?? err?.cause?.message;
  return cause && !message.includes(cause) ? `${message} (${cause})` : message;
}
