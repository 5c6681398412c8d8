// Batch normalisation over channels (NHWC: rows = N*H*W, C contiguous), training mode, in two
// halves around a synchronisation point so the statistics cover the whole batch even when
// workers hold slices of it:
//
//   forward:  bn_forward_stats (this slice's count, mean, M2 per channel, f64)
//             -- every worker's stats are ready --
//             bn_forward_apply (combine all slices in worker order (Chan et al.), then
//                               y = gamma * (x - mean) * invstd + beta, optional ReLU)
//   backward: bn_backward_stats (optional ReLU backward in place; this slice's sums of dy and
//                                dy * xhat; they are also this slice's dbeta and dgamma)
//             -- every worker's sums are ready --
//             bn_backward_apply (combine, then dx)
// Each slice's statistics live in its block of a shared area (PART0 + slice * PART_STRIDE).
//
// Inference does not come here: batch norm is folded into the layer before it, or applied as a
// per-channel affine (tensor_ops.channel_affine). Sums are accumulated in f32x4 over blocks of
// BLOCK rows, then in f64 across blocks: fast, accurate, and in a fixed order.
import { relu4, zero4 } from './simd';

// Descriptor (byte offsets; i32 unless marked f32); mirrored in src/engine/descriptors.ts.
const BN_ROWS = 0; // rows in this slice (N * H * W)
const BN_C = 4;
const BN_X = 8; // input (pre-normalisation) activations
const BN_Y = 12; // output
const BN_DY = 16; // gradient of the output (modified in place by the ReLU backward)
const BN_DX = 20;
const BN_GAMMA = 24;
const BN_BETA = 28;
const BN_DGAMMA = 32;
const BN_DBETA = 36;
const BN_RMEAN = 40; // running statistics (inference)
const BN_RVAR = 44;
const BN_MEAN = 48; // f32[5C]: batch mean (forward_apply), then room for 1/std and backward coefficients
const BN_INVSTD = 52; // f32[C]
const BN_PART = 56; // this slice's partial statistics: f64[1 + 2C]
const BN_PART0 = 60; // worker 0's partial statistics for this layer
const BN_PART_STRIDE = 64; // bytes from one worker's partials to the next
const BN_PARTS = 68; // number of slices to combine
const BN_EPS = 72; // f32
const BN_MOMENTUM = 76; // f32: running = (1 - momentum) * running + momentum * batch
const BN_FLAGS = 80;
const BN_OUTPUT = 84; // the forward output (post-ReLU), read by the ReLU backward
// Bytes from a slice's forward statistics to its backward ones. They must not share memory: a
// fast worker may reach this layer's backward pass while a slow one still combines the forward
// statistics.
const BN_BACK = 88;

export const BN_RELU: i32 = 1;
/** FLAGS bit: this slice updates the running statistics (exactly one slice does). */
export const BN_UPDATE_RUNNING: i32 = 2;

const BLOCK: i32 = 64;

// @ts-ignore: decorator
@inline function f(d: usize, o: i32): i32 {
  return load<i32>(d + <usize>o);
}
// @ts-ignore: decorator
@inline function p(d: usize, o: i32): usize {
  return <usize>load<u32>(d + <usize>o);
}
// @ts-ignore: decorator
@inline function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}
// @ts-ignore: decorator
@inline function at64(base: usize, i: i32): usize {
  return base + (<usize>i << 3);
}

/**
 * Column sums of src (rows x C) into f64 out[C]: f32 within blocks of BLOCK rows, f64 across.
 * With `center` (f32[C]) the squares of (x - center) are summed instead.
 */
function columnSums64(src: usize, rows: i32, C: i32, out: usize, center: usize, squares: bool): void {
  for (let c = 0; c < C; c++) store<f64>(at64(out, c), 0);
  for (let r0 = 0; r0 < rows; r0 += BLOCK) {
    const r1 = min(rows, r0 + BLOCK);
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      let acc = zero4();
      const m = squares ? v128.load(at(center, c)) : zero4();
      for (let r = r0; r < r1; r++) {
        const v = v128.load(at(src, r * C + c));
        if (squares) {
          const dlt = f32x4.sub(v, m);
          acc = f32x4.add(acc, f32x4.mul(dlt, dlt));
        } else {
          acc = f32x4.add(acc, v);
        }
      }
      const o = at64(out, c);
      store<f64>(o, load<f64>(o) + <f64>f32x4.extract_lane(acc, 0));
      store<f64>(o, load<f64>(o, 8) + <f64>f32x4.extract_lane(acc, 1), 8);
      store<f64>(o, load<f64>(o, 16) + <f64>f32x4.extract_lane(acc, 2), 16);
      store<f64>(o, load<f64>(o, 24) + <f64>f32x4.extract_lane(acc, 3), 24);
    }
    for (; c < C; c++) {
      let acc: f32 = 0;
      const m: f32 = squares ? load<f32>(at(center, c)) : 0;
      for (let r = r0; r < r1; r++) {
        const v = load<f32>(at(src, r * C + c));
        if (squares) {
          const dlt = v - m;
          acc += dlt * dlt;
        } else {
          acc += v;
        }
      }
      const o = at64(out, c);
      store<f64>(o, load<f64>(o) + <f64>acc);
    }
  }
}

/** This slice's statistics into PART: count, then per channel the mean and M2 = sum (x - mean)^2. */
export function bn_forward_stats(d: usize): void {
  const rows = f(d, BN_ROWS), C = f(d, BN_C), x = p(d, BN_X), part = p(d, BN_PART);
  const mean = p(d, BN_MEAN); // f32 scratch for the centre of the second pass
  store<f64>(part, <f64>rows);
  const sums = part + 8;
  const m2 = part + 8 + (<usize>C << 3);
  columnSums64(x, rows, C, sums, 0, false);
  for (let c = 0; c < C; c++) {
    const mu = rows > 0 ? load<f64>(at64(sums, c)) / <f64>rows : 0;
    store<f64>(at64(sums, c), mu);
    store<f32>(at(mean, c), <f32>mu);
  }
  // Centre on the f32-rounded mean, then correct: M2 = S - n * (mu - m)^2 with S the squares about m.
  columnSums64(x, rows, C, m2, mean, true);
  for (let c = 0; c < C; c++) {
    const dm = load<f64>(at64(sums, c)) - <f64>load<f32>(at(mean, c));
    const v = load<f64>(at64(m2, c)) - <f64>rows * dm * dm;
    store<f64>(at64(m2, c), v > 0 ? v : 0);
  }
}

/** Combines every slice's statistics (in slice order), normalises this slice, updates running stats. */
export function bn_forward_apply(d: usize): void {
  const rows = f(d, BN_ROWS), C = f(d, BN_C), x = p(d, BN_X), y = p(d, BN_Y);
  const gamma = p(d, BN_GAMMA), beta = p(d, BN_BETA), meanOut = p(d, BN_MEAN), invOut = p(d, BN_INVSTD);
  const part0 = p(d, BN_PART0), stride = <usize>f(d, BN_PART_STRIDE), parts = f(d, BN_PARTS);
  const eps = <f64>load<f32>(d + BN_EPS), momentum = <f64>load<f32>(d + BN_MOMENTUM), flags = f(d, BN_FLAGS);
  for (let c = 0; c < C; c++) {
    // Chan, Golub & LeVeque's pairwise update, slice by slice in a fixed order.
    let n: f64 = 0, mu: f64 = 0, m2: f64 = 0;
    for (let w = 0; w < parts; w++) {
      const part = part0 + <usize>w * stride;
      const nb = load<f64>(part);
      if (nb == 0) continue;
      const mb = load<f64>(at64(part + 8, c));
      const m2b = load<f64>(at64(part + 8 + (<usize>C << 3), c));
      const nab = n + nb;
      const delta = mb - mu;
      mu += delta * nb / nab;
      m2 += m2b + delta * delta * n * nb / nab;
      n = nab;
    }
    const variance = n > 0 ? m2 / n : 0;
    store<f32>(at(meanOut, c), <f32>mu);
    store<f32>(at(invOut, c), <f32>(1.0 / Math.sqrt(variance + eps)));
    if (flags & BN_UPDATE_RUNNING) {
      const unbiased = n > 1 ? m2 / (n - 1) : variance;
      const rm = at(p(d, BN_RMEAN), c), rv = at(p(d, BN_RVAR), c);
      store<f32>(rm, <f32>((1 - momentum) * <f64>load<f32>(rm) + momentum * mu));
      store<f32>(rv, <f32>((1 - momentum) * <f64>load<f32>(rv) + momentum * unbiased));
    }
  }
  const relu = (flags & BN_RELU) != 0;
  for (let r = 0; r < rows; r++) {
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const i = r * C + c;
      const xhat = f32x4.mul(f32x4.sub(v128.load(at(x, i)), v128.load(at(meanOut, c))), v128.load(at(invOut, c)));
      let v = f32x4.add(f32x4.mul(xhat, v128.load(at(gamma, c))), v128.load(at(beta, c)));
      if (relu) v = relu4(v);
      v128.store(at(y, i), v);
    }
    for (; c < C; c++) {
      const i = r * C + c;
      const xhat = (load<f32>(at(x, i)) - load<f32>(at(meanOut, c))) * load<f32>(at(invOut, c));
      let v = xhat * load<f32>(at(gamma, c)) + load<f32>(at(beta, c));
      if (relu) v = max<f32>(v, 0);
      store<f32>(at(y, i), v);
    }
  }
}

/**
 * ReLU backward in place on DY (if fused), then this slice's sums of dy and dy * xhat into its
 * backward statistics block (f64, after the count slot) and into DBETA and DGAMMA (f32): summed
 * over workers by the gradient reduction, they become the whole batch's. DBETA and DGAMMA also
 * serve as the f32 block accumulators, so rows are walked once, in order, SIMD over channels.
 */
export function bn_backward_stats(d: usize): void {
  const rows = f(d, BN_ROWS), C = f(d, BN_C), x = p(d, BN_X), dy = p(d, BN_DY);
  const mean = p(d, BN_MEAN), invstd = p(d, BN_INVSTD), part = p(d, BN_PART) + <usize>f(d, BN_BACK);
  const dgamma = p(d, BN_DGAMMA), dbeta = p(d, BN_DBETA);
  if (f(d, BN_FLAGS) & BN_RELU) {
    const yv = p(d, BN_OUTPUT);
    const count = rows * C;
    let i = 0;
    for (; i + 4 <= count; i += 4) {
      v128.store(at(dy, i), v128.and(v128.load(at(dy, i)), f32x4.gt(v128.load(at(yv, i)), zero4())));
    }
    for (; i < count; i++) if (!(load<f32>(at(yv, i)) > 0)) store<f32>(at(dy, i), 0);
  }
  store<f64>(part, <f64>rows);
  const sdy = part + 8, sdyx = part + 8 + (<usize>C << 3);
  for (let c = 0; c < C; c++) {
    store<f64>(at64(sdy, c), 0);
    store<f64>(at64(sdyx, c), 0);
  }
  for (let r0 = 0; r0 < rows; r0 += BLOCK) {
    const r1 = min(rows, r0 + BLOCK);
    memory.fill(dbeta, 0, <usize>C << 2);
    memory.fill(dgamma, 0, <usize>C << 2);
    for (let r = r0; r < r1; r++) {
      const row = r * C;
      let c = 0;
      for (; c + 4 <= C; c += 4) {
        const g = v128.load(at(dy, row + c));
        const xhat = f32x4.mul(f32x4.sub(v128.load(at(x, row + c)), v128.load(at(mean, c))), v128.load(at(invstd, c)));
        v128.store(at(dbeta, c), f32x4.add(v128.load(at(dbeta, c)), g));
        v128.store(at(dgamma, c), f32x4.add(v128.load(at(dgamma, c)), f32x4.mul(g, xhat)));
      }
      for (; c < C; c++) {
        const g = load<f32>(at(dy, row + c));
        const xhat = (load<f32>(at(x, row + c)) - load<f32>(at(mean, c))) * load<f32>(at(invstd, c));
        store<f32>(at(dbeta, c), load<f32>(at(dbeta, c)) + g);
        store<f32>(at(dgamma, c), load<f32>(at(dgamma, c)) + g * xhat);
      }
    }
    for (let c = 0; c < C; c++) {
      store<f64>(at64(sdy, c), load<f64>(at64(sdy, c)) + <f64>load<f32>(at(dbeta, c)));
      store<f64>(at64(sdyx, c), load<f64>(at64(sdyx, c)) + <f64>load<f32>(at(dgamma, c)));
    }
  }
  for (let c = 0; c < C; c++) {
    store<f32>(at(dbeta, c), <f32>load<f64>(at64(sdy, c)));
    store<f32>(at(dgamma, c), <f32>load<f64>(at64(sdyx, c)));
  }
}

/**
 * dx = gamma * invstd / N * (N * dy - sum(dy) - xhat * sum(dy * xhat)), sums over the whole
 * batch: per channel dx = k1 * dy - k2 - k3 * xhat, with k1..k3 kept beside the batch mean
 * (MEAN holds 5C floats: mean, invstd, k1, k2, k3).
 */
export function bn_backward_apply(d: usize): void {
  const rows = f(d, BN_ROWS), C = f(d, BN_C), x = p(d, BN_X), dy = p(d, BN_DY), dx = p(d, BN_DX);
  const gamma = p(d, BN_GAMMA), mean = p(d, BN_MEAN), invstd = p(d, BN_INVSTD);
  const part0 = p(d, BN_PART0) + <usize>f(d, BN_BACK), stride = <usize>f(d, BN_PART_STRIDE), parts = f(d, BN_PARTS);
  if (!dx) return;
  const k1 = mean + (<usize>(2 * C) << 2), k2 = mean + (<usize>(3 * C) << 2), k3 = mean + (<usize>(4 * C) << 2);
  for (let c = 0; c < C; c++) {
    let n: f64 = 0, sdy: f64 = 0, sdyx: f64 = 0;
    for (let w = 0; w < parts; w++) {
      const part = part0 + <usize>w * stride;
      n += load<f64>(part);
      sdy += load<f64>(at64(part + 8, c));
      sdyx += load<f64>(at64(part + 8 + (<usize>C << 3), c));
    }
    const g = <f64>load<f32>(at(gamma, c)) * <f64>load<f32>(at(invstd, c));
    store<f32>(at(k1, c), <f32>g);
    store<f32>(at(k2, c), <f32>(n > 0 ? g * sdy / n : 0));
    store<f32>(at(k3, c), <f32>(n > 0 ? g * sdyx / n : 0));
  }
  for (let r = 0; r < rows; r++) {
    const row = r * C;
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const xhat = f32x4.mul(f32x4.sub(v128.load(at(x, row + c)), v128.load(at(mean, c))), v128.load(at(invstd, c)));
      const v = f32x4.sub(f32x4.sub(f32x4.mul(v128.load(at(k1, c)), v128.load(at(dy, row + c))), v128.load(at(k2, c))), f32x4.mul(v128.load(at(k3, c)), xhat));
      v128.store(at(dx, row + c), v);
    }
    for (; c < C; c++) {
      const xhat = (load<f32>(at(x, row + c)) - load<f32>(at(mean, c))) * load<f32>(at(invstd, c));
      store<f32>(at(dx, row + c), load<f32>(at(k1, c)) * load<f32>(at(dy, row + c)) - load<f32>(at(k2, c)) - load<f32>(at(k3, c)) * xhat);
    }
  }
}
