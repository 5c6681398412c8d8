// The wasm module's exports, typed. Every argument is an i32 size, an f32 scalar or a byte
// offset into the one linear memory; descriptors are laid out in src/engine/descriptors.ts.
export interface Kernels {
  gemm(desc: number): void;
  dense_forward(desc: number): void;
  dense_backward_input(desc: number): void;
  dense_backward_filter(desc: number): void;
  conv2d_forward(desc: number): void;
  winograd_weights(w: number, c: number, f: number, u: number): void;
  conv2d_backward_input(desc: number): void;
  conv2d_backward_filter(desc: number): void;
  maxpool2d_forward(x: number, y: number, n: number, h: number, w: number, c: number): void;
  maxpool2d_backward(x: number, y: number, dy: number, dx: number, n: number, h: number, w: number, c: number): void;
  relu_forward(x: number, y: number, count: number): void;
  relu_backward(y: number, dy: number, dx: number, count: number): void;
  dropout_forward(
    x: number, y: number, mask: number, count: number, firstElement: number, stepSeed: number,
    dropThreshold: number, scale: number,
  ): void;
  softmax_cross_entropy(
    logits: number, labels: number, n: number, classes: number, grad: number, losses: number,
    gradScale: number, smoothing: number,
  ): void;
  softmax(logits: number, probs: number, n: number, classes: number): void;
  adam_step(desc: number): void;
  fill(out: number, count: number, value: number): void;
  add_into(dst: number, src: number, count: number): void;
  mul(a: number, b: number, out: number, count: number): void;
  u8_to_f32(src: number, out: number, count: number, scale: number, shift: number): void;
  dequantize_int8(q: number, scales: number, count: number, channels: number, out: number): void;
  f16_to_f32(src: number, count: number, out: number): void;
  transpose(src: number, rows: number, cols: number, out: number): void;
  bias_grad(dy: number, rows: number, cols: number, db: number, accumulate: number): void;
  count_nonfinite(src: number, count: number): number;
  channel_affine(x: number, y: number, rows: number, c: number, scale: number, shift: number, relu: number): void;
  scale_channels_f64(src: number, out: number, count: number, c: number, scale: number): void;
  sgd_step(desc: number): void;
  bn_forward_stats(desc: number): void;
  bn_forward_apply(desc: number): void;
  bn_backward_stats(desc: number): void;
  bn_backward_apply(desc: number): void;
  gap_forward(x: number, y: number, n: number, hw: number, c: number): void;
  gap_backward(dy: number, dx: number, n: number, hw: number, c: number): void;
  augment_images(desc: number): void;
  cos64(x: number): number;
  exp64(x: number): number;
  log64(x: number): number;
  powi64(b: number, n: number): number;
}
