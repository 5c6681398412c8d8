// Taking weight files apart and putting them back together with a correct checksum, so tests and
// the fuzzer can hand the reader files whose header says anything at all (a CRC is no defence
// against a file made on purpose). Layout: src/io/weights-format.ts.
import { gunzipSync, gzipSync } from 'node:zlib';
import { crc32 } from '../../dist/node/internal.js';

const MAGIC = new TextEncoder().encode('GARMENTW');
const align16 = (n) => Math.ceil(n / 16) * 16;

/** A weight file (gzipped or raw payload) as { version, header, data }: the parsed JSON header and a copy of the data section. */
export function unpack(bytes) {
  const payload = bytes[0] === 0x1f && bytes[1] === 0x8b ? new Uint8Array(gunzipSync(bytes)) : bytes;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const headerLength = view.getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(payload.subarray(16, 16 + headerLength)));
  return { version: view.getUint32(8, true), header, data: payload.slice(align16(16 + headerLength)) };
}

/**
 * A payload from a header object and a data section, its checksum recomputed (the `checksum` key is
 * moved last, as the format requires). `headerText` replaces the JSON text; `headerLength` lies
 * about its length; `gzip` wraps it like save() does.
 */
export function pack({ header, data = new Uint8Array(0), version = 1, headerText, headerLength, gzip = true }) {
  let text = headerText;
  if (text === undefined) {
    const { checksum: _, ...rest } = header;
    text = JSON.stringify({ ...rest, checksum: '00000000' });
  }
  const json = new TextEncoder().encode(text);
  const dataStart = align16(16 + json.length);
  const payload = new Uint8Array(dataStart + data.length);
  payload.set(MAGIC);
  const view = new DataView(payload.buffer);
  view.setUint32(8, version >>> 0, true);
  view.setUint32(12, (headerLength ?? json.length) >>> 0, true);
  payload.set(json, 16);
  payload.set(data, dataStart);
  const tail = '"checksum":"00000000"}';
  if (text.endsWith(tail)) {
    const at = 16 + json.length - 10;
    payload.set(new TextEncoder().encode(crc32(payload).toString(16).padStart(8, '0')), at);
  }
  return gzip ? new Uint8Array(gzipSync(payload)) : payload;
}

/**
 * Reads a tensor straight from a data section, the way the format defines it, with no checks:
 * the reference the reader's output is compared with.
 */
export function referenceTensor(data, entry) {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const count = entry.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(count);
  if (entry.dtype === 'f32') for (let i = 0; i < count; i++) out[i] = view.getFloat32(entry.offset + 4 * i, true);
  else if (entry.dtype === 'f16') for (let i = 0; i < count; i++) out[i] = half(view.getUint16(entry.offset + 2 * i, true));
  else {
    const channels = entry.shape.length ? entry.shape[entry.shape.length - 1] : 1;
    for (let i = 0; i < count; i++) out[i] = view.getInt8(entry.offset + i) * view.getFloat32(entry.scales + 4 * (i % channels), true);
  }
  return out;
}

function half(bits) {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

// A single gzip member that inflates to `size` zero bytes, written by hand (deflate with fixed
// Huffman codes: one literal 0, then "copy 258 bytes from distance 1" repeated) because
// compressing 200 MiB with fflate would take seconds. See RFC 1951, 3.2.6.
export function zeroBomb(size) {
  const reps = Math.floor((size - 1) / 258);
  const out = new Uint8Array(10 + Math.ceil((3 + 8 + reps * 13 + 7) / 8) + 8);
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  let pos = 10 * 8;
  const bits = (value, n) => {
    for (let i = 0; i < n; i++, pos++) if ((value >> i) & 1) out[pos >> 3] |= 1 << (pos & 7);
  };
  const code = (value, n) => {
    for (let i = n - 1; i >= 0; i--) bits((value >> i) & 1, 1); // Huffman codes go most significant bit first
  };
  bits(1, 1); // BFINAL
  bits(1, 2); // BTYPE = fixed Huffman
  code(0x30, 8); // literal 0
  for (let r = 0; r < reps; r++) {
    code(0xc5, 8); // length code 285: 258 bytes
    code(0, 5); // distance code 0: distance 1
  }
  code(0, 7); // end of block
  // The trailer's CRC is left 0: the reader must give up long before it gets there.
  new DataView(out.buffer).setUint32(out.length - 4, (1 + reps * 258) >>> 0, true);
  return out;
}
