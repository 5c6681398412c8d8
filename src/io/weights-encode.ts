import { gzipSync } from 'fflate';
import { GarmentError } from '../errors.ts';
import { crc32 } from './crc32.ts';
import { float32ToFloat16 } from './float16.ts';
import { quantizeInt8 } from './quantize.ts';
import {
  BYTES_PER_VALUE,
  CHECKSUM_SUFFIX_BYTES,
  MAX_TENSORS,
  PREFIX_BYTES,
  WEIGHTS_MAGIC,
  WEIGHTS_VERSION,
  align16,
  checkInput,
  checkLabels,
  checkName,
  checkShape,
  isRecord,
  isWeightDtype,
  show,
  type TensorEntry,
  type WeightDtype,
  type WeightFile,
} from './weights-format.ts';

/** Options for {@link encodeWeights}. */
export interface EncodeWeightsOptions {
  /**
   * How to store the tensors: `'f32'` (exact, the default), `'f16'` (half the size) or `'int8'`
   * (a quarter, per-channel scales). With `'int8'`, tensors of rank 0 or 1 (biases, norms) stay
   * f32: one scale per value would cost more than it saves.
   */
  dtype?: WeightDtype;
  /**
   * Per-tensor exceptions to `dtype`, by tensor name: for example `{ '0.weight': 'f16' }` keeps
   * the first layer's weights in f16 while the rest are int8. Every name must be a tensor of
   * the file. An int8 override applies even to rank-1 tensors (one scale per value).
   */
  dtypes?: Readonly<Record<string, WeightDtype>>;
}

function bad(message: string): never {
  throw new GarmentError('E_OPTION', message);
}

// A fixed level and mtime 0 (no timestamp) so the same weights always give the same bytes.
const GZIP_LEVEL = 6;

interface Planned {
  entry: TensorEntry;
  bytes: Uint8Array;
  scales?: Float32Array;
}

/**
 * Serialises a model's weights into the gzip-compressed weight-file format. The output depends
 * only on the input: encoding the same weights twice gives identical bytes.
 */
export function encodeWeights(file: WeightFile, options?: EncodeWeightsOptions): Uint8Array {
  try {
    return encode(file, options);
  } catch (e) {
    if (e instanceof GarmentError) throw e;
    const why = (e as Error)?.message;
    throw new GarmentError('E_OPTION', `encodeWeights: cannot encode these weights (${why})`, { cause: e });
  }
}

function encode(file: WeightFile, options: EncodeWeightsOptions | undefined): Uint8Array {
  if (!isRecord(file)) bad(`encodeWeights: expected a weight file object, found ${show(file)}`);
  if (options !== undefined && !isRecord(options)) {
    bad(`encodeWeights: expected an options object, found ${show(options)}`);
  }
  const dtype = options?.dtype ?? 'f32';
  if (!isWeightDtype(dtype)) {
    bad(`dtype: expected 'f32', 'f16' or 'int8', found ${show(dtype)}`);
  }
  const dtypes = options?.dtypes;
  if (dtypes !== undefined && !isRecord(dtypes)) {
    bad(`dtypes: expected an object of tensor name -> 'f32' | 'f16' | 'int8', found ${show(dtypes)}`);
  }
  const overrides = new Map<string, WeightDtype>();
  for (const [name, d] of Object.entries(dtypes ?? {})) {
    if (!isWeightDtype(d)) {
      bad(`dtypes[${show(name)}]: expected 'f32', 'f16' or 'int8', found ${show(d)}`);
    }
    overrides.set(name, d);
  }
  const labels = checkLabels(file.labels, 'E_OPTION');
  const input = checkInput(file.input, 'E_OPTION');
  if (file.model === undefined || JSON.stringify(file.model) === undefined) {
    bad(`model: expected a JSON-serialisable layer list, found ${show(file.model)}`);
  }
  if (file.metadata !== undefined && !isRecord(file.metadata)) {
    bad(`metadata: expected a JSON object, found ${show(file.metadata)}`);
  }
  if (!Array.isArray(file.tensors) || file.tensors.length > MAX_TENSORS) {
    bad(`tensors: expected an array of at most ${MAX_TENSORS} tensors, found ${show(file.tensors)}`);
  }

  const seen = new Set<string>();
  const planned: Planned[] = [];
  let end = 0;
  file.tensors.forEach((t: unknown, i) => {
    if (!isRecord(t)) return bad(`tensors[${i}]: expected an object, found ${show(t)}`);
    const name = checkName(t.name, 'E_OPTION', `tensors[${i}].name`, seen);
    const where = `tensor ${show(name)}`;
    const count = checkShape(t.shape, 'E_OPTION', where);
    const shape = (t.shape as number[]).slice();
    const data = t.data;
    if (!(data instanceof Float32Array)) return bad(`${where}: expected a Float32Array, found ${show(data)}`);
    if (data.length !== count) bad(`${where}: expected ${count} values for its shape, found ${data.length}`);
    for (let j = 0; j < data.length; j++) {
      if (!Number.isFinite(data[j])) bad(`${where}: value ${j} is ${data[j]}, expected a finite number`);
    }
    const stored: WeightDtype = overrides.get(name) ?? (dtype === 'int8' && shape.length < 2 ? 'f32' : dtype);
    const p = planTensor(name, shape, data, stored, where);
    p.entry.offset = align16(end);
    end = p.entry.offset + p.entry.length;
    if (p.scales) {
      p.entry.scales = align16(end);
      end = p.entry.scales + p.scales.length * 4;
    }
    planned.push(p);
  });

  for (const name of overrides.keys()) {
    if (!seen.has(name)) {
      const names = file.tensors.slice(0, 12).map((t) => show(t.name)).join(', ');
      const more = file.tensors.length > 12 ? ', ...' : '';
      bad(`dtypes: there is no tensor named ${show(name)}; the tensors are ${names}${more}`);
    }
  }

  // Key order is fixed by these literals; `metadata` is left out when absent (stringify drops undefined).
  const header = {
    model: file.model,
    labels,
    input,
    tensors: planned.map((p) => p.entry),
    metadata: file.metadata,
    checksum: '00000000',
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = align16(PREFIX_BYTES + headerBytes.length);
  const payload = new Uint8Array(dataStart + align16(end));
  const view = new DataView(payload.buffer);
  for (let i = 0; i < 8; i++) payload[i] = WEIGHTS_MAGIC.charCodeAt(i);
  view.setUint32(8, WEIGHTS_VERSION, true);
  view.setUint32(12, headerBytes.length, true);
  payload.set(headerBytes, PREFIX_BYTES);
  for (const p of planned) {
    payload.set(p.bytes, dataStart + p.entry.offset);
    if (p.scales) {
      const at = dataStart + (p.entry.scales as number);
      for (let c = 0; c < p.scales.length; c++) view.setFloat32(at + c * 4, p.scales[c], true);
    }
  }
  // The CRC is taken while the digits still read "00000000", then written over them.
  const hex = crc32(payload).toString(16).padStart(8, '0');
  const digitsAt = PREFIX_BYTES + headerBytes.length - CHECKSUM_SUFFIX_BYTES;
  for (let i = 0; i < 8; i++) payload[digitsAt + i] = hex.charCodeAt(i);
  return gzipSync(payload, { level: GZIP_LEVEL, mtime: 0 });
}

function planTensor(
  name: string,
  shape: number[],
  data: Float32Array,
  dtype: WeightDtype,
  where: string,
): Planned {
  const length = data.length * BYTES_PER_VALUE[dtype];
  const entry: TensorEntry = { name, shape, dtype, offset: 0, length };
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  if (dtype === 'f32') {
    for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
    return { entry, bytes };
  }
  if (dtype === 'f16') {
    const half = float32ToFloat16(data);
    for (let i = 0; i < half.length; i++) {
      if ((half[i] & 0x7c00) === 0x7c00) {
        bad(`${where}: value ${i} (${data[i]}) is outside the f16 range (|x| < 65520); use dtype 'f32'`);
      }
      view.setUint16(i * 2, half[i], true);
    }
    return { entry, bytes };
  }
  const q = quantizeInt8(data, shape);
  bytes.set(new Uint8Array(q.values.buffer, q.values.byteOffset, q.values.length));
  return { entry, bytes, scales: q.scales };
}
