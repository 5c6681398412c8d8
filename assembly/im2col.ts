// Gathers convolution patches into rows so a convolution becomes one GEMM.
//
// Input: NHWC f32 at `x` (H x W x C per image). Output row r = (n, oh, ow) holds the K x K x C
// patch whose top-left input pixel is (oh - pad, ow - pad), in (kh, kw, c) order; pixels outside
// the image are zero. Only rows [row0, row0 + rows) are written, packed from `col`.
// Stride 1 only. `col` may not alias `x`.

export function im2col(
  x: usize, H: i32, W: i32, C: i32, K: i32, pad: i32, Ho: i32, Wo: i32,
  row0: i32, rows: i32, col: usize,
): void {
  const rowFloats = K * K * C;
  const runBytes = <usize>(K * C) << 2;
  const cBytes = <usize>C << 2;
  const imageFloats = H * W * C;
  const hw = Ho * Wo;
  let n = row0 / hw;
  let rem = row0 - n * hw;
  let oh = rem / Wo;
  let ow = rem - oh * Wo;
  let dst = col;
  for (let r = 0; r < rows; r++) {
    const img = x + (<usize>(n * imageFloats) << 2);
    const iw0 = ow - pad;
    const fullRow = iw0 >= 0 && iw0 + K <= W;
    for (let kh = 0; kh < K; kh++) {
      const ih = oh + kh - pad;
      if (ih < 0 || ih >= H) {
        memory.fill(dst, 0, runBytes);
      } else if (fullRow) {
        // The K pixels of this patch row are contiguous in NHWC: one copy.
        memory.copy(dst, img + (<usize>((ih * W + iw0) * C) << 2), runBytes);
      } else {
        for (let kw = 0; kw < K; kw++) {
          const iw = iw0 + kw;
          const d = dst + (<usize>(kw * C) << 2);
          if (iw < 0 || iw >= W) memory.fill(d, 0, cBytes);
          else memory.copy(d, img + (<usize>((ih * W + iw) * C) << 2), cBytes);
        }
      }
      dst += runBytes;
    }
    if (++ow == Wo) {
      ow = 0;
      if (++oh == Ho) {
        oh = 0;
        n++;
      }
    }
  }
  // rowFloats is implied by the loop; kept for the reader of the contract above.
  void rowFloats;
}

/**
 * Rotates K x K x C x F weights by 180 degrees and swaps the channel axes:
 * out[kh, kw, f, c] = w[K-1-kh, K-1-kw, c, f]. The gradient to a convolution's input is the
 * convolution of the output gradient with these weights.
 */
export function flipTransposeWeights(w: usize, K: i32, C: i32, F: i32, out: usize): void {
  for (let kh = 0; kh < K; kh++) {
    for (let kw = 0; kw < K; kw++) {
      const src = w + (<usize>(((K - 1 - kh) * K + (K - 1 - kw)) * C * F) << 2);
      const dst = out + (<usize>((kh * K + kw) * F * C) << 2);
      for (let c = 0; c < C; c++) {
        for (let f = 0; f < F; f++) {
          store<f32>(dst + (<usize>(f * C + c) << 2), load<f32>(src + (<usize>(c * F + f) << 2)));
        }
      }
    }
  }
}
