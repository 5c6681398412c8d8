// Regressions found by the fuzzer (test/fuzz.test.mjs): arguments that used to escape as raw
// TypeErrors, or that a doctored checkpoint could abuse. Each must give a GarmentError with a
// documented code, and leave the classifier working.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createClassifier, predict, train, parseIdx, parseCsv } from 'garment-wasm';
import { encodeIdx } from '../dist/node/internal.js';
import { syntheticDataset, expectGarmentError, bitsEqual } from './helpers/synthetic.mjs';

const data = syntheticDataset(64, { seed: 3 });
const bare = () => Object.create(null); // String(bare()) throws a TypeError
const loud = { toString() { throw new Error('toString'); } };

test('options without a prototype or with a throwing toString give E_OPTION, not a TypeError', async () => {
  for (const bad of [bare(), loud]) {
    await expectGarmentError(() => createClassifier({ seed: bad }), 'E_OPTION');
    await expectGarmentError(() => createClassifier({ threads: bad }), 'E_OPTION');
    await expectGarmentError(() => createClassifier({ precision: bad }), 'E_OPTION');
    await expectGarmentError(() => createClassifier({ wasm: bad }), 'E_OPTION');
    await expectGarmentError(() => createClassifier({ model: [{ type: 'conv', filters: bad, kernel: 3 }] }), 'E_MODEL_SPEC');
    await expectGarmentError(() => createClassifier({ model: [{ type: bad }] }), 'E_MODEL_SPEC');
  }
});

test('wasm: anything but a module, bytes, a URL or a path is E_OPTION (it used to be read as a path)', async () => {
  for (const bad of [{}, 5, [], new String('x')]) await expectGarmentError(() => createClassifier({ wasm: bad }), 'E_OPTION');
});

test('predict and train: odd values in images, datasets and options', async () => {
  const clf = await createClassifier({ model: 'mlp', seed: 1, threads: 1 });
  const before = (await clf.predict(data.images.subarray(0, 784))).probabilities;
  await expectGarmentError(() => clf.predict({ data: new Uint8Array(4), width: bare(), height: 1 }), 'E_INPUT_SHAPE');
  await expectGarmentError(() => predict(clf, [...new Array(783).fill(0), loud]), 'E_INPUT_VALUE');
  await expectGarmentError(() => clf.train({ ...data, count: bare() }), 'E_OPTION');
  await expectGarmentError(() => clf.train(data, { beta1: bare() }), 'E_OPTION');
  await expectGarmentError(() => clf.train(data, { optimizer: loud }), 'E_OPTION');
  await expectGarmentError(() => clf.train(data, { schedule: { type: 'cosine', warmup: bare() } }), 'E_OPTION');
  await expectGarmentError(() => clf.train(data, { schedule: { type: bare() } }), 'E_OPTION');
  await expectGarmentError(() => clf.save({ dtype: bare() }), 'E_OPTION');
  assert.ok(bitsEqual((await clf.predict(data.images.subarray(0, 784))).probabilities, before), 'refused calls changed nothing');
  // null options are no options, as undefined is.
  const h = await train(clf, data, null);
  assert.is(h.epochs.length, 1);
  clf.dispose();
});

test('parseIdx checks its arguments; parseCsv takes null options', () => {
  const idx = encodeIdx([2, 3], new Uint8Array(6));
  for (const bad of [undefined, null, 'abc', [0, 0, 8, 1], new Uint16Array(8)]) {
    assert.throws(() => parseIdx(bad, 'x'), (e) => e.code === 'E_OPTION');
  }
  for (const maxBytes of [-1, 1.5, bare(), '10']) assert.throws(() => parseIdx(idx, 'x', { maxBytes }), (e) => e.code === 'E_OPTION');
  assert.equal(parseIdx(idx, bare(), null).dims, [2, 3]);
  const row = `3,${new Array(784).fill(7).join(',')}\n`;
  assert.is(parseCsv(row, null).count, 1);
  assert.throws(() => parseCsv(row, { classes: bare() }), (e) => e.code === 'E_OPTION');
});

test.run();
