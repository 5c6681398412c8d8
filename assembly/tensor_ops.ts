// Small elementwise and reduction kernels over flat f32 arrays. Vector body plus scalar tail;
// the tail does the same arithmetic as a lane, so results never depend on alignment or length.
import { relu4, zero4 } from './simd';

/** out[i] = value for i < count. */
export function fill(out: usize, count: i32, value: f32): void {
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= count; i += 4) v128.store(out + (<usize>i << 2), v);
  for (; i < count; i++) store<f32>(out + (<usize>i << 2), value);
}

/** dst[i] += src[i]: the fixed-order reduction of per-worker gradients. May not alias. */
export function add_into(dst: usize, src: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const p = <usize>i << 2;
    v128.store(dst + p, f32x4.add(v128.load(dst + p), v128.load(src + p)));
  }
  for (; i < count; i++) {
    const p = <usize>i << 2;
    store<f32>(dst + p, load<f32>(dst + p) + load<f32>(src + p));
  }
}

/** out[i] = a[i] * b[i]; out may alias a or b. */
export function mul(a: usize, b: usize, out: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const p = <usize>i << 2;
    v128.store(out + p, f32x4.mul(v128.load(a + p), v128.load(b + p)));
  }
  for (; i < count; i++) {
    const p = <usize>i << 2;
    store<f32>(out + p, load<f32>(a + p) * load<f32>(b + p));
  }
}

/** out[i] = src[i] * scale + shift, from bytes: pixels to network input. */
export function u8_to_f32(src: usize, out: usize, count: i32, scale: f32, shift: f32): void {
  const vs = f32x4.splat(scale), vb = f32x4.splat(shift);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const v = f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(src + <usize>i))));
    v128.store(out + (<usize>i << 2), f32x4.add(f32x4.mul(v, vs), vb));
  }
  for (; i < count; i++) {
    store<f32>(out + (<usize>i << 2), <f32>load<u8>(src + <usize>i) * scale + shift);
  }
}

/**
 * out[i] = q[i] * scales[i % channels]: an int8 weight tensor (per-channel scales on its last
 * axis) to f32, as a model loads. Each product of an integer and an f32 is rounded once, so this
 * gives the bits of the JavaScript reader's `q * scale` stored to a Float32Array; here it runs
 * before JavaScript's optimiser would have reached that loop, where start-up time counts.
 */
export function dequantize_int8(q: usize, scales: usize, count: i32, channels: i32, out: usize): void {
  let i = 0;
  // Four channels at a time where rows of channels allow (every conv and dense layer of the
  // presets): a quarter of the loop turns, which counts while this still runs as baseline code.
  if ((channels & 3) == 0) {
    for (; i + channels <= count; i += channels) {
      for (let c = 0; c < channels; c += 4) {
        const v = f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.load32_zero(q + <usize>(i + c)))));
        v128.store(out + (<usize>(i + c) << 2), f32x4.mul(v, v128.load(scales + (<usize>c << 2))));
      }
    }
  }
  for (let c = 0; i < count; i++) {
    store<f32>(out + (<usize>i << 2), <f32>load<i8>(q + <usize>i) * load<f32>(scales + (<usize>c << 2)));
    if (++c == channels) c = 0;
  }
}

/**
 * out[i] = the f32 value of the IEEE binary16 bit pattern src[i] (exact: every f16 value is an
 * f32 value), as a model with f16 tensors loads; NaN and Infinity patterns (refused by the reader)
 * map to NaN and Infinity.
 */
export function f16_to_f32(src: usize, count: i32, out: usize): void {
  for (let i = 0; i < count; i++) {
    const h = <u32>load<u16>(src + (<usize>i << 1));
    const sign = (h & 0x8000) << 16;
    const e = (h >> 10) & 0x1f, m = h & 0x3ff;
    let v: f32;
    if (e == 0) {
      // Zero or subnormal: m * 2^-24, exact in f32.
      v = <f32>m * <f32>5.9604644775390625e-8;
      v = reinterpret<f32>(reinterpret<u32>(v) | sign);
    } else {
      // Normal (exponent rebias 15 -> 127) or, with e == 31, Infinity/NaN.
      const bits = e == 31 ? 0x7f800000 | (m << 13) : ((e + 112) << 23) | (m << 13);
      v = reinterpret<f32>(bits | sign);
    }
    store<f32>(out + (<usize>i << 2), v);
  }
}

/**
 * out[c, r] = src[r, c] for a rows x cols matrix. May not alias. 4x4 blocks through registers
 * (four loads, eight lane shuffles, four stores) instead of an element at a time: a dense
 * layer's backward-input pass transposes its weights every step.
 */
export function transpose(src: usize, rows: i32, cols: i32, out: usize): void {
  const R4 = rows & ~3, C4 = cols & ~3;
  const srow = <usize>cols << 2, orow = <usize>rows << 2;
  for (let r = 0; r < R4; r += 4) {
    for (let c = 0; c < C4; c += 4) {
      const s = src + (<usize>(r * cols + c) << 2);
      const x0 = v128.load(s), x1 = v128.load(s + srow), x2 = v128.load(s + 2 * srow), x3 = v128.load(s + 3 * srow);
      const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
      const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
      const o = out + (<usize>(c * rows + r) << 2);
      v128.store(o, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
      v128.store(o + orow, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
      v128.store(o + 2 * orow, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
      v128.store(o + 3 * orow, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
    }
  }
  // The edges: columns past the last block of 4 in every row, then rows past the last block.
  for (let r = 0; r < rows; r++) {
    for (let c = r < R4 ? C4 : 0; c < cols; c++) {
      store<f32>(out + (<usize>(c * rows + r) << 2), load<f32>(src + (<usize>(r * cols + c) << 2)));
    }
  }
}

/** out[c] = (accumulate ? out[c] : 0) + sum over r of src[r, c], summed in row order. */
export function columnSum(src: usize, rows: i32, cols: i32, out: usize, accumulate: bool): void {
  const step = <usize>cols << 2;
  let c = 0;
  // 16 columns per walk over the rows: four independent add chains and a whole cache line of each
  // row per walk. Four columns per walk was bound by one add chain's latency and read every line
  // of a conv's output gradient (megabytes) four times (`node bench/compare-builds.mjs`, the
  // first layer's weight gradient with its bias at batch 64: 1.23x). Each sum keeps its order.
  for (; c + 16 <= cols; c += 16) {
    const po = out + (<usize>c << 2);
    let a0 = zero4(), a1 = zero4(), a2 = zero4(), a3 = zero4();
    if (accumulate) {
      a0 = v128.load(po); a1 = v128.load(po, 16); a2 = v128.load(po, 32); a3 = v128.load(po, 48);
    }
    let p = src + (<usize>c << 2);
    for (let r = 0; r < rows; r++) {
      a0 = f32x4.add(a0, v128.load(p)); a1 = f32x4.add(a1, v128.load(p, 16));
      a2 = f32x4.add(a2, v128.load(p, 32)); a3 = f32x4.add(a3, v128.load(p, 48));
      p += step;
    }
    v128.store(po, a0); v128.store(po, a1, 16); v128.store(po, a2, 32); v128.store(po, a3, 48);
  }
  for (; c + 4 <= cols; c += 4) {
    const po = out + (<usize>c << 2);
    let acc = accumulate ? v128.load(po) : zero4();
    let p = src + (<usize>c << 2);
    for (let r = 0; r < rows; r++) {
      acc = f32x4.add(acc, v128.load(p));
      p += step;
    }
    v128.store(po, acc);
  }
  for (; c < cols; c++) {
    const po = out + (<usize>c << 2);
    let acc: f32 = accumulate ? load<f32>(po) : 0;
    for (let r = 0; r < rows; r++) acc += load<f32>(src + (<usize>(r * cols + c) << 2));
    store<f32>(po, acc);
  }
}

/** Bias gradient of a dense layer: db = (accumulate ? db : 0) + column sums of dy (rows x cols). */
export function bias_grad(dy: usize, rows: i32, cols: i32, db: usize, accumulate: i32): void {
  columnSum(dy, rows, cols, db, accumulate != 0);
}

/** Counts elements that are NaN or infinite: the divergence guard's check on weights. */
export function count_nonfinite(src: usize, count: i32): i32 {
  // v - v is 0 for finite v and NaN for NaN or +-Infinity; NaN != NaN.
  let badv = i32x4.splat(0);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const v = v128.load(src + (<usize>i << 2));
    const d = f32x4.sub(v, v);
    badv = i32x4.sub(badv, f32x4.ne(d, d));
  }
  let bad = i32x4.extract_lane(badv, 0) + i32x4.extract_lane(badv, 1) + i32x4.extract_lane(badv, 2) + i32x4.extract_lane(badv, 3);
  for (; i < count; i++) {
    const v = load<f32>(src + (<usize>i << 2));
    if (v - v != 0) bad++;
  }
  return bad;
}

/** y[r, c] = x[r, c] * scale[c] + shift[c] (then ReLU): batch norm at inference when it cannot be folded. */
export function channel_affine(x: usize, y: usize, rows: i32, C: i32, scale: usize, shift: usize, relu: i32): void {
  for (let r = 0; r < rows; r++) {
    const row = <usize>(r * C) << 2;
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const o = <usize>c << 2;
      let v = f32x4.add(f32x4.mul(v128.load(x + row + o), v128.load(scale + o)), v128.load(shift + o));
      if (relu) v = relu4(v);
      v128.store(y + row + o, v);
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      let v = load<f32>(x + row + o) * load<f32>(scale + o) + load<f32>(shift + o);
      if (relu) v = max<f32>(v, 0);
      store<f32>(y + row + o, v);
    }
  }
}

/**
 * out[i] = f32(f64(src[i]) * scale[i % C]), `scale` in f64: batch norm folded into the weights
 * before it ([..., C], the channel fastest), rounded once to f32, exactly as double arithmetic in
 * JS would give (src/model/fold.ts). Here rather than in JS because it runs at start-up, before
 * a JIT has warmed up to the loop.
 */
export function scale_channels_f64(src: usize, out: usize, count: i32, C: i32, scale: usize): void {
  let i = 0;
  // Four channels at a time where rows of channels allow: two f64x2 products, each rounded once
  // to f32 as the scalar loop does, in a quarter of the loop turns.
  if ((C & 3) == 0) {
    for (; i + C <= count; i += C) {
      for (let c = 0; c < C; c += 4) {
        const o = <usize>(i + c) << 2;
        const v = v128.load(src + o);
        const s = scale + (<usize>c << 3);
        const lo = f64x2.mul(f64x2.promote_low_f32x4(v), v128.load(s));
        const hi = f64x2.mul(f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)), v128.load(s, 16));
        v128.store(out + o, v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
      }
    }
  }
  let c = 0;
  for (; i < count; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, <f32>(<f64>load<f32>(src + o) * load<f64>(scale + (<usize>c << 3))));
    if (++c == C) c = 0;
  }
}
