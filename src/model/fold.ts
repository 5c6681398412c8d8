// Batch norm folded for inference: into the conv or dense layer before it (W' = W * s,
// b' = (b - mean) * s + beta with s = gamma / sqrt(var + eps), per output channel), or into a
// per-channel scale and shift when nothing precedes it. Exactly rounded double arithmetic, then
// f32: the same bits in every engine.
import type { Layout } from './layout.ts';
import type { BatchNormLayer } from './spec.ts';
import { foldTargets } from './plan.ts';

export interface FoldedTensor {
  /** The batch-norm layer's index. */
  layer: number;
  /** Folded weight and bias of the layer before it, or scale and shift when standalone. */
  w: Float32Array;
  b: Float32Array;
}

export function foldBatchNorm(layout: Layout, params: Float32Array): FoldedTensor[] {
  const targets = foldTargets(layout);
  const out: FoldedTensor[] = [];
  for (const l of layout.layers) {
    if (l.spec.type !== 'batchnorm') continue;
    const C = l.input.c;
    const eps = Math.fround((l.spec as Required<BatchNormLayer>).epsilon);
    const at = (p: { offset: number } | undefined, i: number) => params[p!.offset + i];
    const scale = new Float64Array(C);
    for (let c = 0; c < C; c++) scale[c] = at(l.gamma, c) / Math.sqrt(at(l.runningVar, c) + eps);
    const into = targets.get(l.index);
    if (into) {
      const W = params.subarray(into.weight!.offset, into.weight!.offset + into.weight!.size);
      const w = new Float32Array(W.length);
      // Weights are [..., out]: the output channel is the fastest axis.
      for (let i = 0; i < W.length; i++) w[i] = W[i] * scale[i % C];
      const b = new Float32Array(C);
      for (let c = 0; c < C; c++) b[c] = ((into.bias ? at(into.bias, c) : 0) - at(l.runningMean, c)) * scale[c] + at(l.beta, c);
      out.push({ layer: l.index, w, b });
    } else {
      const w = new Float32Array(C);
      const b = new Float32Array(C);
      for (let c = 0; c < C; c++) {
        w[c] = scale[c];
        b[c] = at(l.beta, c) - at(l.runningMean, c) * scale[c];
      }
      out.push({ layer: l.index, w, b });
    }
  }
  return out;
}
