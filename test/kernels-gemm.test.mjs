// gemm and the dense kernels against plain-JS references: the float64 sum with a rounding bound,
// the sequential float32 sum bit for bit where the build has no fused multiply-add, row results
// independent of M, and dense gradients against finite differences.
import * as assert from 'uvu/assert';
import { GEMM_DESC, DENSE_DESC } from '../dist/node/internal.js';
import { variants, variantSuite, rng, expectBits, expectBounded, expectUntouched } from './helpers/wasm.mjs';

const ACCUMULATE = 1, RELU = 2;
const DENSE_RELU = 1, DENSE_ACCUMULATE = 2, DENSE_SPARSE_X = 4;
const fr = Math.fround;

// ---- references -------------------------------------------------------------------------------

/** A[i, k] of an A stored with strides (sai, sak). */
const aAt = (A, sai, sak, i, k) => A[i * sai + k * sak];

/** Exact (float64) C = C0? + A B + bias, ReLU; also the sum of |terms| of every element. */
function gemmRef64(g) {
  const { M, N, K, A, sai, sak, B, ldb, C0, ldc, bias, flags } = g;
  const val = new Float64Array(M * N), abs = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0, sa = 0;
      if (flags & ACCUMULATE) {
        s = C0[i * ldc + j];
        sa = Math.abs(s);
      }
      for (let k = 0; k < K; k++) {
        const t = aAt(A, sai, sak, i, k) * B[k * ldb + j];
        s += t;
        sa += Math.abs(t);
      }
      if (bias) {
        s += bias[j];
        sa += Math.abs(bias[j]);
      }
      val[i * N + j] = flags & RELU ? Math.max(s, 0) : s;
      abs[i * N + j] = sa;
    }
  }
  return { val, abs };
}

/** The contract's float32 order: k = 0..K-1, multiply then add (two roundings), bias last. */
function gemmRef32(g) {
  const { M, N, K, A, sai, sak, B, ldb, C0, ldc, bias, flags } = g;
  const out = new Float32Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = flags & ACCUMULATE ? C0[i * ldc + j] : 0;
      for (let k = 0; k < K; k++) s = fr(s + fr(aAt(A, sai, sak, i, k) * B[k * ldb + j]));
      if (bias) s = fr(s + bias[j]);
      out[i * N + j] = flags & RELU ? Math.max(s, 0) : s;
    }
  }
  return out;
}

// ---- running one GEMM --------------------------------------------------------------------------

/**
 * Builds random operands for one case, runs the kernel and returns everything needed to check it.
 * C starts as random values when accumulating, as poison (NaN) otherwise, so a read of C that the
 * flags do not allow shows up; the ldc - N padding columns hold values that must stay untouched.
 */
function runGemm(h, r, { M, N, K, trans = false, bias = false, flags = 0, ldcPad = 0, ldbPad = 0, ldaPad = 0 }) {
  const ldc = N + ldcPad, ldb = N + ldbPad;
  const sai = trans ? 1 : K + ldaPad, sak = trans ? M + ldaPad : 1;
  const aLen = trans ? Math.max(K, 1) * (M + ldaPad) : M * (K + ldaPad);
  const A = r.f32(aLen);
  const B = r.f32(K * ldb);
  const C0 = r.f32(M * ldc);
  const biasV = bias ? r.f32(N) : null;
  const pA = h.f32(A), pB = h.f32(B), pBias = bias ? h.f32(biasV) : 0;
  const pC = h.f32(C0);
  if (!(flags & ACCUMULATE)) {
    // Poison the columns the kernel owns; padding keeps its random values.
    const f = h.eng.f32;
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) f[(pC >> 2) + i * ldc + j] = NaN;
  }
  const d = h.desc(GEMM_DESC, {
    M, N, K, A: pA, SAI: sai, SAK: sak, B: pB, LDB: ldb, C: pC, LDC: ldc, BIAS: pBias, FLAGS: flags,
  });
  h.k.gemm(d);
  const full = h.read(pC, M * ldc);
  const got = new Float32Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) got[i * N + j] = full[i * ldc + j];
  return { g: { M, N, K, A, sai, sak, B, ldb, C0, ldc, bias: biasV, flags }, got, full };
}

function checkGemm(h, run, label) {
  const { g, got, full } = run;
  const ref = gemmRef64(g);
  expectBounded(got, ref.val, ref.abs, g.K, `${label} vs float64`);
  if (h.variant.exactF32) expectBits(got, gemmRef32(g), `${label} vs sequential float32`);
  if (g.ldc > g.N) {
    const padGot = [], padWant = [];
    for (let i = 0; i < g.M; i++) {
      for (let j = g.N; j < g.ldc; j++) {
        padGot.push(full[i * g.ldc + j]);
        padWant.push(g.C0[i * g.ldc + j]);
      }
    }
    expectBits(Float32Array.from(padGot), Float32Array.from(padWant), `${label}: ldc padding columns`);
  }
}

// M x N x K spread: every size of the brief appears in each position, N covers every residue
// mod 8 and mod 4, K stays within one 320-deep block or crosses one or more, and the 2x16 and
// 4x8 tiles meet in one panel across several blocks (N = 24, 40, 72; M past a 64-row panel).
const SHAPES = [
  [1, 1, 1], [1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 7], [5, 7, 8], [7, 8, 9], [8, 9, 13],
  [9, 13, 31], [13, 31, 33], [31, 33, 64], [33, 64, 257], [64, 257, 9], [257, 13, 4], [300, 8, 300],
  [4, 300, 257], [9, 31, 300], [5, 12, 600], [2, 1, 257], [1, 257, 2], [3, 14, 256], [6, 10, 512],
  [12, 40, 700], [70, 24, 321], [7, 72, 1025], [68, 17, 640],
];

// ---- dense reference -------------------------------------------------------------------------

function denseRef(X, Wt, b, n, IN, OUT) {
  const val = new Float64Array(n * OUT), abs = new Float64Array(n * OUT);
  for (let r = 0; r < n; r++) {
    for (let o = 0; o < OUT; o++) {
      let s = b ? b[o] : 0, sa = Math.abs(s);
      for (let i = 0; i < IN; i++) {
        const t = X[r * IN + i] * Wt[i * OUT + o];
        s += t;
        sa += Math.abs(t);
      }
      val[r * OUT + o] = s;
      abs[r * OUT + o] = sa;
    }
  }
  return { val, abs };
}

function allocDense(h, r, n, IN, OUT, flags = 0) {
  const X = r.f32(n * IN), Wt = r.f32(IN * OUT), b = r.f32(OUT), R = r.f32(n * OUT);
  const p = {
    X: h.f32(X), WGT: h.f32(Wt), BIAS: h.f32(b), Y: h.f32(n * OUT), DY: h.f32(R), DX: h.f32(n * IN),
    DW: h.f32(IN * OUT), DB: h.f32(OUT), SCRATCH: h.f32(IN * OUT),
  };
  const d = h.desc(DENSE_DESC, { N: n, IN, OUT, ...p, FLAGS: flags });
  return { X, Wt, b, R, p, d };
}

/** L = sum(Y * R), with Y from the wasm forward pass. */
function lossOf(h, dn, n, OUT) {
  h.k.dense_forward(dn.d);
  const Y = h.read(dn.p.Y, n * OUT);
  let L = 0;
  for (let i = 0; i < Y.length; i++) L += Y[i] * dn.R[i];
  return L;
}

/**
 * Central difference of L with respect to the float at `ptr`, dividing by the step actually taken
 * (x +- eps rounded to float32).
 */
function centralDiff(h, ptr, eps, loss) {
  const f = h.eng.f32;
  const i = ptr >> 2;
  const x = f[i];
  const hi = fr(x + eps), lo = fr(x - eps);
  f[i] = hi;
  const Lp = loss();
  f[i] = lo;
  const Lm = loss();
  f[i] = x;
  return (Lp - Lm) / (hi - lo);
}

for (const variant of variants) {
  const t = variantSuite('gemm', variant);

  t.test('every shape, both A forms, bias, ACCUMULATE and RELU on and off', (h) => {
    const r = rng(1);
    for (const [M, N, K] of SHAPES) {
      for (let combo = 0; combo < 16; combo++) {
        const trans = (combo & 1) !== 0, bias = (combo & 2) !== 0;
        const flags = (combo & 4 ? ACCUMULATE : 0) | (combo & 8 ? RELU : 0);
        const run = runGemm(h, r, { M, N, K, trans, bias, flags });
        checkGemm(h, run, `M${M} N${N} K${K} trans=${trans} bias=${bias} flags=${flags}`);
        h.checkGuards();
        h.reset();
      }
    }
  });

  t.test('ldc > N (and ldb > N, lda > K): padding columns are never written', (h) => {
    const r = rng(2);
    const cases = [
      [5, 7, 9, 3], [9, 13, 300, 5], [4, 8, 33, 1], [13, 12, 5, 4], [7, 31, 257, 9], [33, 5, 64, 11],
    ];
    for (const [M, N, K, pad] of cases) {
      for (const flags of [0, ACCUMULATE, RELU, ACCUMULATE | RELU]) {
        for (const trans of [false, true]) {
          const run = runGemm(h, r, { M, N, K, trans, bias: true, flags, ldcPad: pad, ldbPad: pad + 1, ldaPad: 2 });
          checkGemm(h, run, `M${M} N${N} K${K} ldc=N+${pad} trans=${trans} flags=${flags}`);
          h.checkGuards();
          h.reset();
        }
      }
    }
  });

  t.test('known answer: a 2x3 by 3x2 product, with bias, accumulate and ReLU', (h) => {
    // A = [[1,2,3],[4,5,6]], B = [[1,-1],[0,2],[-1,0.5]] -> AB = [[-2,4.5],[-2,9]]
    const pA = h.f32([1, 2, 3, 4, 5, 6]), pB = h.f32([1, -1, 0, 2, -1, 0.5]);
    const pBias = h.f32([1, -10]);
    const pC = h.f32([100, 200, 300, 400]);
    const base = { M: 2, N: 2, K: 3, A: pA, SAI: 3, SAK: 1, B: pB, LDB: 2, C: pC, LDC: 2 };
    h.k.gemm(h.desc(GEMM_DESC, { ...base, BIAS: 0, FLAGS: 0 }));
    expectBits(h.read(pC, 4), [-2, 4.5, -2, 9], 'plain');
    h.k.gemm(h.desc(GEMM_DESC, { ...base, BIAS: pBias, FLAGS: RELU }));
    expectBits(h.read(pC, 4), [0, 0, 0, 0], 'bias then ReLU');
    h.write(pC, [100, 200, 300, 400]);
    h.k.gemm(h.desc(GEMM_DESC, { ...base, BIAS: pBias, FLAGS: ACCUMULATE }));
    expectBits(h.read(pC, 4), [99, 194.5, 299, 399], 'accumulate with bias');
    // The same product through the transposed form: A^T stored 3x2.
    const pAt = h.f32([1, 4, 2, 5, 3, 6]);
    h.k.gemm(h.desc(GEMM_DESC, { ...base, A: pAt, SAI: 1, SAK: 2, BIAS: 0, FLAGS: 0 }));
    expectBits(h.read(pC, 4), [-2, 4.5, -2, 9], 'transposed A');
  });

  t.test('K = 0 leaves C (or 0) plus bias; M = 0 or N = 0 writes nothing', (h) => {
    const pC = h.f32([1, -2, 3, -4, 5, -6]);
    const pBias = h.f32([0.5, 0.25, -8]);
    const pA = h.f32(4), pB = h.f32(4);
    const base = { M: 2, N: 3, K: 0, A: pA, SAI: 0, SAK: 1, B: pB, LDB: 3, C: pC, LDC: 3, BIAS: pBias };
    h.k.gemm(h.desc(GEMM_DESC, { ...base, FLAGS: ACCUMULATE | RELU }));
    expectBits(h.read(pC, 6), [1.5, 0, 0, 0, 5.25, 0], 'K=0 accumulate + bias + relu');
    h.k.gemm(h.desc(GEMM_DESC, { ...base, FLAGS: 0 }));
    expectBits(h.read(pC, 6), [0.5, 0.25, -8, 0.5, 0.25, -8], 'K=0 overwrite + bias');
    h.write(pC, [1, 2, 3, 4, 5, 6]);
    h.k.gemm(h.desc(GEMM_DESC, { ...base, K: 2, M: 0, FLAGS: 0 }));
    h.k.gemm(h.desc(GEMM_DESC, { ...base, K: 2, N: 0, FLAGS: 0 }));
    expectUntouched(h, pC, [1, 2, 3, 4, 5, 6], 'M=0 / N=0');
  });

  t.test('a row is bit-identical computed alone (M=1) or inside a bigger M', (h) => {
    const r = rng(3);
    for (const N of [5, 8, 13, 33]) {
      for (const K of [7, 257, 300]) {
        for (const trans of [false, true]) {
          const M = 9; // two 4-row tiles and one single-row edge
          const flags = ACCUMULATE | (K === 257 ? RELU : 0);
          const A = r.f32(M * K), B = r.f32(K * N), C0 = r.f32(M * N), bias = r.f32(N);
          const sai = trans ? 1 : K, sak = trans ? M : 1;
          const pA = h.f32(A), pB = h.f32(B), pBias = h.f32(bias);
          const pC = h.f32(C0);
          h.k.gemm(h.desc(GEMM_DESC, { M, N, K, A: pA, SAI: sai, SAK: sak, B: pB, LDB: N, C: pC, LDC: N, BIAS: pBias, FLAGS: flags }));
          const big = h.read(pC, M * N);
          for (let i = 0; i < M; i++) {
            const pRow = h.f32(C0.subarray(i * N, (i + 1) * N));
            h.k.gemm(h.desc(GEMM_DESC, {
              M: 1, N, K, A: pA + i * sai * 4, SAI: sai, SAK: sak, B: pB, LDB: N, C: pRow, LDC: N, BIAS: pBias, FLAGS: flags,
            }));
            expectBits(h.read(pRow, N), big.subarray(i * N, (i + 1) * N), `N${N} K${K} trans=${trans} row ${i}`);
          }
          // Rows 4..8 as their own call (a 4-row tile plus an edge row) must match too.
          const pPart = h.f32(C0.subarray(4 * N));
          h.k.gemm(h.desc(GEMM_DESC, {
            M: 5, N, K, A: pA + 4 * sai * 4, SAI: sai, SAK: sak, B: pB, LDB: N, C: pPart, LDC: N, BIAS: pBias, FLAGS: flags,
          }));
          expectBits(h.read(pPart, 5 * N), big.subarray(4 * N), `N${N} K${K} trans=${trans} rows 4..8`);
          h.checkGuards();
          h.reset();
        }
      }
    }
  });

  t.run();

  const dn = variantSuite('dense', variant);
  const SIZES = [1, 3, 7, 31, 64];

  dn.test('forward (bias, ReLU), backward input and backward filter against references', (h) => {
    const r = rng(10);
    for (const n of [1, 5]) {
      for (const IN of SIZES) {
        for (const OUT of SIZES) {
          const label = `N${n} IN${IN} OUT${OUT}`;
          const D = allocDense(h, r, n, IN, OUT);
          const ref = denseRef(D.X, D.Wt, D.b, n, IN, OUT);
          h.k.dense_forward(D.d);
          expectBounded(h.read(D.p.Y, n * OUT), ref.val, ref.abs, IN, `${label} forward`);
          h.eng.i32[(D.d + DENSE_DESC.FLAGS) >> 2] = DENSE_RELU;
          h.k.dense_forward(D.d);
          expectBounded(h.read(D.p.Y, n * OUT), ref.val.map((v) => Math.max(v, 0)), ref.abs, IN, `${label} forward relu`);

          // DX = DY W^T
          h.k.dense_backward_input(D.d);
          const dx = new Float64Array(n * IN), dxAbs = new Float64Array(n * IN);
          for (let b = 0; b < n; b++) {
            for (let i = 0; i < IN; i++) {
              for (let o = 0; o < OUT; o++) {
                const v = D.R[b * OUT + o] * D.Wt[i * OUT + o];
                dx[b * IN + i] += v;
                dxAbs[b * IN + i] += Math.abs(v);
              }
            }
          }
          expectBounded(h.read(D.p.DX, n * IN), dx, dxAbs, OUT, `${label} backward input`);

          // DW = X^T DY, DB = column sums of DY; then again with ACCUMULATE on top of the first.
          const dw = new Float64Array(IN * OUT), dwAbs = new Float64Array(IN * OUT);
          const db = new Float64Array(OUT), dbAbs = new Float64Array(OUT);
          for (let b = 0; b < n; b++) {
            for (let o = 0; o < OUT; o++) {
              db[o] += D.R[b * OUT + o];
              dbAbs[o] += Math.abs(D.R[b * OUT + o]);
              for (let i = 0; i < IN; i++) {
                const v = D.X[b * IN + i] * D.R[b * OUT + o];
                dw[i * OUT + o] += v;
                dwAbs[i * OUT + o] += Math.abs(v);
              }
            }
          }
          h.k.dense_backward_filter(D.d);
          const dw1 = h.read(D.p.DW, IN * OUT), db1 = h.read(D.p.DB, OUT);
          expectBounded(dw1, dw, dwAbs, n, `${label} backward filter dW`);
          expectBounded(db1, db, dbAbs, n, `${label} backward filter dB`);
          h.eng.i32[(D.d + DENSE_DESC.FLAGS) >> 2] = DENSE_ACCUMULATE;
          h.k.dense_backward_filter(D.d);
          expectBounded(h.read(D.p.DW, IN * OUT), dw.map((v) => 2 * v), dwAbs.map((v) => 2 * v), 2 * n + 2, `${label} dW accumulate`);
          expectBounded(h.read(D.p.DB, OUT), db.map((v) => 2 * v), dbAbs.map((v) => 2 * v), 2 * n + 2, `${label} dB accumulate`);
          h.checkGuards();
          h.reset();
        }
      }
    }
  });

  dn.test('DENSE_SPARSE_X: rows outside 4-row tiles skip zero inputs with the same bits as without', (h) => {
    const r = rng(14);
    let sparseRows = 0;
    // OUT: 32-column and 8-column blocks; 12 takes the GEMM (not a multiple of 8). Zero fractions:
    // mostly zero (skipped), none, and too few to pay (the GEMM again).
    for (const [n, IN, OUT] of [[1, 5408, 32], [1, 31, 8], [3, 64, 40], [7, 300, 64], [5, 33, 12], [1, 1, 8]]) {
      for (const zeros of [0.7, 0, 0.1, 1]) {
        for (const flags of [0, DENSE_RELU]) {
          const label = `N${n} IN${IN} OUT${OUT} zeros ${zeros} flags ${flags}`;
          const D = allocDense(h, r, n, IN, OUT, flags);
          // Zeros of both signs, as ReLU (+0) and products (-0) leave them.
          const X = D.X.map((v, i) => (r.uniform(0, 1) < zeros ? (i & 1 ? -0 : 0) : v));
          h.write(D.p.X, X);
          h.k.dense_forward(D.d);
          const plain = h.read(D.p.Y, n * OUT);
          h.write(D.p.Y, new Float32Array(n * OUT).fill(NaN));
          h.eng.i32[(D.d + DENSE_DESC.FLAGS) >> 2] = flags | DENSE_SPARSE_X;
          h.k.dense_forward(D.d);
          expectBits(h.read(D.p.Y, n * OUT), plain, label);
          // A row that skips never reads the weight rows of its zero inputs: an infinity there
          // stays out of the sums (which is why the flag needs finite weights). Rows in 4-row tiles
          // and rows that take the GEMM read it and turn NaN.
          const k0 = X.findIndex((v, i) => v === 0 && i >= (n & ~3) * IN);
          if (zeros >= 0.7 && OUT % 8 === 0 && k0 >= 0) {
            const Wt = D.Wt.slice();
            Wt[(k0 % IN) * OUT] = Infinity;
            h.write(D.p.WGT, Wt);
            h.k.dense_forward(D.d);
            const row = Math.floor(k0 / IN);
            const y = h.read(D.p.Y + row * OUT * 4, OUT);
            const skipped = X.subarray(row * IN, (row + 1) * IN).filter((v) => v !== 0).length <= 0.75 * IN;
            assert.is(Number.isNaN(y[0]), !skipped, `${label}: row ${row} ${skipped ? 'skips' : 'reads'} the infinite weight`);
            if (skipped) sparseRows++;
          }
          h.checkGuards();
          h.reset();
        }
      }
    }
    assert.ok(sparseRows >= 8, `rows that skipped: ${sparseRows}`);
  });

  dn.test('no bias pointer: forward adds nothing, backward filter writes no dB', (h) => {
    const r = rng(11);
    const n = 3, IN = 7, OUT = 5;
    const D = allocDense(h, r, n, IN, OUT);
    const dbBefore = h.read(D.p.DB, OUT);
    h.eng.i32[(D.d + DENSE_DESC.BIAS) >> 2] = 0;
    h.eng.i32[(D.d + DENSE_DESC.DB) >> 2] = 0;
    h.k.dense_forward(D.d);
    const ref = denseRef(D.X, D.Wt, null, n, IN, OUT);
    expectBounded(h.read(D.p.Y, n * OUT), ref.val, ref.abs, IN, 'forward without bias');
    h.k.dense_backward_filter(D.d);
    expectBits(h.read(D.p.DB, OUT), dbBefore, 'dB untouched');
  });

  dn.test('gradients match central differences of L = sum(Y * R) on the wasm forward pass', (h) => {
    const r = rng(12);
    const eps = 1e-2;
    for (const n of [1, 5]) {
      for (const [IN, OUT] of [[1, 1], [3, 7], [7, 3], [31, 64], [64, 31], [64, 64], [1, 31]]) {
        const D = allocDense(h, r, n, IN, OUT);
        h.k.dense_backward_input(D.d);
        h.k.dense_backward_filter(D.d);
        const g = { X: h.read(D.p.DX, n * IN), WGT: h.read(D.p.DW, IN * OUT), BIAS: h.read(D.p.DB, OUT) };
        const loss = () => lossOf(h, D, n, OUT);
        for (const name of ['X', 'WGT', 'BIAS']) {
          const grad = g[name];
          const rms = Math.sqrt(grad.reduce((s, v) => s + v * v, 0) / grad.length);
          for (let s = 0; s < Math.min(8, grad.length); s++) {
            const idx = r.int(0, grad.length - 1);
            const fd = centralDiff(h, D.p[name] + idx * 4, eps, loss);
            const tol = 1e-2 * (Math.abs(fd) + rms) + 1e-6;
            assert.ok(Math.abs(fd - grad[idx]) <= tol, `N${n} IN${IN} OUT${OUT} d${name}[${idx}]: backward ${grad[idx]}, finite difference ${fd}`);
          }
        }
        h.checkGuards();
        h.reset();
      }
    }
  });

  dn.test('fused ReLU: relu_backward then dense backward match central differences away from kinks', (h) => {
    const r = rng(13);
    const eps = 1e-3;
    let checked = 0;
    for (const [n, IN, OUT] of [[5, 7, 31], [1, 64, 7], [5, 31, 3]]) {
      const D = allocDense(h, r, n, IN, OUT, DENSE_RELU);
      const pre = denseRef(D.X, D.Wt, D.b, n, IN, OUT).val;
      h.k.dense_forward(D.d);
      // DY = R where Y > 0, in place as plan.ts does it.
      h.k.relu_backward(D.p.Y, D.p.DY, D.p.DY, n * OUT);
      const dyGot = h.read(D.p.DY, n * OUT);
      expectBits(dyGot, D.R.map((v, i) => (pre[i] > 0 ? v : 0)), `N${n} IN${IN} OUT${OUT} masked dY`);
      h.k.dense_backward_input(D.d);
      h.k.dense_backward_filter(D.d);
      const g = { X: h.read(D.p.DX, n * IN), WGT: h.read(D.p.DW, IN * OUT), BIAS: h.read(D.p.DB, OUT) };
      const loss = () => lossOf(h, D, n, OUT);
      // A step of eps moves each affected pre-activation by at most eps * max|coefficient| <= eps.
      const margin = 3 * eps;
      const safe = (rowsOrCols) => rowsOrCols.every((k) => Math.abs(pre[k]) > margin);
      for (const name of ['X', 'WGT', 'BIAS']) {
        const grad = g[name];
        for (let idx = 0; idx < grad.length; idx++) {
          let affected;
          if (name === 'X') {
            const b = Math.floor(idx / IN);
            affected = Array.from({ length: OUT }, (_, o) => b * OUT + o);
          } else {
            const o = name === 'WGT' ? idx % OUT : idx;
            affected = Array.from({ length: n }, (_, b) => b * OUT + o);
          }
          if (!safe(affected)) continue;
          const fd = centralDiff(h, D.p[name] + idx * 4, eps, loss);
          const tol = 2e-2 * Math.abs(fd) + 2e-3;
          assert.ok(Math.abs(fd - grad[idx]) <= tol, `N${n} IN${IN} OUT${OUT} relu d${name}[${idx}]: backward ${grad[idx]}, finite difference ${fd}`);
          checked++;
        }
      }
      h.checkGuards();
      h.reset();
    }
    assert.ok(checked > 20, `only ${checked} entries were away from kinks`);
  });

  dn.run();
}
