// The descriptor shared by the three convolution kernels: one per conv layer, written once
// when a model is planned. i32 fields at these byte offsets; mirrored in
// src/engine/descriptors.ts.
//
// N, H, W, C: input batch and NHWC shape. F: filters. K: square kernel size. PAD: zero padding
// on each side. HO, WO: output size (H + 2*PAD - K + 1). Pointers: X input, WGT weights
// (K x K x C x F), BIAS (F), Y output (N x HO x WO x F), DY/DX/DW/DB gradients of Y/X/WGT/BIAS.
// SCRATCH/SCRATCH_BYTES: working memory no other kernel uses at the same time.
export const CV_N = 0, CV_H = 4, CV_W = 8, CV_C = 12, CV_F = 16, CV_K = 20, CV_PAD = 24;
export const CV_HO = 28, CV_WO = 32, CV_X = 36, CV_WGT = 40, CV_BIAS = 44, CV_Y = 48;
export const CV_DY = 52, CV_DX = 56, CV_DW = 60, CV_DB = 64, CV_SCRATCH = 68;
export const CV_SCRATCH_BYTES = 72, CV_FLAGS = 76;
// U: Winograd-transformed weights (16 x C x F), used instead of WGT when FLAGS has CONV_PRETRANSFORMED.
export const CV_U = 80;

/** FLAGS bit: apply ReLU to the forward output. */
export const CONV_RELU: i32 = 1;
/** FLAGS bit: add the weight and bias gradients to DW and DB instead of overwriting them. */
export const CONV_ACCUMULATE: i32 = 2;
/** FLAGS bit: the forward pass reads Winograd weights already transformed at U (inference). */
export const CONV_PRETRANSFORMED: i32 = 4;

// @ts-ignore: decorator
@inline export function field(d: usize, offset: i32): i32 {
  return load<i32>(d + <usize>offset);
}

// @ts-ignore: decorator
@inline export function ptr(d: usize, offset: i32): usize {
  return <usize>load<u32>(d + <usize>offset);
}

/** How many im2col rows of `rowFloats` fit in `bytes` (at least 1; the planner guarantees room). */
// @ts-ignore: decorator
@inline export function rowsThatFit(bytes: i32, rowFloats: i32): i32 {
  return max(1, bytes / (rowFloats << 2));
}
