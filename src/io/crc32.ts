// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum gzip and PNG use.
// see: https://www.w3.org/TR/png/#D-CRCAppendix

let table: Uint32Array | undefined;

function crcTable(): Uint32Array {
  if (table) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/**
 * Extends a running CRC-32 with more bytes; start with `crc32(bytes)` and feed the result back
 * as `prev` to checksum data that arrives in pieces.
 */
export function crc32(bytes: Uint8Array, prev = 0): number {
  const t = crcTable();
  let c = ~prev;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
