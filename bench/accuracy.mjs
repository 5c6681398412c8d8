#!/usr/bin/env node
// The README's preset table: trains each preset from scratch with its recipe (RECIPES), then
// reports parameters, epochs, wall time, threads, test accuracy in f32 and after f16/int8
// quantisation, and the weight-file sizes. Writes bench/results/accuracy.json.
//
//   npm run bench:accuracy                  # every preset
//   npm run bench:accuracy -- --only default --epochs 15 --threads 2 --out model.gz --dtype int8
// (--out also keeps the f32 weights beside it, as model.f32.gz.)
//   npm run bench:accuracy -- --only seed-cnn --threads 1 --seed 0 --recipe '{"schedule":"cosine","learningRate":2e-3}'
// (--recipe: JSON merged over the preset's recipe, for trying variants of it.)
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { hasRelaxedSimd } from './lib/simd-peak.mjs';
import { createClassifier, loadFashionMNIST, RECIPES, PRESET_NAMES, formatReport } from 'garment-wasm';
import { findDataDir } from '../scripts/data-dir.mjs';

const { values: a } = parseArgs({
  options: {
    only: { type: 'string' },
    epochs: { type: 'string' },
    threads: { type: 'string', default: 'auto' },
    seed: { type: 'string', default: '1' },
    precision: { type: 'string', default: 'exact' },
    out: { type: 'string' },
    dtype: { type: 'string', default: 'int8' },
    report: { type: 'boolean', default: false },
    recipe: { type: 'string', default: '{}' },
  },
});
// precision 'fast' needs relaxed SIMD, which Node 20 validates only behind a flag: run again with it.
if (a.precision === 'fast' && !hasRelaxedSimd() && !process.execArgv.includes('--experimental-wasm-relaxed-simd')) {
  const r = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const dir = findDataDir();
if (!dir) throw new Error('Fashion-MNIST not found: set GARMENT_DATA');
const data = await loadFashionMNIST({ dir });
const presets = a.only ? a.only.split(',') : PRESET_NAMES;
const rows = [];
for (const model of presets) {
  const recipe = { ...RECIPES[model], ...JSON.parse(a.recipe), ...(a.epochs ? { epochs: Number(a.epochs) } : {}) };
  const threads = a.threads === 'auto' ? 'auto' : Number(a.threads);
  const clf = await createClassifier({ model, seed: Number(a.seed), threads, precision: a.precision });
  const t0 = performance.now();
  const history = await clf.train(data.train, {
    ...recipe,
    onEpoch: (e) => console.log(`${model} epoch ${e.epoch}/${recipe.epochs}: loss ${e.loss.toFixed(4)} acc ${e.accuracy.toFixed(4)}` +
      (e.validationAccuracy !== undefined ? ` val ${e.validationAccuracy.toFixed(4)}` : '') + ` ${Math.round(e.imagesPerSecond)} img/s`),
  });
  const minutes = (performance.now() - t0) / 60000;
  const report = await clf.evaluate(data.test);
  const row = {
    preset: model, parameters: clf.parameterCount, epochs: history.epochs.length, minutes: +minutes.toFixed(1),
    threads: clf.threads, precision: a.precision, accuracy: report.accuracy, recipe,
  };
  for (const dtype of ['f32', 'f16', 'int8']) {
    const bytes = await clf.save({ dtype });
    const q = dtype === 'f32' ? clf : await createClassifier({ weights: bytes, threads });
    row[dtype] = { bytes: bytes.length, accuracy: (await q.evaluate(data.test)).accuracy };
    if (a.out && dtype === a.dtype) writeFileSync(a.out, bytes);
    // The full-precision weights too, beside it: quantising again later needs them.
    if (a.out && dtype === 'f32' && a.dtype !== 'f32') writeFileSync(a.out.replace(/(\.gz)?$/, '.f32.gz'), bytes);
  }
  if (a.report) console.log(formatReport(report));
  console.log(JSON.stringify(row));
  rows.push(row);
  clf.dispose();
}
console.log('\n| preset | parameters | epochs | wall time | threads | test accuracy (f32) | f16 | int8 | int8 file |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  const pct = (x) => `${(x * 100).toFixed(2)}%`;
  console.log(`| ${r.preset} | ${r.parameters} | ${r.epochs} | ${r.minutes} min | ${r.threads} | ${pct(r.accuracy)} | ${pct(r.f16.accuracy)} | ${pct(r.int8.accuracy)} | ${(r.int8.bytes / 1024).toFixed(0)} KB |`);
}
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/accuracy.json', import.meta.url), JSON.stringify(rows, null, 2));
