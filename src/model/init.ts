// Initialisation: He-uniform weights (He et al. 2015: U(-limit, limit), limit = sqrt(6 / fan_in)),
// or Glorot-uniform where a layer asks for it (Glorot & Bengio 2010, Keras's default:
// limit = sqrt(6 / (fan_in + fan_out))), zero biases and shifts, unit scales and running variances. Only exactly rounded arithmetic
// (sqrt, *, -, fround), so the same seed gives the same weights in every engine.
import type { Layout } from './layout.ts';
import { Rng } from './random.ts';

export function initParams(layout: Layout, params: Float32Array, seed: number): void {
  const rng = new Rng(seed, 1);
  for (const p of layout.params) {
    const view = params.subarray(p.offset, p.offset + p.size);
    if (p.init === 'zeros') view.fill(0);
    else if (p.init === 'ones') view.fill(1);
    else {
      const limit = Math.sqrt(6 / (p.init === 'glorot' ? p.fanIn + p.fanOut : p.fanIn));
      for (let i = 0; i < view.length; i++) view[i] = (rng.float() * 2 - 1) * limit;
    }
  }
}
