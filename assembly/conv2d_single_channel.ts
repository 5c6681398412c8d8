// Convolution of a single-channel input (a network's first layer: gray pixels), direct instead
// of im2col: each image is copied once into a zero-padded plane in SCRATCH, and the K*K taps are
// read from it in place. Forward is a 4-pixel x 8-filter register tile over the taps; the weight
// gradient keeps 8 filters' sums (12 in the relaxed build) of a kernel row in registers while it
// walks a band of pixels. Every output sums its taps in (kh, kw) order, bias last; every weight
// gradient sums pixels in (n, oh, ow) order.
// Used when C == 1 and F is a multiple of 4 (see conv2d_forward and conv2d_backward_filter).
import { FUSED_MADD, madd, relu4, zero4 } from './simd';
import { columnSum } from './tensor_ops';

// @ts-ignore: decorator
@inline function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

/** Copies image `img` (H x W) into a (H + 2*pad) x (W + 2*pad) plane with a zero border. */
function padImage(img: usize, H: i32, W: i32, pad: i32, plane: usize): void {
  const Wp = W + 2 * pad;
  memory.fill(plane, 0, <usize>((H + 2 * pad) * Wp) << 2);
  for (let y = 0; y < H; y++) memory.copy(at(plane, (y + pad) * Wp + pad), at(img, y * W), <usize>W << 2);
}

/** Bytes of SCRATCH these kernels need: one padded plane. */
export function singleChannelScratchBytes(H: i32, W: i32, pad: i32): i32 {
  return (H + 2 * pad) * (W + 2 * pad) * 4;
}

export function singleChannelForward(
  x: usize, N: i32, H: i32, W: i32, w: usize, F: i32, K: i32, pad: i32, Ho: i32, Wo: i32,
  bias: usize, y: usize, relu: bool, plane: usize,
): void {
  const Wp = W + 2 * pad;
  // Every conv preset's first layer (3x3, whole blocks of 8 filters) gets the 4-pixel tile with
  // both as constants: V8 then has no partial-block test per tap and compares with an immediate.
  const common = K == 3 && (F & 7) == 0;
  for (let n = 0; n < N; n++) {
    padImage(at(x, n * H * W), H, W, pad, plane);
    const out = at(y, n * Ho * Wo * F);
    for (let oh = 0; oh < Ho; oh++) {
      let ow = 0;
      if (common) for (; ow + 4 <= Wo; ow += 4) forwardTile(plane, Wp, w, F, 3, out, oh, ow, Wo, bias, relu, 4, true);
      for (; ow + 4 <= Wo; ow += 4) forwardTile(plane, Wp, w, F, K, out, oh, ow, Wo, bias, relu, 4, false);
      // Pixels left over: a pair (seed-cnn's rows of 26 = 6 x 4 + 2), then singles.
      if (ow + 2 <= Wo) {
        forwardTile(plane, Wp, w, F, K, out, oh, ow, Wo, bias, relu, 2, false);
        ow += 2;
      }
      for (; ow < Wo; ow++) forwardTile(plane, Wp, w, F, K, out, oh, ow, Wo, bias, relu, 1, false);
    }
  }
}

/**
 * `pixels` (4, 2 or 1, a constant at each call site) outputs side by side from (oh, ow), every
 * filter block of 8: a register tile of pixels x 8 filters over the taps in (kh, kw) order, by
 * pointer steps (no division or multiply per tap). `whole` (a constant): F is a multiple of 8.
 * (Writing the nine taps of a 3x3 kernel out measured 0.82x: V8 then merges the loads that taps
 * share and keeps them all live, spilling registers.)
 */
// @ts-ignore: decorator
@inline function forwardTile(
  plane: usize, Wp: i32, w: usize, F: i32, K: i32, out: usize, oh: i32, ow: i32, Wo: i32,
  bias: usize, relu: bool, pixels: i32, whole: bool,
): void {
  const fs = <usize>F << 2;
  const rowBytes = <usize>Wp << 2;
  for (let f = 0; f < F; f += 8) {
    const two = whole || f + 8 <= F;
    let a0 = zero4(), a1 = zero4(), b0 = zero4(), b1 = zero4();
    let c0 = zero4(), c1 = zero4(), d0 = zero4(), d1 = zero4();
    let row = at(plane, oh * Wp + ow);
    let wv = at(w, f);
    for (let kh = 0; kh < K; kh++) {
      let src = row;
      for (let kw = 0; kw < K; kw++) {
        const w0 = v128.load(wv), w1 = two ? v128.load(wv, 16) : zero4();
        const p0 = v128.load32_splat(src);
        a0 = madd(a0, p0, w0); a1 = madd(a1, p0, w1);
        if (pixels >= 2) {
          const p1 = v128.load32_splat(src, 4);
          b0 = madd(b0, p1, w0); b1 = madd(b1, p1, w1);
        }
        if (pixels == 4) {
          const p2 = v128.load32_splat(src, 8), p3 = v128.load32_splat(src, 12);
          c0 = madd(c0, p2, w0); c1 = madd(c1, p2, w1);
          d0 = madd(d0, p3, w0); d1 = madd(d1, p3, w1);
        }
        src += 4;
        wv += fs;
      }
      row += rowBytes;
    }
    const o = out + (<usize>((oh * Wo + ow) * F + f) << 2);
    store4(o, a0, a1, bias, f, relu, two);
    if (pixels >= 2) store4(o + fs, b0, b1, bias, f, relu, two);
    if (pixels == 4) {
      store4(o + 2 * fs, c0, c1, bias, f, relu, two);
      store4(o + 3 * fs, d0, d1, bias, f, relu, two);
    }
  }
}

// @ts-ignore: decorator
@inline function store4(o: usize, v0: v128, v1: v128, bias: usize, f: i32, relu: bool, two: bool): void {
  if (bias) {
    v0 = f32x4.add(v0, v128.load(at(bias, f)));
    if (two) v1 = f32x4.add(v1, v128.load(at(bias, f + 4)));
  }
  if (relu) {
    v0 = relu4(v0);
    v1 = relu4(v1);
  }
  v128.store(o, v0);
  if (two) v128.store(o, v1, 16);
}

/**
 * dw (+)= gradient of a single-channel convolution's weights (K x K x 1 x F), and db (+)= the
 * column sums of dy unless db is 0 (summed in pixel order, as columnSum does).
 */
export function singleChannelFilterGrad(
  x: usize, N: i32, H: i32, W: i32, dy: usize, F: i32, K: i32, pad: i32, Ho: i32, Wo: i32,
  dw: usize, db: usize, accumulate: bool, plane: usize,
): void {
  const Wp = W + 2 * pad;
  const taps = K * K;
  if (!accumulate) memory.fill(dw, 0, <usize>(taps * F) << 2);
  if (K == 3) {
    if (db && !accumulate) memory.fill(db, 0, <usize>F << 2);
    filterGrad3(x, N, H, W, dy, F, pad, Ho, Wo, dw, db, plane);
    return;
  }
  if (db) columnSum(dy, N * Ho * Wo, F, db, accumulate);
  for (let n = 0; n < N; n++) {
    padImage(at(x, n * H * W), H, W, pad, plane);
    const g = at(dy, n * Ho * Wo * F);
    for (let t = 0; t < taps; t++) {
      const kh = t / K, kw = t - kh * K;
      for (let f = 0; f < F; f += 8) {
        const two = f + 8 <= F;
        const d = at(dw, t * F + f);
        let a0 = v128.load(d), a1 = two ? v128.load(d, 16) : zero4();
        for (let oh = 0; oh < Ho; oh++) {
          const row = at(plane, (oh + kh) * Wp + kw);
          let gp = g + (<usize>(oh * Wo * F + f) << 2);
          for (let ow = 0; ow < Wo; ow++) {
            const p = v128.load32_splat(row + (<usize>ow << 2));
            a0 = madd(a0, p, v128.load(gp));
            if (two) a1 = madd(a1, p, v128.load(gp, 16));
            gp += <usize>F << 2;
          }
        }
        v128.store(d, a0);
        if (two) v128.store(d, a1, 16);
      }
    }
  }
}

/**
 * Output rows per band in filterGrad3: 2 rows of 28 pixels x 32 filters is 7 KB of dy, which stays
 * in L1 while every filter block and kernel row walks it. 2 measured fastest of 1, 2, 4 and 8, by a
 * few percent over whole images (`bench/compare-builds.mjs`; the machine's noise is of that size).
 */
const BAND_ROWS: i32 = 2;

/**
 * singleChannelFilterGrad for 3x3 kernels: a row of three taps at once, so each pixel's gradient
 * vectors are loaded once for three taps (5 loads per 6 multiply-adds instead of 3 per 2). Each
 * weight's sum still runs over the pixels in (n, oh, ow) order (a band continues the partial sums
 * of the band before it): the same bits.
 */
function filterGrad3(
  x: usize, N: i32, H: i32, W: i32, dy: usize, F: i32, pad: i32, Ho: i32, Wo: i32, dw: usize, db: usize, plane: usize,
): void {
  const Wp = W + 2 * pad;
  const fs = <usize>F << 2;
  for (let n = 0; n < N; n++) {
    padImage(at(x, n * H * W), H, W, pad, plane);
    const g = at(dy, n * Ho * Wo * F);
    // Bands of a few output rows: every filter block and kernel row walks a band while its dy
    // rows are in L1, instead of the whole image's dy (~100 KB) once per block and kernel row.
    for (let oh0 = 0; oh0 < Ho; oh0 += BAND_ROWS) {
      const oh1 = min(Ho, oh0 + BAND_ROWS);
      let f = 0;
      if (FUSED_MADD) {
        for (; f + 12 <= F; f += 12) for (let kh = 0; kh < 3; kh++) filterGrad3Row12(plane, Wp, g, oh0, oh1, kh, Wo, F, f, dw);
      }
      for (; f + 8 <= F; f += 8) {
        for (let kh = 0; kh < 3; kh++) {
          const d0 = at(dw, kh * 3 * F + f), d1 = d0 + fs, d2 = d1 + fs;
          let a0 = v128.load(d0), a1 = v128.load(d0, 16);
          let b0 = v128.load(d1), b1 = v128.load(d1, 16);
          let c0 = v128.load(d2), c1 = v128.load(d2, 16);
          for (let oh = oh0; oh < oh1; oh++) {
            let src = at(plane, (oh + kh) * Wp);
            let gp = g + (<usize>(oh * Wo * F + f) << 2);
            for (let ow = 0; ow < Wo; ow++) {
              const g0 = v128.load(gp), g1 = v128.load(gp, 16);
              const p0 = v128.load32_splat(src), p1 = v128.load32_splat(src, 4), p2 = v128.load32_splat(src, 8);
              a0 = madd(a0, p0, g0); a1 = madd(a1, p0, g1);
              b0 = madd(b0, p1, g0); b1 = madd(b1, p1, g1);
              c0 = madd(c0, p2, g0); c1 = madd(c1, p2, g1);
              src += 4;
              gp += fs;
            }
          }
          v128.store(d0, a0); v128.store(d0, a1, 16);
          v128.store(d1, b0); v128.store(d1, b1, 16);
          v128.store(d2, c0); v128.store(d2, c1, 16);
        }
      }
      // F % 8 == 4: the last four filters.
      if (f < F) {
        for (let kh = 0; kh < 3; kh++) {
          const d0 = at(dw, kh * 3 * F + f), d1 = d0 + fs, d2 = d1 + fs;
          let a0 = v128.load(d0), b0 = v128.load(d1), c0 = v128.load(d2);
          for (let oh = oh0; oh < oh1; oh++) {
            let src = at(plane, (oh + kh) * Wp);
            let gp = g + (<usize>(oh * Wo * F + f) << 2);
            for (let ow = 0; ow < Wo; ow++) {
              const g0 = v128.load(gp);
              a0 = madd(a0, v128.load32_splat(src), g0);
              b0 = madd(b0, v128.load32_splat(src, 4), g0);
              c0 = madd(c0, v128.load32_splat(src, 8), g0);
              src += 4;
              gp += fs;
            }
          }
          v128.store(d0, a0);
          v128.store(d1, b0);
          v128.store(d2, c0);
        }
      }
      // The bias gradient continues its sums over the band while the band's dy is in L1, instead
      // of walking the whole batch's dy (megabytes) again afterwards.
      if (db) columnSum(g + (<usize>(oh0 * Wo * F) << 2), (oh1 - oh0) * Wo, F, db, true);
    }
  }
}

/**
 * One kernel row of filterGrad3 over a band for 12 filters, in the relaxed build: nine
 * accumulators (three taps x three vectors) instead of six. Six chains of fused multiply-adds
 * were bound by the FMA latency (one step per accumulator every ~4 cycles); nine keep more of
 * the FMA ports busy, and 3 gradient loads + 3 splats per 9 multiply-adds is fewer loads than 5
 * per 6. Thirteen vector registers; twelve accumulators spilled in V8. The default builds'
 * multiply-then-add needs a register per product, spills here and was 0.75x, so they keep blocks
 * of 8. Every sum keeps its order either way.
 */
// @ts-ignore: decorator
@inline function filterGrad3Row12(
  plane: usize, Wp: i32, g: usize, oh0: i32, oh1: i32, kh: i32, Wo: i32, F: i32, f: i32, dw: usize,
): void {
  const fs = <usize>F << 2;
  const d0 = at(dw, kh * 3 * F + f), d1 = d0 + fs, d2 = d1 + fs;
  let a0 = v128.load(d0), a1 = v128.load(d0, 16), a2 = v128.load(d0, 32);
  let b0 = v128.load(d1), b1 = v128.load(d1, 16), b2 = v128.load(d1, 32);
  let c0 = v128.load(d2), c1 = v128.load(d2, 16), c2 = v128.load(d2, 32);
  for (let oh = oh0; oh < oh1; oh++) {
    let src = at(plane, (oh + kh) * Wp);
    let gp = g + (<usize>(oh * Wo * F + f) << 2);
    for (let ow = 0; ow < Wo; ow++) {
      const g0 = v128.load(gp), g1 = v128.load(gp, 16), g2 = v128.load(gp, 32);
      let p = v128.load32_splat(src);
      a0 = madd(a0, p, g0); a1 = madd(a1, p, g1); a2 = madd(a2, p, g2);
      p = v128.load32_splat(src, 4);
      b0 = madd(b0, p, g0); b1 = madd(b1, p, g1); b2 = madd(b2, p, g2);
      p = v128.load32_splat(src, 8);
      c0 = madd(c0, p, g0); c1 = madd(c1, p, g1); c2 = madd(c2, p, g2);
      src += 4;
      gp += fs;
    }
  }
  v128.store(d0, a0); v128.store(d0, a1, 16); v128.store(d0, a2, 32);
  v128.store(d1, b0); v128.store(d1, b1, 16); v128.store(d1, b2, 32);
  v128.store(d2, c0); v128.store(d2, c1, 16); v128.store(d2, c2, 32);
}
