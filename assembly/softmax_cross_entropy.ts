// Softmax and cross-entropy over rows of logits (n x classes, f32), computed in f64 with the
// max subtracted first, so no logit overflows exp. The loss and its gradient come from one pass.
// exp and log are the module's own (math.ts), so results are the same bits in every engine.
import { exp64, log64 } from './math';

/**
 * losses[r] = logsumexp(z_r) - sum_j q_rj z_rj, with targets q = (1 - smoothing) * onehot(label)
 * + smoothing / classes. If grad != 0: grad[r, j] = (softmax(z_r)_j - q_rj) * gradScale.
 * labels are i32 in [0, classes) (checked by the caller). grad may alias logits.
 */
export function softmax_cross_entropy(
  logits: usize, labels: usize, n: i32, classes: i32, grad: usize, losses: usize,
  gradScale: f32, smoothing: f32,
): void {
  const off: f64 = <f64>smoothing / <f64>classes;
  const on: f64 = 1.0 - <f64>smoothing + off;
  for (let r = 0; r < n; r++) {
    const z = logits + (<usize>(r * classes) << 2);
    const label = load<i32>(labels + (<usize>r << 2));
    let m: f64 = -Infinity;
    for (let j = 0; j < classes; j++) m = max(m, <f64>load<f32>(z + (<usize>j << 2)));
    let sum: f64 = 0;
    let dot: f64 = 0;
    for (let j = 0; j < classes; j++) {
      const v = <f64>load<f32>(z + (<usize>j << 2));
      sum += exp64(v - m);
      dot += (j == label ? on : off) * v;
    }
    const lse = m + log64(sum);
    store<f32>(losses + (<usize>r << 2), <f32>(lse - dot));
    if (grad) {
      const g = grad + (<usize>(r * classes) << 2);
      for (let j = 0; j < classes; j++) {
        const v = <f64>load<f32>(z + (<usize>j << 2));
        const pj = exp64(v - m) / sum;
        store<f32>(g + (<usize>j << 2), <f32>((pj - (j == label ? on : off)) * <f64>gradScale));
      }
    }
  }
}

/** probs[r] = softmax(logits[r]) for n rows; probs may alias logits. */
export function softmax(logits: usize, probs: usize, n: i32, classes: i32): void {
  for (let r = 0; r < n; r++) {
    const z = logits + (<usize>(r * classes) << 2);
    const q = probs + (<usize>(r * classes) << 2);
    let m: f64 = -Infinity;
    for (let j = 0; j < classes; j++) m = max(m, <f64>load<f32>(z + (<usize>j << 2)));
    let sum: f64 = 0;
    for (let j = 0; j < classes; j++) sum += exp64(<f64>load<f32>(z + (<usize>j << 2)) - m);
    for (let j = 0; j < classes; j++) {
      store<f32>(q + (<usize>j << 2), <f32>(exp64(<f64>load<f32>(z + (<usize>j << 2)) - m) / sum));
    }
  }
}
