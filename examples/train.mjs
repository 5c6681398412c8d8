#!/usr/bin/env node
// Trains a preset on Fashion-MNIST, evaluates it on the test set and, with --target, fails
// below a test accuracy: the example doubles as an acceptance test.
//
//   node examples/train.mjs --model seed-cnn --epochs 10 --target 0.905 [--out model.gz]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createClassifier, loadFashionMNIST, formatReport } from 'garment-wasm';
import { findDataDir } from '../scripts/data-dir.mjs';

const { values: a } = parseArgs({
  options: {
    model: { type: 'string', default: 'seed-cnn' },
    epochs: { type: 'string', default: '1' },
    'batch-size': { type: 'string', default: '64' },
    'learning-rate': { type: 'string', default: '0.001' },
    seed: { type: 'string', default: '1' },
    threads: { type: 'string', default: '1' },
    limit: { type: 'string' },
    target: { type: 'string' },
    out: { type: 'string' },
    dtype: { type: 'string', default: 'f32' },
    quiet: { type: 'boolean', default: false },
    optimizer: { type: 'string', default: 'adam' },
    'weight-decay': { type: 'string', default: '0' },
    'label-smoothing': { type: 'string', default: '0' },
    schedule: { type: 'string', default: 'constant' },
    augment: { type: 'string' },
    layers: { type: 'string' },
  },
});
// --augment shift,flip,erase  e.g. "2,1,0.5"
const augment = a.augment ? (([shift, flip, erase]) => ({ shift: Number(shift), flip: flip === '1', erase: Number(erase ?? 0) }))(a.augment.split(',')) : false;

const dir = findDataDir();
const data = await loadFashionMNIST(dir ? { dir } : {});
let trainSet = data.train;
if (a.limit) {
  const n = Math.min(Number(a.limit), trainSet.count);
  trainSet = { images: trainSet.images.subarray(0, n * 784), labels: trainSet.labels.subarray(0, n), count: n };
}
const model = a.layers ? JSON.parse(a.layers) : a.model;
const clf = await createClassifier({ model, seed: Number(a.seed), threads: a.threads === 'auto' ? 'auto' : Number(a.threads) });
console.log(`${a.layers ? 'custom' : a.model}: ${clf.parameterCount} parameters, ${trainSet.count} training images, ${a.epochs} epochs, ${clf.threads} threads requested ${a.threads}`);
const t0 = performance.now();
const history = await clf.train(trainSet, {
  epochs: Number(a.epochs),
  batchSize: Number(a['batch-size']),
  learningRate: Number(a['learning-rate']),
  optimizer: a.optimizer,
  weightDecay: Number(a['weight-decay']),
  labelSmoothing: Number(a['label-smoothing']),
  schedule: a.schedule,
  augment,
  validation: data.test,
  onEpoch: (e) =>
    console.log(
      `epoch ${e.epoch}: loss ${e.loss.toFixed(4)} acc ${e.accuracy.toFixed(4)} | test loss ${e.validationLoss?.toFixed(4)} ` +
        `acc ${e.validationAccuracy?.toFixed(4)} | ${e.seconds.toFixed(1)} s, ${Math.round(e.imagesPerSecond)} images/s`,
    ),
});
const seconds = (performance.now() - t0) / 1000;
const report = await clf.evaluate(data.test);
if (!a.quiet) console.log(formatReport(report));
console.log(`test accuracy ${(report.accuracy * 100).toFixed(2)}% after ${history.epochs.length} epochs in ${seconds.toFixed(1)} s`);
if (a.out) {
  const bytes = await clf.save({ dtype: a.dtype });
  writeFileSync(a.out, bytes);
  console.log(`saved ${a.out} (${bytes.length} bytes, ${a.dtype})`);
}
clf.dispose();
if (a.target && report.accuracy < Number(a.target)) {
  console.error(`FAIL: test accuracy ${report.accuracy.toFixed(4)} is below the target ${a.target}`);
  process.exit(1);
}
