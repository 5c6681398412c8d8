import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GarmentError, buildReport, confusionMatrix, formatReport } from '../dist/node/internal.js';

const close = (a, b, what) => assert.ok(Math.abs(a - b) < 1e-6, `${what}: ${a} vs ${b}`);

// Rows true, columns predicted. Hand-computed:
//   support 6, 6, 4; predicted totals 7, 4, 5; correct 5 + 3 + 4 = 12 of 16.
const labels = ['cat', 'dog', 'bird'];
const confusion = [
  [5, 1, 0],
  [2, 3, 1],
  [0, 0, 4],
];

test('confusionMatrix counts (true, predicted) pairs', () => {
  const t = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2];
  const p = [0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2];
  assert.equal(confusionMatrix(t, p, 3), confusion);
  assert.equal(confusionMatrix(new Uint8Array([1]), new Uint8Array([0]), 2), [[0, 0], [1, 0]]);
  assert.equal(confusionMatrix([], [], 2), [[0, 0], [0, 0]]);
});

test('confusionMatrix rejects bad input', () => {
  const code = (fn, c) => assert.throws(fn, (e) => e instanceof GarmentError && e.code === c);
  code(() => confusionMatrix([0, 1], [0], 2), 'E_OPTION');
  code(() => confusionMatrix([0], [0], 0), 'E_OPTION');
  code(() => confusionMatrix([0, 2], [0, 1], 2), 'E_LABEL_RANGE');
  code(() => confusionMatrix([0], [-1], 2), 'E_LABEL_RANGE');
  code(() => confusionMatrix([0.5], [0], 2), 'E_LABEL_RANGE');
});

test('3-class example, computed by hand', () => {
  const r = buildReport({ confusion, lossSum: 8, count: 16, labels });
  assert.is(r.accuracy, 0.75);
  assert.is(r.loss, 0.5);
  assert.is(r.count, 16);
  assert.equal(r.confusionMatrix, confusion);
  assert.equal(r.perClass.map((m) => m.label), labels);
  assert.equal(r.perClass.map((m) => m.support), [6, 6, 4]);
  // precision = tp / predicted; recall = tp / support; f1 = 2tp / (2tp + fp + fn)
  const want = [
    [5 / 7, 5 / 6, 10 / 13],
    [3 / 4, 3 / 6, 6 / 10],
    [4 / 5, 4 / 4, 8 / 9],
  ];
  r.perClass.forEach((m, i) => {
    close(m.precision, want[i][0], `${m.label} precision`);
    close(m.recall, want[i][1], `${m.label} recall`);
    close(m.f1, want[i][2], `${m.label} f1`);
  });
  close(r.macro.precision, 0.7547619, 'macro precision');
  close(r.macro.recall, 0.7777778, 'macro recall');
  close(r.macro.f1, 0.7527066, 'macro f1');
  close(r.weighted.precision, 0.7491071, 'weighted precision');
  close(r.weighted.recall, 0.75, 'weighted recall'); // always equals accuracy
  close(r.weighted.f1, 0.7356838, 'weighted f1');
  // The report keeps its own copy of the matrix.
  r.confusionMatrix[0][0] = 99;
  assert.is(confusion[0][0], 5);
});

test('zero division counts as 0 (never predicted, never present, empty)', () => {
  // Class 1 is never predicted; class 2 never occurs and is never predicted.
  const r = buildReport({ confusion: [[2, 0, 0], [1, 0, 0], [0, 0, 0]], lossSum: 3, count: 3, labels });
  assert.equal(r.perClass[1], { label: 'dog', precision: 0, recall: 0, f1: 0, support: 1 });
  assert.equal(r.perClass[2], { label: 'bird', precision: 0, recall: 0, f1: 0, support: 0 });
  close(r.perClass[0].precision, 2 / 3, 'cat precision');
  assert.is(r.perClass[0].recall, 1);
  close(r.perClass[0].f1, 0.8, 'cat f1');
  close(r.macro.precision, 2 / 9, 'macro precision');
  close(r.weighted.precision, 4 / 9, 'weighted precision'); // (2 * 2/3 + 1 * 0) / 3
  const empty = buildReport({ confusion: [[0, 0], [0, 0]], lossSum: 0, count: 0, labels: ['a', 'b'] });
  assert.equal(
    [empty.accuracy, empty.loss, empty.macro.f1, empty.weighted.precision, empty.weighted.f1],
    [0, 0, 0, 0, 0],
  );
  for (const x of Object.values(empty.macro)) assert.ok(Number.isFinite(x));
});

test('buildReport rejects a matrix that does not fit the labels', () => {
  assert.throws(
    () => buildReport({ confusion: [[1, 0], [0, 1]], lossSum: 0, count: 2, labels }),
    (e) => e instanceof GarmentError && e.code === 'E_OPTION',
  );
});

test('formatReport: a classification table like scikit-learn, then the confusion matrix', () => {
  const r = buildReport({ confusion, lossSum: 8, count: 16, labels });
  const expected = [
    '              precision    recall  f1-score   support',
    '',
    '         cat     0.7143    0.8333    0.7692         6',
    '         dog     0.7500    0.5000    0.6000         6',
    '        bird     0.8000    1.0000    0.8889         4',
    '',
    '    accuracy                         0.7500        16',
    '   macro avg     0.7548    0.7778    0.7527        16',
    'weighted avg     0.7491    0.7500    0.7357        16',
    '',
    'confusion matrix (rows: true class, columns: predicted class)',
    'true \\ predicted   0  1  2',
    '0 cat              5  1  0',
    '1 dog              2  3  1',
    '2 bird             0  0  4',
  ].join('\n');
  assert.fixture(formatReport(r), expected);
  // Two decimals, as scikit-learn prints by default.
  assert.match(formatReport(r, 2), /\n {9}cat {7}0\.71 {6}0\.83 {6}0\.77 {9}6\n/);
});

test('formatReport aligns long class names and wide counts', () => {
  const names = ['T-shirt/top', 'Trouser', 'Ankle boot with a long name'];
  const confusion = [[1200, 3, 0], [7, 998, 1], [0, 0, 5]];
  const r = buildReport({ confusion, lossSum: 100, count: 2214, labels: names });
  const lines = formatReport(r).split('\n');
  const table = lines.slice(0, 9).filter((l) => l.length > 0);
  // Every row of the table has the same width and the names end in the same column.
  assert.ok(table.every((l) => l.length === table[0].length), table.join('\n'));
  for (const n of names) assert.ok(lines.some((l) => l.includes(n)), n);
  // Names are right-aligned to the longest one.
  assert.is(table[1].indexOf('T-shirt/top') + 'T-shirt/top'.length, names[2].length);
  const matrix = lines.slice(lines.findIndex((l) => l.startsWith('confusion matrix')) + 1);
  assert.ok(matrix.every((l) => l.length === matrix[0].length), matrix.join('\n'));
  assert.ok(matrix[1].startsWith('0 T-shirt/top') && matrix[1].endsWith(' 1200     3     0'));
});

test.run();
