// Fully connected layer: Y[N, OUT] = X[N, IN] * W[IN, OUT] + bias (then ReLU), and its two
// backward passes. Descriptor of i32 fields (byte offsets below), written once per layer when
// a model is planned; mirrored in src/engine/descriptors.ts. Pointers: X, WGT, BIAS, Y and the
// gradients DY, DX, DW, DB; SCRATCH holds W transposed (IN * OUT floats) during backward-input.
import { gemmRun, GEMM_ACCUMULATE, GEMM_RELU } from './gemm';
import { transpose, columnSum } from './tensor_ops';

const DN_N = 0, DN_IN = 4, DN_OUT = 8, DN_X = 12, DN_WGT = 16, DN_BIAS = 20, DN_Y = 24;
const DN_DY = 28, DN_DX = 32, DN_DW = 36, DN_DB = 40, DN_SCRATCH = 44, DN_FLAGS = 48;

/** FLAGS bit: ReLU on the forward output. */
const DENSE_RELU: i32 = 1;
/** FLAGS bit: add weight and bias gradients to DW/DB instead of overwriting them. */
const DENSE_ACCUMULATE: i32 = 2;

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
  const IN = f(d, DN_IN), OUT = f(d, DN_OUT);
  const flags = (f(d, DN_FLAGS) & DENSE_RELU) != 0 ? GEMM_RELU : 0;
  gemmRun(f(d, DN_N), OUT, IN, p(d, DN_X), IN, 1, p(d, DN_WGT), OUT, p(d, DN_Y), OUT, p(d, DN_BIAS), flags);
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
