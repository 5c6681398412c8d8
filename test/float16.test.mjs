import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  float16ToFloat32,
  float32ToFloat16,
  fromFloat16Bits,
  toFloat16Bits,
  roundHalfEven,
  quantizeInt8,
  dequantizeInt8,
} from '../dist/node/internal.js';

function rhe(v) {
  const f = Math.floor(v);
  return v - f > 0.5 ? f + 1 : v - f < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

// Independent reference: the nearest f16 value by exact double arithmetic (scaling by powers of
// two is exact), ties to even. Returns a number, not bits.
function refHalf(x) {
  x = Math.fround(x);
  if (Number.isNaN(x) || !Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  let e = -14; // exponent of the smallest normal; below it the step is 2^-24 (subnormals)
  while (a >= 2 ** (e + 1) && e < 15) e++;
  const step = 2 ** (e - 10);
  const r = rhe(a / step) * step;
  const v = r >= 65520 ? Infinity : r;
  return x < 0 ? -v : v;
}

test('known values', () => {
  const cases = [
    [1, 0x3c00],
    [-2, 0xc000],
    [0, 0x0000],
    [-0, 0x8000],
    [65504, 0x7bff],
    [65519, 0x7bff], // rounds down to the largest finite
    [65520, 0x7c00], // halfway to 65536 rounds to even: overflow to Infinity
    [1e6, 0x7c00],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [6.103515625e-5, 0x0400], // smallest normal
    [6.1e-5, 0x03ff], // largest subnormal (1023 * 2^-24 = 6.0976e-5 is nearest)
    [2 ** -24, 0x0001], // smallest subnormal
    [1e-8, 0x0000],
    [2 ** -25, 0x0000], // tie between 0 and 2^-24: even is 0
    [3 * 2 ** -25, 0x0002], // tie between 1 and 2 units: even is 2
    [1 + 2 ** -11, 0x3c00], // tie: keeps the even mantissa
    [1 + 3 * 2 ** -11, 0x3c02], // tie: rounds up to the even mantissa
    [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just past the tie
    [0.1, 0x2e66],
    [-65504, 0xfbff],
  ];
  for (const [x, bits] of cases) {
    assert.is(toFloat16Bits(x), bits, `toFloat16Bits(${x})`);
  }
  const nan = toFloat16Bits(NaN);
  assert.ok((nan & 0x7c00) === 0x7c00 && (nan & 0x3ff) !== 0, 'NaN stays NaN');
  assert.is(fromFloat16Bits(0x0001), 2 ** -24);
  assert.is(fromFloat16Bits(0x03ff), 1023 * 2 ** -24);
  assert.is(fromFloat16Bits(0x7bff), 65504);
  assert.is(fromFloat16Bits(0xc000), -2);
  assert.is(fromFloat16Bits(0x7c00), Infinity);
  assert.is(fromFloat16Bits(0xfc00), -Infinity);
  assert.ok(Number.isNaN(fromFloat16Bits(0x7e00)));
  assert.ok(Object.is(fromFloat16Bits(0x8000), -0));
});

test('every f16 survives f16 -> f32 -> f16 and matches the reference', () => {
  const all = new Uint16Array(65536);
  for (let i = 0; i < 65536; i++) all[i] = i;
  const f = float16ToFloat32(all);
  const back = float32ToFloat16(f);
  for (let i = 0; i < 65536; i++) {
    const isNaN16 = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
    if (isNaN16) {
      assert.ok(Number.isNaN(f[i]));
      assert.ok((back[i] & 0x7c00) === 0x7c00 && (back[i] & 0x3ff) !== 0);
    } else {
      if (back[i] !== i) assert.unreachable(`bits ${i.toString(16)} came back as ${back[i].toString(16)}`);
      if (!Object.is(refHalf(f[i]), f[i])) {
        assert.unreachable(`f16 ${i.toString(16)} is not its own rounding`);
      }
    }
  }
});

test('random f32 values round like the reference (including ties and subnormals)', () => {
  let s = 12345;
  const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0), s);
  const src = new Float32Array(200000);
  const bits = new Uint32Array(src.buffer);
  for (let i = 0; i < src.length; i++) {
    // Exponents around the f16 range, and a third of the mantissas cut to make exact ties.
    const exp = 127 - 30 + (next() % 50);
    let mant = next() & 0x7fffff;
    if (i % 3 === 0) mant = (mant & ~0x1fff) | 0x1000;
    bits[i] = ((next() & 1) << 31) | (exp << 23) | mant;
  }
  const half = float32ToFloat16(src);
  const back = float16ToFloat32(half);
  for (let i = 0; i < src.length; i++) {
    const want = refHalf(src[i]);
    if (!Object.is(back[i], want)) assert.unreachable(`${src[i]} -> ${back[i]}, expected ${want}`);
    if (toFloat16Bits(src[i]) !== half[i]) assert.unreachable('scalar and array versions disagree');
  }
});

test('roundHalfEven', () => {
  const cases = [[0.5, 0], [1.5, 2], [2.5, 2], [-0.5, 0], [-1.5, -2], [-2.5, -2], [2.4999, 2], [126.5, 126],
    [127.5, 128], [-3.7, -4]];
  for (const [x, r] of cases) assert.ok(roundHalfEven(x) === r, `roundHalfEven(${x}) = ${roundHalfEven(x)}`);
});

test('int8 per-channel quantisation: error <= scale/2, scales per last axis', () => {
  const shape = [3, 3, 2, 4]; // HWIO: 4 output channels
  const data = new Float32Array(72);
  for (let i = 0; i < data.length; i++) data[i] = Math.fround(Math.sin(i * 1.7) * (1 + (i % 4) * 10));
  for (let i = 0; i < data.length; i += 4) data[i + 3] = 0; // channel 3 all zeros
  const { values, scales } = quantizeInt8(data, shape);
  assert.is(scales.length, 4);
  assert.is(scales[3], 0);
  for (let c = 0; c < 3; c++) {
    let max = 0;
    for (let i = c; i < data.length; i += 4) max = Math.max(max, Math.abs(data[i]));
    assert.is(scales[c], Math.fround(max / 127));
  }
  const out = dequantizeInt8(values, scales, shape);
  for (let i = 0; i < data.length; i++) {
    const c = i % 4;
    assert.ok(values[i] >= -127 && values[i] <= 127);
    assert.ok(Math.abs(out[i] - data[i]) <= scales[c] * (0.5 + 1e-6), `element ${i}`);
  }
  // The largest magnitude of each channel maps to +-127.
  assert.ok(values.some((q) => Math.abs(q) === 127));
});

test('quantizeInt8 rejects a shape that does not match', () => {
  assert.throws(() => quantizeInt8(new Float32Array(5), [2, 2]), (e) => e.code === 'E_OPTION');
});

test.run();
