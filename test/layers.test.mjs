// Batch norm, global average pooling, augmentation, schedules, SGD, validation split and early
// stopping, checked through the whole network.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createClassifier } from 'garment-wasm';
import { loadModule, Network, learningRateAt, checkSchedule, decodeWeights, encodeWeights, validateLayers, enableTraining, foldBatchNorm, networkOf } from '../dist/node/internal.js';
import { syntheticDataset, noiseImages, bitsEqual } from './helpers/synthetic.mjs';

const data = syntheticDataset(400, { seed: 3 });
const rngOf = (seed) => {
  let s = seed;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
};

/** Loss summed over a batch in training mode, and (optionally) its gradient, through the real plan. */
async function lossAndGrad(layers, classes = 4) {
  const mod = await loadModule();
  const net = await Network.create(mod, validateLayers(layers), classes, { scale: 1 / 255, shift: 0 });
  const rand = rngOf(5);
  const p = net.params();
  for (const info of net.layout.params) {
    for (let i = 0; i < info.size; i++) {
      const r = rand() * 2 - 1;
      p[info.offset + i] = info.name.endsWith('gamma') || info.name.endsWith('running_var') ? 1 + 0.3 * r : 0.4 * r;
    }
  }
  const n = 5;
  enableTraining(net);
  const ws = net.localWorkspace(n, true);
  const t = ws.train;
  const images = noiseImages(n, 9);
  const labels = [0, 1, 2, 3, 1];
  const run = (withGrad) => {
    net.engine.u8.set(images, ws.pixels);
    for (let i = 0; i < n; i++) net.engine.i32[(ws.labels >> 2) + i] = labels[i];
    ws.normalize(n, 1 / 255, 0);
    t.forward(n, { training: true, stepSeed: 1, firstImage: 0 });
    net.engine.k.softmax_cross_entropy(t.logits, ws.labels, n, classes, withGrad ? t.glogits : 0, ws.losses, 1, 0);
    let loss = 0;
    for (let i = 0; i < n; i++) loss += net.engine.f32[(ws.losses >> 2) + i];
    if (withGrad) t.backward(n);
    return loss;
  };
  return { net, run };
}

test('batch norm and global average pooling: gradients match finite differences', async () => {
  const layers = [
    { type: 'conv', filters: 3, kernel: 3, padding: 'same' },
    { type: 'batchnorm' },
    { type: 'relu' },
    { type: 'maxpool' },
    { type: 'conv', filters: 5, kernel: 3, padding: 'valid', bias: false },
    { type: 'batchnorm', momentum: 0.5 },
    { type: 'gap' },
    { type: 'dense', units: 4 },
  ];
  const { net, run } = await lossAndGrad(layers);
  run(true);
  const params = net.params();
  const grads = net.engine.f32.subarray(net.region.grads >> 2, (net.region.grads >> 2) + net.layout.paramCount).slice();
  let checked = 0;
  for (const info of net.layout.params) {
    if (info.name.includes('running')) continue;
    for (const i of [0, Math.floor(info.size / 2), info.size - 1]) {
      const k = info.offset + i;
      const orig = params[k];
      const eps = 1e-2;
      params[k] = orig + eps;
      const up = run(false);
      params[k] = orig - eps;
      const down = run(false);
      params[k] = orig;
      const numeric = (up - down) / (2 * eps);
      const tol = 0.03 * Math.max(1, Math.abs(numeric));
      assert.ok(Math.abs(grads[k] - numeric) < tol, `${info.name}[${i}]: analytic ${grads[k]}, numeric ${numeric}`);
      checked++;
    }
  }
  assert.ok(checked >= 24);
});

test('batch norm at inference is folded, and matches a float64 reference', async () => {
  const layers = [
    { type: 'batchnorm' }, // standalone: a per-channel affine
    { type: 'conv', filters: 4, kernel: 3, padding: 'same' },
    { type: 'batchnorm' }, // folded into the conv
    { type: 'relu' },
    { type: 'gap' },
    { type: 'dense', units: 3 },
  ];
  const clf = await createClassifier({ model: layers, labels: ['a', 'b', 'c'], seed: 2, threads: 1 });
  const file = decodeWeights(await clf.save());
  const rand = rngOf(11);
  for (const t of file.tensors) {
    for (let i = 0; i < t.data.length; i++) {
      const r = rand();
      t.data[i] = t.name.endsWith('running_var') || t.name.endsWith('gamma') ? 0.5 + r : r - 0.5;
    }
  }
  const model = await createClassifier({ weights: encodeWeights(file), threads: 1 });
  const T = Object.fromEntries(file.tensors.map((t) => [t.name, t.data]));
  const images = noiseImages(3, 4);
  const preds = await model.predict(images);
  for (let n = 0; n < 3; n++) {
    // Reference forward in float64.
    const eps = Math.fround(1e-5);
    const x = Array.from(images.subarray(n * 784, (n + 1) * 784), (v) => Math.fround(v * Math.fround(1 / 255)));
    const bn0 = x.map((v) => (T['0.gamma'][0] * (v - T['0.running_mean'][0])) / Math.sqrt(T['0.running_var'][0] + eps) + T['0.beta'][0]);
    const conv = new Float64Array(784 * 4);
    for (let y = 0; y < 28; y++) for (let xx = 0; xx < 28; xx++) for (let f = 0; f < 4; f++) {
      let s = T['1.bias'][f];
      for (let kh = 0; kh < 3; kh++) for (let kw = 0; kw < 3; kw++) {
        const iy = y + kh - 1, ix = xx + kw - 1;
        if (iy >= 0 && iy < 28 && ix >= 0 && ix < 28) s += bn0[iy * 28 + ix] * T['1.weight'][(kh * 3 + kw) * 4 + f];
      }
      const b = (T['2.gamma'][f] * (s - T['2.running_mean'][f])) / Math.sqrt(T['2.running_var'][f] + eps) + T['2.beta'][f];
      conv[(y * 28 + xx) * 4 + f] = Math.max(0, b);
    }
    const gap = [0, 1, 2, 3].map((f) => { let s = 0; for (let q = 0; q < 784; q++) s += conv[q * 4 + f]; return s / 784; });
    const logits = [0, 1, 2].map((o) => T['5.bias'][o] + gap.reduce((s, v, f) => s + v * T['5.weight'][f * 3 + o], 0));
    const m = Math.max(...logits);
    const e = logits.map((v) => Math.exp(v - m));
    const z = e.reduce((a, b) => a + b, 0);
    e.forEach((v, j) => assert.ok(Math.abs(v / z - preds[n].probabilities[j]) < 2e-5, `image ${n} class ${j}: ${v / z} vs ${preds[n].probabilities[j]}`));
  }
});

test('the batch-norm fold in wasm gives the bits of the plain-JS reference (1, 3, 7, 31 channels, dense and standalone)', async () => {
  const layers = [
    { type: 'batchnorm' },
    { type: 'conv', filters: 3, kernel: 3, padding: 'same' },
    { type: 'batchnorm' },
    { type: 'conv', filters: 7, kernel: 1, padding: 'same', bias: false },
    { type: 'batchnorm' },
    { type: 'maxpool' },
    { type: 'conv', filters: 31, kernel: 3, padding: 'valid' },
    { type: 'batchnorm' },
    { type: 'relu' },
    { type: 'flatten' },
    { type: 'dense', units: 5 },
    { type: 'batchnorm' },
    { type: 'dense', units: 2 },
  ];
  const clf = await createClassifier({ model: layers, labels: ['a', 'b'], seed: 4, threads: 1 });
  const net = networkOf.get(clf);
  const p = net.params();
  const rand = rngOf(21);
  for (const info of net.layout.params) {
    for (let i = 0; i < info.size; i++) {
      const r = rand();
      // Wide ranges, tiny variances included: the rounding of every product is exercised.
      p[info.offset + i] = info.name.endsWith('running_var') ? r * r * 3 + 1e-6 : (r - 0.5) * (info.name.endsWith('gamma') ? 8 : 3);
    }
  }
  net.paramsChanged();
  await clf.predict(noiseImages(1, 2)); // refolds
  const f32 = net.engine.f32;
  const reference = foldBatchNorm(net.layout, net.params());
  assert.is(reference.length, 5);
  for (const t of reference) {
    const dst = net.region.folded.get(t.layer);
    assert.ok(bitsEqual(f32.slice(dst.w >> 2, (dst.w >> 2) + t.w.length), t.w), `layer ${t.layer}: folded weights`);
    assert.ok(bitsEqual(f32.slice(dst.b >> 2, (dst.b >> 2) + t.b.length), t.b), `layer ${t.layer}: folded bias`);
  }
  clf.dispose();
});

// Convs before batch norm have no bias: its gradient is zero up to rounding, which Adam would
// blow up into full-size random steps that differ between thread counts.
const bnModel = [
  { type: 'conv', filters: 8, kernel: 3, padding: 'same', bias: false },
  { type: 'batchnorm' },
  { type: 'relu' },
  { type: 'maxpool' },
  { type: 'conv', filters: 8, kernel: 3, padding: 'same', bias: false },
  { type: 'batchnorm' },
  { type: 'relu' },
  { type: 'gap' },
  { type: 'dense', units: 10 },
];

test('batch norm with threads: whole-batch statistics, so 1 and 2 threads agree; 2 and 2 are identical', async () => {
  const run = async (threads, augment) => {
    const clf = await createClassifier({ model: bnModel, seed: 3, threads });
    await clf.train(data, { epochs: 1, batchSize: 40, augment, learningRate: 3e-3 });
    return { clf, tensors: decodeWeights(await clf.save()).tensors, bytes: await clf.save() };
  };
  for (const augment of [false, { shift: 2, flip: true, erase: 0.5 }]) {
    const one = await run(1, augment);
    const two = await run(2, augment);
    const again = await run(2, augment);
    assert.is(two.clf.threads, 2);
    assert.equal(two.bytes, again.bytes);
    let maxDiff = 0;
    one.tensors.forEach((t, i) => t.data.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - two.tensors[i].data[j])))));
    assert.ok(maxDiff < 1e-4, `max difference ${maxDiff} (augment: ${JSON.stringify(augment)})`);
    for (const r of [one, two, again]) r.clf.dispose();
  }
});

test('augmentation is seeded: same seed same weights, and it changes training', async () => {
  const train = async (augment, seed = 1) => {
    const clf = await createClassifier({ model: 'mlp', seed: 1, threads: 1 });
    await clf.train(data, { epochs: 1, batchSize: 50, augment, seed });
    return clf.save();
  };
  const a = await train({ shift: 2, flip: true, erase: 0.3 });
  assert.equal(a, await train({ shift: 2, flip: true, erase: 0.3 }));
  assert.not.equal(a, await train(false));
  assert.not.equal(a, await train({ shift: 2, flip: true, erase: 0.3 }, 2));
});

test('learning-rate schedules', () => {
  const cos = Math.cos;
  const one = checkSchedule('one-cycle');
  assert.ok(Math.abs(learningRateAt(one, 0.01, 0, 100, cos) - 0.01 / 25) < 1e-12);
  assert.ok(Math.abs(learningRateAt(one, 0.01, 30, 100, cos) - 0.01) < 1e-12);
  assert.ok(learningRateAt(one, 0.01, 99, 100, cos) < 1e-6);
  const c = checkSchedule({ type: 'cosine', warmup: 0.1 });
  assert.ok(Math.abs(learningRateAt(c, 1, 4, 100, cos) - 0.5) < 1e-12);
  assert.ok(Math.abs(learningRateAt(c, 1, 10, 100, cos) - 1) < 1e-12);
  assert.ok(Math.abs(learningRateAt(c, 1, 55, 100, cos) - 0.5) < 1e-12);
  assert.is(learningRateAt(checkSchedule(undefined), 0.3, 50, 100, cos), 0.3);
  assert.throws(() => checkSchedule('sawtooth'), (e) => e.code === 'E_OPTION');
});

test('SGD with momentum and a schedule trains; progress reports the learning rate', async () => {
  const clf = await createClassifier({ model: 'seed-cnn', seed: 4, threads: 1 });
  const rates = [];
  await clf.train(data, { epochs: 3, batchSize: 20, optimizer: 'sgd', learningRate: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4, schedule: 'one-cycle', progressInterval: 0, onProgress: (p) => rates.push(p.learningRate) });
  const r = await clf.evaluate(syntheticDataset(200, { seed: 4 }));
  assert.ok(r.accuracy > 0.9, `accuracy ${r.accuracy}`);
  assert.ok(Math.max(...rates) > 0.04 && rates[0] < 0.01 && rates[rates.length - 1] < 1e-4);
});

test('validation split and early stopping restore the best epoch', async () => {
  const clf = await createClassifier({ model: 'mlp', seed: 2, threads: 1 });
  const h = await clf.train(syntheticDataset(300, { seed: 8 }), {
    epochs: 40, batchSize: 30, learningRate: 0.01, validationSplit: 0.2, earlyStopping: { patience: 2 },
  });
  assert.ok(h.stoppedEarly, `ran all ${h.epochs.length} epochs`);
  assert.ok(h.epochs.length < 40);
  const best = h.epochs[h.bestEpoch - 1];
  assert.ok(h.epochs.every((e) => e.validationLoss >= best.validationLoss));
  assert.is(h.epochs[0].validationAccuracy !== undefined, true);
});

test.run();
