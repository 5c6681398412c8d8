// The weight-file layout (version 1), shared by the writer and the reader.
//
// gzip (fflate, mtime 0, fixed level) around a payload:
//   0   8 bytes  magic "GARMENTW"
//   8   u32 LE   format version (1)
//   12  u32 LE   header length H in bytes
//   16  H bytes  UTF-8 JSON header, keys in this order:
//                { model, labels, input: { height, width, channels, scale, shift },
//                  tensors: [{ name, shape, dtype, offset, length, scales? }], metadata?, checksum }
//       zero padding up to the next multiple of 16: the start of the data section
//   D   tensors, little-endian, each starting on a multiple of 16 from D (so from 0 as well):
//       f32 -> 4 bytes per value, f16 -> 2 (IEEE binary16), int8 -> 1 (values -127..127), and
//       for int8 an f32 scale per channel (last axis) at `scales`, also 16-aligned.
// `offset`, `length` and `scales` count bytes from D. `checksum` is the CRC-32 of the whole payload
// written as 8 lowercase hex digits, computed while those 8 digits are still "00000000"; the header
// always ends with `"checksum":"xxxxxxxx"}` so a reader can find them without re-serialising JSON.
// fflate's inflate does not verify the gzip CRC, so this checksum is what catches corruption.
// The version changes only when this layout changes; readers ignore header keys they do not know.

import { GarmentError, show, type GarmentErrorCode } from '../errors.ts';

export { show };

/** Storage type of a tensor in a weight file. */
export type WeightDtype = 'f32' | 'f16' | 'int8';

export const isWeightDtype = (d: unknown): d is WeightDtype => d === 'f32' || d === 'f16' || d === 'int8';

/** One named parameter tensor. */
export interface WeightTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** An int8 tensor as stored: values in -127..127 and one scale per channel (the last axis). */
export interface Int8Source {
  q: Int8Array;
  scales: Float32Array;
}

/**
 * A tensor as the decoder returns it: int8 and f16 tensors stay in their stored form (checked),
 * which a classifier converts in wasm straight into its parameters (at start-up JavaScript's
 * optimiser has not reached a long loop yet: dequantising in JavaScript was ~5-9 ms of the bundled
 * model's load, converting its f16 tensors ~1.5 ms); decodeWeights converts them in JavaScript,
 * with the same bits.
 */
export type StoredTensor =
  | WeightTensor
  | { name: string; shape: number[]; int8: Int8Source }
  | { name: string; shape: number[]; f16: Uint16Array };

/** A decoded weight file before its int8 and f16 tensors become f32 (see StoredTensor). */
export interface StoredFile extends Omit<WeightFile, 'tensors'> {
  tensors: StoredTensor[];
}

/** How raw pixels become network input: `pixel * scale + shift`. */
export interface WeightInput {
  height: number;
  width: number;
  channels: number;
  scale: number;
  shift: number;
}

/** Everything a weight file holds. */
export interface WeightFile {
  /** The model's layer list (JSON), stored as given; validated by the model code. */
  model: unknown;
  /** Class names in label order, at least two. */
  labels: string[];
  input: WeightInput;
  tensors: WeightTensor[];
  /** Training information (epochs, accuracy, ...), any JSON object. */
  metadata?: Record<string, unknown>;
}

export const WEIGHTS_MAGIC = 'GARMENTW';
export const WEIGHTS_VERSION = 1;
export const PREFIX_BYTES = 16;
// Decompressed payloads larger than this are refused, so a gzip bomb costs at most this much.
export const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;
export const MAX_TENSOR_ELEMENTS = 50_000_000;
export const MAX_TENSORS = 4096;
export const MAX_RANK = 8;
export const MAX_LABELS = 65536;
export const MAX_INPUT_SIDE = 65536;
export const CHECKSUM_SUFFIX_BYTES = 10; // 8 hex digits, the closing quote and the closing brace

export const BYTES_PER_VALUE: Record<WeightDtype, number> = { f32: 4, f16: 2, int8: 1 };

/** A tensor as the header describes it. */
export interface TensorEntry {
  name: string;
  shape: number[];
  dtype: WeightDtype;
  offset: number;
  length: number;
  scales?: number;
}

export const align16 = (n: number): number => Math.ceil(n / 16) * 16;

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function checkLabels(v: unknown, code: GarmentErrorCode): string[] {
  if (!Array.isArray(v) || v.length < 2 || v.length > MAX_LABELS) {
    const expected = `an array of 2 to ${MAX_LABELS} class names`;
    throw new GarmentError(code, `labels: expected ${expected}, found ${show(v)}`);
  }
  const seen = new Set<string>();
  for (let i = 0; i < v.length; i++) {
    const l: unknown = v[i];
    if (typeof l !== 'string' || l.length === 0) {
      throw new GarmentError(code, `labels[${i}]: expected a non-empty string, found ${show(l)}`);
    }
    if (seen.has(l)) {
      throw new GarmentError(code, `labels[${i}]: ${show(l)} appears twice; class names must be unique`);
    }
    seen.add(l);
  }
  return v.slice() as string[];
}

export function checkInput(v: unknown, code: GarmentErrorCode): WeightInput {
  if (!isRecord(v)) throw new GarmentError(code, `input: expected an object, found ${show(v)}`);
  const side = (key: 'height' | 'width' | 'channels'): number => {
    const n = v[key];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_INPUT_SIDE) {
      const expected = `an integer from 1 to ${MAX_INPUT_SIDE}`;
      throw new GarmentError(code, `input.${key}: expected ${expected}, found ${show(n)}`);
    }
    return n;
  };
  const finite = (key: 'scale' | 'shift'): number => {
    const n = v[key];
    if (typeof n !== 'number' || !Number.isFinite(n)) {
      throw new GarmentError(code, `input.${key}: expected a finite number, found ${show(n)}`);
    }
    return n;
  };
  // Fixed key order: it is written into the header as built here.
  return {
    height: side('height'),
    width: side('width'),
    channels: side('channels'),
    scale: finite('scale'),
    shift: finite('shift'),
  };
}

export function checkName(v: unknown, code: GarmentErrorCode, where: string, seen: Set<string>): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 256) {
    throw new GarmentError(code, `${where}: expected a name of 1 to 256 characters, found ${show(v)}`);
  }
  if (seen.has(v)) {
    throw new GarmentError(code, `${where}: the name ${show(v)} appears twice; names must be unique`);
  }
  seen.add(v);
  return v;
}

/** Checks a shape and returns its element count. */
export function checkShape(v: unknown, code: GarmentErrorCode, where: string): number {
  if (!Array.isArray(v) || v.length > MAX_RANK) {
    const expected = `a shape (an array of at most ${MAX_RANK} sizes)`;
    throw new GarmentError(code, `${where}: expected ${expected}, found ${show(v)}`);
  }
  let count = 1;
  for (const d of v as unknown[]) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 1) {
      throw new GarmentError(code, `${where}: expected positive integer sizes, found ${show(d)}`);
    }
    // Checked at each step so the product never leaves the safe-integer range.
    count *= d;
    if (count > MAX_TENSOR_ELEMENTS) {
      const dims = v.join(', ');
      throw new GarmentError(code, `${where}: shape [${dims}] has more than ${MAX_TENSOR_ELEMENTS} values`);
    }
  }
  return count;
}

/** Tensors a checkpoint adds to a weight file (see src/train/checkpoint.ts); loading it as a model ignores them. */
export const CHECKPOINT_TENSOR_PREFIXES: readonly string[] = ['optimizer.', 'checkpoint.'];
