// Convolution backward to the input: DX = conv(DY, rot180(W) with C and F swapped), padding
// K-1-PAD, which is the exact adjoint of the forward pass for stride 1.
// SCRATCH holds the rearranged weights (K*K*F*C floats) followed by the im2col chunk (or, for
// 3x3 kernels over enough channels, Winograd's transformed weights and tiles).
// DX is overwritten. DX may not alias DY.
import { gemmRun } from './gemm';
import { im2col, flipTransposeWeights } from './im2col';
import { useWinograd, winogradConv, winogradScratchBytes } from './conv2d_winograd';
import {
  CV_N, CV_H, CV_W, CV_C, CV_F, CV_K, CV_PAD, CV_HO, CV_WO, CV_WGT, CV_DY, CV_DX,
  CV_SCRATCH, CV_SCRATCH_BYTES, field, ptr, rowsThatFit,
} from './conv2d_desc';

/** Gradient of the loss with respect to the convolution's input. */
export function conv2d_backward_input(d: usize): void {
  const N = field(d, CV_N), H = field(d, CV_H), W = field(d, CV_W), C = field(d, CV_C);
  const F = field(d, CV_F), K = field(d, CV_K), pad = field(d, CV_PAD);
  const Ho = field(d, CV_HO), Wo = field(d, CV_WO);
  const w = ptr(d, CV_WGT), dy = ptr(d, CV_DY), dx = ptr(d, CV_DX);
  const scratch = ptr(d, CV_SCRATCH);
  const wtFloats = K * K * F * C;
  flipTransposeWeights(w, K, C, F, scratch);
  const cols = scratch + (<usize>wtFloats << 2);
  const padT = K - 1 - pad;
  if (useWinograd(K, F, C) && field(d, CV_SCRATCH_BYTES) - (wtFloats << 2) >= winogradScratchBytes(F, C, 1)) {
    winogradConv(dy, N, Ho, Wo, F, scratch, C, padT, H, W, 0, dx, false, cols, field(d, CV_SCRATCH_BYTES) - (wtFloats << 2));
    return;
  }
  const rowFloats = K * K * F;
  const chunk = rowsThatFit(field(d, CV_SCRATCH_BYTES) - (wtFloats << 2), rowFloats);
  const total = N * H * W;
  for (let r0 = 0; r0 < total; r0 += chunk) {
    const rows = min(chunk, total - r0);
    // DY is the "image" here: Ho x Wo x F, producing H x W x C.
    im2col(dy, Ho, Wo, F, K, padT, H, W, r0, rows, cols);
    gemmRun(rows, C, rowFloats, cols, rowFloats, 1, scratch, C, dx + (<usize>(r0 * C) << 2), C, 0, 0);
  }
}
