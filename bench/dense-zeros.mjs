#!/usr/bin/env node
// How many of each dense layer's inputs are zero at inference: the weight rows that batch-1
// dense layers skip (assembly/dense.ts, DENSE_SPARSE_X), so how much of that layer's weight
// reading a model saves, on the bench's generated images and on Fashion-MNIST's test images.
//
//   node bench/dense-zeros.mjs seed-cnn              a fresh preset (seed 1), as `npm run bench` uses
//   node bench/dense-zeros.mjs path/to/weights.gz    a saved model (a trained one)
import { readFileSync } from 'node:fs';
import { importGarment, importInternal } from './lib/dist.mjs';
import { findDataDir } from '../scripts/data-dir.mjs';

const { createClassifier, loadFashionMNIST, PRESET_NAMES } = await importGarment();
const { networkOf } = await importInternal();
const { syntheticDataset } = await import('../test/helpers/synthetic.mjs');

const what = process.argv[2] ?? 'seed-cnn';
const clf = PRESET_NAMES.includes(what)
  ? await createClassifier({ model: what, seed: 1, threads: 1 })
  : await createClassifier({ weights: new Uint8Array(readFileSync(what)), threads: 1 });
const net = networkOf.get(clf);

const sets = [['generated (the bench\'s)', syntheticDataset(2048, { seed: 5 }).images]];
const dir = findDataDir();
if (dir) sets.push(['Fashion-MNIST test', (await loadFashionMNIST({ dir })).test.images.subarray(0, 2048 * 784)]);

for (const [name, images] of sets) {
  const n = images.length / 784;
  const zeros = new Map();
  for (let at = 0; at < n; at += net.inferSlice) {
    const count = Math.min(net.inferSlice, n - at);
    await net.infer(images, at, count, 'probs');
    // The inference plan's steps (a private field: this is a diagnostic) hold each dense layer's input.
    for (const s of net.local.steps.filter((s) => s.kind === 'dense')) {
      const len = count * s.layer.input.h * s.layer.input.w * s.layer.input.c;
      const x = net.engine.f32.subarray(s.in >> 2, (s.in >> 2) + len);
      const z = zeros.get(s.layer.index) ?? [0, 0];
      for (const v of x) if (v === 0) z[0]++;
      z[1] += len;
      zeros.set(s.layer.index, z);
    }
  }
  const cells = [...zeros].map(([i, [z, t]]) => `layer ${i} (${t / n} inputs): ${((100 * z) / t).toFixed(1)}% zero`);
  console.log(`${what}, ${n} ${name} images: ${cells.join('; ')}`);
}
clf.dispose();
