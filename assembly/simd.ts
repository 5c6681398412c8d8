// Shared SIMD helpers, all inlined. Variant switches (relaxed FMA, threads) belong here and
// nowhere else, so every kernel file stays one source for every binary.

/**
 * acc + a * b. The default builds multiply then add (two roundings): bit-identical on every
 * engine. The relaxed build (ASC_FEATURE_RELAXED_SIMD, `precision: 'fast'`) uses relaxed_madd,
 * a fused multiply-add where the CPU has one: faster, but its rounding may differ between CPUs.
 */
// @ts-ignore: decorator
@inline export function madd(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

/**
 * Whether `madd` is one instruction (the relaxed build's FMA), which needs no register for the
 * product: kernels that keep many accumulators live use it to pick a wider register block.
 */
export const FUSED_MADD: bool = ASC_FEATURE_RELAXED_SIMD;

/** The scalar twin of `madd`: the same two roundings, so edge elements match vector lanes. */
// @ts-ignore: decorator
@inline export function maddScalar(acc: f32, a: f32, b: f32): f32 {
  return acc + a * b;
}

// @ts-ignore: decorator
@inline export function zero4(): v128 {
  return f32x4.splat(0);
}

/**
 * max(v, 0) per lane, as a mask: lanes <= 0 (either zero too) become +0, the rest (NaN included)
 * pass through. The same values as f32x4.max(v, 0), whose NaN and signed-zero rules cost V8 seven
 * x64 instructions (compare, and-not, or, subtract...) against two here; only a NaN's payload may
 * differ (max returns the canonical NaN, this the input's).
 */
// @ts-ignore: decorator
@inline export function relu4(v: v128): v128 {
  return v128.andnot(v, f32x4.le(v, f32x4.splat(0)));
}

/** Address of element `i` of an f32 array at `base`. */
// @ts-ignore: decorator
@inline export function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

/** A 32-bit integer hash (lowbias32, see: https://nullprogram.com/blog/2018/07/31/). */
// @ts-ignore: decorator
@inline export function hash32(x: u32): u32 {
  x ^= x >> 16;
  x *= 0x7feb352d;
  x ^= x >> 15;
  x *= 0x846ca68b;
  x ^= x >> 16;
  return x;
}
