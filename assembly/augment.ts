// Training-time augmentation of 28x28 8-bit images, in place on the pixel staging buffer:
// random translation (a crop of the image zero-padded by PAD on every side), horizontal flip,
// and random erasing (Zhong et al. 2020: a rectangle of random area and aspect set to 0).
// Every decision comes from a hash of (image index within the whole batch, step seed), so the
// result does not depend on how the batch is split between workers. Integer arithmetic plus
// exactly rounded f32 sqrt: identical in every engine.
import { hash32 } from './simd';

const SIDE = 28;
const PIXELS = SIDE * SIDE;

// Descriptor (byte offsets, i32 unless marked f32); mirrored in src/engine/descriptors.ts.
const AU_PIXELS = 0; // u8 images, n x 784, rewritten in place
const AU_TMP = 4; // u8 scratch of 784 bytes
const AU_N = 8;
const AU_FIRST = 12; // index of the first image within the whole batch
const AU_SEED = 16; // step seed
const AU_PAD = 20; // maximum shift in pixels (0: none)
const AU_FLIP = 24; // 1: flip half of the images horizontally
const AU_ERASE_P = 28; // f32 probability of erasing
const AU_ERASE_MIN = 32; // f32 smallest erased area, as a fraction of the image
const AU_ERASE_MAX = 36; // f32 largest

// @ts-ignore: decorator
@inline function uniform(h: u32): f32 {
  return <f32>(h >>> 8) * (1.0 / 16777216.0);
}

/** Augments the images described at `d`. */
export function augment_images(d: usize): void {
  const pixels = <usize>load<u32>(d + AU_PIXELS), tmp = <usize>load<u32>(d + AU_TMP);
  const n = load<i32>(d + AU_N), first = load<i32>(d + AU_FIRST), seed = load<u32>(d + AU_SEED);
  const pad = load<i32>(d + AU_PAD), flip = load<i32>(d + AU_FLIP);
  const eraseP = load<f32>(d + AU_ERASE_P), eraseMin = load<f32>(d + AU_ERASE_MIN), eraseMax = load<f32>(d + AU_ERASE_MAX);
  for (let i = 0; i < n; i++) {
    const img = pixels + <usize>(i * PIXELS);
    let h = hash32(hash32(<u32>(first + i) ^ 0x5bd1e995) ^ seed);
    const span = <u32>(2 * pad + 1);
    const dx = pad > 0 ? <i32>(h % span) - pad : 0;
    h = hash32(h);
    const dy = pad > 0 ? <i32>(h % span) - pad : 0;
    h = hash32(h);
    const mirror = flip != 0 && (h & 1) != 0;
    if (dx != 0 || dy != 0 || mirror) {
      memory.copy(tmp, img, PIXELS);
      for (let y = 0; y < SIDE; y++) {
        const sy = y + dy;
        for (let x = 0; x < SIDE; x++) {
          const tx = mirror ? SIDE - 1 - x : x;
          const sx = tx + dx;
          const v: u8 = sy >= 0 && sy < SIDE && sx >= 0 && sx < SIDE ? load<u8>(tmp + <usize>(sy * SIDE + sx)) : 0;
          store<u8>(img + <usize>(y * SIDE + x), v);
        }
      }
    }
    h = hash32(h);
    if (eraseP > 0 && uniform(h) < eraseP) {
      h = hash32(h);
      const area = <f32>PIXELS * (eraseMin + (eraseMax - eraseMin) * uniform(h));
      h = hash32(h);
      // Aspect ratio in [1/3, 3], as likely above 1 as below (rational operations only).
      const u = uniform(h);
      const ratio: f32 = u < 0.5 ? 1 / (1 + 4 * (0.5 - u)) : 1 + 4 * (u - 0.5);
      let eh = <i32>Mathf.sqrt(area * ratio);
      let ew = <i32>Mathf.sqrt(area / ratio);
      eh = max(1, min(SIDE, eh));
      ew = max(1, min(SIDE, ew));
      h = hash32(h);
      const y0 = <i32>(h % <u32>(SIDE - eh + 1));
      h = hash32(h);
      const x0 = <i32>(h % <u32>(SIDE - ew + 1));
      for (let y = y0; y < y0 + eh; y++) memory.fill(img + <usize>(y * SIDE + x0), 0, <usize>ew);
    }
  }
}
