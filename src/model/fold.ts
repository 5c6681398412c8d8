// Batch norm folded for inference: into the conv or dense layer before it (W' = W * s,
// b' = (b - mean) * s + beta with s = gamma / sqrt(var + eps), per output channel), or into a
// per-channel scale and shift when nothing precedes it. Exactly rounded double arithmetic, then
// f32: the same bits in every engine.
import type { Engine } from '../engine/engine.ts';
import type { Layout } from './layout.ts';
import type { BatchNormLayer } from './spec.ts';
import { type ParamRegion, foldTargets } from './plan.ts';

export interface FoldedTensor {
  /** The batch-norm layer's index. */
  layer: number;
  /** Folded weight and bias of the layer before it, or scale and shift when standalone. */
  w: Float32Array;
  b: Float32Array;
}

/**
 * Folds every batch norm into `region.folded`, in wasm memory. The per-channel numbers are
 * computed here; the weights (nearly all the work) are scaled by a wasm kernel with the same
 * rounding, since this runs at start-up, before a JIT has warmed up to a JS loop (~15 ms of
 * the first prediction for the default model).
 */
export function foldBatchNormInto(engine: Engine, layout: Layout, region: ParamRegion): void {
  const params = engine.f32.subarray(region.params >> 2, (region.params >> 2) + layout.paramCount);
  const targets = foldTargets(layout);
  for (const l of layout.layers) {
    if (l.spec.type !== 'batchnorm') continue;
    const C = l.input.c;
    const dst = region.folded.get(l.index)!;
    const scale = new Float64Array(engine.raw, dst.scale, C);
    channelScale(l.spec as Required<BatchNormLayer>, l, params, scale);
    const b = new Float32Array(engine.raw, dst.b, C);
    const into = targets.get(l.index);
    if (into) {
      engine.k.scale_channels_f64(region.params + into.weight!.offset * 4, dst.w, into.weight!.size, C, dst.scale);
      for (let c = 0; c < C; c++) b[c] = ((into.bias ? params[into.bias.offset + c] : 0) - params[l.runningMean!.offset + c]) * scale[c] + params[l.beta!.offset + c];
    } else {
      const w = new Float32Array(engine.raw, dst.w, C);
      for (let c = 0; c < C; c++) {
        w[c] = scale[c];
        b[c] = params[l.beta!.offset + c] - params[l.runningMean!.offset + c] * scale[c];
      }
    }
  }
}

type BatchNormInfo = Layout['layers'][number];

/** s[c] = gamma[c] / sqrt(var[c] + eps), in double precision. */
function channelScale(spec: Required<BatchNormLayer>, l: BatchNormInfo, params: Float32Array, out: Float64Array): void {
  const eps = Math.fround(spec.epsilon);
  for (let c = 0; c < out.length; c++) out[c] = params[l.gamma!.offset + c] / Math.sqrt(params[l.runningVar!.offset + c] + eps);
}

/** The same fold in plain JS, into new arrays: the reference the wasm path is tested against. */
export function foldBatchNorm(layout: Layout, params: Float32Array): FoldedTensor[] {
  const targets = foldTargets(layout);
  const out: FoldedTensor[] = [];
  for (const l of layout.layers) {
    if (l.spec.type !== 'batchnorm') continue;
    const C = l.input.c;
    const scale = new Float64Array(C);
    channelScale(l.spec as Required<BatchNormLayer>, l, params, scale);
    const at = (p: { offset: number } | undefined, i: number) => params[p!.offset + i];
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
