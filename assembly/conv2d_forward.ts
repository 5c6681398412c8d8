// Convolution forward, stride 1, square kernel, zero padding: Y = conv(X, W) + bias (then ReLU).
// NHWC in and out, weights K x K x C x F. 3x3 kernels over enough channels go through Winograd
// F(2x2, 3x3) (conv2d_winograd.ts); the rest through im2col into SCRATCH in row chunks, each chunk
// one GEMM, so the patch matrix never has to exist whole. Y may not alias X. The path depends on
// the layer's shape only, never on the batch.
import { gemmRun, GEMM_RELU } from './gemm';
import { im2col } from './im2col';
import { useWinograd, winogradConv, winogradScratchBytes } from './conv2d_winograd';
import { singleChannelForward, singleChannelScratchBytes } from './conv2d_single_channel';
import {
  CV_N, CV_H, CV_W, CV_C, CV_F, CV_K, CV_PAD, CV_HO, CV_WO, CV_X, CV_WGT, CV_BIAS, CV_Y,
  CV_SCRATCH, CV_SCRATCH_BYTES, CV_FLAGS, CV_U, CONV_RELU, CONV_PRETRANSFORMED, field, ptr, rowsThatFit,
} from './conv2d_desc';

/** Forward pass of the convolution described at `d`. */
export function conv2d_forward(d: usize): void {
  const N = field(d, CV_N), H = field(d, CV_H), W = field(d, CV_W), C = field(d, CV_C);
  const F = field(d, CV_F), K = field(d, CV_K), pad = field(d, CV_PAD);
  const Ho = field(d, CV_HO), Wo = field(d, CV_WO);
  const x = ptr(d, CV_X), w = ptr(d, CV_WGT), bias = ptr(d, CV_BIAS), y = ptr(d, CV_Y);
  const scratch = ptr(d, CV_SCRATCH);
  const flags = (field(d, CV_FLAGS) & CONV_RELU) != 0 ? GEMM_RELU : 0;
  const pre = (field(d, CV_FLAGS) & CONV_PRETRANSFORMED) != 0 ? ptr(d, CV_U) : 0;
  if (useWinograd(K, C, F) && (pre || field(d, CV_SCRATCH_BYTES) >= winogradScratchBytes(C, F, 1))) {
    winogradConv(x, N, H, W, C, w, F, pad, Ho, Wo, bias, y, flags != 0, scratch, field(d, CV_SCRATCH_BYTES), pre);
    return;
  }
  if (C == 1 && (F & 3) == 0 && field(d, CV_SCRATCH_BYTES) >= singleChannelScratchBytes(H, W, pad)) {
    singleChannelForward(x, N, H, W, w, F, K, pad, Ho, Wo, bias, y, flags != 0, scratch);
    return;
  }
  const rowFloats = K * K * C;
  const chunk = rowsThatFit(field(d, CV_SCRATCH_BYTES), rowFloats);
  const total = N * Ho * Wo;
  for (let r0 = 0; r0 < total; r0 += chunk) {
    const rows = min(chunk, total - r0);
    im2col(x, H, W, C, K, pad, Ho, Wo, r0, rows, scratch);
    gemmRun(rows, F, rowFloats, scratch, rowFloats, 1, w, F, y + (<usize>(r0 * F) << 2), F, bias, flags);
  }
}
