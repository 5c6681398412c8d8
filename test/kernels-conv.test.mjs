// The three convolution kernels against a direct six-loop convolution (NHWC, weights KxKxCxF),
// its adjoint, finite differences of L = sum(Y * R), and independence from the scratch size.
import * as assert from 'uvu/assert';
import { CONV_DESC } from '../dist/node/internal.js';
import { variants, variantSuite, rng, expectBits, expectBounded } from './helpers/wasm.mjs';
import { forwardRef, backwardInputRef, backwardFilterRef } from './helpers/conv-ref.mjs';

const CONV_RELU = 1, CONV_ACCUMULATE = 2;
const fr = Math.fround;

// [N, H, W, C, F, K, padding]: every C in {1,3,7,31}, F in {1,4,5,32}, both kernels, both
// paddings, batch 1 and 5, square and non-square odd sizes, an image smaller than the kernel,
// and the real first layer (28x28x1 -> 32) once.
const CONFIGS = [
  [1, 5, 5, 1, 1, 3, 'same'], [5, 7, 7, 3, 4, 3, 'valid'], [1, 9, 6, 7, 5, 5, 'same'],
  [5, 6, 9, 31, 32, 3, 'same'], [1, 7, 7, 3, 32, 5, 'valid'], [5, 5, 5, 7, 1, 5, 'same'],
  [1, 9, 6, 31, 4, 5, 'valid'], [5, 5, 7, 1, 5, 3, 'valid'], [1, 28, 28, 1, 32, 3, 'same'],
  [5, 5, 5, 1, 4, 5, 'valid'], [2, 3, 3, 4, 5, 5, 'same'], [5, 9, 6, 7, 32, 3, 'same'],
  // The first-layer kernels' 3x3 paths: whole blocks of 8 filters plus a block of 4, and 4 alone;
  // the relaxed build's weight gradient also takes blocks of 12 (12 + 8, 12 + 12 + 4).
  [3, 7, 9, 1, 12, 3, 'same'], [2, 6, 5, 1, 4, 3, 'valid'], [2, 5, 6, 1, 20, 3, 'valid'], [1, 4, 7, 1, 28, 3, 'same'],
  // seed-cnn's first layer: rows of 26 outputs, six blocks of four pixels and a pair.
  [1, 28, 28, 1, 32, 3, 'valid'],
].map(([N, H, W, C, F, K, padding]) => {
  const pad = padding === 'same' ? (K - 1) / 2 : 0;
  const Ho = H + 2 * pad - K + 1, Wo = W + 2 * pad - K + 1;
  return { N, H, W, C, F, K, pad, Ho, Wo, label: `N${N} ${H}x${W}x${C} F${F} K${K} ${padding}` };
});

// ---- wasm side --------------------------------------------------------------------------------

/**
 * Random tensors for one configuration, copied into wasm memory, plus scratch buffers of exactly
 * the sizes under test (guard bands catch any write past SCRATCH_BYTES):
 *   small: 3 im2col rows (backward input: the rearranged weights, then 3 rows)
 *   large: every row in one chunk
 */
function setup(h, r, s) {
  const xLen = s.N * s.H * s.W * s.C, yLen = s.N * s.Ho * s.Wo * s.F, wLen = s.K * s.K * s.C * s.F;
  const X = r.f32(xLen), Wt = r.f32(wLen), b = r.f32(s.F), R = r.f32(yLen);
  const p = {
    X: h.f32(X), WGT: h.f32(Wt), BIAS: h.f32(b), Y: h.f32(yLen), DY: h.f32(R), DX: h.f32(xLen),
    DW: h.f32(wLen), DB: h.f32(s.F),
  };
  const rowF = s.K * s.K * s.C * 4, rowB = s.K * s.K * s.F * 4;
  const sizes = {
    fwdSmall: 3 * rowF, fwdLarge: s.N * s.Ho * s.Wo * rowF,
    bwdSmall: wLen * 4 + 3 * rowB, bwdLarge: wLen * 4 + s.N * s.H * s.W * rowB,
  };
  const scratch = {};
  for (const [k, bytes] of Object.entries(sizes)) scratch[k] = { ptr: h.alloc(bytes), bytes };
  const call = (kernel, { scratch: sc, flags = 0, ...over }) => {
    const d = h.desc(CONV_DESC, {
      N: s.N, H: s.H, W: s.W, C: s.C, F: s.F, K: s.K, PAD: s.pad, HO: s.Ho, WO: s.Wo, ...p,
      SCRATCH: sc.ptr, SCRATCH_BYTES: sc.bytes, FLAGS: flags, ...over,
    });
    h.k[kernel](d);
  };
  return { X, Wt, b, R, p, scratch, call, xLen, yLen, wLen };
}

/** L = sum(Y * R) over the wasm forward output. */
function loss(h, t) {
  t.call('conv2d_forward', { scratch: t.scratch.fwdSmall });
  const Y = h.read(t.p.Y, t.yLen);
  let L = 0;
  for (let i = 0; i < Y.length; i++) L += Y[i] * t.R[i];
  return L;
}

for (const variant of variants) {
  const t = variantSuite('conv2d', variant);

  t.test('known answer: 3x3 image, 3x3 kernel of ones, same padding, two filters', (h) => {
    // Filter 0 sums the 3x3 neighbourhood; filter 1 picks the centre pixel times -1, bias 10.
    const wt = new Float32Array(18);
    for (let k = 0; k < 9; k++) wt[k * 2] = 1;
    wt[4 * 2 + 1] = -1;
    const pX = h.f32([1, 2, 3, 4, 5, 6, 7, 8, 9]), pW = h.f32(wt), pB = h.f32([0, 10]), pY = h.f32(18);
    const sc = h.alloc(9 * 9 * 4);
    h.k.conv2d_forward(h.desc(CONV_DESC, {
      N: 1, H: 3, W: 3, C: 1, F: 2, K: 3, PAD: 1, HO: 3, WO: 3, X: pX, WGT: pW, BIAS: pB, Y: pY,
      SCRATCH: sc, SCRATCH_BYTES: 9 * 9 * 4, FLAGS: 0,
    }));
    const sums = [12, 21, 16, 27, 45, 33, 24, 39, 28];
    const want = [];
    for (let i = 0; i < 9; i++) want.push(sums[i], 10 - (i + 1));
    expectBits(h.read(pY, 18), want, 'Y');
  });

  t.test('forward matches the direct convolution, with and without bias and fused ReLU', (h) => {
    const r = rng(20);
    for (const s of CONFIGS) {
      const c = setup(h, r, s);
      const ref = forwardRef(s, c.X, c.Wt, c.b);
      const terms = s.K * s.K * s.C;
      c.call('conv2d_forward', { scratch: c.scratch.fwdLarge });
      const large = h.read(c.p.Y, c.yLen);
      expectBounded(large, ref.val, ref.abs, terms, `${s.label} forward`);
      c.call('conv2d_forward', { scratch: c.scratch.fwdSmall });
      expectBits(h.read(c.p.Y, c.yLen), large, `${s.label} forward, 3-row scratch vs one chunk`);
      c.call('conv2d_forward', { scratch: c.scratch.fwdSmall, flags: CONV_RELU });
      expectBounded(h.read(c.p.Y, c.yLen), ref.val.map((v) => Math.max(v, 0)), ref.abs, terms, `${s.label} forward relu`);
      const noBias = forwardRef(s, c.X, c.Wt, null);
      c.call('conv2d_forward', { scratch: c.scratch.fwdSmall, BIAS: 0 });
      expectBounded(h.read(c.p.Y, c.yLen), noBias.val, noBias.abs, terms, `${s.label} forward, no bias`);
      h.checkGuards();
      h.reset();
    }
  });

  t.test('backward input matches the adjoint and does not depend on the scratch size', (h) => {
    const r = rng(21);
    for (const s of CONFIGS) {
      const c = setup(h, r, s);
      const ref = backwardInputRef(s, c.R, c.Wt);
      c.call('conv2d_backward_input', { scratch: c.scratch.bwdLarge });
      const large = h.read(c.p.DX, c.xLen);
      expectBounded(large, ref.val, ref.abs, s.K * s.K * s.F, `${s.label} backward input`);
      // Poison DX again: it must be overwritten, never read.
      h.write(c.p.DX, new Float32Array(c.xLen).fill(NaN));
      c.call('conv2d_backward_input', { scratch: c.scratch.bwdSmall });
      expectBits(h.read(c.p.DX, c.xLen), large, `${s.label} backward input, 3-row scratch vs one chunk`);
      h.checkGuards();
      h.reset();
    }
  });

  t.test('backward filter matches the reference, accumulates with CONV_ACCUMULATE, any scratch', (h) => {
    const r = rng(22);
    for (const s of CONFIGS) {
      const c = setup(h, r, s);
      const ref = backwardFilterRef(s, c.X, c.R);
      const terms = s.N * s.Ho * s.Wo;
      c.call('conv2d_backward_filter', { scratch: c.scratch.fwdLarge });
      const dwLarge = h.read(c.p.DW, c.wLen), dbLarge = h.read(c.p.DB, s.F);
      expectBounded(dwLarge, ref.dw, ref.dwAbs, terms, `${s.label} dW`);
      expectBounded(dbLarge, ref.db, ref.dbAbs, terms, `${s.label} dB`);
      h.write(c.p.DW, new Float32Array(c.wLen).fill(NaN));
      h.write(c.p.DB, new Float32Array(s.F).fill(NaN));
      c.call('conv2d_backward_filter', { scratch: c.scratch.fwdSmall });
      expectBits(h.read(c.p.DW, c.wLen), dwLarge, `${s.label} dW, 3-row scratch vs one chunk`);
      expectBits(h.read(c.p.DB, s.F), dbLarge, `${s.label} dB, 3-row scratch vs one chunk`);

      // ACCUMULATE adds to what is there (here: values unrelated to the gradient).
      const dw0 = r.f32(c.wLen, -4, 4), db0 = r.f32(s.F, -4, 4);
      const accum = (scratch) => {
        h.write(c.p.DW, dw0);
        h.write(c.p.DB, db0);
        c.call('conv2d_backward_filter', { scratch, flags: CONV_ACCUMULATE });
        return [h.read(c.p.DW, c.wLen), h.read(c.p.DB, s.F)];
      };
      const [dwA, dbA] = accum(c.scratch.fwdLarge);
      expectBounded(dwA, ref.dw.map((v, i) => v + dw0[i]), ref.dwAbs.map((v, i) => v + Math.abs(dw0[i])), terms + 1, `${s.label} dW accumulate`);
      expectBounded(dbA, ref.db.map((v, i) => v + db0[i]), ref.dbAbs.map((v, i) => v + Math.abs(db0[i])), terms + 1, `${s.label} dB accumulate`);
      const [dwS, dbS] = accum(c.scratch.fwdSmall);
      expectBits(dwS, dwA, `${s.label} dW accumulate, 3-row scratch vs one chunk`);
      expectBits(dbS, dbA, `${s.label} dB accumulate, 3-row scratch vs one chunk`);

      // No DB pointer: the bias gradient is skipped, dW is unchanged.
      h.write(c.p.DB, db0);
      c.call('conv2d_backward_filter', { scratch: c.scratch.fwdSmall, DB: 0 });
      expectBits(h.read(c.p.DB, s.F), db0, `${s.label} DB=0 leaves dB alone`);
      expectBits(h.read(c.p.DW, c.wLen), dwLarge, `${s.label} DB=0 dW`);
      h.checkGuards();
      h.reset();
    }
  });

  t.test('backward passes match central differences of L = sum(Y * R)', (h) => {
    const r = rng(23);
    const eps = 1e-2;
    for (const s of CONFIGS) {
      const c = setup(h, r, s);
      c.call('conv2d_backward_input', { scratch: c.scratch.bwdSmall });
      c.call('conv2d_backward_filter', { scratch: c.scratch.fwdSmall });
      const grads = { X: h.read(c.p.DX, c.xLen), WGT: h.read(c.p.DW, c.wLen), BIAS: h.read(c.p.DB, s.F) };
      const f = h.eng.f32;
      for (const [name, samples] of [['X', 6], ['WGT', 6], ['BIAS', 3]]) {
        const g = grads[name];
        const rms = Math.sqrt(g.reduce((acc, v) => acc + v * v, 0) / g.length);
        for (let k = 0; k < Math.min(samples, g.length); k++) {
          const idx = r.int(0, g.length - 1);
          const at = (c.p[name] >> 2) + idx;
          const x = f[at];
          const hi = fr(x + eps), lo = fr(x - eps);
          f[at] = hi;
          const Lp = loss(h, c);
          f[at] = lo;
          const Lm = loss(h, c);
          f[at] = x;
          const fd = (Lp - Lm) / (hi - lo);
          const tol = 1e-2 * (Math.abs(fd) + rms) + 1e-5;
          assert.ok(Math.abs(fd - g[idx]) <= tol, `${s.label} d${name}[${idx}]: backward ${g[idx]}, finite difference ${fd}`);
        }
      }
      h.checkGuards();
      h.reset();
    }
  });

  t.run();
}
