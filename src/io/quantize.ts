// Symmetric per-channel int8 quantisation. Weights are stored with the output channel on the last
// axis (HWIO for conv, [in, out] for dense), so channel c holds every element i with i % C === c.
// Only exactly-rounded arithmetic is used (+ - * /, Math.fround, Math.abs, Math.floor), so every
// engine produces the same bytes.

import { GarmentError } from '../errors.ts';

/** An int8 tensor and the f32 scale of each channel (last axis): value ≈ q * scale. */
export interface QuantizedInt8 {
  values: Int8Array;
  scales: Float32Array;
}

/** Rounds to the nearest integer, ties to even (unlike Math.round, which rounds ties up). */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f; // exact for |v| < 2^52
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Number of channels of a tensor: the size of its last axis (1 for a scalar). */
export function channelCount(shape: readonly number[]): number {
  return shape.length === 0 ? 1 : shape[shape.length - 1];
}

function checkLength(length: number, shape: readonly number[]): number {
  let count = 1;
  for (const d of shape) count *= d;
  if (count !== length) {
    const dims = shape.join(', ');
    throw new GarmentError('E_OPTION', `shape [${dims}] holds ${count} values, the data has ${length}`);
  }
  return channelCount(shape);
}

/**
 * Quantises `data` per channel: scale[c] = fround(maxabs[c] / 127), q = roundHalfEven(x / scale)
 * clamped to [-127, 127]. A channel of zeros (or one so small its scale underflows) gets scale 0
 * and q = 0.
 */
export function quantizeInt8(data: Float32Array, shape: readonly number[]): QuantizedInt8 {
  const channels = checkLength(data.length, shape);
  const maxAbs = new Float64Array(channels);
  for (let i = 0, c = 0; i < data.length; i++) {
    const a = Math.abs(data[i]);
    if (a > maxAbs[c]) maxAbs[c] = a;
    if (++c === channels) c = 0;
  }
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) scales[c] = Math.fround(maxAbs[c] / 127);
  const values = new Int8Array(data.length);
  for (let i = 0, c = 0; i < data.length; i++) {
    const s = scales[c];
    if (s !== 0) {
      // x / s can exceed 127 by a rounding error of the scale; the clamp keeps it in range.
      const q = roundHalfEven(data[i] / s);
      values[i] = q > 127 ? 127 : q < -127 ? -127 : q;
    }
    if (++c === channels) c = 0;
  }
  return { values, scales };
}

/** Expands int8 values back to f32: fround(q * scale[channel]). */
export function dequantizeInt8(
  values: Int8Array,
  scales: Float32Array,
  shape: readonly number[],
): Float32Array {
  const channels = checkLength(values.length, shape);
  if (scales.length !== channels) {
    const found = scales.length;
    throw new GarmentError('E_OPTION', `expected ${channels} scales (one per channel), found ${found}`);
  }
  const out = new Float32Array(values.length);
  for (let i = 0, c = 0; i < values.length; i++) {
    out[i] = values[i] * scales[c]; // the Float32Array store is the fround
    if (++c === channels) c = 0;
  }
  return out;
}
