// The thread pool: determinism, agreement with one thread, failure handling, clean exit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createClassifier } from 'garment-wasm';
import { networkOf, crashWorker, enableTraining, trainBatch, restoreSnapshot } from '../dist/node/internal.js';
import { decodeWeights } from '../dist/node/internal.js';
import { syntheticDataset, noiseImages, bitsEqual, expectGarmentError } from './helpers/synthetic.mjs';

const data = syntheticDataset(600, { seed: 21 });

async function trained(threads, model = 'seed-cnn', opts = {}) {
  const clf = await createClassifier({ model, seed: 7, threads });
  await clf.train(data, { epochs: 1, batchSize: 50, ...opts });
  return clf;
}

test('threads: 2 engages two workers and is bit-identical run to run', async () => {
  const a = await trained(2);
  assert.is(a.threads, 2);
  const b = await trained(2);
  assert.equal(await a.save(), await b.save());
  a.dispose();
  b.dispose();
});

test('threads: 1 and threads: 2 agree to within float rounding', async () => {
  for (const model of ['seed-cnn', 'cnn']) {
    const one = await trained(1, model);
    const two = await trained(2, model);
    assert.is(one.threads, 1);
    const w1 = decodeWeights(await one.save()).tensors;
    const w2 = decodeWeights(await two.save()).tensors;
    let maxDiff = 0;
    let maxAbs = 0;
    for (let t = 0; t < w1.length; t++) {
      for (let i = 0; i < w1[t].data.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(w1[t].data[i] - w2[t].data[i]));
        maxAbs = Math.max(maxAbs, Math.abs(w1[t].data[i]));
      }
    }
    // Only the order of the gradient sums differs; 12 Adam steps keep that near float epsilon.
    assert.ok(maxDiff < 1e-4 * maxAbs, `${model}: max weight difference ${maxDiff} (largest weight ${maxAbs})`);
    assert.ok(maxDiff > 0 || model === 'mlp', `${model}: a zero difference would mean the two runs were not really different`);
    one.dispose();
    two.dispose();
  }
});

test('the divergence guard: a step on 1 or 2 threads saves exactly the state before it', async () => {
  // Batch norm: its running statistics change in the forward pass, the rest in the update.
  const layers = [
    { type: 'conv', filters: 7, kernel: 3, padding: 'same', bias: false }, { type: 'batchnorm' }, { type: 'relu' },
    { type: 'maxpool' }, { type: 'flatten' }, { type: 'dense', units: 10 },
  ];
  const data = syntheticDataset(96, { seed: 7 });
  for (const threads of [1, 2]) {
    const clf = await createClassifier({ model: layers, seed: 5, threads });
    await clf.train(data, { epochs: 1, batchSize: 32 }); // moments and statistics not at their start values
    const net = networkOf.get(clf);
    enableTraining(net);
    const state = () => [net.params().slice(), ...net.moments().map((m) => m.slice())];
    const before = state();
    const stepBefore = net.optimizerStep;
    const order = Uint32Array.from({ length: 96 }, (_, i) => i);
    const batch = { images: data.images, labels: data.labels, order, from: 0, n: 64 };
    const settings = {
      stepSeed: 9, gradScale: Math.fround(1 / 64), smoothing: 0,
      optimizer: { kind: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01, momentum: 0, nesterov: false },
    };
    const r = await trainBatch(net, batch, settings, 1);
    assert.ok(r.finite);
    assert.is(net.threadsConfigured, threads);
    if (threads === 2) assert.is(clf.threads, 2, 'the step ran on the pool');
    const after = state();
    assert.not.ok(bitsEqual(after[0], before[0]), 'the step changed the weights');
    restoreSnapshot(net, 1);
    assert.is(net.optimizerStep, stepBefore);
    state().forEach((a, i) => assert.ok(bitsEqual(a, before[i]), `threads ${threads}: array ${i} put back exactly`));
    clf.dispose();
  }
});

test('inference: probabilities are bit-identical whatever the thread count and batch', async () => {
  const base = await trained(1, 'cnn');
  const bytes = await base.save();
  const images = noiseImages(300, 31);
  const one = await createClassifier({ weights: bytes, threads: 1 });
  const two = await createClassifier({ weights: bytes, threads: 2 });
  const a = await one.predict(images);
  const b = await two.predict(images);
  assert.is(two.threads, 2, 'a batch of 300 uses the pool');
  const single = await two.predict(images.subarray(123 * 784, 124 * 784));
  for (let i = 0; i < 300; i++) assert.ok(bitsEqual(a[i].probabilities, b[i].probabilities), `image ${i}`);
  assert.ok(bitsEqual(single.probabilities, a[123].probabilities));
  const r1 = await one.evaluate(data);
  const r2 = await two.evaluate(data);
  assert.equal(r1, r2);
  for (const c of [base, one, two]) c.dispose();
});

test('a worker that dies mid-job gives E_WORKER, then work continues on one thread', async () => {
  const warnings = [];
  const clf = await createClassifier({ model: 'seed-cnn', seed: 1, threads: 2, onWarning: (m) => warnings.push(m) });
  await clf.train(data, { epochs: 1, batchSize: 100 });
  assert.is(clf.threads, 2);
  const before = await clf.predict(noiseImages(100, 5));
  await expectGarmentError(() => crashWorker(networkOf.get(clf), 1), 'E_WORKER');
  assert.is(clf.threads, 1);
  assert.is(warnings.length, 1, 'says so once');
  const after = await clf.predict(noiseImages(100, 5));
  after.forEach((p, i) => assert.ok(bitsEqual(p.probabilities, before[i].probabilities)));
  await clf.train(data, { epochs: 1, batchSize: 100 });
  clf.dispose();
});

test('a process that used threads exits on its own, disposed or not', () => {
  for (const dispose of [true, false]) {
    const script = `
      const { createClassifier } = await import('garment-wasm');
      const images = new Uint8Array(256 * 784).map((_, i) => (i * 31) % 256);
      const labels = new Uint8Array(256).map((_, i) => i % 10);
      const clf = await createClassifier({ model: 'mlp', threads: 2 });
      await clf.train({ images, labels, count: 256 }, { batchSize: 64 });
      await clf.predict(images);
      console.log('threads ' + clf.threads);
      ${dispose ? 'clf.dispose();' : ''}
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000, encoding: 'utf8', cwd: new URL('..', import.meta.url).pathname });
    assert.is(r.signal, null, `dispose=${dispose}: still running after 30 s`);
    assert.is(r.status, 0, r.stderr);
    assert.ok(r.stdout.includes('threads 2'), JSON.stringify({ dispose, out: r.stdout, err: r.stderr }));
  }
});

test('no shared memory: falls back to one thread with the same results, and says so once', async () => {
  const saved = globalThis.SharedArrayBuffer;
  const warnings = [];
  try {
    globalThis.SharedArrayBuffer = undefined;
    const clf = await createClassifier({ model: 'seed-cnn', seed: 7, threads: 2, onWarning: (m) => warnings.push(m) });
    globalThis.SharedArrayBuffer = saved;
    await clf.train(data, { epochs: 1, batchSize: 50 });
    assert.is(clf.threads, 1);
    assert.is(warnings.length, 1);
    const ref = await trained(1);
    assert.equal(await clf.save(), await ref.save());
  } finally {
    globalThis.SharedArrayBuffer = saved;
  }
});

test.run();
