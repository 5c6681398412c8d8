// Checkpoints and resume: an interrupted run (abort, or a killed process) continued from its last
// checkpoint ends with bit-identical weights to one that never stopped.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { createClassifier } from 'garment-wasm';
import { syntheticDataset, expectGarmentError, bitsEqual } from './helpers/synthetic.mjs';
import { pack, unpack } from './helpers/weightfile.mjs';

const data = syntheticDataset(480, { seed: 9 });
const hash = (b) => createHash('sha256').update(b).digest('hex').slice(0, 16);
const options = (extra = {}) => ({
  epochs: 3, batchSize: 32, learningRate: 2e-3, augment: { shift: 1, flip: true, erase: 0.2 },
  schedule: 'one-cycle', validationSplit: 0.1, ...extra,
});

async function uninterrupted(threads = 1) {
  const clf = await createClassifier({ model: 'seed-cnn', seed: 4, threads });
  await clf.train(data, options());
  return clf.save();
}

test('abort mid-epoch, resume from the checkpoint written on abort: bit-identical weights', async () => {
  const reference = await uninterrupted();
  const saved = [];
  const ac = new AbortController();
  const clf = await createClassifier({ model: 'seed-cnn', seed: 4, threads: 1 });
  let steps = 0;
  await expectGarmentError(() => clf.train(data, options({
    signal: ac.signal, progressInterval: 0,
    onProgress: () => ++steps === 20 && ac.abort(),
    checkpoint: { onSave: (bytes, at) => saved.push({ bytes, at }) },
  })), 'E_ABORTED');
  const last = saved[saved.length - 1];
  assert.equal(last.at, { epoch: 2, step: 6 }, 'saved where it stopped: 14 steps in epoch 1, 6 in epoch 2');
  const fresh = await createClassifier({ model: 'seed-cnn', seed: 4, threads: 1 });
  const h = await fresh.train(data, options({ resume: last.bytes }));
  assert.is(h.epochs.length, 3, 'the history includes the epochs before the interruption');
  assert.is(hash(await fresh.save()), hash(reference));
  // A checkpoint also loads as a plain model.
  const asModel = await createClassifier({ weights: last.bytes });
  assert.is(asModel.parameterCount, fresh.parameterCount);
});

test('resume from a checkpoint saved every N steps, with two threads', async () => {
  const reference = await uninterrupted(2);
  const saved = [];
  const clf = await createClassifier({ model: 'seed-cnn', seed: 4, threads: 2 });
  await clf.train(data, options({ checkpoint: { onSave: (bytes, at) => saved.push({ bytes, at }), everySteps: 10 } }));
  assert.is(hash(await clf.save()), hash(reference), 'checkpointing does not change training');
  const mid = saved.find((c) => c.at.epoch === 2 && c.at.step > 0);
  assert.ok(mid, JSON.stringify(saved.map((c) => c.at)));
  const fresh = await createClassifier({ model: 'seed-cnn', seed: 4, threads: 2 });
  await fresh.train(data, options({ resume: mid.bytes }));
  assert.is(hash(await fresh.save()), hash(reference));
});

test('resume refuses other options, plain weight files and junk', async () => {
  const saved = [];
  const clf = await createClassifier({ model: 'mlp', seed: 1, threads: 1 });
  await clf.train(data, { epochs: 1, checkpoint: { onSave: (b) => saved.push(b) } });
  const fresh = await createClassifier({ model: 'mlp', seed: 1, threads: 1 });
  await expectGarmentError(() => fresh.train(data, { epochs: 2, resume: saved[0] }), 'E_OPTION');
  const plain = await clf.save();
  await expectGarmentError(() => fresh.train(data, { epochs: 1, resume: plain }), 'E_WEIGHTS_FORMAT');
  await expectGarmentError(() => fresh.train(data, { epochs: 1, resume: new Uint8Array(10) }), 'E_WEIGHTS_FORMAT');
  await expectGarmentError(() => fresh.train(data, { epochs: 1, resume: 'x.gz' }), 'E_OPTION');
  await expectGarmentError(() => fresh.train(data, { checkpoint: {} }), 'E_OPTION');
  await expectGarmentError(() => fresh.train(data, { checkpoint: { path: '/tmp/x', everySteps: 0 } }), 'E_OPTION');
});

test('resume with early stopping, from a checkpoint made before the first epoch ended: bit-identical', async () => {
  // The initial best score is Infinity, which JSON writes as null; read back as null it made every
  // validation loss look worse, and the resumed run stopped early.
  const opts = { epochs: 4, batchSize: 32, validationSplit: 0.25, earlyStopping: { patience: 1 } };
  const whole = await createClassifier({ model: 'mlp', seed: 2, threads: 1 });
  const h0 = await whole.train(data, opts);
  const saved = [];
  const first = await createClassifier({ model: 'mlp', seed: 2, threads: 1 });
  await first.train(data, { ...opts, checkpoint: { onSave: (b, at) => saved.push({ b, at }), everySteps: 3 } });
  const mid = saved.find((c) => c.at.epoch === 1 && c.at.step > 0);
  const resumed = await createClassifier({ model: 'mlp', seed: 2, threads: 1 });
  const h1 = await resumed.train(data, { ...opts, resume: mid.b });
  assert.is(h1.epochs.length, h0.epochs.length);
  assert.is(h1.stoppedEarly, h0.stoppedEarly);
  assert.is(hash(await resumed.save()), hash(await whole.save()));
});

test('a checkpoint with an edited loop state or mismatched tensors is refused at once, leaving the model as it was', async () => {
  const opts = { epochs: 2, batchSize: 32 };
  const saved = [];
  const clf = await createClassifier({ model: 'mlp', seed: 3, threads: 1 });
  await clf.train(data, { ...opts, checkpoint: { onSave: (b, at) => saved.push({ b, at }), everySteps: 4 } });
  const base = saved.find((c) => c.at.step > 0).b;
  const probe = data.images.subarray(0, 784);
  const target = await createClassifier({ model: 'mlp', seed: 3, threads: 1 });
  const before = (await target.predict(probe)).probabilities;
  const edited = (edit) => {
    const u = unpack(base);
    edit(u.header.metadata.checkpoint, u);
    return pack(u);
  };
  const cases = [
    // Before the fix these ran for a million steps, or put junk into the returned history.
    ['step -1e6', edited((s) => (s.step = -1e6))],
    ['epoch -1e6', edited((s) => (s.epoch = -1e6))],
    ['step past the epoch', edited((s) => (s.step = 1e9))],
    ['optimizerStep "x"', edited((s) => (s.optimizerStep = 'x'))],
    ['history junk', edited((s) => (s.history = [1, 2, 3]))],
    ['lossSum "abc"', edited((s) => (s.lossSum = 'abc'))],
    // Before the fix this one overwrote the weights, then refused the file.
    ['optimizer moments of the wrong size', edited((_, u) => {
      const m = u.header.tensors.find((t) => t.name === 'optimizer.m');
      m.shape = [m.shape[0] - 4];
      m.length -= 16;
    })],
  ];
  for (const [what, bytes] of cases) {
    // A hang guard: a run that starts instead of refusing ends with E_ABORTED, the wrong code.
    const signal = AbortSignal.timeout(10_000);
    await expectGarmentError(() => target.train(data, { ...opts, resume: bytes, signal }), /moments/.test(what) ? 'E_WEIGHTS_MISMATCH' : 'E_WEIGHTS_FORMAT');
    assert.ok(bitsEqual((await target.predict(probe)).probabilities, before), `${what}: the model changed`);
  }
});

test('a training process killed with SIGKILL mid-epoch resumes from its checkpoint file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'garment-ckpt-'));
  const file = join(dir, 'run.ckpt.gz');
  const script = (resume) => `
    const { readFileSync, writeFileSync } = await import('node:fs');
    const { createClassifier } = await import('garment-wasm');
    const { syntheticDataset } = await import('./test/helpers/synthetic.mjs');
    const data = syntheticDataset(480, { seed: 9 });
    const clf = await createClassifier({ model: 'seed-cnn', seed: 4, threads: 1 });
    let steps = 0;
    await clf.train(data, {
      epochs: 3, batchSize: 32, learningRate: 2e-3, augment: { shift: 1, flip: true, erase: 0.2 },
      schedule: 'one-cycle', validationSplit: 0.1, progressInterval: 0,
      checkpoint: { path: ${JSON.stringify(file)}, everySteps: 5 },
      ${resume ? `resume: readFileSync(${JSON.stringify(file)}),` : `onProgress: () => { if (++steps === 22) { console.log('killme'); while (true) {} } },`}
    });
    writeFileSync(${JSON.stringify(join(dir, 'final.gz'))}, await clf.save());
  `;
  const cwd = new URL('..', import.meta.url).pathname;
  await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script(false)], { cwd });
    child.stdout.on('data', (d) => String(d).includes('killme') && child.kill('SIGKILL'));
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`exited ${code} ${signal}`))));
  });
  assert.ok(existsSync(file), 'a checkpoint was written before the kill');
  assert.equal(readdirSync(dir), ['run.ckpt.gz'], 'no temporary files left behind');
  await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script(true)], { cwd, stdio: 'inherit' });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`resume exited ${code}`))));
  });
  assert.is(hash(readFileSync(join(dir, 'final.gz'))), hash(await uninterrupted()));
  rmSync(dir, { recursive: true, force: true });
});

test.run();
