// Inverted dropout with a counter-based mask: element e of the batch (global index
// firstElement + e) is kept when hash(e, stepSeed) clears the threshold. The mask depends only on
// the seed, the step and the element's position in the whole batch, never on how the batch is
// split between threads. Backward is dx = dy * mask (tensor_ops.mul).
import { hash32 } from './simd';

/**
 * y = x * mask, mask[e] = keep ? scale : 0, keep = hash >= dropThreshold (rate * 2^32).
 * y may alias x; mask may not.
 */
export function dropout_forward(
  x: usize, y: usize, mask: usize, count: i32, firstElement: i32, stepSeed: u32,
  dropThreshold: u32, scale: f32,
): void {
  for (let e = 0; e < count; e++) {
    const h = hash32(hash32(<u32>(firstElement + e)) ^ stepSeed);
    const m: f32 = h >= dropThreshold ? scale : 0;
    const p = <usize>e << 2;
    store<f32>(mask + p, m);
    store<f32>(y + p, load<f32>(x + p) * m);
  }
}
