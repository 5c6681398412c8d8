import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gunzipSync, gzipSync } from 'fflate';
import {
  GarmentError,
  crc32,
  decodeWeights,
  dequantizeInt8,
  encodeWeights,
  fromFloat16Bits,
  quantizeInt8,
  toFloat16Bits,
} from '../dist/node/internal.js';
import { zeroBomb } from './helpers/weightfile.mjs';

// --- helpers --------------------------------------------------------------------------------

function seeded(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function tensor(name, shape, rand, mul = 1) {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = rand() * mul;
  return { name, shape, data };
}

function sample() {
  const r = seeded(7);
  return {
    model: [
      { type: 'conv', filters: 8, kernel: 3, padding: 'same' },
      { type: 'relu' },
      { type: 'dense', units: 10 },
    ],
    labels: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag',
      'Ankle boot'],
    input: { height: 28, width: 28, channels: 1, scale: 1 / 255, shift: -0.5 },
    tensors: [
      tensor('conv1.weight', [3, 3, 1, 8], r, 0.5),
      tensor('conv1.bias', [8], r, 0.1),
      tensor('dense.weight', [72, 10], r, 0.2),
      tensor('dense.bias', [10], r, 0.1),
    ],
    metadata: { epochs: 3, accuracy: 0.9123, optimizer: { name: 'adam', lr: 0.001 }, note: 'ünïcode ✓' },
  };
}

function expectCode(fn, code, pattern) {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof GarmentError, `expected a GarmentError, got ${e?.name}: ${e?.message}`);
    assert.is(e.code, code, `code for: ${e.message}`);
    if (pattern) assert.match(e.message, pattern);
    return e;
  }
  assert.unreachable(`expected ${code}, but nothing was thrown`);
}

const bitsOf = (f) => new Uint32Array(f.buffer, f.byteOffset, f.length);

function split(payload) {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const headerLength = view.getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(payload.subarray(16, 16 + headerLength)));
  const dataStart = Math.ceil((16 + headerLength) / 16) * 16;
  return { header, data: payload.slice(dataStart), version: view.getUint32(8, true) };
}

// Builds a payload from a header object and a data section, with a correct checksum, so only
// the reader's validation can reject it.
function build(header, data, version = 1) {
  const h = { ...header };
  delete h.checksum;
  h.checksum = '00000000';
  const hb = new TextEncoder().encode(JSON.stringify(h));
  const dataStart = Math.ceil((16 + hb.length) / 16) * 16;
  const p = new Uint8Array(dataStart + data.length);
  p.set(new TextEncoder().encode('GARMENTW'));
  const view = new DataView(p.buffer);
  view.setUint32(8, version, true);
  view.setUint32(12, hb.length, true);
  p.set(hb, 16);
  p.set(data, dataStart);
  const hex = crc32(p).toString(16).padStart(8, '0');
  p.set(new TextEncoder().encode(hex), 16 + hb.length - 10);
  return p;
}

const regzip = (payload) => gzipSync(payload, { mtime: 0 });

function sameFile(a, b) {
  assert.equal(a.model, b.model);
  assert.equal(a.labels, b.labels);
  assert.equal(a.input, b.input);
  assert.equal(a.metadata, b.metadata);
  assert.is(a.tensors.length, b.tensors.length);
  a.tensors.forEach((t, i) => {
    assert.is(t.name, b.tensors[i].name);
    assert.equal(t.shape, b.tensors[i].shape);
    assert.equal(bitsOf(t.data), bitsOf(b.tensors[i].data));
  });
}

// --- round trips ----------------------------------------------------------------------------

test('f32 round trip is bit-exact, with model, labels, input and metadata', () => {
  const file = sample();
  // Awkward values: -0, subnormals, extremes.
  file.tensors[0].data.set([-0, 1e-45, 3.4028234663852886e38, -1.1754943508222875e-38]);
  const bytes = encodeWeights(file);
  assert.is(bytes[0], 0x1f);
  assert.is(bytes[1], 0x8b);
  const back = decodeWeights(bytes);
  sameFile(back, file);
  assert.ok(Object.is(back.tensors[0].data[0], -0));
  assert.ok(back.tensors[0].data instanceof Float32Array);
});

test('metadata is optional and stays absent', () => {
  const file = sample();
  delete file.metadata;
  const back = decodeWeights(encodeWeights(file));
  assert.is('metadata' in back, false);
});

test('the same weights give identical bytes, every time', () => {
  for (const dtype of ['f32', 'f16', 'int8']) {
    const a = encodeWeights(sample(), { dtype });
    const b = encodeWeights(sample(), { dtype });
    assert.equal(a, b, dtype);
    // No timestamp in the gzip header.
    assert.equal(Array.from(a.subarray(4, 8)), [0, 0, 0, 0]);
  }
});

test('payload layout: magic, version, header, 16-byte aligned tensors, fixed key order', () => {
  const payload = gunzipSync(encodeWeights(sample(), { dtype: 'int8' }));
  assert.is(new TextDecoder().decode(payload.subarray(0, 8)), 'GARMENTW');
  const { header, version } = split(payload);
  assert.is(version, 1);
  assert.equal(Object.keys(header), ['model', 'labels', 'input', 'tensors', 'metadata', 'checksum']);
  assert.equal(Object.keys(header.input), ['height', 'width', 'channels', 'scale', 'shift']);
  assert.equal(Object.keys(header.tensors[0]), ['name', 'shape', 'dtype', 'offset', 'length', 'scales']);
  assert.equal(Object.keys(header.tensors[1]), ['name', 'shape', 'dtype', 'offset', 'length']);
  assert.match(header.checksum, /^[0-9a-f]{8}$/);
  for (const t of header.tensors) {
    assert.is(t.offset % 16, 0);
    if (t.scales !== undefined) assert.is(t.scales % 16, 0);
  }
  // int8 for rank >= 2, biases stay f32.
  assert.equal(header.tensors.map((t) => t.dtype), ['int8', 'f32', 'int8', 'f32']);
});

test('f16 round trip is exact to f16 rounding', () => {
  const file = sample();
  file.tensors[2].data.set([1, -2, 65504, 6.1e-5, 1e-8, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 2 ** -24, -0]);
  const back = decodeWeights(encodeWeights(file, { dtype: 'f16' }));
  back.tensors.forEach((t, i) => {
    const src = file.tensors[i].data;
    for (let j = 0; j < src.length; j++) {
      const want = fromFloat16Bits(toFloat16Bits(src[j]));
      if (!Object.is(t.data[j], want)) assert.unreachable(`${t.name}[${j}]: ${t.data[j]} vs ${want}`);
    }
  });
  const d = back.tensors[2].data;
  const want = [1, -2, 65504, 1023 * 2 ** -24, 0, 1, 1 + 2 ** -9, 2 ** -24, -0];
  assert.equal(Array.from(d.subarray(0, 9)), want);
});

test('f16 refuses values it cannot hold', () => {
  const file = sample();
  file.tensors[0].data[3] = 70000;
  expectCode(() => encodeWeights(file, { dtype: 'f16' }), 'E_OPTION', /f16 range/);
});

test('int8 round trip: error <= scale/2 per element and channel, biases exact', () => {
  const file = sample();
  file.tensors[0].data[5] = 0; // not special, just a zero
  for (let i = 2; i < 80; i += 10) file.tensors[2].data[i] = 0; // dense output channel 2 all zero
  const bytes = encodeWeights(file, { dtype: 'int8' });
  const back = decodeWeights(bytes);
  for (const i of [0, 2]) {
    const { shape, data } = file.tensors[i];
    const { values, scales } = quantizeInt8(data, shape);
    const channels = shape[shape.length - 1];
    assert.equal(bitsOf(back.tensors[i].data), bitsOf(dequantizeInt8(values, scales, shape)));
    for (let j = 0; j < data.length; j++) {
      const err = Math.abs(back.tensors[i].data[j] - data[j]);
      if (err > scales[j % channels] * (0.5 + 1e-6)) {
        assert.unreachable(`${file.tensors[i].name}[${j}] error ${err}`);
      }
    }
  }
  assert.is(back.tensors[2].data[2], 0);
  assert.equal(bitsOf(back.tensors[1].data), bitsOf(file.tensors[1].data));
  assert.equal(bitsOf(back.tensors[3].data), bitsOf(file.tensors[3].data));
  assert.ok(bytes.length < encodeWeights(file).length);
});

test('mixed precision: per-tensor dtypes override the default, each stored and read as its own', () => {
  const file = sample();
  const bytes = encodeWeights(file, { dtype: 'int8', dtypes: { 'conv1.weight': 'f16', 'dense.bias': 'int8' } });
  const { header } = split(gunzipSync(bytes));
  assert.equal(header.tensors.map((t) => t.dtype), ['f16', 'f32', 'int8', 'int8']);
  const back = decodeWeights(bytes);
  const f16 = file.tensors[0].data.map((v) => fromFloat16Bits(toFloat16Bits(v)));
  assert.equal(bitsOf(back.tensors[0].data), bitsOf(f16));
  assert.equal(bitsOf(back.tensors[1].data), bitsOf(file.tensors[1].data));
  for (const i of [2, 3]) {
    const { values, scales } = quantizeInt8(file.tensors[i].data, file.tensors[i].shape);
    assert.equal(bitsOf(back.tensors[i].data), bitsOf(dequantizeInt8(values, scales, file.tensors[i].shape)));
  }
  // Size sits between all-int8 and all-f16, and f32 overrides in an f16 file are exact.
  assert.ok(bytes.length > encodeWeights(file, { dtype: 'int8' }).length);
  const keep = decodeWeights(encodeWeights(file, { dtype: 'f16', dtypes: { 'dense.weight': 'f32' } }));
  assert.equal(bitsOf(keep.tensors[2].data), bitsOf(file.tensors[2].data));
  assert.not.equal(bitsOf(keep.tensors[0].data), bitsOf(file.tensors[0].data));
});

test('mixed precision: unknown tensor names and bad dtypes -> E_OPTION naming them', () => {
  expectCode(() => encodeWeights(sample(), { dtype: 'int8', dtypes: { 'conv9.weight': 'f16' } }), 'E_OPTION',
    /no tensor named "conv9\.weight".*"conv1\.weight"/);
  expectCode(() => encodeWeights(sample(), { dtypes: { 'conv1.weight': 'f64' } }), 'E_OPTION', /dtypes\["conv1\.weight"\]/);
  expectCode(() => encodeWeights(sample(), { dtypes: ['f16'] }), 'E_OPTION', /dtypes: expected an object/);
});

test('decodes from a Buffer and from a view at an odd offset', () => {
  const bytes = encodeWeights(sample());
  const shifted = new Uint8Array(bytes.length + 3);
  shifted.set(bytes, 3);
  sameFile(decodeWeights(shifted.subarray(3)), sample());
  sameFile(decodeWeights(Buffer.from(bytes)), sample());
});

// --- encoder arguments ------------------------------------------------------------------------

test('encodeWeights rejects bad arguments with E_OPTION', () => {
  const bad = [
    [null],
    [sample(), { dtype: 'f64' }],
    [sample(), 'f16'],
    [{ ...sample(), labels: ['only one'] }],
    [{ ...sample(), labels: ['a', 'a'] }],
    [{ ...sample(), model: undefined }],
    [{ ...sample(), input: { height: 28, width: 28, channels: 1, scale: NaN, shift: 0 } }],
    [{ ...sample(), metadata: [1, 2] }],
    [{ ...sample(), tensors: [{ name: 'x', shape: [2, 2], data: new Float32Array(3) }] }],
    [{ ...sample(), tensors: [{ name: 'x', shape: [2], data: [1, 2] }] }],
    [{ ...sample(), tensors: [{ name: '', shape: [1], data: new Float32Array(1) }] }],
    [{ ...sample(), tensors: [{ name: 'x', shape: [1], data: new Float32Array([NaN]) }] }],
    [{ ...sample(), tensors: [0, 1].map(() => ({ name: 'x', shape: [1], data: new Float32Array(1) })) }],
    [{ ...sample(), metadata: { big: 10n } }],
  ];
  for (const args of bad) expectCode(() => encodeWeights(...args), 'E_OPTION');
});

// --- decoder failures -------------------------------------------------------------------------

test('non-Uint8Array arguments -> E_OPTION', () => {
  const notBytes = [undefined, null, 'GARMENTW', 42, [0x1f, 0x8b], new ArrayBuffer(8), new Uint16Array(4)];
  for (const v of notBytes) {
    expectCode(() => decodeWeights(v), 'E_OPTION', /Uint8Array/);
  }
});

test('not gzip, empty, garbage -> E_WEIGHTS_FORMAT', () => {
  expectCode(() => decodeWeights(new Uint8Array(0)), 'E_WEIGHTS_FORMAT');
  expectCode(() => decodeWeights(new TextEncoder().encode('hello world')), 'E_WEIGHTS_FORMAT', /gzip/);
  expectCode(() => decodeWeights(new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3])), 'E_WEIGHTS_FORMAT');
  expectCode(() => decodeWeights(regzip(new Uint8Array(10))), 'E_WEIGHTS_FORMAT', /truncated/);
});

test('the payload without its gzip wrapper decodes the same (how the package embeds its model)', () => {
  const gz = encodeWeights(sample());
  assert.equal(decodeWeights(gunzipSync(gz)), decodeWeights(gz));
  const raw = gunzipSync(gz);
  raw[raw.length - 1] ^= 1;
  expectCode(() => decodeWeights(raw), 'E_WEIGHTS_FORMAT', /checksum/);
});

test('wrong magic -> E_WEIGHTS_FORMAT', () => {
  const p = gunzipSync(encodeWeights(sample()));
  p.set(new TextEncoder().encode('GARMENTX'));
  expectCode(() => decodeWeights(regzip(p)), 'E_WEIGHTS_FORMAT', /magic/);
});

test('versions: newer -> E_WEIGHTS_VERSION, 0 or garbage -> E_WEIGHTS_FORMAT', () => {
  const withVersion = (v) => {
    const p = gunzipSync(encodeWeights(sample()));
    new DataView(p.buffer).setUint32(8, v, true);
    return regzip(p);
  };
  expectCode(() => decodeWeights(withVersion(99)), 'E_WEIGHTS_VERSION', /version 99/);
  expectCode(() => decodeWeights(withVersion(2)), 'E_WEIGHTS_VERSION');
  expectCode(() => decodeWeights(withVersion(0)), 'E_WEIGHTS_FORMAT', /found 0/);
  expectCode(() => decodeWeights(withVersion(0xdeadbeef)), 'E_WEIGHTS_FORMAT');
});

test('truncated compressed bytes, at every 97th offset -> E_WEIGHTS_FORMAT', () => {
  const bytes = encodeWeights(sample());
  for (let n = 0; n < bytes.length; n += 97) {
    expectCode(() => decodeWeights(bytes.slice(0, n)), 'E_WEIGHTS_FORMAT');
  }
  expectCode(() => decodeWeights(bytes.slice(0, bytes.length - 1)), 'E_WEIGHTS_FORMAT');
});

test('truncated payload (re-gzipped), at every 97th offset -> E_WEIGHTS_FORMAT', () => {
  const p = gunzipSync(encodeWeights(sample()));
  for (let n = 0; n < p.length; n += 97) {
    expectCode(() => decodeWeights(regzip(p.slice(0, n))), 'E_WEIGHTS_FORMAT');
  }
  expectCode(() => decodeWeights(regzip(p.slice(0, p.length - 1))), 'E_WEIGHTS_FORMAT');
});

test('bit flips in the compressed bytes never give different weights', () => {
  const file = sample();
  const bytes = encodeWeights(file);
  let rejected = 0;
  let tried = 0;
  for (let i = 0; i < bytes.length; i += 5) {
    const b = bytes.slice();
    b[i] ^= 1 << (i % 8);
    tried++;
    try {
      // The gzip header's mtime/flags/OS bytes and deflate's final padding bits do not change
      // the content; such a flip may decode, but only to the very same weights.
      sameFile(decodeWeights(b), file);
    } catch (e) {
      if (e instanceof assert.Assertion) throw new Error(`flip at ${i} decoded to different weights`);
      assert.ok(e instanceof GarmentError, `${e}`);
      assert.is(e.code, 'E_WEIGHTS_FORMAT', e.message);
      rejected++;
    }
  }
  assert.ok(rejected >= tried - 4, `${rejected} of ${tried} rejected`);
});

test('bit flips in the payload (re-gzipped) are all caught', () => {
  const p = gunzipSync(encodeWeights(sample(), { dtype: 'int8' }));
  for (let i = 0; i < p.length; i += 3) {
    const q = p.slice();
    q[i] ^= 1 << (i % 8);
    // A flipped version number may read as a newer version; everything else is corrupt.
    const code = i >= 8 && i < 12 && q[i] > p[i] ? 'E_WEIGHTS_VERSION' : 'E_WEIGHTS_FORMAT';
    expectCode(() => decodeWeights(regzip(q)), code);
  }
  // Explicitly inside the data section, and in the header text: the checksum reports it.
  const { header } = split(p);
  const q = p.slice();
  q[q.length - 5] ^= 0x10;
  expectCode(() => decodeWeights(regzip(q)), 'E_WEIGHTS_FORMAT', /checksum mismatch/);
  const r = p.slice();
  const at = new TextDecoder().decode(p).indexOf('Trouser');
  r[at] = 'X'.charCodeAt(0); // still valid JSON, still a valid label
  expectCode(() => decodeWeights(regzip(r)), 'E_WEIGHTS_FORMAT', /checksum mismatch/);
  assert.ok(header.labels.includes('Trouser'));
});

test('header length past the end -> E_WEIGHTS_FORMAT', () => {
  const p = gunzipSync(encodeWeights(sample()));
  const view = new DataView(p.buffer);
  for (const len of [p.length, p.length - 15, 0xffffffff, 0, 1]) {
    view.setUint32(12, len, true);
    expectCode(() => decodeWeights(regzip(p)), 'E_WEIGHTS_FORMAT', /header length/);
  }
});

// Rebuilds a valid file with one change to its header or data, with a correct checksum.
function tamper(edit, dtype = 'f32') {
  const { header, data } = split(gunzipSync(encodeWeights(sample(), { dtype })));
  const d = edit(header, data) ?? data;
  return regzip(build(header, d));
}

test('the tamper helper itself produces a valid file', () => {
  sameFile(decodeWeights(tamper(() => {})), sample());
});

test('structural errors in the header -> E_WEIGHTS_FORMAT naming the problem', () => {
  const cases = [
    [(h) => { h.tensors[1].offset = 1 << 20; }, /outside the data section/],
    [(h) => { h.tensors[1].offset = 2 ** 60; }, /multiple of 16/],
    [(h) => { h.tensors[1].offset += 8; }, /multiple of 16/],
    [(h) => { h.tensors[1].offset = -16; }, /multiple of 16/],
    [(h) => { h.tensors[0].shape = [3, 3, 1, 9]; }, /needs 324 bytes, the header says 288/],
    [(h) => { h.tensors[0].length = 100; }, /needs 288 bytes/],
    [(h) => { h.tensors[0].shape = [3, 0, 1, 8]; }, /positive integer/],
    [(h) => { h.tensors[0].shape = [3, 1.5]; }, /positive integer/],
    [(h) => { h.tensors[0].shape = ['3']; }, /positive integer/],
    [(h) => { h.tensors[0].shape = 'big'; }, /shape/],
    [(h) => { h.tensors[0].shape = [100000, 100000]; }, /more than/],
    [(h) => { h.tensors[0].shape = [1, 1, 1, 1, 1, 1, 1, 1, 1]; }, /shape/],
    [(h) => { h.tensors[0].dtype = 'f64'; }, /dtype/],
    [(h) => { h.tensors[0].name = ''; }, /name/],
    [(h) => { h.tensors[0].name = 42; }, /name/],
    [(h) => { h.tensors[1].name = h.tensors[0].name; }, /twice/],
    [(h) => { h.tensors[1].offset = h.tensors[0].offset; }, /overlaps/],
    [(h) => { h.tensors[1].scales = 0; }, /only int8/],
    [(h) => { h.tensors = {}; }, /tensors/],
    [(h) => { h.tensors[0] = null; }, /tensors\[0\]/],
    [(h) => { h.labels = ['one']; }, /labels/],
    [(h) => { h.labels = ['a', 'b', 'a']; }, /twice/],
    [(h) => { h.labels = ['a', '']; }, /labels\[1\]/],
    [(h) => { h.labels = 'a,b'; }, /labels/],
    [(h) => { delete h.labels; }, /labels/],
    [(h) => { h.input.height = 0; }, /input.height/],
    [(h) => { h.input.scale = null; }, /input.scale/],
    [(h) => { h.input.shift = '0'; }, /input.shift/],
    [(h) => { delete h.input; }, /input/],
    [(h) => { delete h.model; }, /model/],
    [(h) => { h.metadata = [1]; }, /metadata/],
    [(h) => { h.metadata = null; }, /metadata/],
  ];
  for (const [edit, pattern] of cases) {
    expectCode(() => decodeWeights(tamper(edit)), 'E_WEIGHTS_FORMAT', pattern);
  }
});

test('int8 structural errors -> E_WEIGHTS_FORMAT', () => {
  const int8 = (edit) => () => decodeWeights(tamper(edit, 'int8'));
  expectCode(int8((h) => { delete h.tensors[0].scales; }), 'E_WEIGHTS_FORMAT', /scales/);
  expectCode(int8((h) => { h.tensors[0].scales = 1 << 20; }), 'E_WEIGHTS_FORMAT', /outside/);
  expectCode(int8((h) => { h.tensors[0].scales = h.tensors[0].offset; }), 'E_WEIGHTS_FORMAT', /overlaps/);
  const negScale = tamper((h, d) => {
    new DataView(d.buffer).setFloat32(h.tensors[0].scales, -1, true);
  }, 'int8');
  expectCode(() => decodeWeights(negScale), 'E_WEIGHTS_FORMAT', /scale 0 is -1/);
  const minus128 = tamper((h, d) => {
    d[h.tensors[0].offset + 2] = 0x80;
  }, 'int8');
  expectCode(() => decodeWeights(minus128), 'E_WEIGHTS_FORMAT', /-128/);
});

test('NaN or Infinity inside a tensor (valid checksum) -> E_WEIGHTS_FORMAT naming the tensor', () => {
  for (const v of [NaN, Infinity, -Infinity]) {
    const bytes = tamper((h, d) => {
      new DataView(d.buffer).setFloat32(h.tensors[2].offset + 4 * 7, v, true);
    });
    expectCode(() => decodeWeights(bytes), 'E_WEIGHTS_FORMAT', new RegExp(`"dense.weight": value 7 is ${v}`));
  }
  const f16 = tamper((h, d) => {
    new DataView(d.buffer).setUint16(h.tensors[1].offset + 2, 0x7c00, true);
  }, 'f16');
  expectCode(() => decodeWeights(f16), 'E_WEIGHTS_FORMAT', /"conv1.bias": value 1 is Infinity/);
  const scaleInf = tamper((h, d) => {
    new DataView(d.buffer).setFloat32(h.tensors[2].scales + 4, Infinity, true);
  }, 'int8');
  expectCode(() => decodeWeights(scaleInf), 'E_WEIGHTS_FORMAT', /"dense.weight": scale 1 is Infinity/);
});

test('header that is not JSON or not UTF-8 -> E_WEIGHTS_FORMAT', () => {
  const bad = (text) => {
    const hb = new TextEncoder().encode(text);
    const p = new Uint8Array(Math.ceil((16 + hb.length) / 16) * 16);
    p.set(new TextEncoder().encode('GARMENTW'));
    new DataView(p.buffer).setUint32(8, 1, true);
    new DataView(p.buffer).setUint32(12, hb.length, true);
    p.set(hb, 16);
    return regzip(p);
  };
  expectCode(() => decodeWeights(bad('{"model":[,"checksum":"00000000"}')), 'E_WEIGHTS_FORMAT', /JSON/);
  expectCode(() => decodeWeights(bad('{"model":[]}')), 'E_WEIGHTS_FORMAT', /checksum/);
  expectCode(() => decodeWeights(bad('[1,{"checksum":"00000000"}')), 'E_WEIGHTS_FORMAT');
  const p = gunzipSync(bad('{"x":"\u00e9","checksum":"00000000"}'));
  p[23] = 0xff; // inside the header: invalid UTF-8
  expectCode(() => decodeWeights(regzip(p)), 'E_WEIGHTS_FORMAT', /UTF-8/);
});

test('the hand-made bomb is real gzip (checked on a small one)', () => {
  const small = zeroBomb(1 << 16);
  const inflated = gunzipSync(small);
  assert.is(inflated.length, 1 + Math.floor(((1 << 16) - 1) / 258) * 258);
  assert.ok(inflated.every((b) => b === 0));
});

test('a gzip bomb (200 MiB of zeros) is refused quickly, without inflating it all', () => {
  const bomb = zeroBomb(200 * 1024 * 1024);
  assert.ok(bomb.length < 2 << 20);
  const t0 = performance.now();
  expectCode(() => decodeWeights(bomb), 'E_WEIGHTS_FORMAT', /more than 67108864 bytes/);
  // A hang guard (a full inflate of 200 MiB takes far longer), not a speed target.
  assert.ok(performance.now() - t0 < 10000, 'took too long');
});

test('random bytes, with and without a valid prefix, only ever raise GarmentError', () => {
  const rand = seeded(99);
  const byte = () => Math.floor((rand() + 0.5) * 256) & 255;
  const good = gunzipSync(encodeWeights(sample()));
  for (let k = 0; k < 300; k++) {
    const n = 1 + Math.floor((rand() + 0.5) * 400);
    const junk = Uint8Array.from({ length: n }, byte);
    expectCode(() => decodeWeights(junk), 'E_WEIGHTS_FORMAT');
    const gz = Uint8Array.from({ length: n }, byte);
    gz[0] = 0x1f;
    gz[1] = 0x8b;
    gz[2] = 8;
    expectCode(() => decodeWeights(gz), 'E_WEIGHTS_FORMAT');
    const p = good.slice(0, 16 + Math.floor((rand() + 0.5) * (good.length - 16)));
    for (let j = 16; j < p.length; j += 1 + Math.floor((rand() + 0.5) * 50)) p[j] = byte();
    try {
      decodeWeights(regzip(p));
      assert.unreachable('decoded a scrambled payload');
    } catch (e) {
      assert.ok(e instanceof GarmentError, String(e));
      assert.ok(e.code === 'E_WEIGHTS_FORMAT' || e.code === 'E_WEIGHTS_VERSION', e.message);
    }
  }
});

test.run();
