// ReLU, forward and backward. Flat f32 arrays; in place is allowed (y == x, dx == dy).
import { relu4, zero4 } from './simd';

/** y = max(x, 0). */
export function relu_forward(x: usize, y: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const p = <usize>i << 2;
    v128.store(y + p, relu4(v128.load(x + p)));
  }
  for (; i < count; i++) {
    const p = <usize>i << 2;
    store<f32>(y + p, max<f32>(load<f32>(x + p), 0));
  }
}

/** dx = y > 0 ? dy : 0, from the forward output y. */
export function relu_backward(y: usize, dy: usize, dx: usize, count: i32): void {
  const z = zero4();
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const p = <usize>i << 2;
    v128.store(dx + p, v128.and(v128.load(dy + p), f32x4.gt(v128.load(y + p), z)));
  }
  for (; i < count; i++) {
    const p = <usize>i << 2;
    store<f32>(dx + p, load<f32>(y + p) > 0 ? load<f32>(dy + p) : 0);
  }
}
