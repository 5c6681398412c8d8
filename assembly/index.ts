// The module's export list: every kernel the TypeScript side may call, nothing else.
// All arguments are i32 sizes, f32 scalars or byte offsets into the one linear memory.

/**
 * The version of this list and its signatures, checked by the TypeScript side when it
 * instantiates a module (WASM_ABI in src/engine/engine.ts), so a binary from another release
 * gives a clear error instead of a missing function. test/wasm-abi.test.mjs holds the list that
 * goes with each number: changing the exports means a new number.
 */
export const ABI_VERSION: i32 = 2;
export { gemm } from './gemm';
export { dense_forward, dense_backward_input, dense_backward_filter } from './dense';
export { conv2d_forward } from './conv2d_forward';
export { winograd_weights } from './conv2d_winograd';
export { conv2d_backward_input } from './conv2d_backward_input';
export { conv2d_backward_filter } from './conv2d_backward_filter';
export { maxpool2d_forward, maxpool2d_backward } from './maxpool2d';
export { relu_forward, relu_backward } from './activation';
export { dropout_forward } from './dropout';
export { softmax_cross_entropy, softmax } from './softmax_cross_entropy';
export { adam_step } from './adam';
export { fill, add_into, mul, u8_to_f32, dequantize_int8, f16_to_f32, transpose, bias_grad, count_nonfinite, channel_affine, scale_channels_f64 } from './tensor_ops';
export { exp64, log64, powi64, cos64 } from './math';
export { sgd_step } from './sgd';
export { bn_forward_stats, bn_forward_apply, bn_backward_stats, bn_backward_apply } from './batchnorm';
export { gap_forward, gap_backward } from './global_avg_pool';
export { augment_images } from './augment';
