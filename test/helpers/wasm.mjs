// Shared harness for the kernel tests: which wasm binaries to test, a bump allocator over one
// engine's memory with poisoned fresh memory and guard bands, a seeded PRNG and comparisons.
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModule, Engine, writeDesc } from '../../dist/node/internal.js';

/**
 * Every wasm binary the kernel suites run against: one per asconfig.json target, so a new build
 * (`simd-threads`, `relaxed`, ...) is tested by every suite as soon as it is a target.
 *   name:     the target, shown in the suite title
 *   path:     the binary the Node bundle ships (dist/node/<outFile name>)
 *   shared:   the target imports a shared memory (threads)
 *   exactF32: multiply-then-add with two roundings (no relaxed FMA), so GEMM results equal a
 *             sequential float32 reference bit for bit
 * `GARMENT_WASM=/path/to/build.wasm npx uvu test kernels` tests one other binary instead
 * (GARMENT_WASM_SHARED=1 for a threads build, GARMENT_WASM_EXACT=0 for a fused one).
 */
export const variants = process.env.GARMENT_WASM
  ? [{
      name: process.env.GARMENT_WASM,
      path: process.env.GARMENT_WASM,
      shared: process.env.GARMENT_WASM_SHARED === '1',
      exactF32: process.env.GARMENT_WASM_EXACT !== '0',
    }]
  : targetsOf(new URL('../../asconfig.json', import.meta.url));

function targetsOf(asconfigUrl) {
  const config = JSON.parse(readFileSync(asconfigUrl, 'utf8'));
  const all = Object.entries(config.targets).map(([name, t]) => {
    const enable = t.enable ?? config.options?.enable ?? [];
    return {
      name,
      path: new URL(`../../dist/web/${t.outFile.split('/').pop()}`, import.meta.url),
      shared: Boolean(t.sharedMemory ?? config.options?.sharedMemory),
      exactF32: !enable.includes('relaxed-simd'),
    };
  });
  // A runtime without relaxed SIMD (Node 20 without --experimental-wasm-relaxed-simd, as `npm test`
  // passes it) cannot compile the relaxed binaries: say so instead of failing.
  return all.filter((v) => {
    const ok = WebAssembly.validate(readFileSync(v.path));
    if (!ok) console.log(`  (kernel suites skip ${v.name}: this runtime cannot compile it)`);
    return ok;
  });
}

const moduleCache = new Map();
function moduleFor(variant) {
  let p = moduleCache.get(variant.name);
  if (!p) {
    p = loadModule(readFileSync(variant.path));
    moduleCache.set(variant.name, p);
  }
  return p;
}

/** First byte handed out: 0 means "no pointer" to the kernels, so stay well clear of it. */
const BASE = 1024;
const ALIGN = 16;
/** Bytes after every allocation that no kernel may write. */
const GUARD_BYTES = 64;
const GUARD_BYTE = 0xa5;
/** Fresh allocations hold this NaN, so a kernel that reads memory it should not shows up. */
export const POISON_BITS = 0x7fa5a5a5;

export class Harness {
  constructor(eng, variant) {
    this.eng = eng;
    this.k = eng.k;
    this.variant = variant;
    this.guards = [];
    this.reset();
  }

  /**
   * Frees everything (guards are checked by the test wrapper before this). Bytes below BASE are
   * a guard band too: a kernel writing through a null pointer lands there.
   */
  reset() {
    this.top = BASE;
    this.eng.u8.fill(GUARD_BYTE, 0, BASE);
    this.guards = [];
  }

  /** Reserves `bytes` (16-byte aligned), poisoned, followed by a guard band. */
  alloc(bytes) {
    const at = Math.ceil(this.top / ALIGN) * ALIGN;
    const end = at + bytes;
    this.top = end + GUARD_BYTES;
    if (this.top > this.eng.memory.buffer.byteLength) throw new Error(`test arena overflow at ${this.top} bytes`);
    const u8 = this.eng.u8;
    new Uint32Array(this.eng.raw, at, bytes >> 2).fill(POISON_BITS);
    u8.fill(0xa5, at + (bytes & ~3), end);
    u8.fill(GUARD_BYTE, end, end + GUARD_BYTES);
    this.guards.push(end);
    return at;
  }

  /** An f32 array: `n` poisoned floats, or a copy of the given values. */
  f32(init) {
    if (typeof init === 'number') return this.alloc(init * 4);
    const p = this.alloc(init.length * 4);
    this.write(p, init);
    return p;
  }

  i32(values) {
    const p = this.alloc(values.length * 4);
    this.eng.i32.set(values, p >> 2);
    return p;
  }

  u8(values) {
    const p = this.alloc(values.length);
    this.eng.u8.set(values, p);
    return p;
  }

  write(ptr, values) {
    this.eng.f32.set(values, ptr >> 2);
  }

  /** A copy of `n` floats at `ptr`. */
  read(ptr, n) {
    return this.eng.f32.slice(ptr >> 2, (ptr >> 2) + n);
  }

  readBits(ptr, n) {
    return new Uint32Array(this.read(ptr, n).buffer);
  }

  /** Allocates and writes a descriptor; `floats` lists the f32 fields. */
  desc(layout, values, floats = []) {
    const p = this.alloc(layout.bytes);
    this.eng.u8.fill(0, p, p + layout.bytes);
    writeDesc(this.eng.raw, p, layout, values, floats);
    return p;
  }

  /** Fails if any kernel wrote past the end of an allocation. */
  checkGuards() {
    const u8 = this.eng.u8;
    for (let i = 0; i < BASE; i++) {
      if (u8[i] !== GUARD_BYTE) assert.unreachable(`write below the arena (null pointer?): byte ${i}`);
    }
    for (const end of this.guards) {
      for (let i = end; i < end + GUARD_BYTES; i++) {
        if (u8[i] !== GUARD_BYTE) assert.unreachable(`write past the end of a buffer: byte ${i - end} after offset ${end}`);
      }
    }
  }
}

export async function createHarness(variant, bytes = 64 << 20) {
  const mod = await moduleFor(variant);
  const eng = variant.shared ? await Engine.create(mod, bytes, bytes) : await Engine.create(mod, bytes);
  return new Harness(eng, variant);
}

/**
 * A uvu suite for one variant. Tests receive the harness; each starts with an empty arena and
 * ends with a guard-band check. Call `.run()` when all tests are registered.
 */
export function variantSuite(title, variant) {
  const s = suite(`${title} [${variant.name}]`);
  const state = { h: null };
  s.before(async () => {
    state.h = await createHarness(variant);
  });
  return {
    test(name, fn) {
      s(name, async () => {
        const h = state.h;
        h.reset();
        await fn(h);
        h.checkGuards();
      });
    },
    run: () => s.run(),
  };
}

// ---- deterministic random numbers -------------------------------------------------------------

/** mulberry32: a tiny seeded PRNG; uniform floats in [0, 1). */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    /** n float32 values uniform in [lo, hi). */
    f32: (n, lo = -1, hi = 1) => {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * next();
      return out;
    },
    /** n float32 integers uniform in [lo, hi]: values with many exact ties. */
    ints: (n, lo, hi) => {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = lo + Math.floor(next() * (hi - lo + 1));
      return out;
    },
    pick: (arr) => arr[Math.floor(next() * arr.length)],
  };
}

// ---- comparisons ------------------------------------------------------------------------------

const U = 2 ** -24;

function fmt(x) {
  return Object.is(x, -0) ? '-0' : String(x);
}

function fail(label, i, actual, expected, detail, bad, n) {
  assert.unreachable(
    `${label}: ${bad} of ${n} elements off; first at [${i}]: got ${fmt(actual)}, expected ${fmt(expected)}${detail}`,
  );
}

/** Bit-for-bit equality of two float32 arrays (so -0 != 0, NaN payloads count). */
export function expectBits(actual, expected, label) {
  assert.is(actual.length, expected.length, `${label}: length`);
  const a = new Uint32Array(Float32Array.from(actual).buffer);
  const e = new Uint32Array(Float32Array.from(expected).buffer);
  let bad = 0, first = -1;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== e[i]) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad) fail(label, first, actual[first], expected[first], ' (bitwise)', bad, a.length);
}

/** |actual - expected| <= atol + rtol * |expected| everywhere; NaN never passes. */
export function expectClose(actual, expected, { rtol = 0, atol = 0 }, label) {
  assert.is(actual.length, expected.length, `${label}: length`);
  let bad = 0, first = -1;
  for (let i = 0; i < actual.length; i++) {
    const ok = Math.abs(actual[i] - expected[i]) <= atol + rtol * Math.abs(expected[i]);
    if (!ok) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad) fail(label, first, actual[first], expected[first], ` (rtol ${rtol}, atol ${atol})`, bad, actual.length);
}

/**
 * Checks a float32 accumulation against an exact (float64) reference with the classical bound
 * |fl(sum) - sum| <= gamma_n * sum |terms|, gamma_n = n u / (1 - n u), u = 2^-24. `abs[i]` is the
 * sum of the absolute values of every term of element i (products, initial value, bias) and
 * `terms` their count. Sound whatever the summation order, yet one wrong or missing term fails.
 */
export function expectBounded(actual, expected, abs, terms, label) {
  assert.is(actual.length, expected.length, `${label}: length`);
  const n = terms + 2;
  const gamma = (n * U) / (1 - n * U);
  let bad = 0, first = -1, firstTol = 0;
  for (let i = 0; i < actual.length; i++) {
    const tol = gamma * abs[i] * 1.0001 + 1e-37;
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
      bad++;
      if (first < 0) {
        first = i;
        firstTol = tol;
      }
    }
  }
  if (bad) fail(label, first, actual[first], expected[first], ` (bound ${firstTol.toExponential(2)})`, bad, actual.length);
}

/** Checks that the floats at [ptr, ptr + n) are still `values` (e.g. untouched padding). */
export function expectUntouched(h, ptr, values, label) {
  expectBits(h.read(ptr, values.length), values, label);
}
