import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createClassifier, train, predict, GarmentError, FASHION_MNIST_LABELS } from 'garment-wasm';
import { syntheticDataset, noiseImages, bitsEqual, expectGarmentError } from './helpers/synthetic.mjs';

const img = (i, images) => images.subarray(i * 784, (i + 1) * 784);

test('presets have the expected parameter counts and labels', async () => {
  const counts = { mlp: 109386, 'seed-cnn': 173738, cnn: 421642 };
  for (const [model, n] of Object.entries(counts)) {
    const clf = await createClassifier({ model, seed: 1, threads: 1 });
    assert.is(clf.parameterCount, n, model);
    assert.equal([...clf.labels], [...FASHION_MNIST_LABELS]);
    clf.dispose();
  }
});

test('int8, mixed and f16 weight files load with the same parameters, bit for bit, as decodeWeights reads them', async () => {
  const { decodeWeights, networkOf } = await import('../dist/node/internal.js');
  const trained = await createClassifier({ model: 'seed-cnn', seed: 5, threads: 1 });
  for (const options of [{ dtype: 'int8' }, { dtype: 'int8', dtypes: { '0.weight': 'f16' } }, { dtype: 'f16' }]) {
    const bytes = await trained.save(options);
    const want = decodeWeights(bytes).tensors;
    const clf = await createClassifier({ weights: bytes, threads: 1 });
    const net = networkOf.get(clf);
    for (const p of net.layout.params) {
      const got = net.params().subarray(p.offset, p.offset + p.size);
      const t = want.find((x) => x.name === p.name);
      assert.ok(bitsEqual(got, t.data), `${JSON.stringify(options)}: ${p.name}`);
    }
    clf.dispose();
  }
  // The bundled model (int8 with two f16 tensors) too.
  const { readFileSync } = await import('node:fs');
  const bundled = readFileSync(new URL('../dist/pretrained/default.gz', import.meta.url));
  const net = networkOf.get(await createClassifier({ threads: 1 }));
  for (const t of decodeWeights(bundled).tensors) {
    const p = net.layout.params.find((x) => x.name === t.name);
    assert.ok(bitsEqual(net.params().subarray(p.offset, p.offset + p.size), t.data), `bundled: ${t.name}`);
  }
});

test('the same seed gives the same weights; another seed does not', async () => {
  const a = await (await createClassifier({ model: 'seed-cnn', seed: 3 })).save();
  const b = await (await createClassifier({ model: 'seed-cnn', seed: 3 })).save();
  const c = await (await createClassifier({ model: 'seed-cnn', seed: 4 })).save();
  assert.equal(a, b);
  assert.not.equal(a, c);
});

test("weight init: He-uniform by default, Glorot-uniform with init: 'glorot' (the seed-cnn preset, as Keras)", async () => {
  const { decodeWeights } = await import('../dist/node/internal.js');
  const layers = (init) => [
    { type: 'conv', filters: 8, kernel: 3, padding: 'valid', ...(init ? { init } : {}) }, { type: 'relu' }, { type: 'maxpool' },
    { type: 'dense', units: 16, ...(init ? { init } : {}) }, { type: 'dense', units: 10 },
  ];
  const weightsOf = async (model) => Object.fromEntries(decodeWeights(await (await createClassifier({ model, seed: 2, threads: 1 })).save()).tensors.map((t) => [t.name, t.data]));
  const maxAbs = (a) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const he = await weightsOf(layers());
  const glorot = await weightsOf(layers('glorot'));
  // conv: fan-in 9, fan-out 9 x 8; dense: fan-in 13 x 13 x 8, fan-out 16.
  const limits = { '0.weight': [Math.sqrt(6 / 9), Math.sqrt(6 / (9 + 72))], '3.weight': [Math.sqrt(6 / 1352), Math.sqrt(6 / (1352 + 16))] };
  for (const [name, [heLimit, glorotLimit]] of Object.entries(limits)) {
    assert.ok(maxAbs(he[name]) <= heLimit && maxAbs(he[name]) > 0.9 * heLimit, `${name}: He bound`);
    assert.ok(maxAbs(glorot[name]) <= glorotLimit && maxAbs(glorot[name]) > 0.9 * glorotLimit, `${name}: Glorot bound`);
  }
  assert.ok(maxAbs(glorot['4.weight']) > 0.9 * Math.sqrt(6 / 16), 'a layer without init stays He');
  const seedCnn = await weightsOf('seed-cnn');
  assert.ok(maxAbs(seedCnn['0.weight']) <= Math.sqrt(6 / (9 + 288)), 'seed-cnn conv: Glorot');
  await expectGarmentError(() => createClassifier({ model: [{ type: 'dense', units: 10, init: 'xavier' }] }), 'E_MODEL_SPEC');
  await expectGarmentError(() => createClassifier({ model: [{ type: 'conv', filters: 2, kernel: 3, init: 1 }, { type: 'dense', units: 10 }] }), 'E_MODEL_SPEC');
});

test('training learns generated shapes, and is deterministic for a seed', async () => {
  const data = syntheticDataset(1200, { seed: 11 });
  const val = syntheticDataset(300, { seed: 12 });
  const run = async () => {
    const clf = await createClassifier({ model: 'seed-cnn', seed: 5, threads: 1 });
    const history = await train(clf, data, { epochs: 2, batchSize: 32, validation: val });
    return { clf, history, bytes: await clf.save() };
  };
  const r1 = await run();
  const r2 = await run();
  assert.equal(r1.bytes, r2.bytes, 'same seed, same data: same weights');
  assert.is(r1.history.epochs.length, 2);
  const last = r1.history.epochs[1];
  assert.ok(last.validationAccuracy > 0.9, `validation accuracy ${last.validationAccuracy}`);
  assert.ok(last.loss < r1.history.epochs[0].loss, 'loss falls');
  const report = await r1.clf.evaluate(val);
  assert.is(report.accuracy, last.validationAccuracy);
  assert.is(report.confusionMatrix.flat().reduce((s, v) => s + v, 0), 300);
});

test('predict: one image, a batch, a flat batch; probabilities sum to 1', async () => {
  const clf = await createClassifier({ model: 'mlp', seed: 2 });
  const images = noiseImages(5);
  const one = await predict(clf, img(0, images));
  assert.type(one.label, 'string');
  assert.is(one.label, clf.labels[one.index]);
  assert.is(one.probabilities.length, 10);
  assert.is(one.confidence, Math.max(...one.probabilities));
  assert.ok(Math.abs(one.probabilities.reduce((s, v) => s + v, 0) - 1) < 1e-5);
  const many = await clf.predict(images);
  assert.is(many.length, 5);
  const arr = await clf.predict([img(0, images), img(1, images)]);
  assert.is(arr.length, 2);
  assert.ok(bitsEqual(arr[0].probabilities, one.probabilities));
  const f = Float32Array.from(img(0, images), (v) => v / 255);
  const fromFloat = await clf.predict(f);
  assert.ok(bitsEqual(fromFloat.probabilities, one.probabilities), 'floats in [0,1] equal their bytes');
  const fromArray = await clf.predict(Array.from(img(0, images)));
  assert.ok(bitsEqual(fromArray.probabilities, one.probabilities));
  const rgba = new Uint8ClampedArray(784 * 4);
  for (let i = 0; i < 784; i++) rgba.fill(images[i], i * 4, i * 4 + 3), (rgba[i * 4 + 3] = 255);
  const fromImageData = await clf.predict({ data: rgba, width: 28, height: 28 });
  assert.ok(bitsEqual(fromImageData.probabilities, one.probabilities), 'gray RGBA equals its gray bytes');
});

test("an image's probabilities do not depend on the rest of its batch", async () => {
  for (const model of ['mlp', 'seed-cnn', 'cnn']) {
    const clf = await createClassifier({ model, seed: 9 });
    const images = noiseImages(300, 3);
    const alone = await clf.predict(img(7, images));
    const inBatch = await clf.predict(images);
    const other = noiseImages(300, 4);
    other.set(img(7, images), 123 * 784);
    const elsewhere = await clf.predict(other);
    assert.ok(bitsEqual(alone.probabilities, inBatch[7].probabilities), `${model}: alone vs batch`);
    assert.ok(bitsEqual(alone.probabilities, elsewhere[123].probabilities), `${model}: another batch and position`);
  }
});

test('save -> load gives bit-identical predictions; saving is deterministic', async () => {
  const clf = await createClassifier({ model: 'cnn', seed: 4 });
  await clf.train(syntheticDataset(256, { seed: 1 }), { epochs: 1, batchSize: 64 });
  const bytes = await clf.save();
  assert.equal(bytes, await clf.save());
  const again = await createClassifier({ weights: bytes });
  assert.equal(again.layers, clf.layers);
  const images = noiseImages(20, 5);
  const a = await clf.predict(images);
  const b = await again.predict(images);
  for (let i = 0; i < 20; i++) assert.ok(bitsEqual(a[i].probabilities, b[i].probabilities));
  assert.equal(await again.save(), bytes, 'a reloaded model saves the same bytes');
  for (const dtype of ['f16', 'int8']) {
    const q = await clf.save({ dtype });
    assert.ok(q.length < bytes.length, `${dtype} is smaller`);
    const c = await createClassifier({ weights: q });
    const p = await c.predict(images);
    for (let i = 0; i < 20; i++) assert.ok(Math.abs(p[i].probabilities[0] - a[i].probabilities[0]) < 0.05);
  }
});

test('custom labels and layer lists', async () => {
  const labels = ['bar', 'post', 'disc'];
  const layers = [
    { type: 'conv', filters: 7, kernel: 5, padding: 'valid' },
    { type: 'relu' },
    { type: 'maxpool' },
    { type: 'conv', filters: 3, kernel: 3, padding: 'same' },
    { type: 'relu' },
    { type: 'maxpool' },
    { type: 'dense', units: 3 },
  ];
  const clf = await createClassifier({ model: layers, labels, seed: 1 });
  const data = syntheticDataset(600, { classes: 3, seed: 2 });
  await clf.train(data, { epochs: 3, batchSize: 16, learningRate: 3e-3 });
  const r = await clf.evaluate(syntheticDataset(200, { classes: 3, seed: 3 }));
  assert.ok(r.accuracy > 0.9, `accuracy ${r.accuracy}`);
  assert.equal(r.perClass.map((c) => c.label), labels);
  const p = await clf.predict(img(0, data.images));
  assert.ok(labels.includes(p.label));
  const reloaded = await createClassifier({ weights: await clf.save() });
  assert.equal([...reloaded.labels], labels);
  await expectGarmentError(() => createClassifier({ model: layers }), 'E_MODEL_SPEC'); // 3 outputs, 10 default labels
});

test('progress, epochs and abort', async () => {
  const clf = await createClassifier({ model: 'mlp', seed: 1 });
  const data = syntheticDataset(640, { seed: 3 });
  const seen = [];
  await clf.train(data, { epochs: 2, batchSize: 64, progressInterval: 0, onProgress: (p) => seen.push(p) });
  assert.is(seen.length, 20);
  assert.equal(Object.keys(seen[0]).sort(), ['accuracy', 'epoch', 'epochs', 'imagesPerSecond', 'learningRate', 'loss', 'step', 'stepsPerEpoch']);
  assert.is(seen[19].epoch, 2);
  assert.is(seen[19].step, 10);
  const before = await clf.save();
  const ac = new AbortController();
  ac.abort();
  await expectGarmentError(() => clf.train(data, { signal: ac.signal }), 'E_ABORTED');
  assert.equal(await clf.save(), before, 'an abort before the first step changes nothing');
  const ac2 = new AbortController();
  let steps = 0;
  await expectGarmentError(
    () => clf.train(data, { epochs: 50, batchSize: 8, progressInterval: 0, signal: ac2.signal, onProgress: () => ++steps === 3 && ac2.abort() }),
    'E_ABORTED',
  );
  assert.is(steps, 3, 'stops within one batch');
  const p = await clf.predict(img(0, data.images));
  assert.ok(Number.isFinite(p.confidence), 'still usable');
});

test('concurrent calls are queued, never interleaved', async () => {
  const clf = await createClassifier({ model: 'seed-cnn', seed: 1 });
  const images = noiseImages(50, 8);
  const expected = await clf.predict(images);
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => clf.predict(img(i, images))));
  results.forEach((r, i) => assert.ok(bitsEqual(r.probabilities, expected[i].probabilities)));
  const other = await createClassifier({ model: 'seed-cnn', seed: 2 });
  const [x, y] = await Promise.all([clf.predict(img(0, images)), other.predict(img(0, images))]);
  assert.ok(bitsEqual(x.probabilities, expected[0].probabilities), 'two classifiers do not interfere');
  assert.not.ok(bitsEqual(x.probabilities, y.probabilities));
});

test('bad input: typed errors with stable codes, and the classifier still works after', async () => {
  const clf = await createClassifier({ model: 'mlp', seed: 1 });
  const good = noiseImages(1);
  const data = syntheticDataset(10);
  await expectGarmentError(() => clf.predict(new Uint8Array(100)), 'E_INPUT_SHAPE');
  await expectGarmentError(() => clf.predict(new Uint8Array(0)), 'E_EMPTY_BATCH');
  await expectGarmentError(() => clf.predict([]), 'E_EMPTY_BATCH');
  await expectGarmentError(() => clf.predict(new Float32Array(784).fill(NaN)), 'E_INPUT_VALUE');
  await expectGarmentError(() => clf.predict(new Float32Array(784).fill(Infinity)), 'E_INPUT_VALUE');
  await expectGarmentError(() => clf.predict(new Float32Array(784).fill(2)), 'E_INPUT_VALUE');
  await expectGarmentError(() => clf.predict(new Array(784).fill(300)), 'E_INPUT_VALUE');
  await expectGarmentError(() => clf.predict('cat'), 'E_INPUT_SHAPE');
  await expectGarmentError(() => clf.predict(null), 'E_INPUT_SHAPE');
  await expectGarmentError(() => clf.predict({ data: new Uint8Array(10), width: 28, height: 28 }), 'E_INPUT_SHAPE');
  await expectGarmentError(() => clf.train({ ...data, labels: data.labels.map(() => 10) }), 'E_LABEL_RANGE');
  await expectGarmentError(() => clf.train({ ...data, count: 11 }), 'E_INPUT_SHAPE');
  await expectGarmentError(() => clf.train({ images: new Uint8Array(0), labels: new Uint8Array(0), count: 0 }), 'E_EMPTY_BATCH');
  await expectGarmentError(() => clf.train(data, { batchSize: 0 }), 'E_OPTION');
  await expectGarmentError(() => clf.train(data, { epochs: -1 }), 'E_OPTION');
  await expectGarmentError(() => clf.train(data, { learningRate: NaN }), 'E_OPTION');
  // Deep enough that a huge step overflows float32 activations within a few steps.
  const deep = [...Array.from({ length: 6 }, () => [{ type: 'dense', units: 64 }, { type: 'relu' }]).flat(), { type: 'dense', units: 10 }];
  const diverging = await createClassifier({ model: deep, seed: 1 });
  await expectGarmentError(() => diverging.train(syntheticDataset(64), { epochs: 30, batchSize: 8, learningRate: 1e5 }), 'E_DIVERGED');
  // Learning rate 1e3 with SGD: the loss overflows within a few steps; the guard stops there and
  // puts back weights that still give finite answers.
  const sgd = await createClassifier({ model: deep, seed: 1, threads: 1 });
  const err = await expectGarmentError(() => sgd.train(syntheticDataset(2000, { seed: 1 }), { epochs: 1, batchSize: 32, optimizer: 'sgd', learningRate: 1e3 }), 'E_DIVERGED');
  assert.match(err.message, 'step');
  const afterGuard = await sgd.predict(good);
  assert.ok(Number.isFinite(afterGuard.confidence), 'the restored weights still classify');
  const restored = (await import('../dist/node/internal.js')).decodeWeights(await sgd.save());
  assert.ok(restored.tensors.every((t) => t.data.every(Number.isFinite)));
  // The same with two workers, where each worker saves the range it updates: finite, and the
  // same bits on a second run.
  const twice = [];
  for (let run = 0; run < 2; run++) {
    const pooled = await createClassifier({ model: deep, seed: 1, threads: 2 });
    await expectGarmentError(() => pooled.train(syntheticDataset(2000, { seed: 1 }), { epochs: 1, batchSize: 32, optimizer: 'sgd', learningRate: 1e3 }), 'E_DIVERGED');
    const w = (await import('../dist/node/internal.js')).decodeWeights(await pooled.save());
    assert.ok(w.tensors.every((t) => t.data.every(Number.isFinite)), 'threads: the restored weights are finite');
    twice.push(w.tensors.map((t) => t.data));
    pooled.dispose();
  }
  assert.ok(twice[0].every((d, i) => bitsEqual(d, twice[1][i])), 'threads: the same restored weights on both runs');
  await expectGarmentError(() => clf.evaluate({ images: 1, labels: 2, count: 3 }), 'E_OPTION');
  await expectGarmentError(() => createClassifier({ model: 'resnet-9000' }), 'E_MODEL_UNKNOWN');
  await expectGarmentError(() => createClassifier({ model: [{ type: 'lstm' }] }), 'E_MODEL_SPEC');
  await expectGarmentError(() => createClassifier({ model: [] }), 'E_MODEL_SPEC');
  await expectGarmentError(() => createClassifier({ model: 'mlp', threads: -1 }), 'E_OPTION');
  await expectGarmentError(() => createClassifier({ model: 'mlp', seed: 1.5 }), 'E_OPTION');
  await expectGarmentError(() => createClassifier({ model: 'mlp', labels: ['a'] }), 'E_OPTION');
  await expectGarmentError(() => createClassifier({ model: 'mlp', weights: new Uint8Array(4) }), 'E_OPTION');
  await expectGarmentError(() => createClassifier({ weights: new Uint8Array([1, 2, 3]) }), 'E_WEIGHTS_FORMAT');
  await expectGarmentError(() => createClassifier({ weights: 'model.gz' }), 'E_OPTION');
  await expectGarmentError(() => predict({}, good), 'E_OPTION');
  const p = await clf.predict(good);
  assert.ok(Number.isFinite(p.confidence), 'still works after every error');
  clf.dispose();
  await expectGarmentError(() => clf.predict(good), 'E_DISPOSED');
});

test("an optimizer moment that overflows stops training as divergence, with the state before the step put back", async () => {
  // Batch norm's gamma at 1e20 makes gradients of ~1e20: Adam's second moment (g squared)
  // overflows to Infinity while every weight stays finite (m / sqrt(Infinity) is 0). Unguarded,
  // training went on with those weights frozen and a checkpoint could not be written.
  const { networkOf } = await import('../dist/node/internal.js');
  const layers = [
    { type: 'conv', filters: 2, kernel: 3, padding: 'valid', bias: false }, { type: 'batchnorm' }, { type: 'relu' },
    { type: 'maxpool' }, { type: 'dense', units: 10 },
  ];
  for (const threads of [1, 2]) {
    const clf = await createClassifier({ model: layers, seed: 1, threads });
    const net = networkOf.get(clf);
    const gamma = net.layout.params.find((p) => p.name === '1.gamma');
    net.params().fill(1e20, gamma.offset, gamma.offset + gamma.size);
    net.paramsChanged();
    const before = net.params().slice();
    // With checkpoints on: unguarded, writing one failed with E_OPTION (an infinite moment).
    const err = await expectGarmentError(
      () => clf.train(syntheticDataset(64, { seed: 11 }), { epochs: 1, batchSize: 32, checkpoint: { onSave: () => {} } }),
      'E_DIVERGED',
    );
    assert.match(err.message, 'moments', `threads ${threads}`);
    // Running statistics included: the first step's snapshot of them was once cut short (the
    // memory was grown only after it), and a diverged first step put back zeros.
    assert.ok(bitsEqual(net.params(), before), `threads ${threads}: the weights and statistics from before the step`);
    const [m, v] = net.moments();
    assert.ok(m.every(Number.isFinite) && v.every(Number.isFinite), `threads ${threads}: finite moments`);
    assert.ok((await clf.save()).length > 0);
    clf.dispose();
  }
});

test('weights that do not fit the model are rejected', async () => {
  const { decodeWeights, encodeWeights } = await import('../dist/node/internal.js');
  const clf = await createClassifier({ model: 'mlp', seed: 1 });
  const file = decodeWeights(await clf.save());
  const missing = { ...file, tensors: file.tensors.slice(1) };
  await expectGarmentError(() => createClassifier({ weights: encodeWeights(missing) }), 'E_WEIGHTS_MISMATCH');
  const reshaped = { ...file, tensors: file.tensors.map((t, i) => (i === 0 ? { ...t, shape: [t.shape[1], t.shape[0]] } : t)) };
  await expectGarmentError(() => createClassifier({ weights: encodeWeights(reshaped) }), 'E_WEIGHTS_MISMATCH');
  const badSpec = { ...file, model: { layers: [{ type: 'warp' }] } };
  await expectGarmentError(() => createClassifier({ weights: encodeWeights(badSpec) }), 'E_MODEL_SPEC');
});

test.run();
