// 2x2 max pooling, stride 2, NHWC. Output HO = H/2, WO = W/2 (floored: an odd last row or
// column is dropped, as in Keras and PyTorch). SIMD over channels when C % 4 == 0.
// Backward routes each gradient to the first maximum of its window (row-major order), the
// same element PyTorch picks; everything else in dx, dropped edges included, is zero.

/** y = max over each 2x2 window of x. y may not alias x. */
export function maxpool2d_forward(x: usize, y: usize, N: i32, H: i32, W: i32, C: i32): void {
  // f32x4.max must order -0 below +0 and return NaN for any NaN operand, which costs engines
  // ~8 instructions per max; pmax (`a < b ? b : a`) is one. pmax picks the same value whenever
  // the window has no NaN and its maximum is not a zero of mixed signs, so the fast pass keeps a
  // running sum of the inputs (NaN if any input is) and a flag for -0 results; if either fires,
  // the exact pass runs over the call instead. Results are the same bits either way.
  if (poolPass(x, y, N, H, W, C, true)) poolPass(x, y, N, H, W, C, false);
}

/** One pass; with `fast`, returns true when the exact pass must redo it. */
// @ts-ignore: decorator
@inline function poolPass(x: usize, y: usize, N: i32, H: i32, W: i32, C: i32, fast: bool): bool {
  const Ho = H >> 1, Wo = W >> 1;
  const rowBytes = <usize>(W * C) << 2;
  const pxBytes = <usize>C << 2;
  let sum = f32x4.splat(0);
  let negZero = i32x4.splat(0);
  const signBit = i32x4.splat(0x80000000);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < Ho; oh++) {
      const src = x + (<usize>(((n * H + 2 * oh) * W) * C) << 2);
      const dst = y + (<usize>(((n * Ho + oh) * Wo) * C) << 2);
      for (let ow = 0; ow < Wo; ow++) {
        const p00 = src + (<usize>(2 * ow * C) << 2);
        const p01 = p00 + pxBytes, p10 = p00 + rowBytes, p11 = p10 + pxBytes;
        const q = dst + (<usize>(ow * C) << 2);
        let c = 0;
        for (; c + 4 <= C; c += 4) {
          const o = <usize>c << 2;
          const a = v128.load(p00 + o), b = v128.load(p01 + o), e = v128.load(p10 + o), d = v128.load(p11 + o);
          let m: v128;
          if (fast) {
            m = f32x4.pmax(f32x4.pmax(a, b), f32x4.pmax(e, d));
            sum = f32x4.add(sum, f32x4.add(f32x4.add(a, b), f32x4.add(e, d)));
            negZero = v128.or(negZero, i32x4.eq(m, signBit));
          } else {
            m = f32x4.max(f32x4.max(a, b), f32x4.max(e, d));
          }
          v128.store(q + o, m);
        }
        for (; c < C; c++) {
          const o = <usize>c << 2;
          store<f32>(q + o, max(max(load<f32>(p00 + o), load<f32>(p01 + o)), max(load<f32>(p10 + o), load<f32>(p11 + o))));
        }
      }
    }
  }
  // sum is NaN if an input was NaN (or, harmlessly, if infinities of both signs met).
  return v128.any_true(v128.or(negZero, v128.not(f32x4.eq(sum, sum))));
}

/**
 * dx = gradient routed from dy through the window maxima (recomputed from x and y). The vector
 * lanes write all four positions of their window (dy or +0), so dx is cleared first only when
 * something else remains: a row or column no window covers (odd H or W), or channels past the
 * last four (the scalar path writes only the maximum's position). Clearing it always was a whole
 * extra pass over the largest tensor of a conv net's backward pass (1.24x on 28x28x32, batch 64).
 */
export function maxpool2d_backward(
  x: usize, y: usize, dy: usize, dx: usize, N: i32, H: i32, W: i32, C: i32,
): void {
  const Ho = H >> 1, Wo = W >> 1;
  if (((H | W) & 1) | (C & 3)) memory.fill(dx, 0, <usize>(N * H * W * C) << 2);
  const rowBytes = <usize>(W * C) << 2;
  const pxBytes = <usize>C << 2;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < Ho; oh++) {
      const base = <usize>(((n * H + 2 * oh) * W) * C) << 2;
      const obase = <usize>(((n * Ho + oh) * Wo) * C) << 2;
      for (let ow = 0; ow < Wo; ow++) {
        const o00 = base + (<usize>(2 * ow * C) << 2);
        const o01 = o00 + pxBytes, o10 = o00 + rowBytes, o11 = o10 + pxBytes;
        const oo = obase + (<usize>(ow * C) << 2);
        let c = 0;
        for (; c + 4 <= C; c += 4) {
          const k = <usize>c << 2;
          const m = v128.load(y + oo + k);
          const g = v128.load(dy + oo + k);
          const e00 = f32x4.eq(v128.load(x + o00 + k), m);
          const e01 = v128.andnot(f32x4.eq(v128.load(x + o01 + k), m), e00);
          let taken = v128.or(e00, e01);
          const e10 = v128.andnot(f32x4.eq(v128.load(x + o10 + k), m), taken);
          taken = v128.or(taken, e10);
          const e11 = v128.andnot(f32x4.eq(v128.load(x + o11 + k), m), taken);
          v128.store(dx + o00 + k, v128.and(g, e00));
          v128.store(dx + o01 + k, v128.and(g, e01));
          v128.store(dx + o10 + k, v128.and(g, e10));
          v128.store(dx + o11 + k, v128.and(g, e11));
        }
        for (; c < C; c++) {
          const k = <usize>c << 2;
          const m = load<f32>(y + oo + k);
          const g = load<f32>(dy + oo + k);
          if (load<f32>(x + o00 + k) == m) store<f32>(dx + o00 + k, g);
          else if (load<f32>(x + o01 + k) == m) store<f32>(dx + o01 + k, g);
          else if (load<f32>(x + o10 + k) == m) store<f32>(dx + o10 + k, g);
          else if (load<f32>(x + o11 + k) == m) store<f32>(dx + o11 + k, g);
        }
      }
    }
  }
}
