// The machine's wasm SIMD peak: a register-only loop of independent f32x4 chains, emitted as a
// wasm binary here (no assembler needed). For `chains` = 2 the function is:
//
//   (func (export "run") (param $n i32) (result f32) (local $a0 v128) (local $a1 v128) (local $m v128) (local $c v128)
//     ;; a_i = splat(i / 8), m = splat(0.999), c = splat(0.001)
//     (loop $l
//       (local.set $a0 (f32x4.add (f32x4.mul (local.get $a0) (local.get $m)) (local.get $c)))   ;; 'mul+add'
//       (local.set $a1 (f32x4.relaxed_madd (local.get $a1) (local.get $m) (local.get $c)))      ;; 'fma'
//       (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
//     (f32x4.extract_lane 0 (f32x4.add (local.get $a0) (local.get $a1))))
//
// Each chain is a dependent sequence, so the loop needs as many chains as the FP units have
// operations in flight; the best of several chain counts is the peak. The chains converge to
// c / (1 - m) = 1: no overflow, no denormals. 8 FLOPs per chain per iteration (4 lanes, 2 ops).

const uleb = (n) => {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const f32 = (x) => [...new Uint8Array(Float32Array.of(x).buffer)];
const section = (id, bytes) => [id, ...uleb(bytes.length), ...bytes];

const V128 = 0x7b, I32 = 0x7f, F32 = 0x7d;
const simd = (op) => [0xfd, ...uleb(op)];
const OP = { splat: 0x13, extract: 0x1f, add: 0xe4, mul: 0xe6, madd: 0x105 };
const get = (i) => [0x20, ...uleb(i)];
const set = (i) => [0x21, ...uleb(i)];
const tee = (i) => [0x22, ...uleb(i)];

/** The module's bytes: export `run(n)` doing `n` iterations over `chains` chains of `kind`. */
export function peakModule(chains, kind = 'mul+add') {
  const A = (i) => 1 + i, M = 1 + chains, C = 2 + chains; // local 0 is $n
  const body = [];
  const splat = (x) => [0x43, ...f32(x), ...simd(OP.splat)];
  for (let i = 0; i < chains; i++) body.push(...splat(i / 8), ...set(A(i)));
  body.push(...splat(0.999), ...set(M), ...splat(0.001), ...set(C));
  body.push(0x03, 0x40); // loop (no result)
  for (let i = 0; i < chains; i++) {
    if (kind === 'fma') body.push(...get(A(i)), ...get(M), ...get(C), ...simd(OP.madd));
    else body.push(...get(A(i)), ...get(M), ...simd(OP.mul), ...get(C), ...simd(OP.add));
    body.push(...set(A(i)));
  }
  body.push(...get(0), 0x41, 1, 0x6b, ...tee(0), 0x0d, 0); // n = n - 1; br_if 0 (n != 0)
  body.push(0x0b); // end loop
  body.push(...get(A(0)));
  for (let i = 1; i < chains; i++) body.push(...get(A(i)), ...simd(OP.add));
  body.push(...simd(OP.extract), 0, 0x0b);
  const locals = [1, ...uleb(chains + 2), V128];
  const func = [...locals, ...body];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 1, I32, 1, F32]),
    ...section(3, [1, 0]),
    ...section(7, [1, 3, ...new TextEncoder().encode('run'), 0, 0]),
    ...section(10, [1, ...uleb(func.length), ...func]),
  ]);
}

/** Whether this runtime validates relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd). */
export function hasRelaxedSimd() {
  return WebAssembly.validate(peakModule(1, 'fma'));
}

export const CHAIN_COUNTS = [4, 6, 8, 10, 11, 12, 13, 14, 16];

/** A compiled peak loop: `time(seconds)` runs it for about that long and returns GFLOP/s. */
export function peakRunner(chains, kind) {
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(peakModule(chains, kind)));
  const run = exports.run;
  run(1000); // tier up
  let perSecond = 1e8; // iterations per second, refined as it runs
  return {
    chains,
    kind,
    /** Runs `iterations` (or about `seconds` worth) and returns { gflops, seconds, iterations }. */
    time({ seconds = 0.1, iterations } = {}) {
      const n = iterations ?? Math.max(1000, Math.round(perSecond * seconds));
      const t0 = performance.now();
      const sink = run(n);
      const s = (performance.now() - t0) / 1000;
      if (!Number.isFinite(sink)) throw new Error('peak loop diverged');
      perSecond = n / s;
      return { gflops: (n * chains * 8) / s / 1e9, seconds: s, iterations: n };
    },
  };
}

/**
 * Tries every chain count, `passes` times each in turn, and returns the fastest runner. Best-of,
 * not median: other processes can only slow a register-only loop down, never speed it up.
 */
export function bestPeak(kind, { seconds = 0.03, passes = 3 } = {}) {
  const runners = CHAIN_COUNTS.map((c) => peakRunner(c, kind));
  const byChains = {};
  for (let p = 0; p < passes; p++) {
    for (const r of runners) byChains[r.chains] = Math.max(byChains[r.chains] ?? 0, r.time({ seconds }).gflops);
  }
  const best = runners.reduce((a, b) => (byChains[b.chains] > byChains[a.chains] ? b : a));
  return { runner: best, byChains };
}
