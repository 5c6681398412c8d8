// Softmax cross-entropy, softmax, the module's own exp/log/powi and Adam(W) against float64
// references (Math.exp/Math.log, PyTorch's Adam/AdamW formula), plus finite differences.
import * as assert from 'uvu/assert';
import { ADAM_DESC } from '../dist/node/internal.js';
import { variants, variantSuite, rng, expectBits, expectClose } from './helpers/wasm.mjs';

const fr = Math.fround;

// ---- references -------------------------------------------------------------------------------

/** Per-row loss and gradient in float64; smoothing is the f32 the kernel receives. */
function sceRef(Z, labels, n, classes, gradScale, smoothing) {
  const s = fr(smoothing);
  const off = s / classes, on = 1 - s + off;
  const loss = new Float64Array(n), grad = new Float64Array(n * classes);
  for (let r = 0; r < n; r++) {
    const z = Z.subarray(r * classes, (r + 1) * classes);
    const m = Math.max(...z);
    let sum = 0, dot = 0;
    for (let j = 0; j < classes; j++) {
      sum += Math.exp(z[j] - m);
      dot += (j === labels[r] ? on : off) * z[j];
    }
    loss[r] = m + Math.log(sum) - dot;
    for (let j = 0; j < classes; j++) {
      grad[r * classes + j] = (Math.exp(z[j] - m) / sum - (j === labels[r] ? on : off)) * fr(gradScale);
    }
  }
  return { loss, grad };
}

function softmaxRef(Z, n, classes) {
  const out = new Float64Array(n * classes);
  for (let r = 0; r < n; r++) {
    const z = Z.subarray(r * classes, (r + 1) * classes);
    const m = Math.max(...z);
    let sum = 0;
    for (let j = 0; j < classes; j++) sum += Math.exp(z[j] - m);
    for (let j = 0; j < classes; j++) out[r * classes + j] = Math.exp(z[j] - m) / sum;
  }
  return out;
}

/** PyTorch Adam / AdamW (decoupled decay), float64, one step; state arrays updated in place. */
function adamRef(p, g, m, v, t, { lr, b1, b2, eps, wd }) {
  const bc1 = 1 - b1 ** t, bc2 = 1 - b2 ** t;
  for (let i = 0; i < p.length; i++) {
    p[i] *= 1 - lr * wd;
    m[i] = b1 * m[i] + (1 - b1) * g[i];
    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
    p[i] -= (lr / bc1) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + eps));
  }
}

/** Loss tolerance: float32 rounding of the result plus a float64 margin for lse - dot. */
const lossTol = (ref, z) => 2 ** -23 * Math.abs(ref) + 1e-12 * (1 + Math.max(...z.map(Math.abs)));

for (const variant of variants) {
  const t = variantSuite('softmax_cross_entropy', variant);

  t.test('loss and gradient match a float64 reference (smoothing 0 and 0.1, gradScale)', (h) => {
    const r = rng(40);
    for (const classes of [1, 2, 3, 10, 17]) {
      for (const n of [1, 4, 7]) {
        for (const smoothing of [0, 0.1]) {
          const gradScale = fr(1 / n);
          const Z = r.f32(n * classes, -6, 6);
          const labels = Array.from({ length: n }, () => r.int(0, classes - 1));
          const pZ = h.f32(Z), pL = h.i32(labels), pG = h.f32(n * classes), pLoss = h.f32(n);
          h.k.softmax_cross_entropy(pZ, pL, n, classes, pG, pLoss, gradScale, smoothing);
          const ref = sceRef(Z, labels, n, classes, gradScale, smoothing);
          const label = `classes ${classes} n ${n} smoothing ${smoothing}`;
          const loss = h.read(pLoss, n);
          for (let i = 0; i < n; i++) {
            const z = Z.subarray(i * classes, (i + 1) * classes);
            assert.ok(Math.abs(loss[i] - ref.loss[i]) <= lossTol(ref.loss[i], Array.from(z)), `${label} loss[${i}]: ${loss[i]} vs ${ref.loss[i]}`);
          }
          expectClose(h.read(pG, n * classes), ref.grad, { rtol: 2 ** -23, atol: 1e-12 }, `${label} grad`);
          // Without a gradient pointer only the losses are written (the harness guards address 0).
          h.write(pLoss, new Float32Array(n).fill(NaN));
          h.k.softmax_cross_entropy(pZ, pL, n, classes, 0, pLoss, gradScale, smoothing);
          expectBits(h.read(pLoss, n), loss, `${label} loss without grad`);
          h.checkGuards();
          // In place: grad aliases the logits.
          h.k.softmax_cross_entropy(pZ, pL, n, classes, pZ, pLoss, gradScale, smoothing);
          expectBits(h.read(pZ, n * classes), h.read(pG, n * classes), `${label} grad in place`);
          h.checkGuards();
          h.reset();
        }
      }
    }
  });

  t.test('known answers: uniform logits, one class, extreme logits stay finite', (h) => {
    // Ten equal logits: loss = ln 10 whatever the label; grad = 0.1 - onehot.
    const pZ = h.f32(new Float32Array(10).fill(3)), pL = h.i32([4]), pG = h.f32(10), pLoss = h.f32(1);
    h.k.softmax_cross_entropy(pZ, pL, 1, 10, pG, pLoss, 1, 0);
    assert.ok(Math.abs(h.read(pLoss, 1)[0] - Math.LN10) < 3e-7, `ln 10: ${h.read(pLoss, 1)[0]}`);
    expectClose(h.read(pG, 10), [0.1, 0.1, 0.1, 0.1, -0.9, 0.1, 0.1, 0.1, 0.1, 0.1], { atol: 1e-7 }, 'uniform grad');
    // Smoothing 0.1 on uniform logits: targets 0.01 and 0.91 still sum to 1, so the loss is still
    // ln 10 and the gradient 0.1 - target.
    h.k.softmax_cross_entropy(pZ, pL, 1, 10, pG, pLoss, 1, 0.1);
    assert.ok(Math.abs(h.read(pLoss, 1)[0] - Math.LN10) < 3e-7, `ln 10 smoothed: ${h.read(pLoss, 1)[0]}`);
    expectClose(h.read(pG, 10), [0.09, 0.09, 0.09, 0.09, -0.81, 0.09, 0.09, 0.09, 0.09, 0.09], { atol: 1e-7 }, 'smoothed grad');

    // +-1e4 logits: e^(1e4) overflows any float, the max-shifted form does not.
    const Z = [1e4, -1e4, 0, 5e3, -1e4, 1e4, 0, 0, 0, 0];
    const pZ2 = h.f32(Z), pL2 = h.i32([1, 2]), pG2 = h.f32(10), pLoss2 = h.f32(2);
    h.k.softmax_cross_entropy(pZ2, pL2, 2, 5, pG2, pLoss2, 0.5, 0);
    const loss = h.read(pLoss2, 2), grad = h.read(pG2, 10);
    assert.ok(loss.every(Number.isFinite) && grad.every(Number.isFinite), `finite: ${loss} / ${grad}`);
    // Softmax is onehot(0) in both rows; labels 1 and 2 -> losses 2e4 and 1e4, grad (e0 - e_label) / 2.
    expectClose(loss, [2e4, 1e4], { rtol: 1e-7 }, 'extreme loss');
    expectClose(grad, [0.5, -0.5, 0, 0, 0, 0.5, 0, -0.5, 0, 0], { atol: 1e-7 }, 'extreme grad');
    const ref = sceRef(Float32Array.from(Z), [1, 2], 2, 5, 0.5, 0.1);
    h.k.softmax_cross_entropy(pZ2, pL2, 2, 5, pG2, pLoss2, 0.5, 0.1);
    expectClose(h.read(pLoss2, 2), ref.loss, { rtol: 2 ** -23 }, 'extreme smoothed loss');
    expectClose(h.read(pG2, 10), ref.grad, { rtol: 2 ** -23, atol: 1e-12 }, 'extreme smoothed grad');

    // One class: the only label is certain, loss and gradient are 0.
    const pZ3 = h.f32([123.5]), pL3 = h.i32([0]), pG3 = h.f32(1), pLoss3 = h.f32(1);
    h.k.softmax_cross_entropy(pZ3, pL3, 1, 1, pG3, pLoss3, 1, 0);
    expectBits([...h.read(pLoss3, 1), ...h.read(pG3, 1)], [0, 0], 'one class');
  });

  t.test('gradient matches central differences of gradScale * sum(losses)', (h) => {
    const r = rng(41);
    const eps = 1e-2;
    for (const smoothing of [0, 0.1]) {
      const n = 3, classes = 10, gradScale = 0.5;
      const Z = r.f32(n * classes, -4, 4);
      const labels = [2, 9, 0];
      const pZ = h.f32(Z), pL = h.i32(labels), pG = h.f32(n * classes), pLoss = h.f32(n);
      h.k.softmax_cross_entropy(pZ, pL, n, classes, pG, pLoss, gradScale, smoothing);
      const grad = h.read(pG, n * classes);
      const total = () => {
        h.k.softmax_cross_entropy(pZ, pL, n, classes, 0, pLoss, gradScale, smoothing);
        return gradScale * h.read(pLoss, n).reduce((a, b) => a + b, 0);
      };
      const f = h.eng.f32;
      for (let i = 0; i < n * classes; i++) {
        const at = (pZ >> 2) + i, x = f[at];
        const hi = fr(x + eps), lo = fr(x - eps);
        f[at] = hi;
        const Lp = total();
        f[at] = lo;
        const Lm = total();
        f[at] = x;
        const fd = (Lp - Lm) / (hi - lo);
        assert.ok(Math.abs(fd - grad[i]) <= 1e-3, `smoothing ${smoothing} dz[${i}]: ${grad[i]} vs finite difference ${fd}`);
      }
    }
  });

  t.test('softmax: rows sum to 1, match the reference, stable, in place', (h) => {
    const r = rng(42);
    for (const [n, classes] of [[1, 1], [3, 10], [5, 17], [2, 3]]) {
      const Z = r.f32(n * classes, -20, 20);
      Z[0] = 1e4;
      if (n * classes > 1) Z[1] = -1e4;
      const pZ = h.f32(Z), pP = h.f32(n * classes);
      h.k.softmax(pZ, pP, n, classes);
      const P = h.read(pP, n * classes);
      expectClose(P, softmaxRef(Z, n, classes), { rtol: 2 ** -23, atol: 1e-30 }, `${n}x${classes}`);
      for (let i = 0; i < n; i++) {
        const s = P.subarray(i * classes, (i + 1) * classes).reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(s - 1) < 1e-6, `${n}x${classes} row ${i} sums to ${s}`);
      }
      h.k.softmax(pZ, pZ, n, classes);
      expectBits(h.read(pZ, n * classes), P, `${n}x${classes} in place`);
    }
  });

  t.run();

  const m = variantSuite('math', variant);
  const rel = (a, b) => (Object.is(a, b) ? 0 : Math.abs(a - b) / Math.abs(b));

  m.test('exp64 against Math.exp: relative error < 4e-16 over [-708, 709.78]', (h) => {
    const r = rng(43);
    const xs = [-708, 709.7, 709.78, 709.782712893384, 1, -1, 0.5 * Math.LN2, -0.5 * Math.LN2, 1.5 * Math.LN2];
    for (let i = 0; i < 20000; i++) xs.push(r.uniform(-708, 709.78));
    for (let i = 0; i < 5000; i++) xs.push((r.next() < 0.5 ? -1 : 1) * 10 ** r.uniform(-300, 1));
    for (let k = -1020; k <= 1023; k += 7) xs.push(k * Math.LN2);
    let worst = 0, at = 0;
    for (const x of xs) {
      const e = rel(h.k.exp64(x), Math.exp(x));
      if (!(e <= worst)) {
        worst = e;
        at = x;
      }
    }
    assert.ok(worst < 4e-16, `worst relative error ${worst} at x = ${at}`);
  });

  m.test('exp64 special values and bounds', (h) => {
    assert.is(h.k.exp64(0), 1);
    assert.is(h.k.exp64(-0), 1);
    assert.is(h.k.exp64(5e-324), 1);
    assert.is(h.k.exp64(-5e-324), 1);
    assert.is(h.k.exp64(1e-300), 1);
    assert.is(h.k.exp64(Infinity), Infinity);
    assert.is(h.k.exp64(-Infinity), 0);
    assert.ok(Number.isNaN(h.k.exp64(NaN)));
    // Overflow exactly where Math.exp overflows (ln(MAX_VALUE) = 709.782712893384).
    assert.is(h.k.exp64(709.782712893384), Math.exp(709.782712893384));
    assert.ok(Number.isFinite(h.k.exp64(709.782712893384)));
    assert.is(h.k.exp64(709.7827128933841), Infinity);
    assert.is(h.k.exp64(710), Infinity);
    // The documented flush: 0 below -708, where Math.exp is below 3.31e-308 (5e-324 at -745).
    assert.ok(h.k.exp64(-708) > 3.3e-308);
    for (const x of [-708.0000001, -720, -745, -746, -1e4]) assert.is(h.k.exp64(x), 0, `exp64(${x})`);
  });

  m.test('log64 against Math.log: relative error < 4e-16 from subnormals to MAX_VALUE', (h) => {
    const r = rng(44);
    const xs = [5e-324, 1e-320, 1e-310, 2.2250738585072014e-308, 2.225073858507201e-308, Number.MAX_VALUE, 2, 0.5, Math.E, 1 + 2 ** -52, 1 - 2 ** -53, Math.SQRT2, Math.SQRT1_2];
    for (let i = 0; i < 20000; i++) xs.push(2 ** r.uniform(-1074, 1023.99));
    for (let i = 0; i < 5000; i++) xs.push(1 + (r.next() < 0.5 ? -1 : 1) * 2 ** r.uniform(-52, -1));
    let worst = 0, at = 0;
    for (const x of xs) {
      const e = rel(h.k.log64(x), Math.log(x));
      if (!(e <= worst)) {
        worst = e;
        at = x;
      }
    }
    assert.ok(worst < 4e-16, `worst relative error ${worst} at x = ${at}`);
  });

  m.test('log64 special values', (h) => {
    assert.is(h.k.log64(1), 0);
    assert.is(h.k.log64(0), -Infinity);
    assert.is(h.k.log64(-0), -Infinity);
    assert.is(h.k.log64(Infinity), Infinity);
    for (const x of [-Infinity, -1, -5e-324, NaN]) assert.ok(Number.isNaN(h.k.log64(x)), `log64(${x})`);
    assert.is(h.k.log64(5e-324), Math.log(5e-324));
    assert.is(h.k.log64(Number.MAX_VALUE), Math.log(Number.MAX_VALUE));
  });

  m.test('powi64 known values', (h) => {
    const cases = [
      [2, 10, 1024], [2, 0, 1], [0, 0, 1], [0, 3, 0], [-2, 3, -8], [-2, 4, 16], [3, 5, 243], [1.5, 2, 2.25],
      [0.5, 1074, 5e-324], [0.5, 1075, 0], [2, 1023, 2 ** 1023], [2, 1024, Infinity], [10, 22, 1e22],
      [1, 1000000, 1], [-1, 7, -1], [0.9, 1, 0.9],
    ];
    for (const [b, n, want] of cases) assert.is(h.k.powi64(b, n), want, `powi64(${b}, ${n})`);
    // Repeated squaring of the Adam betas: each squaring doubles the relative error, so it stays
    // within about n ulps of pow (an exponent off by one would be 1e-3 away).
    for (const b of [fr(0.9), fr(0.999)]) {
      for (const n of [1, 2, 3, 5, 17, 100, 1000, 12345]) {
        const e = rel(h.k.powi64(b, n), b ** n);
        assert.ok(e <= n * 2 ** -52, `powi64(${b}, ${n}): relative error ${e}`);
      }
    }
  });

  m.run();

  const a = variantSuite('adam_step', variant);

  const run = (h, ptrs, count, step, hp) => {
    h.k.adam_step(h.desc(ADAM_DESC, {
      PARAMS: ptrs.p, GRADS: ptrs.g, M: ptrs.m, V: ptrs.v, COUNT: count, STEP: step,
      LR: hp.lr, BETA1: hp.b1, BETA2: hp.b2, EPS: hp.eps, WD: hp.wd,
    }, ['LR', 'BETA1', 'BETA2', 'EPS', 'WD']));
  };

  a.test('known answer: the first step moves each weight by about lr * sign(g)', (h) => {
    const hp = { lr: 0.1, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0 };
    const ptrs = { p: h.f32([1, 1, 1, -2, 0]), g: h.f32([0.5, -3, 0, 1e-3, 2]), m: h.f32(new Float32Array(5)), v: h.f32(new Float32Array(5)) };
    run(h, ptrs, 5, 1, hp);
    // m / bc1 = g and sqrt(v / bc2) = |g|, so the step is lr * g / (|g| + eps); zero gradient, zero step.
    expectClose(h.read(ptrs.p, 5), [0.9, 1.1, 1, -2.1, -0.1], { rtol: 1e-6, atol: 1e-7 }, 'params');
    // (1 - beta) in float32, as the kernel receives the betas.
    const g = [0.5, -3, 0, 1e-3, 2];
    expectClose(h.read(ptrs.m, 5), g.map((x) => (1 - fr(0.9)) * x), { rtol: 1e-6 }, 'm');
    expectClose(h.read(ptrs.v, 5), g.map((x) => (1 - fr(0.999)) * x * x), { rtol: 1e-6 }, 'v');
  });

  a.test('steps t = 1..5 match PyTorch Adam/AdamW in float64, counts 1..9, decay 0 and 0.01', (h) => {
    const r = rng(45);
    for (const wd of [0, 0.01]) {
      for (let count = 1; count <= 9; count++) {
        const hp = { lr: fr(0.05), b1: fr(0.9), b2: fr(0.999), eps: fr(1e-8), wd: fr(wd) };
        const p0 = r.f32(count, -2, 2);
        const ptrs = { p: h.f32(p0), g: h.f32(count), m: h.f32(new Float32Array(count)), v: h.f32(new Float32Array(count)) };
        const P = Float64Array.from(p0), M = new Float64Array(count), V = new Float64Array(count);
        for (let step = 1; step <= 5; step++) {
          const g = r.f32(count, -1, 1);
          if (count > 2 && step === 3) g[1] = 0;
          h.write(ptrs.g, g);
          run(h, ptrs, count, step, hp);
          adamRef(P, g, M, V, step, hp);
          const label = `wd ${wd} count ${count} step ${step}`;
          expectClose(h.read(ptrs.p, count), P, { rtol: 1e-6, atol: 1e-7 }, `${label} params`);
          // m and v can cancel to small values, so the absolute floor is 1e-6 of their scale
          // (|g| <= 1: m ~ 0.1, v ~ 1e-3), which float32 rounding over five steps stays under.
          expectClose(h.read(ptrs.m, count), M, { rtol: 1e-6, atol: 1e-7 }, `${label} m`);
          expectClose(h.read(ptrs.v, count), V, { rtol: 1e-6, atol: 1e-9 }, `${label} v`);
          expectBits(h.read(ptrs.g, count), g, `${label} grads untouched`);
        }
        h.checkGuards();
        h.reset();
      }
    }
  });

  a.test('a late step uses the bias corrections of its own t', (h) => {
    // With m and v already at their stationary values for a constant gradient, step t = 1000
    // moves by lr * m_hat / (sqrt(v_hat) + eps) with the t = 1000 corrections.
    const hp = { lr: fr(0.01), b1: fr(0.9), b2: fr(0.999), eps: fr(1e-8), wd: 0 };
    const g = [0.3, -0.7, 0.3, -0.7, 1.1];
    const M = g.map((x) => x * 0.5), V = g.map((x) => x * x * 0.25);
    const ptrs = { p: h.f32([0, 0, 0, 0, 0]), g: h.f32(g), m: h.f32(M), v: h.f32(V) };
    const P = new Float64Array(5), Mr = Float64Array.from(new Float32Array(M)), Vr = Float64Array.from(new Float32Array(V));
    run(h, ptrs, 5, 1000, hp);
    adamRef(P, Float64Array.from(new Float32Array(g)), Mr, Vr, 1000, hp);
    expectClose(h.read(ptrs.p, 5), P, { rtol: 1e-6 }, 'params at t = 1000');
    // And the same state at t = 1 gives a clearly different step.
    const P1 = new Float64Array(5);
    adamRef(P1, Float64Array.from(new Float32Array(g)), Float64Array.from(new Float32Array(M)), Float64Array.from(new Float32Array(V)), 1, hp);
    assert.ok(Math.abs(P1[0] - P[0]) > 1e-3 * Math.abs(P[0]), 'the test distinguishes t');
  });

  a.run();
}
