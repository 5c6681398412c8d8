// Inference over one batch slice, shared by the calling thread and the workers, so both run
// exactly the same kernel calls. (Training's counterpart is trainSlice in plan-training.ts.)
import type { Engine } from '../engine/engine.ts';
import type { Layout } from './layout.ts';
import type { Workspace } from './plan.ts';

/** Inference over the `n` images in `ws`: probabilities into `ws.probs`, or losses (needs labels) into `ws.losses`. */
export function inferSlice(engine: Engine, layout: Layout, ws: Workspace, n: number, output: 'probs' | 'loss', norm: { scale: number; shift: number }): void {
  ws.normalize(n, norm.scale, norm.shift);
  ws.forward(n);
  if (output === 'probs') engine.k.softmax(ws.logits, ws.probs, n, layout.classes);
  else engine.k.softmax_cross_entropy(ws.logits, ws.labels, n, layout.classes, 0, ws.losses, 0, 0);
}
