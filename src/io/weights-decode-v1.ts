// Reader for layout version 1 (see weights-format.ts). When the layout changes, the new reader
// goes in its own file and this one stays, so files written by older versions keep loading.
// Everything is checked before any tensor memory is allocated: sizes, offsets, alignment,
// overlap and the checksum; values are checked for NaN/Infinity as they are decoded.

import { GarmentError } from '../errors.ts';
import { crc32 } from './crc32.ts';
import { channelCount } from './quantize.ts';
import {
  BYTES_PER_VALUE,
  CHECKSUM_SUFFIX_BYTES,
  MAX_TENSORS,
  PREFIX_BYTES,
  align16,
  checkInput,
  checkLabels,
  checkName,
  checkShape,
  isRecord,
  isWeightDtype,
  show,
  type Int8Source,
  type StoredFile,
  type StoredTensor,
  type TensorEntry,
} from './weights-format.ts';

function fail(message: string): never {
  throw new GarmentError('E_WEIGHTS_FORMAT', message);
}

const CHECKSUM_TAIL = /"checksum":"([0-9a-f]{8})"}$/;
const ZEROS = new TextEncoder().encode('00000000');

/** Decodes a decompressed version-1 payload whose magic and version have been checked. */
/**
 * `intact`: the payload came out of a gzip stream whose CRC-32 the decompressor verified (zlib,
 * DecompressionStream): every byte is already checked, so the payload's own CRC is skipped.
 */
export function decodeV1(payload: Uint8Array, intact = false): StoredFile {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const headerLength = view.getUint32(12, true);
  const room = payload.length - PREFIX_BYTES;
  if (headerLength < 2 || headerLength > room) {
    const size = payload.length;
    fail(`header length ${headerLength} does not fit: expected 2 to ${room} bytes (the payload is ${size})`);
  }
  const headerEnd = PREFIX_BYTES + headerLength;
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(payload.subarray(PREFIX_BYTES, headerEnd));
  } catch {
    fail('the header is not valid UTF-8');
  }
  const tail = CHECKSUM_TAIL.exec(text);
  if (!tail) fail('the header does not end with its checksum (expected `"checksum":"<8 hex digits>"}`)');
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (!isRecord(header)) return fail(`expected the header to be a JSON object, found ${show(header)}`);

  const dataStart = align16(headerEnd);
  if (dataStart > payload.length) {
    fail(`truncated: the data section starts at byte ${dataStart}, the payload ends at ${payload.length}`);
  }
  for (let i = headerEnd; i < dataStart; i++) {
    if (payload[i] !== 0) fail(`expected zero padding after the header, found byte ${payload[i]} at ${i}`);
  }
  const expected = tail[1];
  if (header.checksum !== expected) {
    fail(`expected the checksum field to be "${expected}", found ${show(header.checksum)}`);
  }
  if (!intact) {
    const digitsAt = headerEnd - CHECKSUM_SUFFIX_BYTES;
    let crc = crc32(payload.subarray(0, digitsAt));
    crc = crc32(ZEROS, crc);
    crc = crc32(payload.subarray(digitsAt + 8), crc);
    const actual = crc.toString(16).padStart(8, '0');
    if (actual !== expected) {
      fail(`checksum mismatch: the header says crc32 ${expected}, the payload gives ${actual} (corrupt file)`);
    }
  }

  const labels = checkLabels(header.labels, 'E_WEIGHTS_FORMAT');
  const input = checkInput(header.input, 'E_WEIGHTS_FORMAT');
  if (!('model' in header)) fail('the header has no model');
  const metadata = header.metadata;
  if (metadata !== undefined && !isRecord(metadata)) {
    fail(`metadata: expected a JSON object, found ${show(metadata)}`);
  }

  const entries = checkEntries(header.tensors, payload.length - dataStart);
  const tensors: StoredTensor[] = entries.map((e) =>
    e.dtype === 'int8'
      ? { name: e.name, shape: e.shape, int8: readInt8(view, dataStart, e) }
      : e.dtype === 'f16'
        ? { name: e.name, shape: e.shape, f16: readF16(view, dataStart, e) }
        : { name: e.name, shape: e.shape, data: readF32(view, dataStart, e) },
  );
  const file: StoredFile = { model: header.model, labels, input, tensors };
  if (metadata !== undefined) file.metadata = metadata as Record<string, unknown>;
  return file;
}

function checkEntries(v: unknown, dataLength: number): TensorEntry[] {
  if (!Array.isArray(v) || v.length > MAX_TENSORS) {
    fail(`tensors: expected an array of at most ${MAX_TENSORS} entries, found ${show(v)}`);
  }
  const seen = new Set<string>();
  const ranges: [number, number, string][] = [];
  const entries = v.map((t: unknown, i): TensorEntry => {
    if (!isRecord(t)) return fail(`tensors[${i}]: expected an object, found ${show(t)}`);
    const name = checkName(t.name, 'E_WEIGHTS_FORMAT', `tensors[${i}].name`, seen);
    const where = `tensor ${show(name)}`;
    const count = checkShape(t.shape, 'E_WEIGHTS_FORMAT', where);
    const dtype = t.dtype;
    if (!isWeightDtype(dtype)) {
      return fail(`${where}: expected dtype 'f32', 'f16' or 'int8', found ${show(dtype)}`);
    }
    const offset = checkOffset(t.offset, `${where}: offset`);
    const length = count * BYTES_PER_VALUE[dtype];
    if (t.length !== length) {
      const dims = (t.shape as number[]).join(', ');
      fail(`${where}: shape [${dims}] as ${dtype} needs ${length} bytes, the header says ${show(t.length)}`);
    }
    if (offset + length > dataLength) {
      fail(`${where}: bytes ${offset}..${offset + length} lie outside the data section (${dataLength})`);
    }
    ranges.push([offset, offset + length, name]);
    const entry: TensorEntry = { name, shape: (t.shape as number[]).slice(), dtype, offset, length };
    if (dtype === 'int8') {
      const scales = checkOffset(t.scales, `${where}: scales`);
      const bytes = channelCount(entry.shape) * 4;
      if (scales + bytes > dataLength) {
        const range = `${scales}..${scales + bytes}`;
        fail(`${where}: scales at bytes ${range} lie outside the data section (${dataLength})`);
      }
      ranges.push([scales, scales + bytes, `${name} scales`]);
      entry.scales = scales;
    } else if (t.scales !== undefined) {
      fail(`${where}: only int8 tensors have scales, found scales on a ${dtype} tensor`);
    }
    return entry;
  });
  // Overlapping tensors would let a small file claim many times its size in decoded memory.
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i][0] < ranges[i - 1][1]) {
      fail(`${show(ranges[i][2])} overlaps ${show(ranges[i - 1][2])} in the data section`);
    }
  }
  return entries;
}

function checkOffset(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v % 16 !== 0) {
    return fail(`${where}: expected a non-negative multiple of 16, found ${show(v)}`);
  }
  return v;
}

/** The largest int8 scale whose 127 multiples stay finite in f32. */
const MAX_INT8_SCALE = 3.4028234663852886e38 / 127;

// Little-endian hosts (all that run JavaScript engines in practice) read tensors through typed
// array views, which start-up code runs far faster than per-element DataView calls.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** An f32 tensor, checked for NaN and Infinity. */
function readF32(view: DataView, dataStart: number, e: TensorEntry): Float32Array {
  const count = e.length / 4;
  const out = new Float32Array(count);
  const at = dataStart + e.offset;
  const abs = view.byteOffset + at;
  if (LITTLE_ENDIAN && abs % 4 === 0) out.set(new Float32Array(view.buffer, abs, count));
  else for (let i = 0; i < count; i++) out[i] = view.getFloat32(at + i * 4, true);
  for (let i = 0; i < count; i++) {
    if (!Number.isFinite(out[i])) notFinite(e, i, out[i]);
  }
  return out;
}

/** An f16 tensor's bit patterns, checked for NaN and Infinity (exponent bits all ones), copied out of the payload. */
function readF16(view: DataView, dataStart: number, e: TensorEntry): Uint16Array {
  const count = e.length / 2;
  const at = dataStart + e.offset;
  const abs = view.byteOffset + at;
  const out = LITTLE_ENDIAN
    ? new Uint16Array(new Uint8Array(view.buffer, abs, e.length).slice().buffer)
    : Uint16Array.from({ length: count }, (_, i) => view.getUint16(at + i * 2, true));
  for (let i = 0; i < count; i++) {
    const b = out[i];
    if ((b & 0x7c00) === 0x7c00) notFinite(e, i, b & 0x3ff ? NaN : b & 0x8000 ? -Infinity : Infinity);
  }
  return out;
}

function notFinite(e: TensorEntry, i: number, v: number): never {
  return fail(`tensor ${show(e.name)}: value ${i} is ${v}, expected a finite number`);
}

/**
 * An int8 tensor in its stored form, checked: scales bounded so that 127 * scale stays a finite
 * f32 (the values then need no check of their own), no -128. Copied out of the payload, so a
 * caller reusing its buffer cannot change a tensor that is dequantised later.
 */
function readInt8(view: DataView, dataStart: number, e: TensorEntry): Int8Source {
  const channels = channelCount(e.shape);
  const scalesAt = dataStart + (e.scales as number);
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const s = view.getFloat32(scalesAt + c * 4, true);
    if (!(s >= 0) || !(s <= MAX_INT8_SCALE)) {
      fail(`tensor ${show(e.name)}: scale ${c} is ${s}, expected a finite number in [0, ${MAX_INT8_SCALE}]`);
    }
    scales[c] = s;
  }
  const q = new Int8Array(view.buffer, view.byteOffset + dataStart + e.offset, e.length).slice();
  const bad = q.indexOf(-128);
  if (bad >= 0) fail(`tensor ${show(e.name)}: int8 value ${bad} is -128, expected -127..127`);
  return { q, scales };
}
