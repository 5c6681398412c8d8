// Max pooling, ReLU, dropout and the small elementwise kernels against plain-JS references.
// These kernels do no accumulation (or a fixed-order one), so results are compared bit for bit.
import * as assert from 'uvu/assert';
import { variants, variantSuite, rng, expectBits } from './helpers/wasm.mjs';
import { fromFloat16Bits } from '../dist/node/internal.js';

const fr = Math.fround;

// ---- references -------------------------------------------------------------------------------

/** 2x2/2 max pooling; also the input index of each window's first maximum (row-major order). */
function poolRef(X, N, H, W, C) {
  const Ho = H >> 1, Wo = W >> 1;
  const Y = new Float32Array(N * Ho * Wo * C), arg = new Int32Array(Y.length);
  let ties = 0;
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < Ho; oh++)
      for (let ow = 0; ow < Wo; ow++)
        for (let c = 0; c < C; c++) {
          const idx = [[0, 0], [0, 1], [1, 0], [1, 1]].map(([dh, dw]) => ((n * H + 2 * oh + dh) * W + 2 * ow + dw) * C + c);
          const m = Math.max(...idx.map((i) => X[i]));
          const o = ((n * Ho + oh) * Wo + ow) * C + c;
          Y[o] = m;
          arg[o] = idx.find((i) => X[i] === m);
          if (idx.filter((i) => X[i] === m).length > 1) ties++;
        }
  return { Y, arg, ties };
}

/** lowbias32 (see assembly/simd.ts), as unsigned. */
function hash32(x) {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** The dropout mask contract: element e is kept when hash(hash(first + e) ^ seed) >= threshold. */
function maskRef(count, first, seed, threshold, scale) {
  const m = new Float32Array(count);
  for (let e = 0; e < count; e++) {
    const h = hash32((hash32((first + e) >>> 0) ^ seed) >>> 0);
    m[e] = h >= threshold >>> 0 ? scale : 0;
  }
  return m;
}

const thresholdFor = (rate) => Math.min(0xffffffff, Math.round(rate * 4294967296)) | 0;

for (const variant of variants) {
  const pool = variantSuite('maxpool2d', variant);

  const SHAPES = [];
  for (const C of [1, 3, 4, 7, 31, 32]) {
    for (const [H, W] of [[4, 4], [5, 5], [6, 7], [7, 6], [2, 3], [9, 8]]) SHAPES.push([C === 4 ? 1 : 2, H, W, C]);
  }
  SHAPES.push([1, 28, 28, 32], [3, 1, 5, 4], [2, 5, 1, 3]); // the real layer; no output at all

  pool.test('forward and backward match the reference; ties go to the first maximum', (h) => {
    const r = rng(30);
    let ties = 0;
    for (const [N, H, W, C] of SHAPES) {
      const len = N * H * W * C, outLen = N * (H >> 1) * (W >> 1) * C;
      // Distinct floats, then non-positive integers (many ties, all maxima <= 0), then 0/1.
      for (const X of [r.f32(len), r.ints(len, -2, 0), r.ints(len, 0, 1)]) {
        const label = `N${N} ${H}x${W}x${C} [${X.slice(0, 3).join(',')}...]`;
        const ref = poolRef(X, N, H, W, C);
        const pX = h.f32(X), pY = h.f32(outLen), pDY = h.f32(r.f32(outLen)), pDX = h.f32(len);
        h.k.maxpool2d_forward(pX, pY, N, H, W, C);
        expectBits(h.read(pY, outLen), ref.Y, `${label} forward`);
        const dy = h.read(pDY, outLen);
        const dx = new Float32Array(len);
        for (let o = 0; o < outLen; o++) dx[ref.arg[o]] = dy[o];
        h.k.maxpool2d_backward(pX, pY, pDY, pDX, N, H, W, C);
        expectBits(h.read(pDX, len), dx, `${label} backward`);
        ties += ref.ties;
        h.checkGuards();
        h.reset();
      }
    }
    assert.ok(ties > 1000, `the integer inputs produce ties (${ties})`);
  });

  pool.test('special values in every window position: NaN wins, +0 beats -0, infinities order (vector and scalar paths)', (h) => {
    // The vector path takes a one-instruction max and falls back to the exact pass when a window
    // holds a NaN or its maximum is a zero of mixed signs; each special value is tried in each of
    // the four window positions, alone in an image of ordinary values, so a fallback that misses
    // one position shows up. -0 alone and all-(-0) windows must stay -0.
    const specials = [NaN, -0, 0, Infinity, -Infinity];
    for (const C of [4, 8, 5]) {
      for (const v of specials) {
        for (const pos of [0, 1, 2, 3]) {
          for (const fill of [-1, 0, -0, 2]) {
            const N = 1, H = 4, W = 4, len = H * W * C;
            const X = new Float32Array(len).fill(fill);
            X[1] = 0.5; // an ordinary value elsewhere in the image
            const [dh, dw] = [[0, 0], [0, 1], [1, 0], [1, 1]][pos];
            const c = C - 1;
            X[((2 + dh) * W + 2 + dw) * C + c] = v;
            const ref = poolRef(X, N, H, W, C);
            const pX = h.f32(X), pY = h.f32(ref.Y.length);
            h.k.maxpool2d_forward(pX, pY, N, H, W, C);
            const got = h.read(pY, ref.Y.length);
            const str = (x) => (Object.is(x, -0) ? '-0' : String(x));
            const label = `C${C} ${str(v)} at window position ${pos} among ${str(fill)}`;
            for (let i = 0; i < got.length; i++) {
              if (Number.isNaN(ref.Y[i])) assert.ok(Number.isNaN(got[i]), `${label}: output ${i} is ${got[i]}, expected NaN`);
              else assert.ok(Object.is(got[i], ref.Y[i]), `${label}: output ${i} is ${str(got[i])}, expected ${str(ref.Y[i])}`);
            }
            h.reset();
          }
        }
      }
    }
  });

  pool.test('known answer: odd edges are dropped and get zero gradient', (h) => {
    // One 3x3 single-channel image: the one window is the top-left 2x2.
    const pX = h.f32([1, 5, 9, 5, 2, 9, 9, 9, 9]), pY = h.f32(1), pDY = h.f32([7]), pDX = h.f32(9);
    h.k.maxpool2d_forward(pX, pY, 1, 3, 3, 1);
    expectBits(h.read(pY, 1), [5], 'forward');
    h.k.maxpool2d_backward(pX, pY, pDY, pDX, 1, 3, 3, 1);
    // The tie between (0,1) and (1,0) goes to (0,1), the first in row-major order.
    expectBits(h.read(pDX, 9), [0, 7, 0, 0, 0, 0, 0, 0, 0], 'backward');
  });

  pool.test('known answer: four channels (vector path) with ties in different window positions', (h) => {
    // 2x2 image, C = 4: channel c has its maximum first at window position c (others tie later).
    const X = [
      3, 0, 0, 0, // (0,0)
      3, 3, 0, 0, // (0,1)
      3, 3, 3, 0, // (1,0)
      3, 3, 3, 3, // (1,1)
    ];
    const pX = h.f32(X), pY = h.f32(4), pDY = h.f32([1, 2, 4, 8]), pDX = h.f32(16);
    h.k.maxpool2d_forward(pX, pY, 1, 2, 2, 4);
    expectBits(h.read(pY, 4), [3, 3, 3, 3], 'forward');
    h.k.maxpool2d_backward(pX, pY, pDY, pDX, 1, 2, 2, 4);
    expectBits(h.read(pDX, 16), [1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 4, 0, 0, 0, 0, 8], 'backward');
  });

  pool.run();

  const act = variantSuite('relu', variant);

  act.test('forward and backward for lengths 0..17, separate and in place, nothing past count', (h) => {
    const r = rng(31);
    for (let n = 0; n <= 17; n++) {
      const x = r.f32(n + 8);
      for (let i = 0; i < n; i += 3) x[i] = 0; // exact zeros: relu'(0) = 0
      const dy = r.f32(n + 8);
      const yRef = x.map((v, i) => (i < n ? Math.max(v, 0) : v));
      const pX = h.f32(x), pY = h.f32(x);
      h.k.relu_forward(pX, pY, n);
      expectBits(h.read(pY, n + 8), yRef, `forward n=${n}`);
      expectBits(h.read(pX, n + 8), x, `forward n=${n} leaves x`);
      h.k.relu_forward(pX, pX, n);
      expectBits(h.read(pX, n + 8), yRef, `forward in place n=${n}`);

      const dxRef = dy.map((v, i) => (i < n ? (yRef[i] > 0 ? v : 0) : v));
      const pDY = h.f32(dy), pDX = h.f32(dy);
      h.k.relu_backward(pY, pDY, pDX, n);
      expectBits(h.read(pDX, n + 8), dxRef, `backward n=${n}`);
      h.k.relu_backward(pY, pDY, pDY, n);
      expectBits(h.read(pDY, n + 8), dxRef, `backward in place n=${n}`);
    }
  });

  act.test('special values, vector and scalar lanes: max(x, 0) with -0 -> +0, NaN stays NaN', (h) => {
    const specials = [NaN, -0, 0, Infinity, -Infinity, -1, 1, 1e-45, -1e-45, -3.4028234663852886e38];
    const x = new Float32Array(specials.length * 2 + 1);
    for (let i = 0; i < x.length; i++) x[i] = specials[i % specials.length];
    const p = h.f32(x);
    h.k.relu_forward(p, p, x.length);
    const got = h.read(p, x.length);
    for (let i = 0; i < x.length; i++) {
      const want = Math.max(x[i], 0); // JS max: NaN wins, max(-0, 0) is +0
      assert.ok(Object.is(got[i], want), `x=${Object.is(x[i], -0) ? '-0' : x[i]} (index ${i}): got ${Object.is(got[i], -0) ? '-0' : got[i]}, want ${want}`);
    }
  });

  act.run();

  const drop = variantSuite('dropout', variant);

  drop.test('mask matches the counter-hash contract; y = x * mask; in place', (h) => {
    const r = rng(32);
    for (const rate of [0.25, 0.5, 0.75]) {
      for (const [count, first, seed] of [[1, 0, 1], [7, 3, 99], [1000, 12345, 0xdeadbeef | 0], [33, 0x7ffffff0, -5]]) {
        const scale = fr(1 / (1 - rate));
        const x = r.f32(count);
        const pX = h.f32(x), pY = h.f32(count), pM = h.f32(count);
        h.k.dropout_forward(pX, pY, pM, count, first, seed, thresholdFor(rate), scale);
        const m = maskRef(count, first, seed >>> 0, thresholdFor(rate), scale);
        const label = `rate ${rate} count ${count} first ${first} seed ${seed}`;
        expectBits(h.read(pM, count), m, `${label} mask`);
        expectBits(h.read(pY, count), x.map((v, i) => fr(v * m[i])), `${label} y`);
        h.k.dropout_forward(pX, pX, pM, count, first, seed, thresholdFor(rate), scale);
        expectBits(h.read(pX, count), x.map((v, i) => fr(v * m[i])), `${label} y in place`);
      }
    }
  });

  drop.test('statistics and invariances over 100k elements', (h) => {
    const r = rng(33);
    const count = 100000;
    const x = r.f32(count, 0.5, 1.5);
    const pX = h.f32(x), pY = h.f32(count), pM = h.f32(count), pM2 = h.f32(count);
    for (const rate of [0.1, 0.5, 0.75]) {
      const thr = thresholdFor(rate), scale = fr(1 / (1 - rate));
      h.k.dropout_forward(pX, pY, pM, count, 0, 42, thr, scale);
      const m = h.read(pM, count);
      let kept = 0;
      for (let i = 0; i < count; i++) {
        assert.ok(m[i] === 0 || m[i] === scale, `rate ${rate}: mask value ${m[i]} is neither 0 nor ${scale}`);
        if (m[i] !== 0) kept++;
      }
      // Binomial sd is about 0.0016 here; 0.01 is > 6 sd.
      assert.ok(Math.abs(kept / count - (1 - rate)) < 0.01, `rate ${rate}: kept ${kept / count}`);

      h.k.dropout_forward(pX, pY, pM2, count, 0, 42, thr, scale);
      expectBits(h.read(pM2, count), m, `rate ${rate}: same inputs, same mask`);

      h.k.dropout_forward(pX, pY, pM2, count, 0, 43, thr, scale);
      const m3 = h.read(pM2, count);
      let differ = 0;
      for (let i = 0; i < count; i++) if (m3[i] !== m[i]) differ++;
      // Independent masks differ in a fraction 2 rate (1 - rate) of places.
      const expected = 2 * rate * (1 - rate);
      assert.ok(Math.abs(differ / count - expected) < 0.02, `rate ${rate}: another stepSeed changed ${differ / count}, expected ~${expected}`);

      // Two halves with the right firstElement give the same mask as one call.
      const half = 37337;
      h.k.dropout_forward(pX, pY, pM2, half, 0, 42, thr, scale);
      h.k.dropout_forward(pX + half * 4, pY + half * 4, pM2 + half * 4, count - half, half, 42, thr, scale);
      expectBits(h.read(pM2, count), m, `rate ${rate}: split batch`);
      // ...and an offset window of the batch is the matching slice of the mask.
      h.k.dropout_forward(pX, pY, pM2, 1000, 5000, 42, thr, scale);
      expectBits(h.read(pM2, 1000), m.subarray(5000, 6000), `rate ${rate}: firstElement 5000`);
    }
  });

  drop.test('rate 0 keeps everything: threshold 0, scale 1', (h) => {
    const r = rng(34);
    const x = r.f32(19);
    const pX = h.f32(x), pY = h.f32(19), pM = h.f32(19);
    h.k.dropout_forward(pX, pY, pM, 19, 0, 7, 0, 1);
    expectBits(h.read(pM, 19), new Float32Array(19).fill(1), 'mask');
    expectBits(h.read(pY, 19), x, 'y');
  });

  drop.run();

  const ops = variantSuite('tensor_ops', variant);

  ops.test('mul, add_into and fill over lengths 0..17 and 1001, with aliasing', (h) => {
    const r = rng(35);
    for (const n of [...Array(18).keys(), 1001]) {
      const a = r.f32(n + 8), b = r.f32(n + 8);
      const prod = a.map((v, i) => (i < n ? fr(v * b[i]) : v));
      const pA = h.f32(a), pB = h.f32(b), pO = h.f32(a);
      h.k.mul(pA, pB, pO, n);
      expectBits(h.read(pO, n + 8), prod, `mul n=${n}`);
      h.k.mul(pA, pB, pA, n);
      expectBits(h.read(pA, n + 8), prod, `mul out=a n=${n}`);
      h.write(pA, a);
      h.k.mul(pA, pB, pB, n);
      expectBits(h.read(pB, n + 8), prod.map((v, i) => (i < n ? v : b[i])), `mul out=b n=${n}`);
      h.write(pB, b);

      h.k.add_into(pA, pB, n);
      expectBits(h.read(pA, n + 8), a.map((v, i) => (i < n ? fr(v + b[i]) : v)), `add_into n=${n}`);
      expectBits(h.read(pB, n + 8), b, `add_into leaves src n=${n}`);

      h.k.fill(pO, n, -2.5);
      expectBits(h.read(pO, n + 8), a.map((v, i) => (i < n ? -2.5 : v)), `fill n=${n}`);
      h.checkGuards();
      h.reset();
    }
  });

  ops.test('u8_to_f32: every byte value, tails 1..17, known answers', (h) => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const scale = fr(1 / 255), shift = -0.5;
    const pS = h.u8(bytes), pO = h.f32(256 + 8);
    h.k.u8_to_f32(pS, pO, 256, scale, shift);
    expectBits(h.read(pO, 256), Array.from(bytes, (v) => fr(fr(v * scale) + shift)), 'all bytes');
    const got = h.read(pO, 256);
    assert.is(got[0], -0.5);
    assert.ok(Math.abs(got[255] - 0.5) < 1e-7, `255 -> ${got[255]}`);
    for (let n = 1; n <= 17; n++) {
      const sentinel = new Float32Array(n + 8).fill(123);
      h.write(pO, sentinel);
      h.k.u8_to_f32(pS + 200, pO, n, 2, 1); // exact: 2v + 1
      expectBits(h.read(pO, n + 8), sentinel.map((v, i) => (i < n ? 2 * (200 + i) + 1 : v)), `n=${n}`);
    }
  });

  ops.test('dequantize_int8: every int8 value, per-channel scales on odd channel counts, same bits as JS', (h) => {
    const r = rng(37);
    // Channel counts that are multiples of 4 take the vector path; a count that is not a whole
    // number of rows (never the case for weights) finishes in the scalar loop.
    for (const [count, channels] of [[1, 1], [3, 3], [255, 1], [21, 7], [93, 31], [384, 32], [7, 7], [4, 4], [100, 8], [258, 4]]) {
      const q = Int8Array.from({ length: count }, (_, i) => ((i * 37) % 255) - 127);
      const scales = r.f32(channels).map((v) => Math.abs(v) * 1e-2);
      scales[0] = 0; // a channel of zeros stores scale 0
      const pQ = h.u8(new Uint8Array(q.buffer)), pS = h.f32(scales), pO = h.f32(count + 4);
      const sentinel = new Float32Array(count + 4).fill(123);
      h.write(pO, sentinel);
      h.k.dequantize_int8(pQ, pS, count, channels, pO);
      const want = Float32Array.from(sentinel, (v, i) => (i < count ? q[i] * scales[i % channels] : v));
      expectBits(h.read(pO, count + 4), want, `${count} values, ${channels} channels`);
    }
  });

  ops.test('f16_to_f32: all 65536 bit patterns, exactly as JavaScript widens them', (h) => {
    const src = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const pS = h.alloc(65536 * 2), pO = h.f32(65536 + 4);
    new Uint16Array(h.eng.raw, pS, 65536).set(src);
    const sentinel = new Float32Array(65536 + 4).fill(123);
    h.write(pO, sentinel);
    h.k.f16_to_f32(pS, 65536, pO);
    const got = h.read(pO, 65536 + 4);
    // NaN patterns: any NaN (the reader refuses them before this kernel runs).
    const want = Float32Array.from(sentinel, (v, i) => (i < 65536 ? fromFloat16Bits(i) : v));
    const nan = (i) => i < 65536 && (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
    for (let i = 0; i < want.length; i++) if (nan(i)) { assert.ok(Number.isNaN(got[i]), `pattern ${i}`); got[i] = want[i] = 0; }
    expectBits(got, want, 'every pattern');
  });

  ops.test('scale_channels_f64: f32 times an f64 channel scale, rounded once, same bits as JS', (h) => {
    const r = rng(41);
    for (const [count, C] of [[1, 1], [7, 7], [93, 31], [12, 4], [100, 8], [96, 32], [1152, 128], [258, 4]]) {
      const src = r.f32(count, -3, 3);
      const scale = Float64Array.from({ length: C }, () => r.uniform(-2, 2) / 3); // not f32 values
      const pS = h.f32(src), pO = h.f32(count + 4);
      const pC = h.alloc(C * 8);
      new Float64Array(h.eng.raw, pC, C).set(scale);
      const sentinel = new Float32Array(count + 4).fill(123);
      h.write(pO, sentinel);
      h.k.scale_channels_f64(pS, pO, count, C, pC);
      const want = Float32Array.from(sentinel, (v, i) => (i < count ? src[i] * scale[i % C] : v));
      expectBits(h.read(pO, count + 4), want, `${count} values, ${C} channels`);
    }
  });

  ops.test('transpose: known answers including single rows and columns', (h) => {
    // Whole 4x4 blocks, blocks with edges on either side or both, and seed-cnn's dense weights.
    for (const [rows, cols] of [[1, 1], [1, 7], [7, 1], [3, 5], [4, 4], [8, 12], [9, 16], [16, 9], [13, 7], [64, 31], [5408, 32]]) {
      const src = Float32Array.from({ length: rows * cols }, (_, i) => i);
      const pS = h.f32(src), pO = h.f32(rows * cols);
      h.k.transpose(pS, rows, cols, pO);
      const want = new Float32Array(rows * cols);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) want[c * rows + r] = r * cols + c;
      expectBits(h.read(pO, rows * cols), want, `${rows}x${cols}`);
      h.checkGuards();
      h.reset();
    }
  });

  ops.test('bias_grad: column sums in row order, overwrite and accumulate', (h) => {
    const r = rng(36);
    for (const [rows, cols] of [[1, 1], [5, 3], [5, 4], [7, 13], [33, 32], [0, 5]]) {
      const dy = r.f32(rows * cols), db0 = r.f32(cols + 4);
      const pDY = h.f32(dy), pDB = h.f32(db0);
      const sum = (init) => {
        const out = Float32Array.from(db0);
        for (let c = 0; c < cols; c++) {
          let acc = init ? db0[c] : 0;
          for (let i = 0; i < rows; i++) acc = fr(acc + dy[i * cols + c]);
          out[c] = acc;
        }
        return out;
      };
      h.k.bias_grad(pDY, rows, cols, pDB, 0);
      expectBits(h.read(pDB, cols + 4), sum(false), `${rows}x${cols} overwrite`);
      h.write(pDB, db0);
      h.k.bias_grad(pDY, rows, cols, pDB, 1);
      expectBits(h.read(pDB, cols + 4), sum(true), `${rows}x${cols} accumulate`);
    }
    // Known answer.
    const pDY = h.f32([1, 2, 3, 4, 5, 6]), pDB = h.f32([10, 20, 30]);
    h.k.bias_grad(pDY, 2, 3, pDB, 1);
    expectBits(h.read(pDB, 3), [15, 27, 39], 'known answer');
  });

  ops.test('count_nonfinite counts NaN and +-Infinity only', (h) => {
    const specials = [0, -0, 1, NaN, Infinity, -Infinity, 3.4028234663852886e38, -3.4028234663852886e38, 1e-45, -1e-45, 1.1754943508222875e-38];
    const p = h.f32(specials);
    assert.is(h.k.count_nonfinite(p, specials.length), 3);
    assert.is(h.k.count_nonfinite(p, 4), 1);
    assert.is(h.k.count_nonfinite(p, 3), 0);
    assert.is(h.k.count_nonfinite(p, 0), 0);
    const r = rng(37);
    const many = r.f32(1000);
    const bad = [3, 64, 65, 999];
    bad.forEach((i, k) => (many[i] = [NaN, Infinity, -Infinity, NaN][k]));
    assert.is(h.k.count_nonfinite(h.f32(many), 1000), bad.length);
  });

  ops.run();
}
