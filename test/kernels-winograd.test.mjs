// The Winograd F(2x2, 3x3) path of conv2d_forward and conv2d_backward_input (3x3 kernels, channel
// counts multiples of 4, at least 8 input channels): against the direct float64 reference, edge
// tiles of odd sizes, both paddings, fused bias and ReLU, the weight gradient, and independence
// from the chunk size.
import * as assert from 'uvu/assert';
import { CONV_DESC } from '../dist/node/internal.js';
import { variants, variantSuite, rng, expectBits } from './helpers/wasm.mjs';
import { forwardRef, backwardInputRef, backwardFilterRef } from './helpers/conv-ref.mjs';

const CONV_RELU = 1;
const CONFIGS = [
  [1, 5, 5, 8, 4, 'same'], [3, 7, 6, 8, 8, 'valid'], [2, 14, 14, 32, 64, 'same'], [1, 9, 7, 12, 16, 'same'],
  [4, 6, 5, 16, 4, 'valid'], [1, 4, 4, 64, 32, 'same'],
].map(([N, H, W, C, F, padding]) => {
  const K = 3, pad = padding === 'same' ? 1 : 0;
  return { N, H, W, C, F, K, pad, Ho: H + 2 * pad - 2, Wo: W + 2 * pad - 2, label: `N${N} ${H}x${W}x${C} F${F} ${padding}` };
});

/** Winograd's transforms add and subtract a few terms before and after the GEMM: bound by |terms|. */
function expectNear(actual, ref, abs, label) {
  for (let i = 0; i < actual.length; i++) {
    const tol = 4e-6 * (abs[i] + 1);
    if (!(Math.abs(actual[i] - ref[i]) <= tol)) assert.unreachable(`${label}[${i}]: ${actual[i]} vs ${ref[i]} (tolerance ${tol})`);
  }
}

for (const variant of variants) {
  const t = variantSuite('conv2d winograd', variant);

  t.test('forward, backward input and backward filter match the direct convolution; chunking never changes a bit', (h) => {
    const r = rng(31);
    for (const s of CONFIGS) {
      const xLen = s.N * s.H * s.W * s.C, yLen = s.N * s.Ho * s.Wo * s.F, wLen = 9 * s.C * s.F;
      const X = r.f32(xLen), Wt = r.f32(wLen), b = r.f32(s.F), DY = r.f32(yLen);
      const p = { X: h.f32(X), WGT: h.f32(Wt), BIAS: h.f32(b), Y: h.f32(yLen), DY: h.f32(DY), DX: h.f32(xLen), DW: h.f32(wLen), DB: h.f32(s.F) };
      const big = 16 * s.C * s.F * 4 + wLen * 4 + 16 * 1024 * (s.C + s.F) * 4;
      const one = wLen * 4 + 16 * s.C * s.F * 4 + 16 * (s.C + s.F) * 4; // room for a single tile per chunk
      const sBig = h.alloc(big), sOne = h.alloc(one);
      const call = (kernel, scratch, bytes, flags = 0) => h.k[kernel](h.desc(CONV_DESC, {
        N: s.N, H: s.H, W: s.W, C: s.C, F: s.F, K: 3, PAD: s.pad, HO: s.Ho, WO: s.Wo, ...p,
        SCRATCH: scratch, SCRATCH_BYTES: bytes, FLAGS: flags,
      }));
      const ref = forwardRef(s, X, Wt, b);
      call('conv2d_forward', sBig, big);
      const y = h.read(p.Y, yLen);
      expectNear(y, ref.val, ref.abs, `${s.label} forward`);
      call('conv2d_forward', sOne, one);
      expectBits(h.read(p.Y, yLen), y, `${s.label} forward, one tile per chunk`);
      call('conv2d_forward', sOne, one, CONV_RELU);
      expectBits(h.read(p.Y, yLen), y.map((v) => Math.max(v, 0)), `${s.label} forward relu`);
      const refIn = backwardInputRef(s, DY, Wt);
      call('conv2d_backward_input', sBig, big);
      const dx = h.read(p.DX, xLen);
      expectNear(dx, refIn.val, refIn.abs, `${s.label} backward input`);
      h.write(p.DX, new Float32Array(xLen).fill(NaN));
      call('conv2d_backward_input', sOne, one);
      expectBits(h.read(p.DX, xLen), dx, `${s.label} backward input, one tile per chunk`);
      const refW = backwardFilterRef(s, X, DY);
      call('conv2d_backward_filter', sBig, big);
      const dw = h.read(p.DW, wLen);
      expectNear(dw, refW.dw, refW.dwAbs, `${s.label} backward filter`);
      expectNear(h.read(p.DB, s.F), refW.db, refW.dbAbs, `${s.label} bias gradient`);
      h.write(p.DW, new Float32Array(wLen).fill(NaN));
      call('conv2d_backward_filter', sOne, one);
      expectBits(h.read(p.DW, wLen), dw, `${s.label} backward filter, one tile per chunk`);
      const dw0 = r.f32(wLen);
      h.write(p.DW, dw0);
      call('conv2d_backward_filter', sOne, one, 2 /* CONV_ACCUMULATE */);
      expectNear(h.read(p.DW, wLen), refW.dw.map((v, i) => v + dw0[i]), refW.dwAbs.map((v, i) => v + Math.abs(dw0[i])), `${s.label} backward filter, accumulate`);
      h.checkGuards();
      h.reset();
    }
  });

  t.test('winograd_weights: U = G g G^T with every sum and halving rounded to f32, bit for bit', (h) => {
    const fr = Math.fround;
    const r = rng(33);
    // G g (then the same on each row of the result): g_0, (g_0 + g_1 + g_2) / 2, (g_0 - g_1 + g_2) / 2, g_2.
    const g4 = (x0, x1, x2) => [x0, fr(0.5 * fr(fr(x0 + x1) + x2)), fr(0.5 * fr(fr(x0 - x1) + x2)), x2];
    for (const [C, F] of [[8, 4], [12, 16], [32, 64], [1, 3], [3, 3]]) {
      const CF = C * F;
      const w = r.f32(9 * CF, -2, 2);
      const pW = h.f32(w), pU = h.f32(16 * CF);
      h.k.winograd_weights(pW, C, F, pU);
      const want = new Float32Array(16 * CF);
      for (let i = 0; i < CF; i++) {
        const g = (kh, kw) => w[(kh * 3 + kw) * CF + i];
        const cols = [0, 1, 2].map((kw) => g4(g(0, kw), g(1, kw), g(2, kw))); // cols[kw][row]
        for (let row = 0; row < 4; row++) {
          g4(cols[0][row], cols[1][row], cols[2][row]).forEach((v, col) => { want[(row * 4 + col) * CF + i] = v; });
        }
      }
      expectBits(h.read(pU, 16 * CF), want, `C ${C} F ${F}`);
    }
  });

  t.test('an image gives the same bits alone or in a batch', (h) => {
    const r = rng(32);
    const s = CONFIGS[2];
    const per = s.H * s.W * s.C, outPer = s.Ho * s.Wo * s.F;
    const X = r.f32(s.N * per), Wt = r.f32(9 * s.C * s.F);
    const bytes = 16 * s.C * s.F * 4 + 16 * 64 * (s.C + s.F) * 4;
    const sc = h.alloc(bytes), pW = h.f32(Wt), pX = h.f32(X), pY = h.f32(s.N * outPer);
    const run = (n, x) => h.k.conv2d_forward(h.desc(CONV_DESC, {
      N: n, H: s.H, W: s.W, C: s.C, F: s.F, K: 3, PAD: 1, HO: s.Ho, WO: s.Wo, X: x, WGT: pW, BIAS: 0, Y: pY,
      DY: 0, DX: 0, DW: 0, DB: 0, SCRATCH: sc, SCRATCH_BYTES: bytes, FLAGS: 0,
    }));
    run(s.N, pX);
    const batch = h.read(pY, s.N * outPer);
    run(1, pX + per * 4);
    expectBits(h.read(pY, outPer), batch.subarray(outPer, 2 * outPer), 'image 1 alone vs in the batch');
  });

  t.run();
}
