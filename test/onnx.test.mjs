// ONNX export: models trained here, exported and run in onnxruntime-node, give the same logits
// (max difference < 1e-4 on 1,000 images); the protobuf writer's wire format; clear errors.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as ort from 'onnxruntime-node';
import { createClassifier } from 'garment-wasm';
import { encodeWeights, networkOf } from '../dist/node/internal.js';
import { syntheticDataset } from './helpers/synthetic.mjs';

// The `garment-wasm/onnx` entry once the build ships it; until then the same source, bundled here.
async function loadOnnxEntry() {
  const built = new URL('../dist/node/onnx.js', import.meta.url);
  if (existsSync(built)) return import(built.href);
  const { build } = await import('esbuild');
  const dir = fileURLToPath(new URL(`../.tmp/onnx-test-${process.pid}/`, import.meta.url));
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: [fileURLToPath(new URL('../src/onnx/index.ts', import.meta.url))],
    outfile: `${dir}onnx.js`, bundle: true, format: 'esm', platform: 'node', target: 'es2022', logLevel: 'warning',
  });
  try {
    return await import(pathToFileURL(`${dir}onnx.js`).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const { toONNX, weightsToONNX } = await loadOnnxEntry();

const TRAIN = syntheticDataset(1024, { seed: 21 });
const CHECK = syntheticDataset(1000, { seed: 22 });

/**
 * The library's logits for `images`: the public API returns probabilities only, so this reads
 * the logits the forward pass leaves in the single-thread workspace (slices of at most 256).
 */
async function garmentLogits(clf, data) {
  const net = networkOf.get(clf);
  const classes = clf.labels.length;
  const out = new Float32Array(data.count * classes);
  // One inference slice at a time: the workspace holds the logits of the last slice only.
  const slice = net.inferSlice;
  for (let at = 0; at < data.count; at += slice) {
    const n = Math.min(slice, data.count - at);
    await net.infer(data.images, at, n, 'probs');
    const ws = net.local;
    assert.ok(ws && typeof ws.logits === 'number', 'test helper: Network internals changed (local workspace logits)');
    out.set(net.engine.f32.subarray(ws.logits >> 2, (ws.logits >> 2) + n * classes), at * classes);
  }
  return out;
}

async function ortRun(onnxBytes, data) {
  const session = await ort.InferenceSession.create(onnxBytes, { intraOpNumThreads: 1 });
  const pixels = Float32Array.from(data.images);
  const input = new ort.Tensor('float32', pixels, [data.count, 28, 28, 1]);
  const out = await session.run({ pixels: input });
  await session.release?.();
  return out;
}

function maxDiff(a, b) {
  assert.is(a.length, b.length, 'lengths');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function argmaxes(v, classes) {
  const out = [];
  for (let i = 0; i < v.length; i += classes) {
    let best = 0;
    for (let j = 1; j < classes; j++) if (v[i + j] > v[i + best]) best = j;
    out.push(best);
  }
  return out;
}

async function trained(model) {
  const clf = await createClassifier({ model, seed: 3, threads: 1 });
  await clf.train(TRAIN, { epochs: 1, batchSize: 64 });
  return clf;
}

async function expectSameLogits(clf, what) {
  const onnx = await toONNX(clf);
  const ours = await garmentLogits(clf, CHECK);
  const theirs = await ortRun(onnx, CHECK);
  const d = maxDiff(ours, theirs.logits.data);
  assert.ok(d < 1e-4, `${what}: max logit difference ${d}`);
  assert.equal(argmaxes(ours, 10), argmaxes(theirs.logits.data, 10), `${what}: predicted classes`);
  const probs = (await clf.predict(CHECK.images)).flatMap((p) => [...p.probabilities]);
  assert.ok(maxDiff(probs, theirs.probabilities.data) < 1e-5, `${what}: probabilities`);
  let spread = 0;
  for (const v of ours) spread = Math.max(spread, Math.abs(v));
  assert.ok(spread > 1, `${what}: the logits should be far from zero after training, max |logit| ${spread}`);
  return d;
}

for (const model of ['mlp', 'seed-cnn', 'cnn']) {
  test(`${model}: trained here, exported, same logits in onnxruntime-node`, async () => {
    const clf = await trained(model);
    await expectSameLogits(clf, model);
    clf.dispose();
  });
}

test('custom layers: 5x5 valid and 3x3 same convs, ReLU after pooling, dropout, implicit flatten', async () => {
  const clf = await trained([
    { type: 'conv', filters: 8, kernel: 5, padding: 'valid' },
    { type: 'maxpool' },
    { type: 'relu' },
    { type: 'conv', filters: 12, kernel: 3, padding: 'same' },
    { type: 'relu' },
    { type: 'conv', filters: 6, kernel: 5, padding: 'valid' },
    { type: 'relu' },
    { type: 'dropout', rate: 0.2 },
    { type: 'dense', units: 10 },
  ]);
  await expectSameLogits(clf, 'custom');
  clf.dispose();
});

test('batch norm (after conv, on the input, after dense), conv and dense without bias, global average pooling', async () => {
  const clf = await trained([
    { type: 'batchnorm' },
    { type: 'conv', filters: 8, kernel: 3, padding: 'same', bias: false },
    { type: 'batchnorm', momentum: 0.3 },
    { type: 'relu' },
    { type: 'maxpool' },
    { type: 'conv', filters: 16, kernel: 5, padding: 'valid' },
    { type: 'relu' },
    { type: 'gap' },
    { type: 'dense', units: 32, bias: false },
    { type: 'batchnorm', epsilon: 1e-3 },
    { type: 'relu' },
    { type: 'dense', units: 10 },
  ]);
  await expectSameLogits(clf, 'batchnorm + gap');
  const ops = decodeModel(await toONNX(clf)).graph.nodes.map((n) => n.op);
  assert.equal(ops.filter((o) => o === 'BatchNormalization').length, 3);
  assert.ok(ops.includes('GlobalAveragePool'));
  clf.dispose();
});

test("a weight file's own normalisation (scale and shift) is in the graph", async () => {
  const src = await trained('mlp');
  const { decodeWeights } = await import('../dist/node/internal.js');
  const file = decodeWeights(await src.save());
  const bytes = encodeWeights({ ...file, input: { ...file.input, scale: 2 / 255, shift: -1 } });
  const clf = await createClassifier({ weights: bytes, threads: 1 });
  const onnx = weightsToONNX(bytes);
  const ours = await garmentLogits(clf, CHECK);
  const theirs = await ortRun(onnx, CHECK);
  assert.ok(maxDiff(ours, theirs.logits.data) < 1e-4);
  const ops = decodeModel(onnx).graph.nodes.map((n) => n.op);
  assert.equal(ops.slice(0, 2), ['Mul', 'Add']);
  src.dispose();
  clf.dispose();
});

test('graph shape: NHWC input, layout transposes only where needed, opset 13, labels in metadata', async () => {
  const clf = await createClassifier({ model: 'cnn', seed: 1, threads: 1, labels: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'] });
  const m = decodeModel(await toONNX(clf, { probabilities: false }));
  assert.is(m.irVersion, 7);
  assert.equal(m.opsets, [{ domain: '', version: 13 }]);
  assert.equal(m.graph.inputs, [{ name: 'pixels', dims: ['N', 28, 28, 1] }]);
  assert.equal(m.graph.outputs, [{ name: 'logits', dims: ['N', 10] }]);
  assert.equal(m.graph.nodes.map((n) => n.op), [
    'Mul', 'Transpose', 'Conv', 'Relu', 'MaxPool', 'Conv', 'Relu', 'MaxPool', 'Transpose', 'Flatten', 'Gemm', 'Relu', 'Gemm',
  ]);
  const conv = m.graph.nodes[2];
  assert.equal(conv.attributes.kernel_shape, [3, 3]);
  assert.equal(conv.attributes.pads, [1, 1, 1, 1]);
  const w = m.graph.initializers.find((t) => t.name === '3.weight');
  assert.equal(w.dims, [64, 32, 3, 3]);
  assert.is(w.bytes, 64 * 32 * 9 * 4);
  assert.equal(JSON.parse(m.metadata.labels), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
  clf.dispose();
});

test('HWIO -> OIHW: each weight lands where ONNX expects it', async () => {
  // One conv with distinct weights w[kh][kw][c][f] = 1000 kh + 100 kw + 10 c + f; a one-hot
  // image at the centre reads back the flipped kernel through the logits.
  const K = 3, C = 1, F = 10;
  const data = new Float32Array(K * K * C * F);
  for (let kh = 0; kh < K; kh++) for (let kw = 0; kw < K; kw++) for (let f = 0; f < F; f++) data[(kh * K + kw) * F + f] = 1000 * kh + 100 * kw + f;
  const layers = [{ type: 'conv', filters: F, kernel: 3, padding: 'valid' }, { type: 'dense', units: 10 }];
  const dense = new Float32Array(26 * 26 * F * 10);
  // logit j = the conv output at (0, 0), channel j
  for (let j = 0; j < 10; j++) dense[j * 10 + j] = 1;
  const bytes = encodeWeights({
    model: { layers }, labels: 'abcdefghij'.split(''), input: { height: 28, width: 28, channels: 1, scale: 1, shift: 0 },
    tensors: [
      { name: '0.weight', shape: [3, 3, 1, F], data }, { name: '1.weight', shape: [26 * 26 * F, 10], data: dense },
      { name: '0.bias', shape: [F], data: new Float32Array(F) }, { name: '1.bias', shape: [10], data: new Float32Array(10) },
    ],
  });
  const image = new Uint8Array(784);
  image[1 * 28 + 2] = 1; // row 1, column 2: weight (kh 1, kw 2) at output (0, 0)
  const out = await ortRun(weightsToONNX(bytes), { images: image, count: 1 });
  assert.equal([...out.logits.data], Array.from({ length: 10 }, (_, f) => 1200 + f));
  const clf = await createClassifier({ weights: bytes, threads: 1 });
  assert.equal([...(await garmentLogits(clf, { images: image, count: 1 }))], [...out.logits.data]);
  clf.dispose();
});

test('errors: not a classifier or weight file, corrupt bytes, missing tensors, bad options', async () => {
  const expectCode = async (fn, code) => {
    try {
      await fn();
    } catch (e) {
      assert.is(e.name, 'GarmentError', e.message);
      assert.is(e.code, code, e.message);
      return;
    }
    assert.unreachable(`expected ${code}`);
  };
  await expectCode(() => toONNX(42), 'E_OPTION');
  await expectCode(() => toONNX({}), 'E_OPTION');
  await expectCode(() => toONNX(new Uint8Array([1, 2, 3])), 'E_WEIGHTS_FORMAT');
  const clf = await createClassifier({ model: 'mlp', seed: 1, threads: 1 });
  await expectCode(() => toONNX(clf, { probabilities: 'yes' }), 'E_OPTION');
  const { decodeWeights } = await import('../dist/node/internal.js');
  const file = decodeWeights(await clf.save());
  const missing = encodeWeights({ ...file, tensors: file.tensors.filter((t) => t.name !== '3.weight') });
  await expectCode(() => toONNX(missing), 'E_WEIGHTS_MISMATCH');
  clf.dispose();
});

test('protobuf writer: varints at the edges, negative int64, floats, strings', async () => {
  // The writer is internal to the entry; its output is checked through a model's bytes: an
  // attribute carries every interesting integer, the decoder below reads them back.
  const { ProtoWriter } = await loadWriter();
  const values = [0, 1, 127, 128, 16383, 16384, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, 2 ** 53 - 1, -1, -(2 ** 31), -(2 ** 53 - 1)];
  const w = new ProtoWriter().ints(8, values).float(2, 0.1).string(1, 'é✓');
  const fields = readFields(w.finish());
  assert.equal(fields.filter((f) => f.field === 8).map((f) => f.value), values.map(BigInt));
  assert.is(fields.find((f) => f.field === 2).value, Math.fround(0.1));
  assert.is(new TextDecoder().decode(fields.find((f) => f.field === 1).value), 'é✓');
  // -1 is ten bytes, 0xff x 9 then 0x01, like every protobuf implementation.
  assert.equal([...new ProtoWriter().int(1, -1).finish()], [8, 255, 255, 255, 255, 255, 255, 255, 255, 255, 1]);
  assert.throws(() => new ProtoWriter().int(1, 2 ** 53), /safe integer/);
  // Growth past the initial buffer keeps earlier bytes.
  const big = new Uint8Array(100000).map((_, i) => i & 255);
  const g = readFields(new ProtoWriter().int(1, 7).bytes(2, big).int(3, 9).finish());
  assert.equal(g.map((f) => f.field), [1, 2, 3]);
  assert.equal(g[1].value, big);
});

// ---- a small protobuf reader, independent of the writer: enough to check the model's structure ----

async function loadWriter() {
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: [fileURLToPath(new URL('../src/onnx/protobuf.ts', import.meta.url))],
    bundle: true, format: 'esm', platform: 'neutral', write: false, logLevel: 'warning',
  });
  return import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`);
}

function readFields(bytes) {
  const fields = [];
  let p = 0;
  const varint = () => {
    let v = 0n, shift = 0n;
    for (;;) {
      const b = bytes[p++];
      v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (b < 0x80) return v;
    }
  };
  while (p < bytes.length) {
    const tag = Number(varint());
    const field = tag >> 3, wire = tag & 7;
    if (wire === 0) fields.push({ field, value: BigInt.asIntN(64, varint()) });
    else if (wire === 5) {
      fields.push({ field, value: new DataView(bytes.buffer, bytes.byteOffset + p, 4).getFloat32(0, true) });
      p += 4;
    } else if (wire === 2) {
      const n = Number(varint());
      fields.push({ field, value: bytes.subarray(p, p + n) });
      p += n;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return fields;
}

const text = (b) => new TextDecoder().decode(b);
const all = (fs, n) => fs.filter((f) => f.field === n).map((f) => f.value);
const one = (fs, n) => all(fs, n)[0];

function decodeValueInfo(b) {
  const f = readFields(b);
  const tensorType = readFields(one(readFields(one(f, 2)), 1));
  const dims = all(readFields(one(tensorType, 2)), 1).map((d) => {
    const df = readFields(d);
    return df[0].field === 1 ? Number(df[0].value) : text(df[0].value);
  });
  return { name: text(one(f, 1)), dims };
}

function decodeModel(bytes) {
  const f = readFields(bytes);
  const g = readFields(one(f, 7));
  const nodes = all(g, 1).map((b) => {
    const nf = readFields(b);
    const attributes = {};
    for (const a of all(nf, 5)) {
      const af = readFields(a);
      const type = Number(one(af, 20));
      attributes[text(one(af, 1))] = type === 7 ? all(af, 8).map(Number) : type === 2 ? Number(one(af, 3)) : one(af, 2);
    }
    return { op: text(one(nf, 4)), inputs: all(nf, 1).map(text), outputs: all(nf, 2).map(text), attributes };
  });
  const initializers = all(g, 5).map((b) => {
    const tf = readFields(b);
    return { name: text(one(tf, 8)), dims: all(tf, 1).map(Number), type: Number(one(tf, 2)), bytes: one(tf, 9).length };
  });
  const metadata = Object.fromEntries(all(f, 14).map((b) => {
    const e = readFields(b);
    return [text(one(e, 1)), text(one(e, 2))];
  }));
  return {
    irVersion: Number(one(f, 1)),
    opsets: all(f, 8).map((b) => {
      const o = readFields(b);
      return { domain: text(one(o, 1) ?? new Uint8Array()), version: Number(one(o, 2)) };
    }),
    graph: { nodes, initializers, inputs: all(g, 11).map(decodeValueInfo), outputs: all(g, 12).map(decodeValueInfo) },
    metadata,
  };
}

test.run();
