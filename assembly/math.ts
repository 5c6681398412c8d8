// Table-free exp, log and integer power in f64. AssemblyScript's own Math keeps lookup tables
// in a data segment and state in a mutable global; these need neither, so a module instantiated
// many times over one shared memory writes nothing at start-up. Plain IEEE arithmetic only:
// the same bits in every engine.
// see: fdlibm e_exp.c and e_log.c (Sun Microsystems, freely redistributable), whose polynomial
// coefficients these are.

const LN2_HI: f64 = 6.93147180369123816490e-01;
const LN2_LO: f64 = 1.90821492927058770002e-10;
const INV_LN2: f64 = 1.44269504088896338700e+00;

/** 2^k for integer k in the normal range [-1022, 1023]. */
// @ts-ignore: decorator
@inline function pow2i(k: i32): f64 {
  return reinterpret<f64>(<i64>(k + 1023) << 52);
}

/** e^x, accurate to about 1 ulp; 0 below -708, Infinity above 709.7. */
export function exp64(x: f64): f64 {
  if (x != x) return x;
  if (x > 709.782712893384) return Infinity;
  if (x < -708.0) return 0;
  const k = <i32>nearest(x * INV_LN2);
  const kf = <f64>k;
  const hi = x - kf * LN2_HI;
  const lo = kf * LN2_LO;
  const r = hi - lo;
  const t = r * r;
  const c = r - t * (1.66666666666666019037e-01 + t * (-2.77777777770155933842e-03 +
    t * (6.61375632143793436117e-05 + t * (-1.65339022054652515390e-06 + t * 4.13813679705723846039e-08))));
  const y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
  // Split the scaling so k = 1024 (x near the overflow bound) stays representable.
  if (k > 1023) return y * 2.0 * pow2i(k - 1);
  if (k < -1021) return y * pow2i(k + 1000) * pow2i(-1000);
  return y * pow2i(k);
}

/** Natural log for finite x > 0, accurate to about 1 ulp; -Infinity at 0, NaN below. */
export function log64(x: f64): f64 {
  if (x != x || x < 0) return NaN;
  if (x == 0) return -Infinity;
  if (x == Infinity) return x;
  let bits = reinterpret<u64>(x);
  let k: i32 = 0;
  if (bits < 0x0010000000000000) {
    // Subnormal: scale into the normal range first.
    x *= 18014398509481984.0; // 2^54
    bits = reinterpret<u64>(x);
    k = -54;
  }
  k += <i32>(bits >> 52) - 1023;
  // Mantissa m in [sqrt(2)/2, sqrt(2)), x = 2^k * m.
  let m = reinterpret<f64>((bits & 0x000fffffffffffff) | 0x3ff0000000000000);
  if (m > 1.4142135623730951) {
    m *= 0.5;
    k++;
  }
  const f = m - 1.0;
  const s = f / (2.0 + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (3.999999999940941908e-01 + w * (2.222219843214978396e-01 + w * 1.531383769920937332e-01));
  const t2 = z * (6.666666666666735130e-01 + w * (2.857142874366239149e-01 +
    w * (1.818357216161805012e-01 + w * 1.479819860511658591e-01)));
  const R = t2 + t1;
  const hfsq = 0.5 * f * f;
  const kf = <f64>k;
  return kf * LN2_HI - ((hfsq - (s * (hfsq + R) + kf * LN2_LO)) - f);
}

/** b^n for integer n >= 0 by repeated squaring. */
export function powi64(b: f64, n: i32): f64 {
  let result: f64 = 1;
  let base = b;
  let e = n;
  while (e > 0) {
    if (e & 1) result *= base;
    base *= base;
    e >>= 1;
  }
  return result;
}

/**
 * cos(x) for |x| <= pi (learning-rate schedules need no more), accurate to about 1 ulp.
 * Reduces to [-pi/4, pi/4] by quarter turns and uses fdlibm's kernel polynomials.
 */
export function cos64(x: f64): f64 {
  const PIO2_HI: f64 = 1.57079632679489655800e+00;
  const PIO2_LO: f64 = 6.12323399573676603587e-17;
  if (x != x) return x;
  let a = abs(x);
  // Quarter turns: a = q * pi/2 + r, |r| <= pi/4.
  const q = <i32>nearest(a / 1.5707963267948966);
  const r = (a - <f64>q * PIO2_HI) - <f64>q * PIO2_LO;
  switch (q & 3) {
    case 0: return kcos(r);
    case 1: return -ksin(r);
    case 2: return -kcos(r);
    default: return ksin(r);
  }
}

// @ts-ignore: decorator
@inline function kcos(x: f64): f64 {
  const z = x * x;
  const w = z * z;
  const r = z * (4.16666666666666019037e-02 + z * (-1.38888888888741095749e-03 + z * 2.48015872894767294178e-05)) +
    w * w * (-2.75573143513906633035e-07 + z * (2.08757232129817482790e-09 + z * -1.13596475577881948265e-11));
  const hz = 0.5 * z;
  const ww = 1.0 - hz;
  return ww + (((1.0 - ww) - hz) + z * r);
}

// @ts-ignore: decorator
@inline function ksin(x: f64): f64 {
  const z = x * x;
  const w = z * z;
  const r = 8.33333333332248946124e-03 + z * (-1.98412698298579493134e-04 + z * 2.75573137070700676789e-06) +
    z * w * (-2.50507602534068634195e-08 + z * 1.58969099521155010221e-10);
  const v = z * x;
  return x + v * (-1.66666666666666324348e-01 + z * r);
}
