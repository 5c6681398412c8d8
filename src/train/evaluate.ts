// Evaluation: loss, accuracy and confusion over a dataset, in inference mode.
import type { Network } from '../model/network.ts';
import type { Dataset } from '../types.ts';
import { buildReport, type EvaluationReport } from './metrics.ts';

/** Images per forward pass: big enough to amortise calls, small enough to stay in cache. */
export const EVAL_BATCH = 256;

export function evaluateNetwork(net: Network, ds: Dataset, labels: readonly string[]): EvaluationReport {
  const classes = net.layout.classes;
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const ws = net.workspace(Math.min(EVAL_BATCH, ds.count), false);
  const k = net.engine.k;
  let lossSum = 0;
  for (let from = 0; from < ds.count; from += ws.capacity) {
    const n = Math.min(ws.capacity, ds.count - from);
    net.loadPixels(ws, ds.images, from, n);
    ws.forward(n, { training: false });
    const i32 = net.engine.i32;
    for (let i = 0; i < n; i++) i32[(ws.labels >> 2) + i] = ds.labels[from + i];
    k.softmax_cross_entropy(ws.logits, ws.labels, n, classes, 0, ws.losses, 0, 0);
    const f32 = net.engine.f32;
    const lossBase = ws.losses >> 2;
    for (let i = 0; i < n; i++) {
      lossSum += f32[lossBase + i];
      confusion[ds.labels[from + i]][argmax(f32, (ws.logits >> 2) + i * classes, classes)]++;
    }
  }
  return buildReport({ confusion, lossSum, count: ds.count, labels: [...labels] });
}

/** Index of the largest of `n` values starting at `at` (the first one on ties). */
export function argmax(a: Float32Array, at: number, n: number): number {
  let best = 0;
  let v = a[at];
  for (let j = 1; j < n; j++) {
    if (a[at + j] > v) {
      v = a[at + j];
      best = j;
    }
  }
  return best;
}
