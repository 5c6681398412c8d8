// Global average pooling, NHWC: y[n, c] = mean over the H*W pixels of x[n, :, :, c], and its
// backward dx[n, p, c] = dy[n, c] / (H*W). Pixels are summed in order, so results are fixed.
import { zero4 } from './simd';

/** y (N x C) = per-image channel means of x (N x HW x C). y may not alias x. */
export function gap_forward(x: usize, y: usize, N: i32, HW: i32, C: i32): void {
  const inv: f32 = 1 / <f32>HW;
  const vinv = f32x4.splat(inv);
  for (let n = 0; n < N; n++) {
    const img = x + (<usize>(n * HW * C) << 2);
    const out = y + (<usize>(n * C) << 2);
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      let acc = zero4();
      for (let q = 0; q < HW; q++) acc = f32x4.add(acc, v128.load(img + (<usize>(q * C + c) << 2)));
      v128.store(out + (<usize>c << 2), f32x4.mul(acc, vinv));
    }
    for (; c < C; c++) {
      let acc: f32 = 0;
      for (let q = 0; q < HW; q++) acc += load<f32>(img + (<usize>(q * C + c) << 2));
      store<f32>(out + (<usize>c << 2), acc * inv);
    }
  }
}

/** dx (N x HW x C) = dy (N x C) / HW, broadcast over pixels. */
export function gap_backward(dy: usize, dx: usize, N: i32, HW: i32, C: i32): void {
  const inv: f32 = 1 / <f32>HW;
  const vinv = f32x4.splat(inv);
  for (let n = 0; n < N; n++) {
    const g = dy + (<usize>(n * C) << 2);
    const img = dx + (<usize>(n * HW * C) << 2);
    for (let q = 0; q < HW; q++) {
      const row = img + (<usize>(q * C) << 2);
      let c = 0;
      for (; c + 4 <= C; c += 4) v128.store(row + (<usize>c << 2), f32x4.mul(v128.load(g + (<usize>c << 2)), vinv));
      for (; c < C; c++) store<f32>(row + (<usize>c << 2), load<f32>(g + (<usize>c << 2)) * inv);
    }
  }
}
