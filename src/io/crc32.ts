// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum gzip and PNG use.
// see: https://www.w3.org/TR/png/#D-CRCAppendix

// Slicing-by-4 (four table lookups per 4 bytes): start-up code checks a weight file before the
// JIT has warmed up, so fewer loop turns matter.
let tables: Uint32Array | undefined;

function crcTables(): Uint32Array {
  if (tables) return tables;
  const t = new Uint32Array(4 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 4; k++) t[k * 256 + n] = (t[(k - 1) * 256 + n] >>> 8) ^ t[t[(k - 1) * 256 + n] & 0xff];
  }
  return (tables = t);
}

/**
 * Extends a running CRC-32 with more bytes; start with `crc32(bytes)` and feed the result back
 * as `prev` to checksum data that arrives in pieces.
 */
export function crc32(bytes: Uint8Array, prev = 0): number {
  const t = crcTables();
  let c = ~prev;
  let i = 0;
  const n4 = bytes.length & ~3;
  for (; i < n4; i += 4) {
    c ^= bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    c = t[768 + (c & 0xff)] ^ t[512 + ((c >>> 8) & 0xff)] ^ t[256 + ((c >>> 16) & 0xff)] ^ t[c >>> 24];
  }
  for (; i < bytes.length; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
