// Classification metrics from a confusion matrix, with scikit-learn's conventions: a ratio whose
// denominator is 0 counts as 0 (zero_division=0), "macro" is the plain mean over classes and
// "weighted" the mean weighted by support.

import { GarmentError } from '../errors.ts';

/** Precision, recall and F1 of one class. */
export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Number of examples whose true class this is. */
  support: number;
}

/** Precision, recall and F1 averaged over classes. */
export interface AveragedMetrics {
  precision: number;
  recall: number;
  f1: number;
}

/** The result of evaluating a classifier on a labelled set. */
export interface EvaluationReport {
  accuracy: number;
  /** Mean loss per example. */
  loss: number;
  count: number;
  /** `confusionMatrix[t][p]`: examples of true class t predicted as class p. */
  confusionMatrix: number[][];
  perClass: ClassMetrics[];
  macro: AveragedMetrics;
  weighted: AveragedMetrics;
}

const ratio = (num: number, den: number): number => (den === 0 ? 0 : num / den);

/** Counts (true, predicted) pairs into a `classes x classes` matrix (rows true, columns predicted). */
export function confusionMatrix(
  trueLabels: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classes: number,
): number[][] {
  if (!Number.isInteger(classes) || classes < 1) {
    throw new GarmentError('E_OPTION', `confusionMatrix: expected a positive class count, found ${classes}`);
  }
  if (trueLabels.length !== predicted.length) {
    throw new GarmentError(
      'E_OPTION',
      `confusionMatrix: ${trueLabels.length} true labels but ${predicted.length} predictions`,
    );
  }
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < trueLabels.length; i++) {
    const t = trueLabels[i];
    const p = predicted[i];
    if (!Number.isInteger(t) || t < 0 || t >= classes || !Number.isInteger(p) || p < 0 || p >= classes) {
      const message = `confusionMatrix: pair ${i} is (${t}, ${p}), expected 0..${classes - 1}`;
      throw new GarmentError('E_LABEL_RANGE', message);
    }
    m[t][p]++;
  }
  return m;
}

/** Builds the metrics of an evaluation from its confusion matrix and summed loss. */
export function buildReport(args: {
  confusion: number[][];
  lossSum: number;
  count: number;
  labels: string[];
}): EvaluationReport {
  const { confusion, lossSum, count, labels } = args;
  const k = labels.length;
  if (confusion.length !== k || confusion.some((row) => row.length !== k)) {
    throw new GarmentError('E_OPTION', `buildReport: expected a ${k}x${k} confusion matrix for ${k} labels`);
  }
  let correct = 0;
  let total = 0;
  const predictedTotals = new Array<number>(k).fill(0);
  for (let t = 0; t < k; t++) {
    for (let p = 0; p < k; p++) {
      total += confusion[t][p];
      predictedTotals[p] += confusion[t][p];
    }
    correct += confusion[t][t];
  }
  const perClass: ClassMetrics[] = labels.map((label, c) => {
    const tp = confusion[c][c];
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const precision = ratio(tp, predictedTotals[c]);
    const recall = ratio(tp, support);
    return { label, precision, recall, f1: ratio(2 * precision * recall, precision + recall), support };
  });
  const average = (weight: (m: ClassMetrics) => number): AveragedMetrics => {
    let w = 0;
    const sum = { precision: 0, recall: 0, f1: 0 };
    for (const m of perClass) {
      const x = weight(m);
      w += x;
      sum.precision += x * m.precision;
      sum.recall += x * m.recall;
      sum.f1 += x * m.f1;
    }
    return { precision: ratio(sum.precision, w), recall: ratio(sum.recall, w), f1: ratio(sum.f1, w) };
  };
  return {
    accuracy: ratio(correct, total),
    loss: ratio(lossSum, count),
    count,
    confusionMatrix: confusion.map((row) => row.slice()),
    perClass,
    macro: average(() => 1),
    weighted: average((m) => m.support),
  };
}

/**
 * Renders a report as text: a classification table in the layout of scikit-learn's
 * `classification_report`, then the confusion matrix (rows true class, columns predicted).
 * `digits` is the number of decimals (scikit-learn prints 2).
 */
export function formatReport(report: EvaluationReport, digits = 4): string {
  if (!Number.isInteger(digits) || digits < 0 || digits > 8) {
    throw new GarmentError('E_OPTION', `formatReport: expected digits from 0 to 8, found ${digits}`);
  }
  const names = report.perClass.map((m) => m.label);
  const width = Math.max('weighted avg'.length, ...names.map((n) => n.length), digits);
  // Same spacing as scikit-learn: the name column, then " " + a 9-wide column per field.
  const line = (name: string, cols: string[]): string =>
    `${name.padStart(width)} ${cols.map((c) => ` ${c.padStart(9)}`).join('')}`;
  const num = (x: number): string => x.toFixed(digits);
  const row = (name: string, m: AveragedMetrics, support: number): string =>
    line(name, [num(m.precision), num(m.recall), num(m.f1), String(support)]);
  const support = report.perClass.reduce((a, m) => a + m.support, 0);
  const lines = [line('', ['precision', 'recall', 'f1-score', 'support']), ''];
  for (const m of report.perClass) lines.push(row(m.label, m, m.support));
  lines.push('', line('accuracy', ['', '', num(report.accuracy), String(support)]));
  lines.push(row('macro avg', report.macro, support));
  lines.push(row('weighted avg', report.weighted, support));
  lines.push('', formatConfusion(report.confusionMatrix, names));
  return lines.join('\n');
}

// Columns are headed by class index to stay narrow; the row labels show "index name" as the legend.
function formatConfusion(m: number[][], names: string[]): string {
  const rowLabels = names.map((n, i) => `${i} ${n}`);
  const labelWidth = Math.max('true \\ predicted'.length, ...rowLabels.map((l) => l.length));
  const cell = Math.max(...m.flat().map((x) => String(x).length), String(names.length - 1).length) + 2;
  const lines = ['confusion matrix (rows: true class, columns: predicted class)'];
  const row = (label: string, cells: (number | string)[]): string =>
    `${label.padEnd(labelWidth)} ${cells.map((x) => String(x).padStart(cell)).join('')}`;
  lines.push(row('true \\ predicted', names.map((_, i) => i)));
  m.forEach((r, i) => lines.push(row(rowLabels[i], r)));
  return lines.join('\n');
}
