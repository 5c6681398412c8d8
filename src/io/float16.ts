// Exact f32 <-> f16 (IEEE 754 binary16) conversion by bit manipulation: round to nearest, ties to
// even, with subnormals, infinities and NaN. No Math.pow or log, so every engine gives the same bits.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Rounds the f32 with bit pattern `x` to the nearest f16 bit pattern (ties to even). */
function f16FromBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) {
    // Keep the top payload bits of a NaN and force the quiet bit so it cannot become Infinity.
    return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13);
  }
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // f16 subnormal: value = m * 2^-24, and m = (1.mant as a 24-bit integer) >> (14 - e).
    // Below half the smallest subnormal (s > 24) everything rounds to zero.
    const s = 14 - e;
    if (s > 24) return sign;
    const full = mant | 0x800000;
    const half = 1 << (s - 1);
    const rem = full & ((1 << s) - 1);
    let m = full >>> s;
    if (rem > half || (rem === half && (m & 1) !== 0)) m++; // m may carry to 0x400: the smallest normal
    return sign | m;
  }
  // Normal: drop 13 mantissa bits; a carry out of the mantissa correctly bumps the exponent,
  // up to 0x7c00 (Infinity) for values at or past 65520.
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) !== 0)) h++;
  return sign | h;
}

/** Expands an f16 bit pattern to the bit pattern of the equal f32 (always exact). */
function bitsFromF16(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  // Subnormal: normalise so the leading 1 becomes the implicit bit of an f32.
  let e = 113;
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

/** The f16 bit pattern nearest to `value` (rounded to f32 first, then to f16, ties to even). */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  return f16FromBits(u32[0]);
}

/** The number an f16 bit pattern stands for. */
export function fromFloat16Bits(bits: number): number {
  u32[0] = bitsFromF16(bits & 0xffff);
  return f32[0];
}

/** Converts f32 values to f16 bit patterns. */
export function float32ToFloat16(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < bits.length; i++) out[i] = f16FromBits(bits[i]);
  return out;
}

/** Converts f16 bit patterns to f32 values (exact). */
export function float16ToFloat32(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < src.length; i++) bits[i] = bitsFromF16(src[i]);
  return out;
}
