// Fully connected layer: Y[N, OUT] = X[N, IN] * W[IN, OUT] + bias (then ReLU), and its two
// backward passes. Descriptor of i32 fields (byte offsets below), written once per layer when
// a model is planned; mirrored in src/engine/descriptors.ts. Pointers: X, WGT, BIAS, Y and the
// gradients DY, DX, DW, DB; SCRATCH holds W transposed (IN * OUT floats) during backward-input,
// and the indices of a row's nonzero inputs (IN i32) in forward with DENSE_SPARSE_X.
import { finish, gemmRun, GEMM_ACCUMULATE, GEMM_RELU } from './gemm';
import { madd, zero4 } from './simd';
import { transpose, columnSum } from './tensor_ops';

const DN_N = 0, DN_IN = 4, DN_OUT = 8, DN_X = 12, DN_WGT = 16, DN_BIAS = 20, DN_Y = 24;
const DN_DY = 28, DN_DX = 32, DN_DW = 36, DN_DB = 40, DN_SCRATCH = 44, DN_FLAGS = 48;

/** FLAGS bit: ReLU on the forward output. */
const DENSE_RELU: i32 = 1;
/** FLAGS bit: add weight and bias gradients to DW/DB instead of overwriting them. */
const DENSE_ACCUMULATE: i32 = 2;
/**
 * FLAGS bit: forward may skip the weight rows of zero inputs in rows outside 4-row tiles (batch 1),
 * using SCRATCH for the indices. Set only where every weight is finite (a network's own parameters,
 * which loading checks and training's divergence guard keeps finite; never a folded copy): then
 * 0 * w is a zero and adding it leaves a sum unchanged, so skipping gives the same bits.
 */
const DENSE_SPARSE_X: i32 = 4;

// @ts-ignore: decorator
@inline function f(d: usize, o: i32): i32 {
  return load<i32>(d + <usize>o);
}
// @ts-ignore: decorator
@inline function p(d: usize, o: i32): usize {
  return <usize>load<u32>(d + <usize>o);
}

/** Y = X W + bias (then ReLU). */
export function dense_forward(d: usize): void {
  const N = f(d, DN_N), IN = f(d, DN_IN), OUT = f(d, DN_OUT);
  const x = p(d, DN_X), w = p(d, DN_WGT), y = p(d, DN_Y), bias = p(d, DN_BIAS), list = p(d, DN_SCRATCH);
  const relu = (f(d, DN_FLAGS) & DENSE_RELU) != 0;
  // Rows in 4-row tiles go through the GEMM; with DENSE_SPARSE_X the rest (every row at batch 1)
  // skip the weight rows of their zero inputs.
  const tiled = (f(d, DN_FLAGS) & DENSE_SPARSE_X) != 0 && list != 0 && (OUT & 7) == 0 ? N & ~3 : N;
  gemmRun(tiled, OUT, IN, x, IN, 1, w, OUT, y, OUT, bias, relu ? GEMM_RELU : 0);
  for (let i = tiled; i < N; i++) {
    sparseRow(x + (<usize>(i * IN) << 2), IN, w, OUT, y + (<usize>(i * OUT) << 2), bias, relu, list);
  }
}

/**
 * One row of dense_forward over its nonzero inputs: ReLU and max pooling leave most of a conv
 * net's dense inputs at zero (63% in a trained seed-cnn on test images, `node bench/dense-zeros.mjs`),
 * and at batch 1 the layer is bound by reading its weights (seed-cnn's first: 692 KB, more than L2).
 * Each output sums the same nonzero products in the same k order as the GEMM's one-row tiles
 * (32 columns, then 8), bias last, so the bits are those of the dense path. Rows more than 3/4
 * nonzero take the GEMM (a threshold set by reasoning, not tuned: past it the index pass and the
 * scattered row reads save little).
 */
function sparseRow(x: usize, IN: i32, w: usize, OUT: i32, y: usize, bias: usize, relu: bool, list: usize): void {
  // Indices of the nonzero inputs, without a branch per input.
  let n = 0;
  for (let k = 0; k < IN; k++) {
    store<i32>(list + (<usize>n << 2), k);
    n += i32(load<f32>(x + (<usize>k << 2)) != 0);
  }
  if (n > (IN >> 1) + (IN >> 2)) {
    gemmRun(1, OUT, IN, x, IN, 1, w, OUT, y, OUT, bias, relu ? GEMM_RELU : 0);
    return;
  }
  const rowBytes = <usize>OUT << 2;
  const end = list + (<usize>n << 2);
  let j = 0;
  for (; j + 32 <= OUT; j += 32) sparseColumns(x, list, end, w, rowBytes, y, bias, j, relu, true);
  for (; j < OUT; j += 8) sparseColumns(x, list, end, w, rowBytes, y, bias, j, relu, false);
}

/** Columns j..j+31 (`wide`, a constant at each call site) or j..j+7 of sparseRow. */
// @ts-ignore: decorator
@inline function sparseColumns(
  x: usize, list: usize, end: usize, w: usize, rowBytes: usize, y: usize, bias: usize, j: i32, relu: bool, wide: bool,
): void {
  let c0 = zero4(), c1 = zero4(), c2 = zero4(), c3 = zero4(), c4 = zero4(), c5 = zero4(), c6 = zero4(), c7 = zero4();
  const wj = w + (<usize>j << 2);
  for (let t = list; t < end; t += 4) {
    const k = <usize>load<i32>(t);
    const av = v128.load32_splat(x + (k << 2));
    const pb = wj + k * rowBytes;
    c0 = madd(c0, av, v128.load(pb)); c1 = madd(c1, av, v128.load(pb, 16));
    if (wide) {
      c2 = madd(c2, av, v128.load(pb, 32)); c3 = madd(c3, av, v128.load(pb, 48));
      c4 = madd(c4, av, v128.load(pb, 64)); c5 = madd(c5, av, v128.load(pb, 80));
      c6 = madd(c6, av, v128.load(pb, 96)); c7 = madd(c7, av, v128.load(pb, 112));
    }
  }
  const pc = y + (<usize>j << 2);
  v128.store(pc, finish(c0, bias, j, relu)); v128.store(pc, finish(c1, bias, j + 4, relu), 16);
  if (wide) {
    v128.store(pc, finish(c2, bias, j + 8, relu), 32); v128.store(pc, finish(c3, bias, j + 12, relu), 48);
    v128.store(pc, finish(c4, bias, j + 16, relu), 64); v128.store(pc, finish(c5, bias, j + 20, relu), 80);
    v128.store(pc, finish(c6, bias, j + 24, relu), 96); v128.store(pc, finish(c7, bias, j + 28, relu), 112);
  }
}

/** DX = DY W^T (W transposed into SCRATCH first, so the GEMM streams contiguous rows). */
export function dense_backward_input(d: usize): void {
  const IN = f(d, DN_IN), OUT = f(d, DN_OUT), scratch = p(d, DN_SCRATCH);
  transpose(p(d, DN_WGT), IN, OUT, scratch);
  gemmRun(f(d, DN_N), IN, OUT, p(d, DN_DY), OUT, 1, scratch, IN, p(d, DN_DX), IN, 0, 0);
}

/** DW (+)= X^T DY and DB (+)= column sums of DY, summed over the batch in row order. */
export function dense_backward_filter(d: usize): void {
  const N = f(d, DN_N), IN = f(d, DN_IN), OUT = f(d, DN_OUT);
  const accumulate = (f(d, DN_FLAGS) & DENSE_ACCUMULATE) != 0;
  gemmRun(IN, OUT, N, p(d, DN_X), 1, IN, p(d, DN_DY), OUT, p(d, DN_DW), OUT, 0, accumulate ? GEMM_ACCUMULATE : 0);
  const db = p(d, DN_DB);
  if (db) columnSum(p(d, DN_DY), N, OUT, db, accumulate);
}
