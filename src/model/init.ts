// He-uniform initialisation (He et al. 2015): W ~ U(-limit, limit), limit = sqrt(6 / fan_in),
// biases zero. Only exactly rounded arithmetic (sqrt, *, -, fround), so the same seed gives
// the same weights in every engine.
import type { Layout } from './layout.ts';
import { Rng } from './random.ts';

export function initParams(layout: Layout, params: Float32Array, seed: number): void {
  const rng = new Rng(seed, 1);
  for (const p of layout.params) {
    const view = params.subarray(p.offset, p.offset + p.size);
    if (p.fanIn === 0) {
      view.fill(0);
      continue;
    }
    const limit = Math.sqrt(6 / p.fanIn);
    for (let i = 0; i < view.length; i++) view[i] = (rng.float() * 2 - 1) * limit;
  }
}
