// Property-based fuzzing (fast-check) of everything that takes untrusted input: weight files
// (byte mutations of real files, and headers rewritten with a valid checksum), gzip bombs, IDX
// and CSV readers, photos of any size, the CLI's PNG/JPEG decoders, and the arguments and
// options of createClassifier, predict and train (and resume from a doctored checkpoint).
//
// The contract for every case: it fails only with a GarmentError whose code is in
// src/errors.ts (never a wasm trap, RangeError, TypeError or other raw error); it ends within
// CASE_MS; a reader that accepts a file returns tensors read from inside their declared bytes;
// and the classifiers used before the error still give bit-identical answers after it.
//
//   GARMENT_FUZZ_CASES   cases over all targets (default 1,500: a few seconds in `npm test`;
//                        120,000 with --full, which `npm run fuzz` passes)
//   GARMENT_FUZZ_SEED    the seed (fixed by default, so every run is reproducible; a failure
//                        prints the seed and path that replay it)
//   GARMENT_FUZZ_ONLY    comma-separated target names, to run a subset
//   GARMENT_FUZZ_REPLAY  '{"seed":S,"path":"P"}' from a failure's replay line (with
//                        GARMENT_FUZZ_ONLY naming its target): runs that one case and prints it
//                        whole. A case that fails only after earlier ones (a classifier they
//                        trained) needs the whole campaign again: GARMENT_FUZZ_SEED and _ONLY.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { readFileSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import { createClassifier, predict, train, parseIdx, parseCsv, GarmentError } from 'garment-wasm';
import { crc32, decodeWeights, encodeIdx, networkOf } from '../dist/node/internal.js';
import { syntheticDataset, drawShape, rng, bitsEqual } from './helpers/synthetic.mjs';
import { pack, unpack, referenceTensor, zeroBomb } from './helpers/weightfile.mjs';

const TOTAL = Number(process.env.GARMENT_FUZZ_CASES ?? (process.argv.includes('--full') ? 120_000 : 1500));
const SEED = Number(process.env.GARMENT_FUZZ_SEED ?? 20261121);
const ONLY = process.env.GARMENT_FUZZ_ONLY?.split(',');
const REPLAY = process.env.GARMENT_FUZZ_REPLAY ? JSON.parse(process.env.GARMENT_FUZZ_REPLAY) : undefined;
const CASE_MS = Number(process.env.GARMENT_FUZZ_CASE_MS ?? 10_000);
/** Bound on RSS growth over the campaign (the process may hold other tests' memory under `npm test`). */
const MAX_RSS_GROWTH_MB = Number(process.env.GARMENT_FUZZ_MAX_RSS_GROWTH_MB ?? 1024);
const root = fileURLToPath(new URL('..', import.meta.url));

/** The documented codes, read from the source of truth. */
const CODES = new Set([...readFileSync(new URL('../src/errors.ts', import.meta.url), 'utf8').matchAll(/\| '(E_[A-Z_]+)'/g)].map((m) => m[1]));

// --- bookkeeping ------------------------------------------------------------------------------

const stats = { cases: 0, failures: 0, warnings: 0, codes: new Map(), targets: new Map(), baseRssMb: 0, peakRssMb: 0, started: 0 };
let current = '';

function rssMb() {
  const mb = process.memoryUsage.rss() / 2 ** 20;
  if (mb > stats.peakRssMb) stats.peakRssMb = mb;
  return mb;
}

/** A user callback's own error: the library must let it through untouched. */
class UserError extends Error {}

/**
 * Runs one call and checks the error contract; resolves with { ok, value } or { ok: false, error }.
 * `allowed` narrows the codes this target may produce; `secondary` calls (checks made after the
 * case's own call) are not counted as the case succeeding.
 */
async function outcome(fn, allowed, secondary = false) {
  const t0 = performance.now();
  let r;
  try {
    r = { ok: true, value: await fn() };
    if (!secondary) stats.targets.get(current).accepted++;
  } catch (e) {
    if (e instanceof UserError) {
      r = { ok: false, error: e };
    } else {
      if (!(e instanceof GarmentError)) throw new Error(`${current}: a raw ${e?.name ?? typeof e} escaped: ${e?.message ?? String(e)}\n${String(e?.stack ?? '').split('\n').slice(1, 6).join('\n')}`);
      if (!CODES.has(e.code)) throw new Error(`${current}: code ${e.code} is not documented in src/errors.ts`);
      if (allowed && !allowed.includes(e.code)) throw new Error(`${current}: unexpected code ${e.code}: ${e.message}`);
      if (typeof e.message !== 'string' || e.message.length === 0) throw new Error(`${current}: ${e.code} without a message`);
      stats.codes.set(e.code, (stats.codes.get(e.code) ?? 0) + 1);
      stats.failures++;
      r = { ok: false, error: e };
    }
  }
  const ms = performance.now() - t0;
  const t = stats.targets.get(current);
  if (ms > t.slowestMs) t.slowestMs = ms;
  if (ms > CASE_MS) throw new Error(`${current}: one call took ${Math.round(ms)} ms (bound ${CASE_MS} ms)`);
  return r;
}

/** Runs `numRuns` cases of one target; every case is also bounded by fast-check's timeout. */
async function campaign(name, share, arb, body, minRuns = 5) {
  if (ONLY && !ONLY.includes(name)) return;
  current = name;
  const numRuns = Math.max(minRuns, Math.round(TOTAL * share));
  const t = { cases: 0, accepted: 0, slowestMs: 0, seconds: 0 };
  stats.targets.set(name, t);
  const t0 = performance.now();
  let seed = SEED;
  for (const c of name) seed = (Math.imul(seed, 31) + c.charCodeAt(0)) | 0;
  const details = await fc.check(
    fc.asyncProperty(arb, async (x) => {
      t.cases++;
      stats.cases++;
      await body(x);
      await stillWorks();
      if (stats.cases % 250 === 0) {
        const mb = rssMb() - stats.baseRssMb;
        if (mb > MAX_RSS_GROWTH_MB) throw new Error(`${name}: RSS grew by ${Math.round(mb)} MB, above the ${MAX_RSS_GROWTH_MB} MB bound`);
      }
    }),
    REPLAY
      ? { seed: REPLAY.seed, path: REPLAY.path, numRuns: 1, plugins: [fc.timeout(CASE_MS)], endOnFailure: true }
      : { seed, numRuns, plugins: [fc.timeout(CASE_MS)], endOnFailure: process.env.GARMENT_FUZZ_SHRINK !== '1' },
  );
  if (details.failed) {
    const why = details.errorInstance?.message ?? String(details.errorInstance);
    const example = fc.stringify(details.counterexample);
    if (REPLAY) console.error(`${name}: the replayed case, whole:\n${example}`);
    throw new Error(`${name}: case ${details.numRuns} failed: ${why}\n    replay: GARMENT_FUZZ_ONLY=${name} with { seed: ${details.seed}, path: "${details.counterexamplePath}" }` +
      `\n    counterexample: ${example.length > 1500 ? `${example.slice(0, 1500)}...` : example}`);
  }
  t.seconds = (performance.now() - t0) / 1000;
  globalThis.gc?.();
  rssMb();
}

// --- fixtures made here -------------------------------------------------------------------------

const data64 = syntheticDataset(64, { seed: 11 });
const probeImage = drawShape(3, rng(5));
/** The bundled model on one thread, and on two: the "still works" probes. */
const probes = [];

async function probe(clf) {
  return (await clf.predict(probeImage)).probabilities;
}

async function stillWorks() {
  for (const p of probes) {
    const now = await probe(p.clf);
    if (!bitsEqual(now, p.bits)) throw new Error(`${current}: the bundled model's answer changed after the case`);
  }
}

const TINY = [
  { type: 'conv', filters: 2, kernel: 3, padding: 'valid', bias: false },
  { type: 'batchnorm' },
  { type: 'relu' },
  { type: 'maxpool' },
  { type: 'dropout', rate: 0.1 },
  { type: 'dense', units: 10 },
];

/** Real weight files: the frozen fixtures and fresh save() output in every dtype, and a checkpoint. */
const bases = [];
let checkpointBase;
const TRAIN_FOR_CHECKPOINT = { epochs: 2, batchSize: 16, learningRate: 5e-3, validationSplit: 0.25, augment: true, schedule: 'cosine' };

const warn = console.warn;
test.before(async () => {
  // The library warns (console.warn) when threads asked for explicitly are unavailable; the
  // fuzzer asks for them a lot. Counted, not printed.
  console.warn = () => stats.warnings++;
  stats.started = performance.now();
  globalThis.gc?.();
  stats.baseRssMb = stats.peakRssMb = process.memoryUsage.rss() / 2 ** 20;
  for (const threads of [1, 2]) {
    const clf = await createClassifier({ threads });
    probes.push({ clf, bits: await probe(clf) });
  }
  for (const dtype of ['f32', 'f16', 'int8']) bases.push(new Uint8Array(readFileSync(new URL(`../fixtures/weights-v1-${dtype}.gz`, import.meta.url))));
  const fresh = await createClassifier({
    model: [{ type: 'conv', filters: 4, kernel: 3, bias: false }, { type: 'batchnorm' }, { type: 'relu' }, { type: 'maxpool' }, { type: 'conv', filters: 4, kernel: 3 }, { type: 'gap' }, { type: 'dense', units: 3 }],
    labels: ['a', 'b', 'c'], seed: 3, threads: 1,
  });
  await fresh.train({ images: data64.images, labels: data64.labels.map((l) => l % 3), count: 64 }, { epochs: 1, batchSize: 16 });
  for (const dtype of ['f32', 'f16', 'int8']) bases.push(await fresh.save({ dtype }));
  fresh.dispose();
  const saved = [];
  const ck = await createClassifier({ model: TINY, seed: 2, threads: 1 });
  await ck.train(data64, { ...TRAIN_FOR_CHECKPOINT, checkpoint: { onSave: (b, at) => saved.push({ b, at }), everySteps: 2 } });
  ck.dispose();
  checkpointBase = saved.find((s) => s.at.step > 0).b;
  bases.push(checkpointBase);
});

test.after(() => {
  console.warn = warn;
  for (const p of probes) p.clf.dispose();
  const seconds = (performance.now() - stats.started) / 1000;
  const codes = [...stats.codes.entries()].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ');
  console.log(`  fuzz: ${stats.cases.toLocaleString('en-US')} cases in ${seconds.toFixed(1)} s (seed ${SEED}), ${stats.failures.toLocaleString('en-US')} typed errors, peak RSS ${Math.round(stats.peakRssMb)} MB (${Math.round(stats.baseRssMb)} MB at the start)`);
  console.log(`  fuzz: codes seen: ${codes}${stats.warnings ? ` (and ${stats.warnings} library warnings, not printed)` : ''}`);
  for (const [name, t] of stats.targets) console.log(`  fuzz:   ${name.padEnd(16)} ${String(t.cases).padStart(7)} cases  ${String(t.accepted).padStart(6)} calls succeeded  ${t.seconds.toFixed(1).padStart(6)} s  slowest ${Math.round(t.slowestMs)} ms`);
  if (process.env.GARMENT_FUZZ_SUMMARY) {
    writeFileSync(process.env.GARMENT_FUZZ_SUMMARY, JSON.stringify({
      cases: stats.cases, seed: SEED, seconds, typedErrors: stats.failures, peakRssMb: Math.round(stats.peakRssMb), baseRssMb: Math.round(stats.baseRssMb),
      codes: Object.fromEntries(stats.codes), targets: Object.fromEntries(stats.targets),
    }, null, 2));
  }
});

// --- shared arbitraries ---------------------------------------------------------------------------

/** Numbers and values that break naive checks. */
const weirdNumber = fc.oneof(
  fc.constantFrom(0, -0, -1, 1, 2, 15, 16, 17, 255, 256, 783, 784, 785, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 1e300, -1e300, 0.5, 1.5, 1e-300, NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.EPSILON),
  fc.integer(),
  fc.double(),
);
const anything = fc.anything({
  maxDepth: 2, maxKeys: 4, withNullPrototype: true, withBigInt: true, withTypedArray: true, withSparseArray: true,
  withBoxedValues: true, withMap: true, withSet: true, withDate: true, withObjectString: true,
});
const weird = fc.oneof(weirdNumber, anything, fc.constantFrom(null, undefined, '', '1', 'NaN', true, false, [], {}, [1], Symbol('s'), () => 1, Object.create(null)));
/** Either a valid value or something else; `undefined` (the key absent) is valid too. */
const validOr = (valid, weight = 3) => fc.oneof({ arbitrary: valid, weight }, { arbitrary: weird, weight: 1 });

/**
 * Options objects: valid values (each key present or not), then up to two keys replaced by bad
 * values (`bad[key]`, or anything at all), so runs mix fully valid calls, which do their work,
 * with calls that have one or two bad options.
 */
function optionsWith(model, bad = {}, fix = (o) => o) {
  const keys = Object.keys(model);
  const injection = fc.constantFrom(...keys).chain((key) => fc.record({ key: fc.constant(key), value: bad[key] ?? weird }));
  return fc.tuple(fc.record(model, { requiredKeys: [] }), fc.array(injection, { maxLength: 2 }))
    .map(([valid, injected]) => {
      const o = fix({ ...valid });
      for (const { key, value } of injected) o[key] = value;
      return o;
    });
}

/** Byte-level edits of a buffer. */
const byteOp = fc.oneof(
  fc.record({ op: fc.constant('flip'), at: fc.double({ min: 0, max: 1, noNaN: true }), bit: fc.nat(7) }),
  fc.record({ op: fc.constant('set'), at: fc.double({ min: 0, max: 1, noNaN: true }), value: fc.nat(255) }),
  fc.record({ op: fc.constant('head'), at: fc.nat(20), value: fc.nat(255) }),
  fc.record({ op: fc.constant('tail'), at: fc.nat(12), value: fc.nat(255) }),
  fc.record({ op: fc.constant('truncate'), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ op: fc.constant('insert'), at: fc.double({ min: 0, max: 1, noNaN: true }), bytes: fc.uint8Array({ maxLength: 32 }) }),
  fc.record({ op: fc.constant('remove'), at: fc.double({ min: 0, max: 1, noNaN: true }), n: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ op: fc.constant('u32'), at: fc.double({ min: 0, max: 1, noNaN: true }), value: fc.oneof(fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffff0, 16, 64 * 2 ** 20), fc.nat()) }),
  fc.record({ op: fc.constant('append'), bytes: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ op: fc.constant('repeat') }),
);

function mutate(bytes, ops) {
  let b = Uint8Array.from(bytes);
  const pos = (at) => Math.min(b.length - 1, Math.floor(at * b.length));
  for (const o of ops) {
    if (b.length === 0 && o.op !== 'insert' && o.op !== 'append') continue;
    switch (o.op) {
      case 'flip': b[pos(o.at)] ^= 1 << o.bit; break;
      case 'set': b[pos(o.at)] = o.value; break;
      case 'head': if (o.at < b.length) b[o.at] = o.value; break;
      case 'tail': if (o.at < b.length) b[b.length - 1 - o.at] = o.value; break;
      case 'truncate': b = b.slice(0, Math.floor(o.at * b.length)); break;
      case 'insert': { const p = b.length ? pos(o.at) : 0; b = concat(b.subarray(0, p), o.bytes, b.subarray(p)); break; }
      case 'remove': { const p = pos(o.at); b = concat(b.subarray(0, p), b.subarray(p + o.n)); break; }
      case 'u32': { const p = pos(o.at); if (p + 4 <= b.length) new DataView(b.buffer).setUint32(p, o.value, o.at < 0.5); break; }
      case 'append': b = concat(b, o.bytes); break;
      case 'repeat': b = concat(b, b); break;
    }
  }
  return b;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Recomputes a raw payload's checksum when its header still ends with one, so edits get past it. */
function rechecksum(payload) {
  if (payload.length < 16) return payload;
  const end = 16 + new DataView(payload.buffer, payload.byteOffset).getUint32(12, true);
  if (end < 38 || end > payload.length) return payload;
  if (!/^"checksum":"[0-9a-f]{8}"}$/.test(new TextDecoder().decode(payload.subarray(end - 22, end)))) return payload;
  const out = Uint8Array.from(payload);
  out.set(new TextEncoder().encode('00000000'), end - 10);
  out.set(new TextEncoder().encode(crc32(out).toString(16).padStart(8, '0')), end - 10);
  return out;
}

const isFiniteArray = (a) => a.every((v) => Number.isFinite(v));

/** A successful decode must hold only finite tensors, read from exactly the bytes the header names. */
function checkDecoded(file, payload) {
  let unpacked;
  try {
    unpacked = unpack(payload);
  } catch {
    unpacked = undefined;
  }
  for (const t of file.tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    assert.is(t.data.length, count, `${t.name}: ${t.data.length} values for shape [${t.shape}]`);
    assert.ok(isFiniteArray(t.data), `${t.name}: a non-finite value was accepted`);
    const entry = unpacked?.header.tensors.find((e) => e.name === t.name);
    if (!entry) continue;
    const bpv = { f32: 4, f16: 2, int8: 1 }[entry.dtype];
    assert.ok(entry.offset + count * bpv <= unpacked.data.length, `${t.name}: accepted although its bytes end past the data section`);
    if (entry.dtype === 'int8') assert.ok(entry.scales + 4 * (entry.shape.at(-1) ?? 1) <= unpacked.data.length, `${t.name}: scales past the data section`);
    const ref = referenceTensor(unpacked.data, entry);
    assert.ok(bitsEqual(ref, t.data), `${t.name}: the values do not come from bytes ${entry.offset}..${entry.offset + count * bpv} of the data section`);
  }
}

/** A classifier made from a file must hold exactly the file's tensors in wasm memory, and answer. */
async function checkClassifier(clf, payload) {
  const { header, data } = unpack(payload);
  const net = networkOf.get(clf);
  const params = net.params();
  for (const p of net.layout.params) {
    const entry = header.tensors.find((x) => x.name === p.name);
    assert.ok(bitsEqual(params.subarray(p.offset, p.offset + p.size), referenceTensor(data, entry)), `${p.name} in wasm memory differs from its bytes in the file`);
  }
  const r = await outcome(() => clf.predict(probeImage), ['E_NUMERIC'], true);
  if (r.ok) assert.ok(isFiniteArray(r.value.probabilities));
}

const WEIGHT_CODES = ['E_WEIGHTS_FORMAT', 'E_WEIGHTS_VERSION', 'E_WEIGHTS_MISMATCH', 'E_MODEL_SPEC', 'E_MEMORY'];

/** Both readers (decodeWeights, and createClassifier's), with every check on success. */
async function readBoth(bytes) {
  const payload = bytes[0] === 0x1f && bytes[1] === 0x8b ? tryGunzip(bytes) : bytes;
  const d = await outcome(() => decodeWeights(bytes), WEIGHT_CODES);
  if (d.ok && payload) checkDecoded(d.value, payload);
  const c = await outcome(() => createClassifier({ weights: bytes, threads: 1 }), WEIGHT_CODES);
  if (c.ok) {
    // The readers differ on the gzip container only: createClassifier skips the payload CRC when
    // zlib has checked the gzip CRC (both refuse data after the trailer). The payload itself is
    // held to the same rules.
    if (!d.ok) assert.match(d.error.message, /checksum|gzip/, `createClassifier accepted a file decodeWeights refused: ${d.error.message}`);
    await checkClassifier(c.value, payload);
    c.value.dispose();
  }
}

function tryGunzip(bytes) {
  try {
    return new Uint8Array(gunzipSync(bytes));
  } catch {
    return undefined;
  }
}

// --- targets ------------------------------------------------------------------------------------

test('weight files: byte mutations of real files (gzipped, and raw payloads with the checksum fixed)', async () => {
  const arb = fc.record({ base: fc.nat(), form: fc.constantFrom('gzip', 'raw', 'raw-rechecksum', 'regzip-rechecksum'), ops: fc.array(byteOp, { minLength: 1, maxLength: 6 }) });
  await campaign('weights-bytes', 0.16, arb, async ({ base, form, ops }) => {
    const file = bases[base % bases.length];
    let bytes;
    if (form === 'gzip') bytes = mutate(file, ops);
    else {
      const raw = mutate(new Uint8Array(gunzipSync(file)), ops);
      bytes = form === 'raw' ? raw : rechecksum(raw);
      if (form === 'regzip-rechecksum') bytes = new Uint8Array(gzipSync(bytes));
    }
    await readBoth(bytes);
  });
});

const jsonish = fc.oneof(weirdNumber.filter((x) => Number.isFinite(x)), fc.string({ maxLength: 6 }), fc.boolean(), fc.constant(null), fc.array(fc.integer({ min: -3, max: 3000 }), { maxLength: 9 }), fc.jsonValue({ maxDepth: 2 }));
const layerArb = fc.oneof(
  fc.record({ type: fc.constant('conv'), filters: validOr(fc.integer({ min: 1, max: 8 })), kernel: validOr(fc.integer({ min: 1, max: 7 })), padding: validOr(fc.constantFrom('same', 'valid', undefined)), bias: validOr(fc.constantFrom(true, false, undefined)) }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('dense'), units: validOr(fc.integer({ min: 1, max: 32 })), bias: validOr(fc.boolean()) }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constantFrom('relu', 'flatten', 'gap', 'maxpool', 'Relu', 'softmax', '', 'constructor', '__proto__'), size: fc.constantFrom(undefined, 2, 3) }),
  fc.record({ type: fc.constant('dropout'), rate: validOr(fc.double({ min: 0, max: 0.9, noNaN: true })) }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('batchnorm'), momentum: validOr(fc.double({ min: 0.01, max: 1, noNaN: true })), epsilon: validOr(fc.double({ min: 1e-6, max: 0.5, noNaN: true })) }, { requiredKeys: ['type'] }),
  weird,
);
/** Layer lists that often describe a small valid network. */
const layersArb = fc.oneof(
  fc.array(layerArb, { maxLength: 7 }).map((ls) => [...ls, { type: 'dense', units: 10 }]),
  fc.array(layerArb, { maxLength: 8 }),
  weird,
);

const headerEdit = fc.oneof(
  fc.record({ kind: fc.constant('tensor'), index: fc.nat(), field: fc.constantFrom('shape', 'dtype', 'offset', 'length', 'scales', 'name', 'extra'), value: jsonish }),
  fc.record({ kind: fc.constant('tensor-shape'), index: fc.nat(), shape: fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 5 }) }),
  fc.record({ kind: fc.constant('tensor-move'), index: fc.nat(), offset: fc.oneof(fc.integer({ min: -4, max: 4 }).map((x) => x * 16), fc.constantFrom(2 ** 31, 2 ** 32, 2 ** 53 - 16, 1e20)), toEnd: fc.boolean() }),
  fc.record({ kind: fc.constant('tensor-dtype'), index: fc.nat(), dtype: fc.constantFrom('f32', 'f16', 'int8', 'f64', 'F32', '') }),
  fc.record({ kind: fc.constant('drop-tensor'), index: fc.nat() }),
  fc.record({ kind: fc.constant('dup-tensor'), index: fc.nat(), rename: fc.boolean() }),
  fc.record({ kind: fc.constant('top'), field: fc.constantFrom('model', 'labels', 'input', 'tensors', 'metadata', 'checksum', 'extra'), value: jsonish }),
  fc.record({ kind: fc.constant('input'), field: fc.constantFrom('height', 'width', 'channels', 'scale', 'shift'), value: jsonish }),
  fc.record({ kind: fc.constant('layers'), layers: layersArb.filter((l) => { try { JSON.stringify(l); return true; } catch { return false; } }) }),
  fc.record({ kind: fc.constant('layer'), index: fc.nat(), field: fc.constantFrom('type', 'filters', 'kernel', 'units', 'padding', 'rate', 'size', 'bias', 'momentum', 'epsilon'), value: jsonish }),
  fc.record({ kind: fc.constant('labels'), labels: fc.array(fc.constantFrom('a', 'b', 'c', '', 'T-shirt/top', 'x'.repeat(300)), { maxLength: 12 }) }),
  fc.record({ kind: fc.constant('poke'), at: fc.double({ min: 0, max: 1, noNaN: true }), bytes: fc.constantFrom([0, 0, 0xc0, 0x7f], [0, 0, 0x80, 0x7f], [0, 0, 0x80, 0xff], [0, 0x7e], [0, 0x7c], [0, 0xfc], [0x80], [0xff, 0xff, 0xff, 0x7f], [0, 0, 0x80, 0xbf]) }),
  fc.record({ kind: fc.constant('data-length'), delta: fc.integer({ min: -64, max: 64 }) }),
  fc.record({ kind: fc.constant('version'), value: fc.constantFrom(0, 2, 3, 0xffff, 0x10000, 0xffffffff) }),
  fc.record({ kind: fc.constant('header-length'), delta: fc.oneof(fc.integer({ min: -40, max: 40 }), fc.constantFrom(2 ** 31, 2 ** 32 - 1)) }),
  fc.record({ kind: fc.constant('text'), text: fc.oneof(fc.string({ maxLength: 40 }), fc.jsonValue({ maxDepth: 2 }).map((v) => `${JSON.stringify(v) ?? ''}`)), keepTail: fc.boolean() }),
);

function applyHeaderEdits(base, edits) {
  const { header, data: data0, version: v0 } = unpack(base);
  let data = data0;
  let version = v0;
  let headerText;
  let headerLengthDelta = 0;
  const tensors = Array.isArray(header.tensors) ? header.tensors : [];
  const pick = (i) => (tensors.length ? tensors[i % tensors.length] : undefined);
  for (const e of edits) {
    switch (e.kind) {
      case 'tensor': { const t = pick(e.index); if (t) t[e.field] = e.value; break; }
      case 'tensor-shape': {
        const t = pick(e.index);
        if (t) {
          t.shape = e.shape;
          t.length = e.shape.reduce((a, b) => a * b, 1) * ({ f32: 4, f16: 2, int8: 1 }[t.dtype] ?? 4);
        }
        break;
      }
      case 'tensor-move': { const t = pick(e.index); if (t) t.offset = e.toEnd ? Math.max(0, data.length - 16 + e.offset) : t.offset + e.offset; break; }
      case 'tensor-dtype': { const t = pick(e.index); if (t) t.dtype = e.dtype; break; }
      case 'drop-tensor': if (tensors.length) tensors.splice(e.index % tensors.length, 1); break;
      case 'dup-tensor': { const t = pick(e.index); if (t) tensors.push({ ...t, name: e.rename ? `${t.name}.copy` : t.name }); break; }
      case 'top': header[e.field] = e.value; break;
      case 'input': if (header.input && typeof header.input === 'object') header.input[e.field] = e.value; break;
      case 'layers': header.model = { layers: e.layers }; break;
      case 'layer': {
        const ls = header.model?.layers;
        const l = Array.isArray(ls) && ls.length ? ls[e.index % ls.length] : undefined;
        if (l && typeof l === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(l))) l[e.field] = e.value;
        break;
      }
      case 'labels': header.labels = e.labels; break;
      case 'poke': { const p = Math.floor(e.at * data.length); data = Uint8Array.from(data); data.set(e.bytes.slice(0, Math.max(0, data.length - p)), p); break; }
      case 'data-length': data = e.delta < 0 ? data.slice(0, Math.max(0, data.length + e.delta)) : concat(data, new Uint8Array(e.delta)); break;
      case 'version': version = e.value; break;
      case 'header-length': headerLengthDelta = e.delta; break;
      case 'text':
        headerText = e.keepTail ? `${e.text}"checksum":"00000000"}` : e.text;
        break;
    }
  }
  let headerLength;
  if (headerLengthDelta) {
    const { checksum: _, ...rest } = header;
    const len = new TextEncoder().encode(headerText ?? JSON.stringify({ ...rest, checksum: '00000000' })).length;
    headerLength = headerLengthDelta > 2 ** 30 ? headerLengthDelta : Math.max(0, len + headerLengthDelta);
  }
  return { header, data, version, headerText, headerLength };
}

test('weight files: headers rewritten with a valid checksum (shapes, offsets, dtypes, sizes, layers, NaN data)', async () => {
  const arb = fc.record({ base: fc.nat(), gzip: fc.boolean(), edits: fc.array(headerEdit, { minLength: 1, maxLength: 4 }) });
  await campaign('weights-header', 0.2, arb, async ({ base, gzip, edits }) => {
    const parts = applyHeaderEdits(bases[base % bases.length], edits);
    let bytes;
    try {
      bytes = pack({ ...parts, gzip });
    } catch {
      return; // a header JSON cannot hold (e.g. a BigInt): nothing to read
    }
    await readBoth(bytes);
  });
});

test('IDX files: mutated valid files, lying headers, gzip, random bytes, odd options', async () => {
  const idxArb = fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant('valid'), dims: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }), ops: fc.constant([]), gzip: fc.boolean(), type: fc.constant(8) }), weight: 2 },
    {
      arbitrary: fc.record({
        kind: fc.constant('valid'),
        dims: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
        ops: fc.array(byteOp, { maxLength: 3 }),
        gzip: fc.boolean(),
        lie: fc.option(fc.record({ dim: fc.nat(3), value: fc.constantFrom(0, 1, 2, 0x7fffffff, 0xffffffff, 65536) }), { nil: undefined }),
        type: fc.constantFrom(8, 8, 8, 9, 0x0b, 0x0d, 0x0e, 0, 255),
        ndim: fc.option(fc.constantFrom(0, 5, 255), { nil: undefined }),
      }),
      weight: 3,
    },
    { arbitrary: fc.record({ kind: fc.constant('random'), bytes: fc.uint8Array({ maxLength: 80 }), gzip: fc.boolean() }), weight: 1 },
  );
  const arb = fc.record({ file: idxArb, what: fc.oneof({ arbitrary: fc.string({ maxLength: 10 }), weight: 5 }, { arbitrary: weird, weight: 1 }), options: fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, { arbitrary: fc.record({ maxBytes: validOr(fc.integer({ min: 0, max: 4096 })) }), weight: 2 }, { arbitrary: weird, weight: 1 }), input: fc.oneof({ arbitrary: fc.constant('bytes'), weight: 12 }, { arbitrary: weird, weight: 1 }) });
  await campaign('idx', 0.12, arb, async ({ file, what, options, input }) => {
    let bytes;
    if (file.kind === 'random') bytes = file.bytes;
    else {
      const size = file.dims.reduce((a, b) => a * b, 1);
      bytes = encodeIdx(file.dims, new Uint8Array(size).map((_, i) => (i * 37) & 255));
      const view = new DataView(bytes.buffer);
      bytes[2] = file.type;
      if (file.ndim !== undefined) bytes[3] = file.ndim;
      if (file.lie && file.lie.dim < file.dims.length) view.setUint32(4 + 4 * file.lie.dim, file.lie.value, false);
      bytes = mutate(bytes, file.ops);
    }
    if (file.gzip) bytes = new Uint8Array(gzipSync(bytes));
    const arg = input === 'bytes' ? bytes : input;
    const r = await outcome(() => parseIdx(arg, what, options), ['E_IDX_FORMAT', 'E_OPTION']);
    if (r.ok) {
      const { dims, data } = r.value;
      assert.ok(dims.length >= 1 && dims.length <= 4);
      assert.is(dims.reduce((a, b) => a * b, 1), data.length, 'dims and data agree');
      if (!file.gzip) {
        assert.ok(data.buffer === arg.buffer && data.byteOffset >= arg.byteOffset + 4 + 4 * dims.length && data.byteOffset + data.length <= arg.byteOffset + arg.length, 'the data is a view inside the input, after the header');
      }
    }
  });
});

test('CSV: rows with bad cells, wrong column counts, line endings, headers, random text, odd options', async () => {
  const cell = fc.constantFrom('', ' ', '-1', '256', '1.5', '+3', '0x1', 'abc', '"5"', '99999999999999999999', '\t7\t', '1e2', ',', '\r', '\n', '\u00a0', '٣');
  const row = fc.oneof(
    { arbitrary: fc.record({ label: fc.integer({ min: 0, max: 9 }), seed: fc.nat(), edits: fc.constant([]), extra: fc.constant(0) }), weight: 3 },
    { arbitrary: fc.record({ label: fc.integer({ min: 0, max: 12 }), seed: fc.nat(), edits: fc.array(fc.record({ col: fc.nat(790), cell }), { maxLength: 3 }), extra: fc.integer({ min: -2, max: 2 }) }), weight: 1 },
  );
  const csvArb = fc.oneof(
    fc.record({
      kind: fc.constant('rows'), rows: fc.array(row, { maxLength: 4 }), header: fc.constantFrom('none', 'good', 'good', 'short', 'quoted'),
      eol: fc.constantFrom('\n', '\r\n', '\r'), trailing: fc.constantFrom('', '\n', '\r\n', '\n\n', ' '), bom: fc.boolean(), bytes: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('alphabet'), text: fc.string({ unit: fc.constantFrom(...'0123456789,,,,\n\r \t"-+.aé'), maxLength: 2000 }) }),
    fc.record({ kind: fc.constant('random'), bytes: fc.uint8Array({ maxLength: 200 }) }),
  );
  const arb = fc.record({ csv: csvArb, options: fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, { arbitrary: fc.record({ classes: validOr(fc.integer({ min: 1, max: 256 })) }), weight: 2 }, { arbitrary: weird, weight: 1 }), input: fc.oneof({ arbitrary: fc.constant('data'), weight: 12 }, { arbitrary: weird, weight: 1 }) });
  await campaign('csv', 0.12, arb, async ({ csv, options, input }) => {
    let text;
    if (csv.kind === 'alphabet') text = csv.text;
    else if (csv.kind === 'random') text = csv.bytes;
    else {
      const lines = [];
      const header = ['label', ...Array.from({ length: 784 }, (_, i) => `pixel${i + 1}`)];
      if (csv.header === 'good') lines.push(header.join(','));
      if (csv.header === 'short') lines.push(header.slice(0, 700).join(','));
      if (csv.header === 'quoted') lines.push(header.map((h) => `"${h}"`).join(','));
      for (const r of csv.rows) {
        const rand = rng(r.seed + 1);
        const cells = [String(r.label), ...Array.from({ length: 784 + r.extra }, () => String(Math.floor(rand() * 256)))];
        for (const e of r.edits) if (e.col < cells.length) cells[e.col] = e.cell;
        lines.push(cells.join(','));
      }
      text = (csv.bom ? '\ufeff' : '') + lines.join(csv.eol) + csv.trailing;
      if (csv.bytes) text = new TextEncoder().encode(text);
    }
    const arg = input === 'data' ? text : input;
    const r = await outcome(() => parseCsv(arg, options), ['E_CSV_FORMAT', 'E_LABEL_RANGE', 'E_EMPTY_BATCH', 'E_OPTION']);
    if (r.ok) {
      const { images, labels, count } = r.value;
      const classes = options?.classes ?? 10;
      assert.ok(Number.isInteger(count) && count >= 1);
      assert.is(images.length, count * 784);
      assert.is(labels.length, count);
      assert.ok(labels.every((l) => l < classes), 'labels within the classes');
    }
  });
});

/** An image of `width x height` with `channels`, in one of a few styles, as ImageData-like. */
function makeImage({ width, height, channels, style, kind, lengthDelta, seed }) {
  // Sizes that are not positive integers, or too many pixels to fill quickly, get 1 pixel of data.
  const ok = Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0 && width * height <= 200_000;
  const w = ok ? width : 1;
  const h = ok ? height : 1;
  const n = Math.max(0, w * h * channels + lengthDelta);
  const rand = rng(seed + 1);
  const data = new Uint8Array(n);
  const bg = Math.floor(rand() * 256);
  for (let i = 0; i < n; i++) {
    const p = Math.floor(i / channels);
    const x = p % w, y = Math.floor(p / w);
    switch (style) {
      case 'random': data[i] = Math.floor(rand() * 256); break;
      case 'constant': data[i] = bg; break;
      case 'gradient': data[i] = (x * 255 / Math.max(1, w - 1) + y) & 255; break;
      case 'blob': data[i] = Math.abs(x - w / 2) < w / 4 && Math.abs(y - h / 2) < h / 3 ? 255 - bg : bg; break;
      case 'alpha': data[i] = channels === 4 && i % 4 === 3 ? Math.floor(rand() * 256) : (x ^ y) & 255; break;
      case 'extreme': data[i] = rand() < 0.5 ? 0 : 255; break;
    }
  }
  const typed = kind === 'clamped' ? new Uint8ClampedArray(data.buffer) : kind === 'float32' ? Float32Array.from(data) : kind === 'array' ? Array.from(data) : kind === 'buffer' ? data.buffer : kind === 'shared' ? shared(data) : data;
  return { data: typed, width, height };
}

function shared(data) {
  const s = new Uint8Array(new SharedArrayBuffer(data.length));
  s.set(data);
  return s;
}

function checkPrediction(p, labels) {
  assert.ok(labels.includes(p.label), `label ${p.label}`);
  assert.is(labels[p.index], p.label);
  assert.ok(isFiniteArray(p.probabilities));
  const sum = p.probabilities.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-3, `probabilities sum to ${sum}`);
  assert.is(p.confidence, p.probabilities[p.index]);
}

const LABELS = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const INPUT_CODES = ['E_INPUT_SHAPE', 'E_INPUT_VALUE', 'E_EMPTY_BATCH', 'E_OPTION'];

const imageArb = fc.record({
  width: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 40 }), weight: 8 }, { arbitrary: fc.integer({ min: 1, max: 320 }), weight: 2 }, { arbitrary: fc.constant(28), weight: 2 }, { arbitrary: fc.constantFrom(49_999, 50_000, 50_001), weight: 1 }, { arbitrary: weirdNumber, weight: 1 }),
  height: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 40 }), weight: 8 }, { arbitrary: fc.integer({ min: 1, max: 320 }), weight: 2 }, { arbitrary: fc.constant(28), weight: 2 }, { arbitrary: weirdNumber, weight: 1 }),
  channels: fc.constantFrom(1, 3, 4, 4, 2, 5),
  style: fc.constantFrom('random', 'constant', 'gradient', 'blob', 'alpha', 'extreme'),
  kind: fc.oneof({ arbitrary: fc.constantFrom('uint8', 'clamped'), weight: 8 }, { arbitrary: fc.constantFrom('float32', 'array', 'buffer', 'shared'), weight: 1 }),
  lengthDelta: fc.oneof({ arbitrary: fc.constant(0), weight: 8 }, { arbitrary: fc.integer({ min: -5, max: 5 }), weight: 1 }),
  seed: fc.nat(),
});

test('photos: predict on { data, width, height } of odd sizes, channel counts and contents', async () => {
  const arb = fc.record({ image: imageArb, batch: fc.nat(3), probe: fc.nat(1) });
  await campaign('photo', 0.08, arb, async ({ image, batch, probe: which }) => {
    const img = makeImage(image);
    const input = batch === 0 ? [img, probeImage] : img;
    const clf = probes[which].clf;
    const r = await outcome(() => clf.predict(input), INPUT_CODES);
    if (r.ok) for (const p of Array.isArray(r.value) ? r.value : [r.value]) checkPrediction(p, LABELS);
  });
});

const pixelArrayArb = fc.record({
  type: fc.constantFrom('Uint8Array', 'Uint8ClampedArray', 'Float32Array', 'Float64Array', 'Array', 'Int8Array', 'Uint16Array', 'Int32Array', 'BigInt64Array', 'DataView', 'ArrayBuffer'),
  length: fc.oneof(fc.constantFrom(0, 1, 783, 784, 785, 1568, 784 * 3, 784 * 64, 784 * 65 + 1, 784 * 70), fc.nat(2000)),
  fill: fc.constantFrom('valid', 'valid', 'valid', 'big', 'negative', 'fraction', 'nan', 'inf', 'negzero', 'string', 'hole'),
  at: fc.nat(),
});

function makePixels({ type, length, fill, at }) {
  const valid = (i) => ((i * 7) % 256) / (type.startsWith('Float') ? 255 : 1);
  const arr = new Array(length).fill(0).map((_, i) => valid(i));
  if (length) {
    const i = at % length;
    const bad = { big: 300, negative: -3, fraction: 0.5 + (type.startsWith('Float') ? 0.7 : 0), nan: NaN, inf: Infinity, negzero: -0, string: '7', hole: undefined }[fill];
    if (fill !== 'valid') arr[i] = bad;
    if (fill === 'hole') delete arr[i];
  }
  switch (type) {
    case 'Array': return arr;
    case 'DataView': return new DataView(new ArrayBuffer(length));
    case 'ArrayBuffer': return new ArrayBuffer(length);
    case 'BigInt64Array': return BigInt64Array.from(arr, (v) => BigInt(Math.trunc(Number.isFinite(Number(v)) ? Number(v) : 0)));
    default: return globalThis[type].from(arr, (v) => (typeof v === 'number' ? v : Number(v) || 0));
  }
}

test('predict arguments: anything at all, typed arrays of every kind and length, bad values, mixed batches', async () => {
  const one = fc.oneof({ arbitrary: pixelArrayArb.map(makePixels), weight: 4 }, { arbitrary: imageArb.map(makeImage), weight: 1 }, { arbitrary: weird, weight: 2 });
  const arb = fc.record({
    images: fc.oneof(one, fc.array(one, { maxLength: 4 }), fc.array(fc.constant(probeImage), { minLength: 0, maxLength: 3 }).map((a) => [...a, new Uint8Array(784)])),
    how: fc.constantFrom('method', 'function', 'function-bad-first', 'concurrent'),
    probe: fc.nat(1),
    first: weird,
  });
  await campaign('predict-args', 0.12, arb, async ({ images, how, probe: which, first }) => {
    const clf = probes[which].clf;
    let call;
    if (how === 'method') call = () => clf.predict(images);
    else if (how === 'function') call = () => predict(clf, images);
    else if (how === 'function-bad-first') call = () => predict(first, images);
    else {
      // A bad call queued between two good ones: the good ones still get their own answers.
      call = async () => {
        const [a, r, b] = await Promise.allSettled([clf.predict(probeImage), clf.predict(images), clf.predict(probeImage)]);
        assert.ok(bitsEqual(a.value.probabilities, probes[which].bits) && bitsEqual(b.value.probabilities, probes[which].bits), 'queued good calls');
        if (r.status === 'rejected') throw r.reason;
        return r.value;
      };
    }
    const r = await outcome(call, [...INPUT_CODES, 'E_MEMORY']);
    if (r.ok) for (const p of Array.isArray(r.value) ? r.value : [r.value]) checkPrediction(p, LABELS);
  });
});

let compiled;
test('createClassifier options: presets, layer lists, labels, seeds, threads, precision, wasm, weights', async () => {
  compiled ??= await WebAssembly.compile(readFileSync(new URL('../dist/web/garment-simd.wasm', import.meta.url)));
  const labelsArb = fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k'), { minLength: 2, maxLength: 11 });
  const options = optionsWith({
    model: fc.oneof(fc.constantFrom('mlp', 'seed-cnn', 'cnn', 'default'), layersArb),
    weights: fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 5, 6).map((i) => bases[i]), fc.constant(0).map(() => bases[0].buffer.slice(bases[0].byteOffset, bases[0].byteOffset + bases[0].length))),
    labels: labelsArb,
    seed: fc.nat(),
    threads: fc.constantFrom(1, 2, 'auto'),
    precision: fc.constantFrom('exact', 'fast'),
    onWarning: fc.constant(() => {}),
    wasm: fc.constant(undefined),
  }, {
    model: fc.oneof(fc.constantFrom('nope', '', 'MLP', '__proto__', 'constructor', 'toString', 'hasOwnProperty'), weird),
    labels: fc.oneof(fc.array(fc.constantFrom('a', 'b', '', 'c'), { maxLength: 4 }), weird),
    weights: fc.oneof(fc.uint8Array({ maxLength: 40 }), weird),
    // Never a random string: it would be read as a file path.
    wasm: fc.oneof(fc.constantFrom('module', 'bytes', 'empty', 'missing-file', 'missing-url', 'directory'), weird.filter((w) => typeof w !== 'string' && !(w instanceof String))),
  }, (o) => {
    // Valid means a model or weights, not both, and a last layer with one unit per label.
    if (o.model !== undefined && o.weights !== undefined) delete o[o.seed % 2 ? 'model' : 'weights'];
    const last = Array.isArray(o.model) ? o.model[o.model.length - 1] : undefined;
    if (o.labels && last?.type === 'dense') o.model = [...o.model.slice(0, -1), { ...last, units: o.labels.length }];
    if (o.weights !== undefined) delete o.labels;
    return o;
  });
  const arb = fc.oneof({ arbitrary: options, weight: 12 }, { arbitrary: weird, weight: 1 });
  const wasmFor = (w) => (typeof w !== 'string' ? w : {
    module: compiled, bytes: readFileSync(new URL('../dist/web/garment-simd.wasm', import.meta.url)), empty: new Uint8Array(0),
    'missing-file': '/nonexistent/garment.wasm', 'missing-url': new URL('file:///nonexistent/garment.wasm'), directory: root,
  }[w]);
  await campaign('create-options', 0.08, arb, async (o) => {
    const opts = o && typeof o === 'object' && !Array.isArray(o) && Object.getPrototypeOf(o) === Object.prototype && 'wasm' in o ? { ...o, wasm: wasmFor(o.wasm) } : o;
    const r = await outcome(() => createClassifier(opts), ['E_OPTION', 'E_MODEL_UNKNOWN', 'E_MODEL_SPEC', 'E_WASM_LOAD', 'E_MEMORY', ...WEIGHT_CODES]);
    if (r.ok) {
      const clf = r.value;
      const p = await outcome(() => clf.predict(probeImage), ['E_NUMERIC'], true);
      if (p.ok) checkPrediction(p.value, clf.labels);
      clf.dispose();
      await outcome(() => clf.predict(probeImage), ['E_DISPOSED'], true);
    }
  });
});

/** Training options: valid and small (a run stays short), with up to two bad ones. */
function trainOptionsArb() {
  const small = (n) => fc.integer({ min: 1, max: n });
  const dataset = (max) => fc.integer({ min: 1, max }).map((count) => ({ images: data64.images.subarray(0, count * 784), labels: data64.labels.subarray(0, count), count }));
  const fraction = (max) => fc.double({ min: 0, max, noNaN: true });
  const valid = {
    epochs: small(2),
    batchSize: fc.oneof(small(64), fc.constant(65536)),
    learningRate: fc.oneof({ arbitrary: fc.double({ min: 1e-5, max: 0.05, noNaN: true }), weight: 6 }, { arbitrary: fc.constantFrom(1e3, 1e5), weight: 1 }),
    optimizer: fc.constantFrom('adam', 'sgd'),
    weightDecay: fraction(0.1),
    beta1: fraction(0.99),
    beta2: fraction(0.999),
    epsilon: fc.constantFrom(1e-7, 1e-3),
    momentum: fraction(0.99),
    nesterov: fc.boolean(),
    schedule: fc.oneof(fc.constantFrom('constant', 'cosine', 'one-cycle'), fc.record({ type: fc.constantFrom('constant', 'cosine', 'one-cycle'), warmup: fraction(0.9), final: fraction(0.9), divFactor: fc.double({ min: 1, max: 100, noNaN: true }) }, { requiredKeys: ['type'] })),
    labelSmoothing: fraction(0.5),
    augment: fc.oneof(fc.boolean(), fc.record({ shift: fc.integer({ min: 0, max: 8 }), flip: fc.boolean(), erase: fraction(1), eraseArea: fc.constantFrom([0.02, 0.25], [0.5, 0.5], [0.1, 1]) }, { requiredKeys: [] })),
    shuffle: fc.boolean(),
    seed: fc.nat(),
    validation: dataset(16),
    validationSplit: fraction(0.9),
    earlyStopping: fc.record({ patience: small(3), monitor: fc.constantFrom('loss', 'accuracy'), minDelta: fraction(1), restoreBest: fc.boolean() }, { requiredKeys: ['patience'] }),
    onProgress: fc.constant(() => {}),
    onEpoch: fc.constant(() => {}),
    progressInterval: fc.constantFrom(0, 100),
    signal: fc.constant(new AbortController().signal),
    checkpoint: fc.record({ onSave: fc.constant(() => {}), everySteps: small(5) }, { requiredKeys: ['onSave'] }),
  };
  const bad = {
    schedule: fc.oneof(weird, fc.record({ type: validOr(fc.constantFrom('cosine', 'one-cycle', 'step')), warmup: weird, final: weird, divFactor: weird, finalDivFactor: weird }, { requiredKeys: [] })),
    augment: fc.oneof(weird, fc.record({ shift: weird, flip: weird, erase: weird, eraseArea: weird }, { requiredKeys: [] })),
    validation: fc.oneof(weird, fc.constant({ images: new Uint8Array(784), labels: new Uint8Array([200]), count: 1 }), fc.constant({ images: new Uint8Array(784 * 2), labels: new Uint8Array(2), count: 1 })),
    earlyStopping: fc.oneof(weird, fc.record({ patience: weird, monitor: weird, minDelta: weird, restoreBest: weird }, { requiredKeys: [] })),
    onProgress: fc.oneof(weird, fc.constant(() => { throw new UserError('from onProgress'); })),
    onEpoch: fc.oneof(weird, fc.constant(() => { throw new UserError('from onEpoch'); })),
    signal: fc.oneof(fc.constantFrom('aborted', 'timeout'), weird.filter((w) => typeof w !== 'string')),
    // Never a path: a fuzzer must not write files where it likes.
    checkpoint: fc.oneof(fc.record({ onSave: weird, everySteps: weird }, { requiredKeys: [] }), fc.constantFrom(null, 5, 'x', {}, { path: '' }, { path: 5 }, { path: null })),
    resume: fc.oneof(fc.uint8Array({ maxLength: 64 }), weird.filter((w) => typeof w !== 'string')),
  };
  return optionsWith({ ...valid, resume: fc.constant(undefined) }, bad, (o) => {
    // Valid means validation data or a split (not both), and early stopping only with one of them.
    if (o.validation !== undefined && o.validationSplit !== undefined) delete o[o.shuffle ? 'validation' : 'validationSplit'];
    if (o.earlyStopping !== undefined && o.validation === undefined && o.validationSplit === undefined) o.validation = { images: data64.images.subarray(0, 8 * 784), labels: data64.labels.subarray(0, 8), count: 8 };
    if (o.validationSplit > 0.5) o.validationSplit /= 4;
    return o;
  });
}

const TRAIN_CODES = ['E_OPTION', 'E_INPUT_SHAPE', 'E_LABEL_RANGE', 'E_EMPTY_BATCH', 'E_ABORTED', 'E_DIVERGED', 'E_WEIGHTS_FORMAT', 'E_MEMORY'];
/** Codes thrown before any training step: the weights must be untouched. */
const BEFORE_TRAINING = new Set(['E_OPTION', 'E_INPUT_SHAPE', 'E_LABEL_RANGE', 'E_EMPTY_BATCH', 'E_WEIGHTS_FORMAT']);

test('train: datasets and options, valid, invalid and absent, on one and two threads', async () => {
  const tiny = [await createClassifier({ model: TINY, seed: 1, threads: 1 }), await createClassifier({ model: TINY, seed: 1, threads: 2 })];
  const datasetArb = fc.oneof(
    { arbitrary: fc.integer({ min: 1, max: 48 }).map((count) => ({ images: data64.images.subarray(0, count * 784), labels: data64.labels.subarray(0, count), count })), weight: 6 },
    { arbitrary: fc.record({ images: fc.oneof(fc.constantFrom(new Uint8Array(784 * 2), new Uint8Array(785), new Float32Array(784), [0], new Uint8Array(0)), weird), labels: fc.oneof(fc.constantFrom(new Uint8Array([0, 1]), new Uint8Array([10, 0]), new Uint8Array([255, 3]), new Uint8Array(0), [1, 2]), weird), count: validOr(fc.constantFrom(0, 1, 2, 3)) }, { requiredKeys: [] }), weight: 3 },
    { arbitrary: weird, weight: 1 },
  );
  const arb = fc.record({ data: datasetArb, options: fc.oneof({ arbitrary: trainOptionsArb(), weight: 10 }, { arbitrary: weird, weight: 1 }), which: fc.nat(3), how: fc.constantFrom('method', 'method', 'function', 'function', 'function-bad-first') });
  await campaign('train', 0.08, arb, async ({ data, options, which, how }) => {
    const clf = tiny[which === 3 ? 1 : 0];
    let opts = options;
    const plain = opts && typeof opts === 'object' && Object.getPrototypeOf(opts) === Object.prototype;
    if (plain && typeof opts.signal === 'string') {
      opts = { ...opts, signal: opts.signal === 'aborted' ? AbortSignal.abort() : AbortSignal.timeout(5) };
    }
    // An injected odd value can be a valid but long run (65,536 epochs is allowed), which is not
    // a hang: shorten valid ones, leaving out-of-range values (above 100,000, fractions, NaN).
    if (plain && Number.isInteger(opts.epochs) && opts.epochs > 16 && opts.epochs <= 100_000) opts = { ...opts, epochs: 16 };
    const before = await probe(clf);
    const call = how === 'method' ? () => clf.train(data, opts) : how === 'function' ? () => train(clf, data, opts) : () => train(data, data, opts);
    const r = await outcome(call, TRAIN_CODES);
    const after = await outcome(() => probe(clf), ['E_NUMERIC'], true);
    if (!r.ok && BEFORE_TRAINING.has(r.error.code)) assert.ok(after.ok && bitsEqual(after.value, before), `${r.error.code} changed the weights`);
    if (after.ok) assert.ok(isFiniteArray(after.value));
    else {
      // Weights that overflow the loss without a non-finite value are possible after a huge
      // learning rate; start that classifier afresh.
      tiny[which === 3 ? 1 : 0] = await createClassifier({ model: TINY, seed: 1, threads: which === 3 ? 2 : 1 });
      clf.dispose();
    }
    if (r.ok) assert.ok(Array.isArray(r.value.epochs) && r.value.epochs.length >= 1);
  });
  for (const c of tiny) c.dispose();
});

const STATE_FIELDS = ['epoch', 'step', 'runStep', 'optimizerStep', 'lossSum', 'correct', 'seen', 'history', 'best', 'sinceBest', 'bestEpoch', 'fingerprint'];
test('resume: checkpoints whose loop state, optimizer tensors or fingerprint were rewritten', async () => {
  const stateValue = fc.oneof(jsonish, fc.constantFrom(-1, 0, 1, 2, 3, 4, 5, 8, 1e9, -1e6, -1e15, 2 ** 53, 0.5, 'x'));
  const arb = fc.record({
    edits: fc.array(fc.oneof(
      { arbitrary: fc.record({ kind: fc.constant('state'), field: fc.constantFrom(...STATE_FIELDS), value: stateValue }), weight: 8 },
      { arbitrary: fc.record({ kind: fc.constant('state-missing') }), weight: 1 },
      { arbitrary: headerEdit, weight: 2 },
    ), { minLength: 1, maxLength: 2 }),
    gzip: fc.boolean(),
  });
  let clf = await createClassifier({ model: TINY, seed: 2, threads: 1 });
  await campaign('resume', 0.02, arb, async ({ edits, gzip }) => {
    const parts = applyHeaderEdits(checkpointBase, edits.filter((e) => e.kind !== 'state' && e.kind !== 'state-missing'));
    const state = parts.header.metadata?.checkpoint;
    for (const e of edits) {
      if (e.kind === 'state' && state && typeof state === 'object') state[e.field] = e.value;
      if (e.kind === 'state-missing' && parts.header.metadata) delete parts.header.metadata.checkpoint;
    }
    let bytes;
    try {
      bytes = pack({ ...parts, gzip });
    } catch {
      return;
    }
    const before = await probe(clf);
    const r = await outcome(() => clf.train(data64, { ...TRAIN_FOR_CHECKPOINT, resume: bytes }), ['E_WEIGHTS_FORMAT', 'E_WEIGHTS_MISMATCH', 'E_WEIGHTS_VERSION', 'E_OPTION', 'E_DIVERGED']);
    const p = await outcome(() => probe(clf), ['E_NUMERIC'], true);
    if (p.ok) assert.ok(isFiniteArray(p.value));
    if (!r.ok && r.error.code !== 'E_DIVERGED') assert.ok(p.ok && bitsEqual(p.value, before), `a refused checkpoint (${r.error.code}) changed the model`);
    if (r.ok) assert.ok(r.value.epochs.length <= TRAIN_FOR_CHECKPOINT.epochs, `${r.value.epochs.length} epochs in the history of a ${TRAIN_FOR_CHECKPOINT.epochs}-epoch run`);
    if (r.ok || !p.ok || r.error.code === 'E_DIVERGED') {
      clf.dispose();
      clf = await createClassifier({ model: TINY, seed: 2, threads: 1 });
    }
  });
  clf.dispose();
});

test('gzip bombs: alone or after a valid gzip member, through every reader', async () => {
  if (ONLY && !ONLY.includes('gzip-bombs')) return;
  const bombs = [zeroBomb(80 * 2 ** 20), zeroBomb(300 * 2 ** 20)];
  const members = { none: new Uint8Array(0), weights: bases[0], idx: new Uint8Array(gzipSync(encodeIdx([2, 2], new Uint8Array(4)))) };
  const arb = fc.record({ bomb: fc.nat(1), before: fc.constantFrom('none', 'weights', 'idx'), reader: fc.constantFrom('createClassifier', 'decodeWeights', 'parseIdx', 'resume') });
  const clf = await createClassifier({ model: TINY, seed: 2, threads: 1 });
  await campaign('gzip-bombs', 0.001, arb, async ({ bomb, before, reader }) => {
    const bytes = concat(members[before], bombs[bomb]);
    const call = {
      createClassifier: () => createClassifier({ weights: bytes, threads: 1 }),
      decodeWeights: () => decodeWeights(bytes),
      parseIdx: () => parseIdx(bytes, 'bomb'),
      resume: () => clf.train(data64, { ...TRAIN_FOR_CHECKPOINT, resume: bytes }),
    }[reader];
    const r = await outcome(call, ['E_WEIGHTS_FORMAT', 'E_IDX_FORMAT']);
    assert.not.ok(r.ok, 'a bomb was accepted');
    assert.ok(rssMb() - stats.baseRssMb < MAX_RSS_GROWTH_MB, 'memory stayed bounded');
  }, 3);
  clf.dispose();
});

test('CLI image decoders: mutated PNG and JPEG files, then predict on what they give', async () => {
  // The decoders live in the CLI bundle; bundle them on their own here.
  const dir = `${root}.tmp/fuzz-${process.pid}`;
  mkdirSync(dir, { recursive: true });
  const file = `${dir}/decode.mjs`;
  await esbuild.build({
    stdin: { contents: "export { decodeImage } from './src/cli/decode.ts'; export { CliError } from './src/cli/args.ts';", resolveDir: root, loader: 'ts' },
    outfile: file, bundle: true, format: 'esm', platform: 'node', logLevel: 'warning',
  });
  const { decodeImage, CliError } = await import(file);
  rmSync(dir, { recursive: true, force: true });
  const W = 37, H = 23;
  const px = new Uint8Array(W * H).map((_, i) => ((i % W) * 7 + Math.floor(i / W) * 3) & 255);
  const rgb = (n) => { const o = new Uint8Array(W * H * n); for (let i = 0; i < W * H; i++) for (let c = 0; c < n; c++) o[i * n + c] = c === 3 ? 200 : px[i] ^ (c * 40); return o; };
  const files = [
    encodePng({ width: W, height: H, data: px, channels: 1, depth: 8 }),
    encodePng({ width: W, height: H, data: rgb(3), channels: 3, depth: 8 }),
    encodePng({ width: W, height: H, data: rgb(4), channels: 4, depth: 8 }),
    encodePng({ width: W, height: H, data: rgb(2), channels: 2, depth: 8 }),
    encodePng({ width: W, height: H, data: Uint16Array.from(px, (v) => v * 257), channels: 1, depth: 16 }),
    encodePng({ width: W, height: H, data: px.map((v) => v & 1), channels: 1, depth: 8, palette: [[0, 0, 0], [255, 128, 0]] }),
    jpeg.encode({ data: rgb(4), width: W, height: H }, 80).data,
  ].map((b) => new Uint8Array(b));
  const arb = fc.record({ base: fc.nat(), ops: fc.array(byteOp, { minLength: 1, maxLength: 4 }) });
  await campaign('cli-decode', 0.02, arb, async ({ base, ops }) => {
    const bytes = mutate(files[base % files.length], ops);
    let img;
    const t0 = performance.now();
    try {
      img = decodeImage(bytes, 'fuzz.png');
    } catch (e) {
      if (!(e instanceof CliError)) throw new Error(`cli-decode: a raw ${e?.name} escaped: ${e?.message}`);
    }
    if (performance.now() - t0 > CASE_MS) throw new Error('cli-decode: one decode took too long');
    if (!img) return;
    const channels = img.data.length / (img.width * img.height);
    assert.ok([1, 3, 4].includes(channels), `${img.data.length} bytes for ${img.width}x${img.height}`);
    const r = await outcome(() => probes[0].clf.predict(img), INPUT_CODES);
    if (r.ok) checkPrediction(r.value, LABELS);
  });
});

test('the campaign ran every case and stayed within its memory bound', () => {
  if (ONLY) return;
  assert.ok(stats.cases >= TOTAL * 0.9, `${stats.cases} cases of ${TOTAL}`);
  assert.ok(stats.peakRssMb - stats.baseRssMb < MAX_RSS_GROWTH_MB, `peak RSS ${Math.round(stats.peakRssMb)} MB, ${Math.round(stats.baseRssMb)} MB at the start`);
});

test.run();
