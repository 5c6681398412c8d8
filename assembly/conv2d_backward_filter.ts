// Convolution backward to the weights and bias:
//   DW[(kh,kw,c), f] = sum over output pixels r of patch(X)[r, (kh,kw,c)] * DY[r, f]
//   DB[f]            = sum over r of DY[r, f]
// 3x3 kernels over enough channels go through Winograd (conv2d_winograd.ts: 16 GEMMs summing
// over tiles); the rest: im2col of X into SCRATCH in row chunks, each chunk one GEMM with
// A = patches transposed, summed in pixel order (so chunking never changes the result). With CONV_ACCUMULATE the sums
// add to DW/DB, otherwise they overwrite them.
import { gemmRun, GEMM_ACCUMULATE } from './gemm';
import { im2col } from './im2col';
import { useWinograd, winogradFilterGrad, winogradScratchBytes } from './conv2d_winograd';
import { singleChannelFilterGrad, singleChannelScratchBytes } from './conv2d_single_channel';
import { columnSum } from './tensor_ops';
import {
  CV_N, CV_H, CV_W, CV_C, CV_F, CV_K, CV_PAD, CV_HO, CV_WO, CV_X, CV_DY, CV_DW, CV_DB,
  CV_SCRATCH, CV_SCRATCH_BYTES, CV_FLAGS, CONV_ACCUMULATE, field, ptr, rowsThatFit,
} from './conv2d_desc';

/** Gradients of the loss with respect to the convolution's weights and bias. */
export function conv2d_backward_filter(d: usize): void {
  const N = field(d, CV_N), H = field(d, CV_H), W = field(d, CV_W), C = field(d, CV_C);
  const F = field(d, CV_F), K = field(d, CV_K), pad = field(d, CV_PAD);
  const Ho = field(d, CV_HO), Wo = field(d, CV_WO);
  const x = ptr(d, CV_X), dy = ptr(d, CV_DY), dw = ptr(d, CV_DW), db = ptr(d, CV_DB);
  const scratch = ptr(d, CV_SCRATCH);
  const accumulate = (field(d, CV_FLAGS) & CONV_ACCUMULATE) != 0;
  const total = N * Ho * Wo;
  if (useWinograd(K, C, F) && field(d, CV_SCRATCH_BYTES) >= winogradScratchBytes(C, F, 1)) {
    winogradFilterGrad(x, N, H, W, C, dy, F, pad, Ho, Wo, dw, accumulate, scratch, field(d, CV_SCRATCH_BYTES));
    if (db) columnSum(dy, total, F, db, accumulate);
    return;
  }
  if (C == 1 && (F & 3) == 0 && field(d, CV_SCRATCH_BYTES) >= singleChannelScratchBytes(H, W, pad)) {
    singleChannelFilterGrad(x, N, H, W, dy, F, K, pad, Ho, Wo, dw, db, accumulate, scratch);
    return;
  }
  const rowFloats = K * K * C;
  const chunk = rowsThatFit(field(d, CV_SCRATCH_BYTES), rowFloats);
  for (let r0 = 0; r0 < total; r0 += chunk) {
    const rows = min(chunk, total - r0);
    im2col(x, H, W, C, K, pad, Ho, Wo, r0, rows, scratch);
    const flags = accumulate || r0 > 0 ? GEMM_ACCUMULATE : 0;
    gemmRun(rowFloats, F, rows, scratch, 1, rowFloats, dy + (<usize>(r0 * F) << 2), F, dw, F, 0, flags);
  }
  if (total == 0 && !accumulate) memory.fill(dw, 0, <usize>(rowFloats * F) << 2);
  if (db) columnSum(dy, total, F, db, accumulate);
}
