// General matrix multiply, the workhorse of dense and convolution layers.
//
//   C[M,N] = (ACCUMULATE ? C : 0) + A[M,K] * B[K,N]  (+ bias[N]) (then ReLU)
//
// Layout: f32, B and C row-major with row strides ldb/ldc (elements). A is addressed through
// two strides, so the same code reads A (sai = lda, sak = 1) or A transposed (sai = 1, sak = lda),
// which is what the weight gradients X^T * dY need. SIMD runs over N (4 lanes), register tiles
// of 2 rows x 16 columns (A by rows) or 4 x 8 (A transposed, and the last 8 columns). C may not
// alias A or B.
//
// Every element is summed in the same order (k = 0..K-1, multiply then add, bias last) whatever
// tile or edge path computes it, so a row's result never depends on M or on which rows share
// the call: per-image results are independent of batch composition and thread split.
import { madd, maddScalar, relu4, zero4 } from './simd';

export const GEMM_ACCUMULATE: i32 = 1;
export const GEMM_RELU: i32 = 2;

// Descriptor layout (i32 fields, byte offsets); mirrored in src/engine/descriptors.ts.
const D_M = 0, D_N = 4, D_K = 8, D_A = 12, D_SAI = 16, D_SAK = 20, D_B = 24, D_LDB = 28;
const D_C = 32, D_LDC = 36, D_BIAS = 40, D_FLAGS = 44;

/**
 * Depth of one K block: the B strip a tile walks (KC x 16 floats, 20 KB) stays in L1. At least
 * 288 so that a 3x3 convolution's im2col rows (K = 9 x 32) fit one block: A is walked once, not
 * again for its last columns (with 4x8 tiles, 512 against 256: 1.06-1.10x on the tall-A row of
 * `node bench/compare-builds.mjs`; with 2x16 tiles 320, 384 and 512 measured within 1.02-1.11x of
 * one another, 320 best on the dense rows). Blocks change no sum: a partial sum leaves and
 * re-enters C as the same f32.
 */
const KC: i32 = 320;
/** Rows of A per panel (at most MC x KC floats, 80 KB): stays in L2 while every column tile walks it. */
const MC: i32 = 64;

/** Runs the GEMM described at `d` (see the layout above). */
export function gemm(d: usize): void {
  gemmRun(
    load<i32>(d, D_M), load<i32>(d, D_N), load<i32>(d, D_K),
    <usize>load<i32>(d, D_A), load<i32>(d, D_SAI), load<i32>(d, D_SAK),
    <usize>load<i32>(d, D_B), load<i32>(d, D_LDB),
    <usize>load<i32>(d, D_C), load<i32>(d, D_LDC),
    <usize>load<i32>(d, D_BIAS), load<i32>(d, D_FLAGS),
  );
}

export function gemmRun(
  M: i32, N: i32, K: i32, a: usize, sai: i32, sak: i32, b: usize, ldb: i32,
  c: usize, ldc: i32, bias: usize, flags: i32,
): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    // An empty sum: C keeps its value (or 0), then bias and ReLU.
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        const pc = c + (<usize>(i * ldc + j) << 2);
        let v: f32 = flags & GEMM_ACCUMULATE ? load<f32>(pc) : 0;
        if (bias) v += load<f32>(bias + (<usize>j << 2));
        if (flags & GEMM_RELU) v = max<f32>(v, 0);
        store<f32>(pc, v);
      }
    }
    return;
  }
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    const first = k0 == 0;
    const last = k0 + kc >= K;
    // The first block starts from C only when accumulating; later blocks continue the partial sums.
    const fromC = !first || (flags & GEMM_ACCUMULATE) != 0;
    const blockBias = last ? bias : 0;
    const blockRelu = last && (flags & GEMM_RELU) != 0;
    const ak = a + (<usize>(k0 * sak) << 2);
    const bk = b + (<usize>(k0 * ldb) << 2);
    const M4 = M & ~3;
    let j = 0;
    if (sai == 1) {
      // A transposed (weight gradients X^T * dY): A's rows are far apart (sak), so a panel's
      // lines (MC rows: four cache lines per k, 16 KB at K = 64) are walked by every column tile
      // while they are in L1, not fetched again per tile. Panels of 4 rows with the column tiles
      // inside were 59% -> 67% of peak on the cnn dense layer's weight gradient (against one
      // tile at a time); 64-row panels with the rows inside (the B strip of a column tile then
      // stays in L1 too) came with the 4x8 tile's splat loads, see tile4x8Body.
      const N8 = N & ~7;
      for (let i0 = 0; i0 < M4; i0 += MC) {
        const i1 = min(M4, i0 + MC);
        for (let jj = 0; jj < N8; jj += 8) {
          for (let i = i0; i < i1; i += 4) tile4x8Body(ak, 1, sak, bk, ldb, c, ldc, i, jj, kc, fromC, blockBias, blockRelu, true);
        }
      }
      j = N8;
    } else {
      // Panels of MC rows: every column tile walks a panel while it is in L2. A tall A (an
      // im2col matrix of a whole batch, megabytes) was otherwise streamed from memory once per
      // column tile: 1.6-1.8x on 12544x288 * 288x64 (`node bench/compare-builds.mjs`, the tall-A
      // row). Same sums in the same order.
      const N8 = N & ~7;
      for (let i0 = 0; i0 < M4; i0 += MC) {
        const i1 = min(M4, i0 + MC);
        // One byte of every cache line of the panel first, row after row: a sequential pass
        // that the memory system serves with many fetches in flight, where the tiles' four
        // interleaved row streams would wait on each line in turn (wasm has no prefetch
        // instruction). With 4x8 tiles and KC 512, 12544x288 * 288x64 from memory 1.21-1.22x,
        // 58% -> ~70% of peak; on a panel already in cache it costs one load per 16 values.
        // The values are not used: the reads stay because a read may trap, which neither
        // Binaryen nor V8 assumes away (`dist/garment-simd.wat` shows them).
        const rowBytes = <usize>kc << 2;
        for (let r = i0; r < i1; r++) {
          const pr = ak + (<usize>(r * sai) << 2);
          for (let o: usize = 0; o < rowBytes; o += 64) load<u8>(pr + o);
        }
        const N16 = N8 & ~15;
        for (let jj = 0; jj < N16; jj += 16) {
          for (let i = i0; i < i1; i += 2) tile2x16(ak, sai, sak, bk, ldb, c, ldc, i, jj, kc, fromC, blockBias, blockRelu);
        }
        for (let jj = N16; jj < N8; jj += 8) {
          for (let i = i0; i < i1; i += 4) tile4x8(ak, sai, sak, bk, ldb, c, ldc, i, jj, kc, fromC, blockBias, blockRelu);
        }
      }
      j = N8;
    }
    // Rows left over (all of them at batch 1): 32 columns at a time, so eight independent sums
    // keep the multiply-add pipes busy. Each element is still summed in k order, so a row gives
    // the same bits here as inside a 4-row tile.
    for (let i = M4; i < M; i++) {
      let jj = 0;
      for (; jj + 32 <= j; jj += 32) tile1x32(ak, sai, sak, bk, ldb, c, ldc, i, jj, kc, fromC, blockBias, blockRelu);
      for (; jj < j; jj += 8) tile1x8(ak, sai, sak, bk, ldb, c, ldc, i, jj, kc, fromC, blockBias, blockRelu);
    }
    for (; j + 4 <= N; j += 4) {
      for (let i = 0; i < M; i++) tile1x4(ak, sai, sak, bk, ldb, c, ldc, i, j, kc, fromC, blockBias, blockRelu);
    }
    for (; j < N; j++) {
      for (let i = 0; i < M; i++) tile1x1(ak, sai, sak, bk, ldb, c, ldc, i, j, kc, fromC, blockBias, blockRelu);
    }
  }
}

/** Bias then ReLU on a finished sum of columns j..j+3 (shared with dense.ts's sparse rows). */
// @ts-ignore: decorator
@inline export function finish(acc: v128, bias: usize, j: i32, relu: bool): v128 {
  if (bias) acc = f32x4.add(acc, v128.load(bias + (<usize>j << 2)));
  if (relu) acc = relu4(acc);
  return acc;
}

function tile4x8(
  a: usize, sai: i32, sak: i32, b: usize, ldb: i32, c: usize, ldc: i32,
  i: i32, j: i32, kc: i32, fromC: bool, bias: usize, relu: bool,
): void {
  tile4x8Body(a, sai, sak, b, ldb, c, ldc, i, j, kc, fromC, bias, relu, false);
}

/**
 * The 4x8 register tile. `adjacent` (A transposed, sai == 1, a constant at every call site): the
 * tile's four A values at each k are adjacent, so the first two come from one 8-byte load and
 * two lane shuffles, the other two from splat loads. Four shuffles were 1.04-1.06x against four
 * splat loads on the dense weight gradient; two and two, with gemmRun's 64-row panels for A
 * transposed (one commit), 1.04-1.11x against four shuffles in 4-row panels with the data in
 * cache and 1.04-1.05x streaming X (`node bench/compare-builds.mjs`, its two A-transposed rows,
 * 'exact'; the 'fast' build 0.92-1.06x). Our reading: a shuffle takes a vector unit's slot beside the
 * multiplies and adds, a splat load mostly the load unit's, and the mix keeps both busy. Same
 * products in the same order.
 */
// @ts-ignore: decorator
@inline function tile4x8Body(
  a: usize, sai: i32, sak: i32, b: usize, ldb: i32, c: usize, ldc: i32,
  i: i32, j: i32, kc: i32, fromC: bool, bias: usize, relu: bool, adjacent: bool,
): void {
  const rs = <usize>ldc << 2;
  const pc = c + (<usize>(i * ldc + j) << 2);
  let c00 = zero4(), c01 = zero4(), c10 = zero4(), c11 = zero4();
  let c20 = zero4(), c21 = zero4(), c30 = zero4(), c31 = zero4();
  if (fromC) {
    c00 = v128.load(pc); c01 = v128.load(pc, 16);
    c10 = v128.load(pc + rs); c11 = v128.load(pc + rs, 16);
    c20 = v128.load(pc + 2 * rs); c21 = v128.load(pc + 2 * rs, 16);
    c30 = v128.load(pc + 3 * rs); c31 = v128.load(pc + 3 * rs, 16);
  }
  const as = <usize>sai << 2;
  const astep = <usize>sak << 2;
  const bstep = <usize>ldb << 2;
  let pa = a + (<usize>(i * sai) << 2);
  let pb = b + (<usize>j << 2);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    const a2 = adjacent ? v128.load64_zero(pa) : zero4();
    let av = adjacent ? v128.shuffle<f32>(a2, a2, 0, 0, 0, 0) : v128.load32_splat(pa);
    c00 = madd(c00, av, b0); c01 = madd(c01, av, b1);
    av = adjacent ? v128.shuffle<f32>(a2, a2, 1, 1, 1, 1) : v128.load32_splat(pa + as);
    c10 = madd(c10, av, b0); c11 = madd(c11, av, b1);
    av = v128.load32_splat(pa + 2 * as);
    c20 = madd(c20, av, b0); c21 = madd(c21, av, b1);
    av = v128.load32_splat(pa + 3 * as);
    c30 = madd(c30, av, b0); c31 = madd(c31, av, b1);
    pa += astep;
    pb += bstep;
  }
  v128.store(pc, finish(c00, bias, j, relu)); v128.store(pc, finish(c01, bias, j + 4, relu), 16);
  v128.store(pc + rs, finish(c10, bias, j, relu)); v128.store(pc + rs, finish(c11, bias, j + 4, relu), 16);
  v128.store(pc + 2 * rs, finish(c20, bias, j, relu)); v128.store(pc + 2 * rs, finish(c21, bias, j + 4, relu), 16);
  v128.store(pc + 3 * rs, finish(c30, bias, j, relu)); v128.store(pc + 3 * rs, finish(c31, bias, j + 4, relu), 16);
}

/**
 * The 2x16 register tile, for A read row by row: eight sums like the 4x8 tile, but two A values
 * (broadcasts) per k instead of four, for the same eight multiply-adds and one more B load:
 * 1.05-1.13x on the dense and tall-A rows of `node bench/compare-builds.mjs`, same bits. Our
 * reading: a broadcast occupies a vector unit beside the multiplies and adds, where B's plain
 * loads do not. (A transposed keeps 4x8: its four A values are adjacent, half of them come
 * from one load and lane shuffles, and 2x16 measured 0.97-1.02x there.)
 */
function tile2x16(
  a: usize, sai: i32, sak: i32, b: usize, ldb: i32, c: usize, ldc: i32,
  i: i32, j: i32, kc: i32, fromC: bool, bias: usize, relu: bool,
): void {
  const rs = <usize>ldc << 2;
  const pc = c + (<usize>(i * ldc + j) << 2);
  let c00 = zero4(), c01 = zero4(), c02 = zero4(), c03 = zero4();
  let c10 = zero4(), c11 = zero4(), c12 = zero4(), c13 = zero4();
  if (fromC) {
    c00 = v128.load(pc); c01 = v128.load(pc, 16); c02 = v128.load(pc, 32); c03 = v128.load(pc, 48);
    c10 = v128.load(pc + rs); c11 = v128.load(pc + rs, 16); c12 = v128.load(pc + rs, 32); c13 = v128.load(pc + rs, 48);
  }
  const as = <usize>sai << 2;
  const astep = <usize>sak << 2;
  const bstep = <usize>ldb << 2;
  let pa = a + (<usize>(i * sai) << 2);
  let pb = b + (<usize>j << 2);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16), b2 = v128.load(pb, 32), b3 = v128.load(pb, 48);
    let av = v128.load32_splat(pa);
    c00 = madd(c00, av, b0); c01 = madd(c01, av, b1); c02 = madd(c02, av, b2); c03 = madd(c03, av, b3);
    av = v128.load32_splat(pa + as);
    c10 = madd(c10, av, b0); c11 = madd(c11, av, b1); c12 = madd(c12, av, b2); c13 = madd(c13, av, b3);
    pa += astep;
    pb += bstep;
  }
  v128.store(pc, finish(c00, bias, j, relu)); v128.store(pc, finish(c01, bias, j + 4, relu), 16);
  v128.store(pc, finish(c02, bias, j + 8, relu), 32); v128.store(pc, finish(c03, bias, j + 12, relu), 48);
  v128.store(pc + rs, finish(c10, bias, j, relu)); v128.store(pc + rs, finish(c11, bias, j + 4, relu), 16);
  v128.store(pc + rs, finish(c12, bias, j + 8, relu), 32); v128.store(pc + rs, finish(c13, bias, j + 12, relu), 48);
}

function tile1x32(
  a: usize, sai: i32, sak: i32, b: usize, ldb: i32, c: usize, ldc: i32,
  i: i32, j: i32, kc: i32, fromC: bool, bias: usize, relu: bool,
): void {
  const pc = c + (<usize>(i * ldc + j) << 2);
  let c0 = zero4(), c1 = zero4(), c2 = zero4(), c3 = zero4(), c4 = zero4(), c5 = zero4(), c6 = zero4(), c7 = zero4();
  if (fromC) {
    c0 = v128.load(pc); c1 = v128.load(pc, 16); c2 = v128.load(pc, 32); c3 = v128.load(pc, 48);
    c4 = v128.load(pc, 64); c5 = v128.load(pc, 80); c6 = v128.load(pc, 96); c7 = v128.load(pc, 112);
  }
  const astep = <usize>sak << 2;
  const bstep = <usize>ldb << 2;
  let pa = a + (<usize>(i * sai) << 2);
  let pb = b + (<usize>j << 2);
  for (let k = 0; k < kc; k++) {
    const av = v128.load32_splat(pa);
    c0 = madd(c0, av, v128.load(pb)); c1 = madd(c1, av, v128.load(pb, 16));
    c2 = madd(c2, av, v128.load(pb, 32)); c3 = madd(c3, av, v128.load(pb, 48));
    c4 = madd(c4, av, v128.load(pb, 64)); c5 = madd(c5, av, v128.load(pb, 80));
    c6 = madd(c6, av, v128.load(pb, 96)); c7 = madd(c7, av, v128.load(pb, 112));
    pa += astep;
    pb += bstep;
  }
  v128.store(pc, finish(c0, bias, j, relu)); v128.store(pc, finish(c1, bias, j + 4, relu), 16);
  v128.store(pc, finish(c2, bias, j + 8, relu), 32); v128.store(pc, finish(c3, bias, j + 12, relu), 48);
  v128.store(pc, finish(c4, bias, j + 16, relu), 64); v128.store(pc, finish(c5, bias, j + 20, relu), 80);
  v128.store(pc, finish(c6, bias, j + 24, relu), 96); v128.store(pc, finish(c7, bias, j + 28, relu), 112);
}

function tile1x8(
  a: usize, sai: i32, sak: i32, b: usize, ldb: i32, c: usize, ldc: i32,
  i: i32, j: i32, kc: i32, fromC: bool, bias: usize, relu: bool,
): void {
  const pc = c + (<usize>(i * ldc + j) << 2);
  let c0 = zero4(), c1 = zero4();
  if (fromC) { c0 = v128.load(pc); c1 = v128.load(pc, 16); }
  const astep = <usize>sak << 2;
  const bstep = <usize>ldb << 2;
  let pa = a + (<usize>(i * sai) << 2);
  let pb = b + (<usize>j << 2);
  for (let k = 0; k < kc; k++) {
    const av = v128.load32_splat(pa);
    c0 = madd(c0, av, v128.load(pb)); c1 = madd(c1, av, v128.load(pb, 16));
    pa += astep;
    pb += bstep;
  }
  v128.store(pc, finish(c0, bias, j, relu)); v128.store(pc, finish(c1, bias, j + 4, relu), 16);
}

function tile1x4(
  a: usize, sai: i32, sak: i32, b: usize, ldb: i32, c: usize, ldc: i32,
  i: i32, j: i32, kc: i32, fromC: bool, bias: usize, relu: bool,
): void {
  const pc = c + (<usize>(i * ldc + j) << 2);
  let c0 = fromC ? v128.load(pc) : zero4();
  const astep = <usize>sak << 2;
  const bstep = <usize>ldb << 2;
  let pa = a + (<usize>(i * sai) << 2);
  let pb = b + (<usize>j << 2);
  for (let k = 0; k < kc; k++) {
    c0 = madd(c0, v128.load32_splat(pa), v128.load(pb));
    pa += astep;
    pb += bstep;
  }
  v128.store(pc, finish(c0, bias, j, relu));
}

function tile1x1(
  a: usize, sai: i32, sak: i32, b: usize, ldb: i32, c: usize, ldc: i32,
  i: i32, j: i32, kc: i32, fromC: bool, bias: usize, relu: bool,
): void {
  const pc = c + (<usize>(i * ldc + j) << 2);
  let acc: f32 = fromC ? load<f32>(pc) : 0;
  const astep = <usize>sak << 2;
  const bstep = <usize>ldb << 2;
  let pa = a + (<usize>(i * sai) << 2);
  let pb = b + (<usize>j << 2);
  for (let k = 0; k < kc; k++) {
    acc = maddScalar(acc, load<f32>(pa), load<f32>(pb));
    pa += astep;
    pb += bstep;
  }
  if (bias) acc += load<f32>(bias + (<usize>j << 2));
  if (relu) acc = max<f32>(acc, 0);
  store<f32>(pc, acc);
}
