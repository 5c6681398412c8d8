#!/usr/bin/env node
// Two wasm binaries side by side on the kernels that recent work changed: the first layer's
// convolution (forward at batch 1 and 64, weight gradient at batch 64), cnn's second (a Winograd
// convolution, with and without edge tiles), 2x2 max pooling forward and backward, the
// A-transposed GEMM of dense weight gradients (streamed from memory and in cache), a GEMM with a
// tall A (a whole batch's im2col), the dense layers' forward GEMMs at batch 64 and a dense
// layer's backward-input pass (which transposes its weights).
// Rounds alternate between the binaries so machine drift cancels; each row prints the median time
// per call of each binary, its ratio to the first, and whether every output has the same bits
// (binaries of the same precision must agree exactly).
//
//   git stash; npm run build; cp dist/web/garment-simd.wasm /tmp/old.wasm; git stash pop; npm run build
//   node bench/compare-builds.mjs /tmp/old.wasm dist/web/garment-simd.wasm
import { readFileSync } from 'node:fs';
import { importInternal } from './lib/dist.mjs';
import { median } from './lib/stats.mjs';

const { loadModule, Engine, CONV_DESC, DENSE_DESC, GEMM_DESC, writeDesc } = await importInternal();
const files = process.argv.slice(2);
if (files.length < 2) throw new Error('usage: node bench/compare-builds.mjs A.wasm B.wasm [...]');
const engines = await Promise.all(files.map(async (f) => Engine.create(await loadModule(readFileSync(f)), 64 << 20)));

/** Fills [from, to) bytes of every engine's memory with the same values; `relu` keeps them >= 0. */
function fill(from, to, relu = false) {
  for (const e of engines) {
    const f32 = e.f32;
    for (let i = from >> 2; i < to >> 2; i++) {
      const v = ((i * 7919) % 1000) / 1000 - 0.5;
      f32[i] = relu ? Math.max(0, v) : v;
    }
  }
}

/**
 * A 3x3 conv laid out in every engine: by default the first layer (28x28x1 -> 32); with `shape`
 * { H, C, F } another (cnn's second, 14x14x32 -> 64, runs as a Winograd convolution).
 */
function conv(N, pad, backward, { H = 28, C = 1, F = 32, scratchBytes = 4 << 20 } = {}) {
  const W = H, K = 3, Ho = H + 2 * pad - 2, Wo = Ho;
  let top = 1 << 20;
  const alloc = (b) => { const p = top; top += Math.ceil(b / 64) * 64; return p; };
  const x = alloc(N * H * W * C * 4), w = alloc(9 * C * F * 4), b = alloc(F * 4), y = alloc(N * Ho * Wo * F * 4);
  const dy = alloc(N * Ho * Wo * F * 4), dw = alloc(9 * C * F * 4), db = alloc(F * 4);
  const scratch = alloc(scratchBytes), d = alloc(128);
  fill(1 << 20, top);
  for (const e of engines) {
    writeDesc(e.raw, d, CONV_DESC, {
      N, H, W, C, F, K, PAD: pad, HO: Ho, WO: Wo, X: x, WGT: w, BIAS: b, Y: y, DY: dy, DX: 0, DW: dw, DB: db,
      SCRATCH: scratch, SCRATCH_BYTES: scratchBytes, FLAGS: backward ? 0 : 1,
    });
  }
  const kernel = backward ? 'conv2d_backward_filter' : 'conv2d_forward';
  return { run: (e) => e.k[kernel](d), out: backward ? dw : y, len: backward ? 9 * C * F : N * Ho * Wo * F };
}

function pool(N, H, C) {
  const x = 1 << 20, y = x + N * H * H * C * 4 + 64;
  fill(x, y, true); // after a ReLU, as in the networks
  return { run: (e) => e.k.maxpool2d_forward(x, y, N, H, H, C), out: y, len: N * (H >> 1) * (H >> 1) * C };
}

/** Max pooling's backward pass (dx from x, the pooled y and dy); H odd leaves a row no window covers. */
function poolBackward(N, H, C) {
  const Ho = H >> 1;
  const x = 1 << 20, y = x + N * H * H * C * 4 + 64, dy = y + N * Ho * Ho * C * 4 + 64, dx = dy + N * Ho * Ho * C * 4 + 64;
  fill(x, y, true);
  fill(dy, dx);
  for (const e of engines) e.k.maxpool2d_forward(x, y, N, H, H, C);
  return { run: (e) => e.k.maxpool2d_backward(x, y, dy, dx, N, H, H, C), out: dx, len: N * H * H * C };
}

/** C[MxN] = A[MxK] * B[KxN], with A stored transposed (K x M, as X^T in a weight gradient) or not. */
function gemm(M, N, K, transposed) {
  const a = 1 << 20, b = a + M * K * 4 + 64, c = b + K * N * 4 + 64, d = c + M * N * 4 + 64;
  fill(a, c);
  for (const e of engines) {
    writeDesc(e.raw, d, GEMM_DESC, {
      M, N, K, A: a, SAI: transposed ? 1 : K, SAK: transposed ? M : 1, B: b, LDB: N, C: c, LDC: N, BIAS: 0, FLAGS: 0,
    });
  }
  return { run: (e) => e.k.gemm(d), out: c, len: M * N };
}

/** A dense layer's backward-input pass (which transposes its IN x OUT weights first), n rows. */
function denseInput(n, IN, OUT) {
  const w = 1 << 20, s = w + IN * OUT * 4 + 64, dy = s + IN * OUT * 4 + 64, dx = dy + n * OUT * 4 + 64, d = dx + n * IN * 4 + 64;
  fill(w, d);
  for (const e of engines) {
    writeDesc(e.raw, d, DENSE_DESC, { N: n, IN, OUT, X: 0, WGT: w, BIAS: 0, Y: 0, DY: dy, DX: dx, DW: 0, DB: 0, SCRATCH: s, FLAGS: 0 });
  }
  return { run: (e) => e.k.dense_backward_input(d), out: dx, len: n * IN };
}

const rows = [
  ['conv1 forward, batch 1, valid', () => conv(1, 0, false), 2000],
  ['conv1 forward, batch 64, same', () => conv(64, 1, false), 20],
  ['conv1 weight gradient, batch 64, same', () => conv(64, 1, true), 10],
  ['conv2 forward (Winograd) 14x14x32 -> 64, batch 64, same', () => conv(64, 1, false, { H: 14, C: 32, F: 64 }), 3],
  ['conv2 forward (Winograd) 14x14x32 -> 64, batch 64, valid (no edge tiles)', () => conv(64, 0, false, { H: 14, C: 32, F: 64 }), 3],
  // The scratch a cnn training network gives it: its dense layer's transposed weights (3136 x 128 floats).
  ['conv2 weight gradient (Winograd) 14x14x32 -> 64, batch 64, 1.6 MB scratch', () => conv(64, 1, true, { H: 14, C: 32, F: 64, scratchBytes: 3136 * 128 * 4 }), 3],
  ['maxpool 26x26x32, batch 1', () => pool(1, 26, 32), 5000],
  ['maxpool 28x28x32, batch 64', () => pool(64, 28, 32), 50],
  ['maxpool 14x14x64, batch 64', () => pool(64, 14, 64), 50],
  ['maxpool backward 28x28x32, batch 64', () => poolBackward(64, 28, 32), 50],
  ['maxpool backward 7x7x128 (odd: a row and a column uncovered), batch 64', () => poolBackward(64, 7, 128), 50],
  ['maxpool backward 14x14x6 (channels past the last 4), batch 8', () => poolBackward(8, 14, 6), 500],
  ['gemm X^T dY 3136x64 * 64x128 (cnn dense weight gradient)', () => gemm(3136, 128, 64, true), 10],
  ['gemm X^T dY 64x64 * 64x64 (A transposed, in cache)', () => gemm(64, 64, 64, true), 2000],
  ['gemm 12544x288 * 288x64 (conv2 im2col of a batch of 64 in one piece)', () => gemm(12544, 64, 288, false), 2],
  ['gemm 64x5408 * 5408x32 (seed-cnn dense forward, batch 64)', () => gemm(64, 32, 5408, false), 20],
  ['gemm 64x3136 * 3136x128 (cnn dense forward, batch 64)', () => gemm(64, 128, 3136, false), 20],
  ['dense backward-input, 5408x32 weights (seed-cnn), 32 rows', () => denseInput(32, 5408, 32), 50],
];
console.log(`| kernel | ${files.map((f) => `${f} (us)`).join(' | ')} | ratio | same bits |`);
console.log(`| --- |${files.map(() => ' ---: |').join('')} ---: | --- |`);
for (const [name, make, reps] of rows) {
  const k = make();
  const outs = engines.map((e) => {
    k.run(e);
    return new Uint32Array(e.memory.buffer, k.out, k.len).slice();
  });
  const same = outs.every((o) => o.every((v, i) => v === outs[0][i]));
  const times = engines.map(() => []);
  for (let r = 0; r < 9; r++) {
    engines.forEach((e, i) => {
      const t = performance.now();
      for (let j = 0; j < reps; j++) k.run(e);
      times[i].push(((performance.now() - t) / reps) * 1000);
    });
  }
  const med = times.map((t) => median(t));
  const ratio = med.slice(1).map((m) => `${(med[0] / m).toFixed(2)}x`).join(', ');
  console.log(`| ${name} | ${med.map((m) => m.toFixed(1)).join(' | ')} | ${ratio} | ${same ? 'yes' : 'NO'} |`);
}
