// The work of one batch slice, shared by the single-thread path and the workers, so both run
// exactly the same kernel calls.
import type { Engine } from '../engine/engine.ts';
import type { Layout } from './layout.ts';
import type { Augmentation, Workspace } from './plan.ts';

/** Per-step values every slice of a batch shares. */
export interface SliceStep {
  stepSeed: number;
  /** 1 / (images in the whole batch): each slice's gradient is its share of the batch mean. */
  gradScale: number;
  smoothing: number;
  augmentation?: Augmentation;
  /** Where all slices must meet (batch norm); a no-op on one thread. */
  sync?: () => void;
}

/**
 * Augmentation, forward, loss and backward over the `n` images (and i32 labels) already in `ws`,
 * which start at image `firstImage` of the whole batch. Leaves per-image losses and logits in the
 * workspace and this slice's parameter gradients in the workspace's gradient buffer. Runs (and
 * meets the other slices) even when `n` is 0.
 */
export function trainSlice(engine: Engine, layout: Layout, ws: Workspace, n: number, firstImage: number, step: SliceStep, norm: { scale: number; shift: number }): void {
  if (step.augmentation && n > 0) ws.augment(n, firstImage, step.stepSeed, step.augmentation);
  ws.normalize(n, norm.scale, norm.shift);
  ws.forward(n, { training: true, stepSeed: step.stepSeed, firstImage, sync: step.sync });
  engine.k.softmax_cross_entropy(ws.trainLogits, ws.labels, n, layout.classes, ws.glogits, ws.losses, step.gradScale, step.smoothing);
  ws.backward(n, step.sync);
}

/** Inference over the `n` images in `ws`: probabilities into `ws.probs`, or losses (needs labels) into `ws.losses`. */
export function inferSlice(engine: Engine, layout: Layout, ws: Workspace, n: number, output: 'probs' | 'loss', norm: { scale: number; shift: number }): void {
  ws.normalize(n, norm.scale, norm.shift);
  ws.forward(n, { training: false });
  if (output === 'probs') engine.k.softmax(ws.logits, ws.probs, n, layout.classes);
  else engine.k.softmax_cross_entropy(ws.logits, ws.labels, n, layout.classes, 0, ws.losses, 0, 0);
}
