#!/usr/bin/env node
// Leak soak: many predict calls on the bundled model, then many create/train/dispose cycles on two
// threads, with memory measured after forced garbage collection. Fails if memory grows past the
// bound after warm-up, if worker threads outlive dispose(), or (seen by the caller) if the process
// does not exit on its own.
//
//   node --expose-gc scripts/soak.mjs [--predicts 100000] [--cycles 200] [--json]
//
// `npm run soak` runs the full counts; test/soak.test.mjs runs a short slice in `npm test`.
import { readFileSync, existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createClassifier } from 'garment-wasm';

const { values } = parseArgs({
  options: {
    predicts: { type: 'string', default: '100000' },
    cycles: { type: 'string', default: '200' },
    'predict-bound-mb': { type: 'string', default: '16' },
    'cycle-bound-mb': { type: 'string', default: '48' },
    json: { type: 'boolean', default: false },
  },
});
const PREDICTS = Number(values.predicts);
const CYCLES = Number(values.cycles);
const PREDICT_BOUND_MB = Number(values['predict-bound-mb']);
const CYCLE_BOUND_MB = Number(values['cycle-bound-mb']);
if (typeof globalThis.gc !== 'function') {
  console.error('soak: run with node --expose-gc (npm run soak does)');
  process.exit(2);
}

const say = (s) => values.json || console.log(s);
const mb = (bytes) => bytes / 2 ** 20;
/** OS threads of this process (Linux): worker threads show up here and nowhere else reliably. */
const threads = () => (existsSync('/proc/self/status') ? Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) : NaN);
const settle = () => new Promise((r) => setTimeout(r, 50));

/** Memory after two forced collections (a second pass frees what finalizers released). */
async function measure() {
  for (let i = 0; i < 2; i++) {
    globalThis.gc();
    await settle();
  }
  const m = process.memoryUsage();
  return { rss: mb(m.rss), heap: mb(m.heapUsed), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers) };
}

const fmt = (m) => `RSS ${m.rss.toFixed(1)} MB, heap ${m.heap.toFixed(1)} MB, external ${m.external.toFixed(1)} MB`;
const grew = (a, b) => ({ rss: b.rss - a.rss, heap: b.heap - a.heap, external: b.external - a.external });

/** Deterministic garment-ish images, different from one another. */
function images(count) {
  const out = [];
  for (let k = 0; k < count; k++) {
    const img = new Uint8Array(784);
    for (let i = 0; i < 784; i++) {
      const x = i % 28, y = (i / 28) | 0;
      img[i] = Math.abs(x - 14) + Math.abs(y - 14) < 6 + (k % 7) ? 120 + ((k * 31 + i) % 130) : (k * i) % 23;
    }
    out.push(img);
  }
  return out;
}

const result = { predicts: PREDICTS, cycles: CYCLES, bounds: { predictMb: PREDICT_BOUND_MB, cycleMb: CYCLE_BOUND_MB }, problems: [] };
const started = performance.now();
const threadsAtStart = threads();

// 1. predict(), batch 1, the bundled model (default options: the threaded build, calls on the calling thread).
{
  const clf = await createClassifier();
  const pool = images(100);
  const expected = [];
  const warmup = Math.min(2000, Math.max(100, PREDICTS / 20));
  for (let i = 0; i < warmup; i++) {
    const p = await clf.predict(pool[i % 100]);
    if (i < 100) expected.push(p.probabilities);
  }
  const before = await measure();
  const samples = [];
  const t0 = performance.now();
  for (let i = 0; i < PREDICTS; i++) {
    const p = await clf.predict(pool[i % 100]);
    // The same image always gets the same answer (checked on a sample: comparing is cheap, not free).
    if (i % 997 === 0 && !p.probabilities.every((v, j) => Object.is(v, expected[i % 100][j]))) result.problems.push(`predict ${i}: a different answer for the same image`);
    if ((i + 1) % Math.max(1, Math.floor(PREDICTS / 5)) === 0) samples.push({ at: i + 1, ...(await measure()) });
  }
  const seconds = (performance.now() - t0) / 1000;
  const after = await measure();
  clf.dispose();
  const growth = grew(before, after);
  result.predict = { warmup, seconds: +seconds.toFixed(1), perSecond: Math.round(PREDICTS / seconds), before, after, growth, samples };
  say(`predict: ${PREDICTS.toLocaleString('en-US')} calls (batch 1, bundled model) in ${seconds.toFixed(1)} s, ${result.predict.perSecond.toLocaleString('en-US')}/s`);
  say(`  after ${warmup} warm-up calls: ${fmt(before)}`);
  for (const s of samples) say(`  after ${s.at.toLocaleString('en-US').padStart(7)} calls: ${fmt(s)}`);
  say(`  growth: RSS ${growth.rss.toFixed(1)} MB, heap ${growth.heap.toFixed(1)} MB (bound: ${PREDICT_BOUND_MB} MB each)`);
  if (growth.rss > PREDICT_BOUND_MB || growth.heap > PREDICT_BOUND_MB) result.problems.push(`predict: memory grew by ${growth.rss.toFixed(1)} MB RSS / ${growth.heap.toFixed(1)} MB heap`);
}

// 2. create / train / predict a pooled batch / dispose, on two threads, so workers start and end.
{
  const data = { images: new Uint8Array(256 * 784), labels: new Uint8Array(256), count: 256 };
  images(256).forEach((img, i) => data.images.set(img, i * 784));
  for (let i = 0; i < 256; i++) data.labels[i] = i % 10;
  const warmup = Math.min(10, Math.max(2, Math.floor(CYCLES / 10)));
  let before;
  let maxThreads = 0;
  let workersSeen = 0;
  const samples = [];
  const t0 = performance.now();
  for (let c = 0; c < warmup + CYCLES; c++) {
    if (c === warmup) {
      before = await measure();
      before.threads = threads();
    }
    const clf = await createClassifier({ model: 'mlp', seed: c, threads: 2 });
    const h = await clf.train(data, { epochs: 1, batchSize: 64 });
    await clf.predict(data.images.subarray(0, 128 * 784)); // a batch big enough for the pool
    if (clf.threads === 2) workersSeen++;
    if (!Number.isFinite(h.epochs[0].loss)) result.problems.push(`cycle ${c}: loss ${h.epochs[0].loss}`);
    maxThreads = Math.max(maxThreads, threads());
    clf.dispose();
    const done = c + 1 - warmup;
    if (done > 0 && done % Math.max(1, Math.floor(CYCLES / 5)) === 0) samples.push({ at: done, ...(await measure()) });
  }
  const seconds = (performance.now() - t0) / 1000;
  // Workers end asynchronously after dispose(): give them a moment, then count.
  let left = threads();
  for (let i = 0; i < 40 && left > before.threads; i++) {
    await settle();
    left = threads();
  }
  const after = await measure();
  after.threads = left;
  const growth = grew(before, after);
  result.cycles = { warmup, seconds: +seconds.toFixed(1), before, after, growth, maxThreads, workersSeen, threadsAtStart, samples };
  say(`cycles: ${CYCLES} x (create mlp, threads 2; train 4 steps; predict 128; dispose) in ${seconds.toFixed(1)} s; ${workersSeen} of ${warmup + CYCLES} ran on 2 worker threads`);
  say(`  after ${warmup} warm-up cycles: ${fmt(before)}, ${before.threads} OS threads`);
  for (const x of samples) say(`  after ${String(x.at).padStart(4)} cycles:    ${fmt(x)}`);
  say(`  after the last:         ${fmt(after)}, ${after.threads} OS threads (at most ${maxThreads} while running)`);
  say(`  growth: RSS ${growth.rss.toFixed(1)} MB, heap ${growth.heap.toFixed(1)} MB (bound: ${CYCLE_BOUND_MB} MB each)`);
  if (growth.rss > CYCLE_BOUND_MB || growth.heap > CYCLE_BOUND_MB) result.problems.push(`cycles: memory grew by ${growth.rss.toFixed(1)} MB RSS / ${growth.heap.toFixed(1)} MB heap`);
  if (workersSeen !== warmup + CYCLES) result.problems.push(`only ${workersSeen} cycles used worker threads`);
  if (after.threads > before.threads) result.problems.push(`${after.threads - before.threads} OS threads outlived dispose()`);
}

result.seconds = +((performance.now() - started) / 1000).toFixed(1);
result.ok = result.problems.length === 0;
if (values.json) console.log(`#soak ${JSON.stringify(result)}`);
else say(result.ok ? `soak: OK in ${result.seconds} s` : `soak: FAILED\n  ${result.problems.join('\n  ')}`);
// No process.exit: the process must end on its own (workers gone, nothing left holding it open).
process.exitCode = result.ok ? 0 : 1;
