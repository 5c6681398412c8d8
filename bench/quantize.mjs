#!/usr/bin/env node
// Mixed-precision quantisation of a trained model: which weight tensors to keep in f16 while the
// rest go to int8, under a byte budget. The choice never looks at the test set: each candidate is
// scored by how many of N training images it classifies differently from the f32 model (no labels
// needed), and tensors are promoted to f16 greedily, the most helpful flips saved per byte first,
// while the file stays within the budget. Only then are the chosen file, all-int8 and all-f16
// evaluated on the test set, for the report.
//
//   npm run bench:quantize -- model.f32.gz --budget 200000 --out model-mixed.gz
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createClassifier, loadFashionMNIST } from 'garment-wasm';
import { findDataDir } from '../scripts/data-dir.mjs';
import { importInternal } from './lib/dist.mjs';

const { values: a, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    budget: { type: 'string', default: '200000' },
    images: { type: 'string', default: '20000' },
    out: { type: 'string' },
    threads: { type: 'string', default: 'auto' },
  },
});
if (positionals.length !== 1) throw new Error('usage: bench/quantize.mjs MODEL.f32.gz [--budget BYTES] [--images N] [--out FILE]');
const dir = findDataDir();
if (!dir) throw new Error('Fashion-MNIST not found: set GARMENT_DATA');
const data = await loadFashionMNIST({ dir });
const threads = a.threads === 'auto' ? 'auto' : Number(a.threads);
const budget = Number(a.budget);

// Every k-th training image, so the sample spans the whole set.
const n = Math.min(Number(a.images), data.train.count);
const step = Math.floor(data.train.count / n);
const images = new Uint8Array(n * 784);
for (let i = 0; i < n; i++) images.set(data.train.images.subarray(i * step * 784, (i * step + 1) * 784), i * 784);

const f32 = await createClassifier({ weights: readFileSync(positionals[0]), threads });
const reference = (await f32.predict(images)).map((p) => p.label);
// The candidates: every weight tensor (rank >= 2; biases and norms stay f32 in an int8 file).
const { decodeWeights } = await importInternal();
const weightNames = decodeWeights(await f32.save()).tensors
  .filter((t) => t.shape.length >= 2).map((t) => ({ name: t.name, size: t.data.length }));

async function score(dtypes) {
  const bytes = await f32.save({ dtype: 'int8', dtypes });
  const q = await createClassifier({ weights: bytes, threads });
  const labels = (await q.predict(images)).map((p) => p.label);
  q.dispose();
  let flips = 0;
  for (let i = 0; i < n; i++) if (labels[i] !== reference[i]) flips++;
  return { bytes, flips };
}

const chosen = {};
let current = await score(chosen);
console.log(`all int8: ${current.bytes.length} bytes, ${current.flips} of ${n} training images classified differently from f32`);
for (;;) {
  let best;
  for (const { name, size } of weightNames) {
    if (chosen[name]) continue;
    const s = await score({ ...chosen, [name]: 'f16' });
    const gain = (current.flips - s.flips) / Math.max(1, s.bytes.length - current.bytes.length);
    console.log(`  + ${name} (${size} values) in f16: ${s.bytes.length} bytes, ${s.flips} flips${s.bytes.length > budget ? ' (over budget)' : ''}`);
    if (s.bytes.length <= budget && s.flips < current.flips && (!best || gain > best.gain)) best = { name, gain, s };
  }
  if (!best) break;
  chosen[best.name] = 'f16';
  current = best.s;
  console.log(`keep ${best.name} in f16: ${current.bytes.length} bytes, ${current.flips} flips`);
}

const spec = Object.keys(chosen).map((k) => `${k}=f16`).join(',');
console.log(`\nchosen: int8${spec ? ` with ${spec}` : ''} (${current.bytes.length} bytes)`);
if (spec) console.log(`same file from the CLI: garment-wasm export ${positionals[0]} --weights OUT --dtype int8 --tensor-dtype ${spec}`);
if (a.out) writeFileSync(a.out, current.bytes);

// The report: test accuracy of f32, all-f16, all-int8 and the chosen mix.
const rows = [['f32', await f32.save()], ['f16', await f32.save({ dtype: 'f16' })], ['int8', await f32.save({ dtype: 'int8' })], ['chosen', current.bytes]];
console.log('\n| weights | bytes | test accuracy |\n| --- | ---: | ---: |');
for (const [name, bytes] of rows) {
  const clf = await createClassifier({ weights: bytes, threads });
  const { accuracy } = await clf.evaluate(data.test);
  clf.dispose();
  console.log(`| ${name} | ${bytes.length} | ${(accuracy * 100).toFixed(2)}% |`);
}
f32.dispose();
