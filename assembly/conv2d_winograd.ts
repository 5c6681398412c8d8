// 3x3 convolution, stride 1, by Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray 2016):
// each 2x2 output tile costs 16 multiplies per input/output channel pair instead of 36.
//
//   U = G g G^T      weights, per (c, f): 16 values, laid out [16][C][F]
//   V = B^T d B      input tiles (4x4, overlapping by 2), per (tile, c): [16][T][C]
//   M_k = V_k U_k    16 independent GEMMs over a chunk of T tiles: [16][T][F]
//   Y = A^T M A      2x2 outputs per (tile, f), then bias and ReLU
//
// The weight gradient runs the same transforms backwards: with dM = A dY A^T per output tile,
// dU_k = sum over tiles of V_k^T dM_k (16 GEMMs summing over tiles), and dW = G^T dU G.
//
// NHWC activations, HWIO weights, as conv2d_forward. Tiles never mix images and every GEMM row is
// one tile, so an image's result does not depend on its batch. The arithmetic differs from the
// direct convolution's (a few ulps), but it is the same in every engine.
import { gemmRun, GEMM_ACCUMULATE } from './gemm';
import { relu4, zero4 } from './simd';

// @ts-ignore: decorator
@inline function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

/** U[k][c][f] from w[kh][kw][c][f] (3x3xCxF): done once per weight change for inference. */
export function winograd_weights(w: usize, C: i32, F: i32, u: usize): void {
  transformWeights(w, C, F, u);
}

/**
 * U[k][c][f] from w[kh][kw][c][f] (3x3xCxF). Four (c, f) pairs at a time, then one at a time
 * for the rest: the same additions and halvings per element either way, so the same bits, in a
 * quarter of the loop turns (this runs at a model's first prediction, as baseline code).
 */
function transformWeights(w: usize, C: i32, F: i32, u: usize): void {
  const CF = C * F;
  const half = f32x4.splat(0.5);
  let i = 0;
  for (; i + 4 <= CF; i += 4) {
    const g0 = v128.load(at(w, i)), g1 = v128.load(at(w, CF + i)), g2 = v128.load(at(w, 2 * CF + i));
    const g3 = v128.load(at(w, 3 * CF + i)), g4 = v128.load(at(w, 4 * CF + i)), g5 = v128.load(at(w, 5 * CF + i));
    const g6 = v128.load(at(w, 6 * CF + i)), g7 = v128.load(at(w, 7 * CF + i)), g8 = v128.load(at(w, 8 * CF + i));
    // G g: rows (g_r0, (g_r0+g_r1+g_r2)/2, (g_r0-g_r1+g_r2)/2, g_r2) for each column of g.
    const b0 = f32x4.mul(half, f32x4.add(f32x4.add(g0, g3), g6));
    const b1 = f32x4.mul(half, f32x4.add(f32x4.add(g1, g4), g7));
    const b2 = f32x4.mul(half, f32x4.add(f32x4.add(g2, g5), g8));
    const c0 = f32x4.mul(half, f32x4.add(f32x4.sub(g0, g3), g6));
    const c1 = f32x4.mul(half, f32x4.add(f32x4.sub(g1, g4), g7));
    const c2 = f32x4.mul(half, f32x4.add(f32x4.sub(g2, g5), g8));
    // (G g) G^T: the same on each row.
    rowT4(u, CF, i, 0, g0, g1, g2, half);
    rowT4(u, CF, i, 4, b0, b1, b2, half);
    rowT4(u, CF, i, 8, c0, c1, c2, half);
    rowT4(u, CF, i, 12, g6, g7, g8, half);
  }
  for (; i < CF; i++) {
    const g0 = load<f32>(at(w, i)), g1 = load<f32>(at(w, CF + i)), g2 = load<f32>(at(w, 2 * CF + i));
    const g3 = load<f32>(at(w, 3 * CF + i)), g4 = load<f32>(at(w, 4 * CF + i)), g5 = load<f32>(at(w, 5 * CF + i));
    const g6 = load<f32>(at(w, 6 * CF + i)), g7 = load<f32>(at(w, 7 * CF + i)), g8 = load<f32>(at(w, 8 * CF + i));
    const b0: f32 = 0.5 * (g0 + g3 + g6), b1: f32 = 0.5 * (g1 + g4 + g7), b2: f32 = 0.5 * (g2 + g5 + g8);
    const c0: f32 = 0.5 * (g0 - g3 + g6), c1: f32 = 0.5 * (g1 - g4 + g7), c2: f32 = 0.5 * (g2 - g5 + g8);
    rowT(u, CF, i, 0, g0, g1, g2);
    rowT(u, CF, i, 4, b0, b1, b2);
    rowT(u, CF, i, 8, c0, c1, c2);
    rowT(u, CF, i, 12, g6, g7, g8);
  }
}

// @ts-ignore: decorator
@inline function rowT4(u: usize, CF: i32, i: i32, k: i32, x0: v128, x1: v128, x2: v128, half: v128): void {
  v128.store(at(u, k * CF + i), x0);
  v128.store(at(u, (k + 1) * CF + i), f32x4.mul(half, f32x4.add(f32x4.add(x0, x1), x2)));
  v128.store(at(u, (k + 2) * CF + i), f32x4.mul(half, f32x4.add(f32x4.sub(x0, x1), x2)));
  v128.store(at(u, (k + 3) * CF + i), x2);
}

// @ts-ignore: decorator
@inline function rowT(u: usize, CF: i32, i: i32, k: i32, x0: f32, x1: f32, x2: f32): void {
  store<f32>(at(u, k * CF + i), x0);
  store<f32>(at(u, (k + 1) * CF + i), <f32>0.5 * (x0 + x1 + x2));
  store<f32>(at(u, (k + 2) * CF + i), <f32>0.5 * (x0 - x1 + x2));
  store<f32>(at(u, (k + 3) * CF + i), x2);
}

/** Whether a convolution takes the Winograd path: 3x3, channel counts multiples of 4, enough input channels to pay. */
export function useWinograd(K: i32, C: i32, F: i32): bool {
  return K == 3 && C >= 8 && (C & 3) == 0 && (F & 3) == 0;
}

/** Most tiles per GEMM chunk (the plan reserves room for this many). */
const WINOGRAD_TILES: i32 = 64;

/** Scratch bytes Winograd needs for `tiles` tiles per GEMM chunk. */
export function winogradScratchBytes(C: i32, F: i32, tiles: i32): i32 {
  return 16 * C * F * 4 + 16 * tiles * (C + F) * 4;
}

/**
 * Winograd convolution over N images: y = conv(x, w) + bias (then ReLU). `scratch` must hold
 * 16*C*F floats for U plus at least one tile's V and M (16*(C+F) floats); more room means bigger
 * GEMMs. With `pre` (weights transformed beforehand by winograd_weights) U comes from there and
 * the scratch needs only the tiles. Only used with C and F multiples of 4.
 */
export function winogradConv(
  x: usize, N: i32, H: i32, W: i32, C: i32, w: usize, F: i32, pad: i32, Ho: i32, Wo: i32,
  bias: usize, y: usize, relu: bool, scratch: usize, scratchBytes: i32, pre: usize = 0,
): void {
  const uBytes = pre ? 0 : 16 * C * F * 4;
  const u = pre ? pre : scratch;
  if (!pre) transformWeights(w, C, F, u);
  const th = (Ho + 1) >> 1, tw = (Wo + 1) >> 1;
  const tilesPerImage = th * tw;
  const total = N * tilesPerImage;
  // Tiles per chunk, capped: bigger chunks stop fitting in cache (the result is the same either way).
  const T = min(WINOGRAD_TILES, max(1, (scratchBytes - uBytes) / (16 * (C + F) * 4)));
  const v = scratch + <usize>uBytes;
  const m = v + (<usize>(16 * T * C) << 2);
  for (let t0 = 0; t0 < total; t0 += T) {
    const tn = min(T, total - t0);
    inputTransform(x, H, W, C, pad, th, tw, tilesPerImage, t0, tn, v, T);
    for (let k = 0; k < 16; k++) {
      gemmRun(tn, F, C, v + (<usize>(k * T * C) << 2), C, 1, u + (<usize>(k * C * F) << 2), F, m + (<usize>(k * T * F) << 2), F, 0, 0);
    }
    outputTransform(m, T, F, Ho, Wo, th, tw, tilesPerImage, t0, tn, bias, relu, y);
  }
}

/** V[k][t][c] for tiles t0..t0+tn (k = 4*row + col of the transformed 4x4 tile). */
function inputTransform(
  x: usize, H: i32, W: i32, C: i32, pad: i32, th: i32, tw: i32, tilesPerImage: i32, t0: i32, tn: i32,
  v: usize, T: i32,
): void {
  const kStride = <usize>(T * C) << 2;
  for (let t = 0; t < tn; t++) {
    const g = t0 + t;
    const n = g / tilesPerImage;
    const r = g - n * tilesPerImage;
    const ti = r / tw, tj = r - ti * tw;
    const y0 = 2 * ti - pad, x0 = 2 * tj - pad;
    const img = x + (<usize>(n * H * W * C) << 2);
    const inside = y0 >= 0 && x0 >= 0 && y0 + 4 <= H && x0 + 4 <= W;
    const dst = v + (<usize>(t * C) << 2);
    for (let c = 0; c < C; c += 4) {
      // d[i][j]: 4x4 input patch, 4 channels per vector; zero outside the image.
      let d00 = zero4(), d01 = zero4(), d02 = zero4(), d03 = zero4();
      let d10 = zero4(), d11 = zero4(), d12 = zero4(), d13 = zero4();
      let d20 = zero4(), d21 = zero4(), d22 = zero4(), d23 = zero4();
      let d30 = zero4(), d31 = zero4(), d32 = zero4(), d33 = zero4();
      if (inside) {
        const p0 = img + (<usize>((y0 * W + x0) * C + c) << 2);
        const rs = <usize>(W * C) << 2, cs = <usize>C << 2;
        d00 = v128.load(p0); d01 = v128.load(p0 + cs); d02 = v128.load(p0 + 2 * cs); d03 = v128.load(p0 + 3 * cs);
        const p1 = p0 + rs;
        d10 = v128.load(p1); d11 = v128.load(p1 + cs); d12 = v128.load(p1 + 2 * cs); d13 = v128.load(p1 + 3 * cs);
        const p2 = p1 + rs;
        d20 = v128.load(p2); d21 = v128.load(p2 + cs); d22 = v128.load(p2 + 2 * cs); d23 = v128.load(p2 + 3 * cs);
        const p3 = p2 + rs;
        d30 = v128.load(p3); d31 = v128.load(p3 + cs); d32 = v128.load(p3 + 2 * cs); d33 = v128.load(p3 + 3 * cs);
      } else {
        d00 = px(img, H, W, C, y0, x0, c); d01 = px(img, H, W, C, y0, x0 + 1, c);
        d02 = px(img, H, W, C, y0, x0 + 2, c); d03 = px(img, H, W, C, y0, x0 + 3, c);
        d10 = px(img, H, W, C, y0 + 1, x0, c); d11 = px(img, H, W, C, y0 + 1, x0 + 1, c);
        d12 = px(img, H, W, C, y0 + 1, x0 + 2, c); d13 = px(img, H, W, C, y0 + 1, x0 + 3, c);
        d20 = px(img, H, W, C, y0 + 2, x0, c); d21 = px(img, H, W, C, y0 + 2, x0 + 1, c);
        d22 = px(img, H, W, C, y0 + 2, x0 + 2, c); d23 = px(img, H, W, C, y0 + 2, x0 + 3, c);
        d30 = px(img, H, W, C, y0 + 3, x0, c); d31 = px(img, H, W, C, y0 + 3, x0 + 1, c);
        d32 = px(img, H, W, C, y0 + 3, x0 + 2, c); d33 = px(img, H, W, C, y0 + 3, x0 + 3, c);
      }
      // B^T d: rows (d0 - d2, d1 + d2, d2 - d1, d1 - d3), per column.
      const a0 = f32x4.sub(d00, d20), a1 = f32x4.sub(d01, d21), a2 = f32x4.sub(d02, d22), a3 = f32x4.sub(d03, d23);
      const b0 = f32x4.add(d10, d20), b1 = f32x4.add(d11, d21), b2 = f32x4.add(d12, d22), b3 = f32x4.add(d13, d23);
      const e0 = f32x4.sub(d20, d10), e1 = f32x4.sub(d21, d11), e2 = f32x4.sub(d22, d12), e3 = f32x4.sub(d23, d13);
      const h0 = f32x4.sub(d10, d30), h1 = f32x4.sub(d11, d31), h2 = f32x4.sub(d12, d32), h3 = f32x4.sub(d13, d33);
      // (B^T d) B: the same on each row.
      const o = dst + (<usize>c << 2);
      storeRow(o, kStride, 0, a0, a1, a2, a3);
      storeRow(o, kStride, 4, b0, b1, b2, b3);
      storeRow(o, kStride, 8, e0, e1, e2, e3);
      storeRow(o, kStride, 12, h0, h1, h2, h3);
    }
  }
}

// @ts-ignore: decorator
@inline function storeRow(o: usize, kStride: usize, k: i32, r0: v128, r1: v128, r2: v128, r3: v128): void {
  v128.store(o + <usize>k * kStride, f32x4.sub(r0, r2));
  v128.store(o + <usize>(k + 1) * kStride, f32x4.add(r1, r2));
  v128.store(o + <usize>(k + 2) * kStride, f32x4.sub(r2, r1));
  v128.store(o + <usize>(k + 3) * kStride, f32x4.sub(r1, r3));
}

// @ts-ignore: decorator
@inline function px(img: usize, H: i32, W: i32, C: i32, yy: i32, xx: i32, c: i32): v128 {
  if (yy < 0 || yy >= H || xx < 0 || xx >= W) return zero4();
  return v128.load(img + (<usize>((yy * W + xx) * C + c) << 2));
}

/** Y from M[k][t][f]: A^T M A per tile and filter, plus bias and ReLU; edge tiles write what fits. */
function outputTransform(
  m: usize, T: i32, F: i32, Ho: i32, Wo: i32, th: i32, tw: i32, tilesPerImage: i32, t0: i32, tn: i32,
  bias: usize, relu: bool, y: usize,
): void {
  const kStride = <usize>(T * F) << 2;
  for (let t = 0; t < tn; t++) {
    const g = t0 + t;
    const n = g / tilesPerImage;
    const r = g - n * tilesPerImage;
    const ti = r / tw, tj = r - ti * tw;
    const oy = 2 * ti, ox = 2 * tj;
    const src = m + (<usize>(t * F) << 2);
    const img = y + (<usize>(n * Ho * Wo * F) << 2);
    for (let f = 0; f < F; f += 4) {
      const s = src + (<usize>f << 2);
      const m00 = v128.load(s), m01 = v128.load(s + kStride), m02 = v128.load(s + 2 * kStride), m03 = v128.load(s + 3 * kStride);
      const m10 = v128.load(s + 4 * kStride), m11 = v128.load(s + 5 * kStride), m12 = v128.load(s + 6 * kStride), m13 = v128.load(s + 7 * kStride);
      const m20 = v128.load(s + 8 * kStride), m21 = v128.load(s + 9 * kStride), m22 = v128.load(s + 10 * kStride), m23 = v128.load(s + 11 * kStride);
      const m30 = v128.load(s + 12 * kStride), m31 = v128.load(s + 13 * kStride), m32 = v128.load(s + 14 * kStride), m33 = v128.load(s + 15 * kStride);
      // A^T M: rows (m0 + m1 + m2, m1 - m2 - m3).
      const p0 = f32x4.add(f32x4.add(m00, m10), m20), p1 = f32x4.add(f32x4.add(m01, m11), m21);
      const p2 = f32x4.add(f32x4.add(m02, m12), m22), p3 = f32x4.add(f32x4.add(m03, m13), m23);
      const q0 = f32x4.sub(f32x4.sub(m10, m20), m30), q1 = f32x4.sub(f32x4.sub(m11, m21), m31);
      const q2 = f32x4.sub(f32x4.sub(m12, m22), m32), q3 = f32x4.sub(f32x4.sub(m13, m23), m33);
      let y00 = f32x4.add(f32x4.add(p0, p1), p2), y01 = f32x4.sub(f32x4.sub(p1, p2), p3);
      let y10 = f32x4.add(f32x4.add(q0, q1), q2), y11 = f32x4.sub(f32x4.sub(q1, q2), q3);
      if (bias) {
        const bv = v128.load(bias + (<usize>f << 2));
        y00 = f32x4.add(y00, bv); y01 = f32x4.add(y01, bv); y10 = f32x4.add(y10, bv); y11 = f32x4.add(y11, bv);
      }
      if (relu) {
        y00 = relu4(y00); y01 = relu4(y01); y10 = relu4(y10); y11 = relu4(y11);
      }
      const base = img + (<usize>((oy * Wo + ox) * F + f) << 2);
      v128.store(base, y00);
      if (ox + 1 < Wo) v128.store(base + (<usize>F << 2), y01);
      if (oy + 1 < Ho) {
        const row = base + (<usize>(Wo * F) << 2);
        v128.store(row, y10);
        if (ox + 1 < Wo) v128.store(row + (<usize>F << 2), y11);
      }
    }
  }
}

/**
 * Weight gradient of a Winograd convolution: dw (+)= d loss / d w for input x and output gradient
 * dy, summed over all tiles of all images in tile order (chunking never changes the result).
 * Same scratch needs as winogradConv.
 */
export function winogradFilterGrad(
  x: usize, N: i32, H: i32, W: i32, C: i32, dy: usize, F: i32, pad: i32, Ho: i32, Wo: i32,
  dw: usize, accumulate: bool, scratch: usize, scratchBytes: i32,
): void {
  const du = scratch;
  const uBytes = 16 * C * F * 4;
  const th = (Ho + 1) >> 1, tw = (Wo + 1) >> 1;
  const tilesPerImage = th * tw;
  const total = N * tilesPerImage;
  const T = max(1, (scratchBytes - uBytes) / (16 * (C + F) * 4));
  const v = scratch + <usize>uBytes;
  const m = v + (<usize>(16 * T * C) << 2);
  if (total == 0) memory.fill(du, 0, <usize>uBytes);
  for (let t0 = 0; t0 < total; t0 += T) {
    const tn = min(T, total - t0);
    inputTransform(x, H, W, C, pad, th, tw, tilesPerImage, t0, tn, v, T);
    gradTransform(dy, F, Ho, Wo, tw, tilesPerImage, t0, tn, m, T);
    const flags = t0 > 0 ? GEMM_ACCUMULATE : 0;
    for (let k = 0; k < 16; k++) {
      gemmRun(C, F, tn, v + (<usize>(k * T * C) << 2), 1, C, m + (<usize>(k * T * F) << 2), F, du + (<usize>(k * C * F) << 2), F, 0, flags);
    }
  }
  untransformWeights(du, C, F, dw, accumulate);
}

/** dM[k][t][f] = (A dY A^T) per 2x2 output tile; outputs past the edge count as zero. */
function gradTransform(dy: usize, F: i32, Ho: i32, Wo: i32, tw: i32, tilesPerImage: i32, t0: i32, tn: i32, m: usize, T: i32): void {
  const kStride = <usize>(T * F) << 2;
  for (let t = 0; t < tn; t++) {
    const g = t0 + t;
    const n = g / tilesPerImage;
    const r = g - n * tilesPerImage;
    const ti = r / tw, tj = r - ti * tw;
    const oy = 2 * ti, ox = 2 * tj;
    const img = dy + (<usize>(n * Ho * Wo * F) << 2);
    const right = ox + 1 < Wo, down = oy + 1 < Ho;
    const dst = m + (<usize>(t * F) << 2);
    for (let f = 0; f < F; f += 4) {
      const base = img + (<usize>((oy * Wo + ox) * F + f) << 2);
      const a = v128.load(base);
      const b = right ? v128.load(base + (<usize>F << 2)) : zero4();
      const c = down ? v128.load(base + (<usize>(Wo * F) << 2)) : zero4();
      const d = down && right ? v128.load(base + (<usize>((Wo + 1) * F) << 2)) : zero4();
      // A dY: rows (r0, r1, r2, r3) = (top, top + bottom, top - bottom, -bottom), then the same across.
      const o = dst + (<usize>f << 2);
      gradRow(o, kStride, 0, a, b);
      gradRow(o, kStride, 4, f32x4.add(a, c), f32x4.add(b, d));
      gradRow(o, kStride, 8, f32x4.sub(a, c), f32x4.sub(b, d));
      gradRow(o, kStride, 12, f32x4.neg(c), f32x4.neg(d));
    }
  }
}

// @ts-ignore: decorator
@inline function gradRow(o: usize, kStride: usize, k: i32, p: v128, q: v128): void {
  v128.store(o + <usize>k * kStride, p);
  v128.store(o + <usize>(k + 1) * kStride, f32x4.add(p, q));
  v128.store(o + <usize>(k + 2) * kStride, f32x4.sub(p, q));
  v128.store(o + <usize>(k + 3) * kStride, f32x4.neg(q));
}

/** dw (+)= G^T dU G per (c, f): 3x3 from the 16 transformed sums. */
function untransformWeights(du: usize, C: i32, F: i32, dw: usize, accumulate: bool): void {
  const CF = C * F;
  for (let i = 0; i < CF; i++) {
    // Rows of dU (4x4, k = 4*row + col); G^T = [[1, .5, .5, 0], [0, .5, -.5, 0], [0, .5, .5, 1]].
    const u00 = load<f32>(at(du, i)), u01 = load<f32>(at(du, CF + i)), u02 = load<f32>(at(du, 2 * CF + i)), u03 = load<f32>(at(du, 3 * CF + i));
    const u10 = load<f32>(at(du, 4 * CF + i)), u11 = load<f32>(at(du, 5 * CF + i)), u12 = load<f32>(at(du, 6 * CF + i)), u13 = load<f32>(at(du, 7 * CF + i));
    const u20 = load<f32>(at(du, 8 * CF + i)), u21 = load<f32>(at(du, 9 * CF + i)), u22 = load<f32>(at(du, 10 * CF + i)), u23 = load<f32>(at(du, 11 * CF + i));
    const u30 = load<f32>(at(du, 12 * CF + i)), u31 = load<f32>(at(du, 13 * CF + i)), u32 = load<f32>(at(du, 14 * CF + i)), u33 = load<f32>(at(du, 15 * CF + i));
    // G^T dU: 3 rows of 4.
    const a0: f32 = u00 + <f32>0.5 * (u10 + u20), a1: f32 = u01 + <f32>0.5 * (u11 + u21);
    const a2: f32 = u02 + <f32>0.5 * (u12 + u22), a3: f32 = u03 + <f32>0.5 * (u13 + u23);
    const b0: f32 = <f32>0.5 * (u10 - u20), b1: f32 = <f32>0.5 * (u11 - u21);
    const b2: f32 = <f32>0.5 * (u12 - u22), b3: f32 = <f32>0.5 * (u13 - u23);
    const c0: f32 = u30 + <f32>0.5 * (u10 + u20), c1: f32 = u31 + <f32>0.5 * (u11 + u21);
    const c2: f32 = u32 + <f32>0.5 * (u12 + u22), c3: f32 = u33 + <f32>0.5 * (u13 + u23);
    // (G^T dU) G: each row of 4 to 3.
    untransformRow(dw, CF, i, 0, a0, a1, a2, a3, accumulate);
    untransformRow(dw, CF, i, 3, b0, b1, b2, b3, accumulate);
    untransformRow(dw, CF, i, 6, c0, c1, c2, c3, accumulate);
  }
}

// @ts-ignore: decorator
@inline function untransformRow(dw: usize, CF: i32, i: i32, k: i32, x0: f32, x1: f32, x2: f32, x3: f32, accumulate: bool): void {
  const y0: f32 = x0 + <f32>0.5 * (x1 + x2);
  const y1: f32 = <f32>0.5 * (x1 - x2);
  const y2: f32 = x3 + <f32>0.5 * (x1 + x2);
  const p0 = at(dw, k * CF + i), p1 = at(dw, (k + 1) * CF + i), p2 = at(dw, (k + 2) * CF + i);
  store<f32>(p0, accumulate ? load<f32>(p0) + y0 : y0);
  store<f32>(p1, accumulate ? load<f32>(p1) + y1 : y1);
  store<f32>(p2, accumulate ? load<f32>(p2) + y2 : y2);
}
