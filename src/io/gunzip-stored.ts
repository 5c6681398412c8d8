// The bundled model as Node, Deno and Bun read it: a gzip file whose deflate stream is all stored
// (uncompressed) blocks. Its int8 weights barely compress (deflate saved 9%), and reading stored
// blocks is a copy: no zlib to load (it brings node:stream with it) and no inflate.
// see: RFC 1951 section 3.2.4 (stored blocks), RFC 1952 section 2.3 (the gzip member)

/**
 * The content of a one-member gzip file made of stored blocks only, or undefined for anything
 * else (compressed blocks, a header with optional fields, a length that does not add up, bytes
 * after the trailer): the caller then decompresses as usual, and that path reports what is wrong.
 * The CRC-32 in the trailer is NOT checked: only for bytes whose integrity is established
 * otherwise (the package's own file, see readWeightFile's `packaged`).
 */
export function storedGunzip(bytes: Uint8Array, maxBytes: number): Uint8Array | undefined {
  // ID1 ID2 CM=8 (deflate) FLG=0 (no name, comment, extra field or header CRC), MTIME, XFL, OS.
  if (bytes.length < 18 || bytes[0] !== 0x1f || bytes[1] !== 0x8b || bytes[2] !== 8 || bytes[3] !== 0) return undefined;
  const blocks: [number, number][] = [];
  let total = 0;
  let at = 10;
  for (let last = false; !last; ) {
    if (at + 5 > bytes.length) return undefined;
    const head = bytes[at];
    // Bit 0: the final block; bits 1-2: the type, 0 for stored; the rest pad to the byte.
    if (head > 1) return undefined;
    last = head === 1;
    const len = bytes[at + 1] | (bytes[at + 2] << 8);
    const nlen = bytes[at + 3] | (bytes[at + 4] << 8);
    if ((len ^ nlen) !== 0xffff || at + 5 + len > bytes.length) return undefined;
    total += len;
    if (total > maxBytes) return undefined;
    blocks.push([at + 5, len]);
    at += 5 + len;
  }
  // The trailer (CRC-32, then the length mod 2^32) ends the file.
  if (at + 8 !== bytes.length) return undefined;
  const size = (bytes[at + 4] | (bytes[at + 5] << 8) | (bytes[at + 6] << 16) | (bytes[at + 7] << 24)) >>> 0;
  if (size !== total) return undefined;
  const out = new Uint8Array(total);
  let to = 0;
  for (const [from, len] of blocks) {
    out.set(bytes.subarray(from, from + len), to);
    to += len;
  }
  return out;
}
