// Evaluation: loss, accuracy and confusion over a dataset, in inference mode.
import type { Network } from '../model/network.ts';
import type { Dataset } from '../types.ts';
import { buildReport, type EvaluationReport } from './metrics.ts';

export { checkDataset } from './validate.ts';

/** Images per call into the network: enough to keep every worker busy, little memory. */
const EVAL_CHUNK = 2048;

export async function evaluateNetwork(net: Network, ds: Dataset, labels: readonly string[]): Promise<EvaluationReport> {
  const classes = net.layout.classes;
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let lossSum = 0;
  for (let from = 0; from < ds.count; from += EVAL_CHUNK) {
    const n = Math.min(EVAL_CHUNK, ds.count - from);
    const { losses, predicted } = await net.infer(ds.images, from, n, 'loss', ds.labels);
    for (let i = 0; i < n; i++) {
      lossSum += losses[i];
      confusion[ds.labels[from + i]][predicted[i]]++;
    }
  }
  return buildReport({ confusion, lossSum, count: ds.count, labels: [...labels] });
}
