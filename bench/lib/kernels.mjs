// Kernel GFLOP/s against the machine's wasm SIMD peak, measured side by side: every round times
// the peak loop and then each kernel (each the best of a few short bursts), and a kernel's
// fraction is the median over rounds of (kernel GFLOP/s / peak GFLOP/s in that round), so drift
// in the machine's speed cancels.
//
// Run as a child process: `node [--experimental-wasm-relaxed-simd] kernels.mjs '<json options>'`
// prints one JSON line. Options: { wasm: path, peak: 'mul+add' | 'fma', rounds, seconds }.
import { readFileSync } from 'node:fs';
import { bestPeak } from './simd-peak.mjs';
import { median } from './stats.mjs';

const internal = await (await import('./dist.mjs')).importInternal();
const { loadModule, Engine, CONV_DESC, GEMM_DESC, writeDesc } = internal;

/**
 * Scratch bytes a training workspace gives a conv layer: the library's own figure when internal.js
 * exports it, else a mirror of src/model/plan.ts (im2col chunks of ~256 KB, at least 16 rows;
 * Winograd's transformed weights and 64-tile chunks), so kernels chunk as they do in training.
 */
function convScratchBytes(K, C, F) {
  if (typeof internal.convScratchBytes === 'function') return internal.convScratchBytes(K, C, F, true);
  const CHUNK_BYTES = 256 * 1024;
  const winograd = (c, f) => K === 3 && c >= 8 && c % 4 === 0 && f % 4 === 0;
  const winogradBytes = (c, f) => 16 * c * f * 4 + 16 * 64 * (c + f) * 4;
  const rowF = K * K * C * 4, rowB = K * K * F * 4;
  let bytes = Math.max(16, Math.floor(CHUNK_BYTES / rowF)) * rowF;
  if (winograd(C, F)) bytes = Math.max(bytes, winogradBytes(C, F));
  bytes = Math.max(bytes, K * K * C * F * 4 + Math.max(16, Math.floor(CHUNK_BYTES / rowB)) * rowB);
  if (winograd(F, C)) bytes = Math.max(bytes, K * K * C * F * 4 + winogradBytes(F, C));
  return bytes;
}

function convShapes() {
  // The `cnn` preset's layers at batch 64: conv1 28x28x1 -> 32, conv2 14x14x32 -> 64, 3x3 same.
  return {
    conv1: { N: 64, H: 28, W: 28, C: 1, F: 32, K: 3, PAD: 1 },
    conv2: { N: 64, H: 14, W: 14, C: 32, F: 64, K: 3, PAD: 1 },
  };
}

/** The direct-convolution FLOPs of one pass (every direction does the same multiply-adds). */
const convFlops = (s) => 2 * s.N * s.H * s.W * s.F * s.K * s.K * s.C;

async function main() {
  const opts = JSON.parse(process.argv[2] ?? '{}');
  const rounds = opts.rounds ?? 5;
  const seconds = opts.seconds ?? 0.08;
  const mod = await loadModule(readFileSync(opts.wasm));
  const eng = await Engine.create(mod, 160 << 20);
  let top = 1024;
  const alloc = (bytes) => {
    const at = top;
    top = Math.ceil((top + bytes) / 64) * 64;
    if (top > eng.memory.buffer.byteLength) throw new Error('kernel bench arena overflow');
    return at;
  };
  const f32 = (n, seed = 1) => {
    const at = alloc(n * 4);
    const v = eng.f32;
    let s = seed >>> 0 || 1;
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      v[(at >> 2) + i] = s / 2 ** 32 - 0.5;
    }
    return at;
  };
  const desc = (layout, values) => {
    const at = alloc(layout.bytes);
    writeDesc(eng.raw, at, layout, values);
    return at;
  };

  const items = [];
  const gemmItem = (name, { M, N, K, trans = false }) => {
    const A = f32(M * K, 2), B = f32(K * N, 3), C = f32(M * N, 4);
    const d = desc(GEMM_DESC, {
      M, N, K, A, SAI: trans ? 1 : K, SAK: trans ? M : 1, B, LDB: N, C, LDC: N, BIAS: 0, FLAGS: 0,
    });
    const shape = { M, N, K, transposedA: trans };
    items.push({ name, kind: 'gemm', shape, flops: 2 * M * N * K, call: () => eng.k.gemm(d) });
  };
  const convItems = (layer, s, which) => {
    const Ho = s.H + 2 * s.PAD - s.K + 1, Wo = s.W + 2 * s.PAD - s.K + 1;
    const scratchBytes = convScratchBytes(s.K, s.C, s.F);
    const d = desc(CONV_DESC, {
      ...s, HO: Ho, WO: Wo,
      X: f32(s.N * s.H * s.W * s.C, 5), WGT: f32(s.K * s.K * s.C * s.F, 6), BIAS: f32(s.F, 7),
      Y: f32(s.N * Ho * Wo * s.F), DY: f32(s.N * Ho * Wo * s.F, 8), DX: f32(s.N * s.H * s.W * s.C),
      DW: f32(s.K * s.K * s.C * s.F), DB: f32(s.F), SCRATCH: alloc(scratchBytes), SCRATCH_BYTES: scratchBytes, FLAGS: 0,
    });
    const kernels = {
      forward: 'conv2d_forward', 'backward-input': 'conv2d_backward_input', 'backward-filter': 'conv2d_backward_filter',
    };
    for (const dir of which) {
      const fn = eng.k[kernels[dir]];
      items.push({ name: `${layer} ${dir}`, kind: `conv ${dir}`, shape: s, flops: convFlops(s), call: () => fn(d) });
    }
  };
  const { conv1, conv2 } = convShapes();
  gemmItem('gemm 256x256x256', { M: 256, N: 256, K: 256 });
  // conv2's whole im2col matrix as one GEMM (A is 14 MB): what the conv kernels avoid by chunking.
  gemmItem('gemm 12544x288 * 288x64 (conv2 im2col in one piece)', { M: 64 * 14 * 14, N: 64, K: 288 });
  gemmItem('gemm cnn dense 64x3136 * 3136x128', { M: 64, N: 128, K: 3136 });
  gemmItem('gemm cnn dense weight grad X^T dY (A transposed)', { M: 3136, N: 128, K: 64, trans: true });
  convItems('cnn conv2 (14x14x32 -> 64, 3x3, batch 64)', conv2, ['forward', 'backward-input', 'backward-filter']);
  convItems('cnn conv1 (28x28x1 -> 32, 3x3, batch 64)', conv1, ['forward', 'backward-filter']);

  // Each round: the peak, then every kernel, each the best of BURSTS short bursts (a burst
  // disturbed by another process on this shared machine only ever reads low).
  const BURSTS = 3;
  const peak = bestPeak(opts.peak ?? 'mul+add');
  const burst = (item) => {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    do {
      item.call();
      n++;
      t = performance.now();
    } while (t - t0 < seconds * 1000);
    return (item.flops * n) / ((t - t0) / 1000) / 1e9;
  };
  const best = (f) => Math.max(...Array.from({ length: BURSTS }, f));
  for (const item of items) item.call(); // warm
  const perRound = items.map(() => ({ gflops: [], fraction: [] }));
  const peaks = [];
  for (let r = 0; r < rounds; r++) {
    const p = best(() => peak.runner.time({ seconds }).gflops);
    peaks.push(p);
    items.forEach((item, i) => {
      const g = best(() => burst(item));
      perRound[i].gflops.push(g);
      perRound[i].fraction.push(g / p);
    });
  }
  const result = {
    wasm: opts.wasm,
    peak: { kind: peak.runner.kind, chains: peak.runner.chains, gflops: median(peaks), byChains: peak.byChains },
    kernels: items.map((item, i) => ({
      name: item.name, kind: item.kind, shape: item.shape, mflop: item.flops / 1e6,
      gflops: median(perRound[i].gflops), fraction: median(perRound[i].fraction),
      rounds: perRound[i].gflops.length,
    })),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
