// The IDX format of the MNIST family (see: http://yann.lecun.com/exdb/mnist/): two zero bytes, a type
// byte, a dimension count, one big-endian uint32 per dimension, then the data in row-major order.
import { GarmentError, show } from '../errors.ts';
import { isGzip } from '../io/gunzip-magic.ts';
import { inflateCappedSync } from '../io/inflate.ts';
import { IMAGE_SIDE } from '../types.ts';

/** Largest decompressed IDX file accepted by default; the Fashion-MNIST training images take 47 MB. */
export const IDX_MAX_BYTES = 64 * 1024 * 1024;

const UNSIGNED_BYTE = 0x08;
const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};
const MAX_DIMS = 4;
const MAX_DIM = 0xffffffff;

/** A parsed IDX file: its dimensions and its unsigned-byte data (a view into the decompressed bytes). */
export interface IdxFile {
  dims: number[];
  data: Uint8Array;
}

const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;
const fail = (what: string, message: string): never => {
  throw new GarmentError('E_IDX_FORMAT', `${what}: ${message}`);
};

/**
 * Parses an IDX file of unsigned bytes, gzipped (detected by its magic number; Node, Deno and Bun)
 * or raw. Everything is
 * checked against the input's length before anything is allocated; `what` names the file in errors.
 */
export function parseIdx(bytes: Uint8Array, what: string, options: { maxBytes?: number } = {}): IdxFile {
  // A public entry point: arguments of the wrong type get a GarmentError, not a TypeError from inside.
  if (!(bytes instanceof Uint8Array)) throw new GarmentError('E_OPTION', `parseIdx: expected the bytes as a Uint8Array, found ${show(bytes)}`);
  if (typeof what !== 'string') what = 'IDX data';
  const maxBytes = options?.maxBytes ?? IDX_MAX_BYTES;
  if (typeof maxBytes !== 'number' || !Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new GarmentError('E_OPTION', `parseIdx: maxBytes must be a non-negative integer, found ${show(maxBytes)}`);
  }
  if (isGzip(bytes)) bytes = inflateCappedSync(bytes, maxBytes, 'E_IDX_FORMAT', what);
  if (bytes.length < 4) fail(what, `expected an IDX header of at least 4 bytes, found ${bytes.length} bytes`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const found = `${hex(bytes[0])} ${hex(bytes[1])}`;
    fail(what, `not an IDX file: expected the magic to start with 0x00 0x00, found ${found}`);
  }
  const type = bytes[2];
  if (type !== UNSIGNED_BYTE) {
    const name = TYPE_NAMES[type] ? ` (${TYPE_NAMES[type]})` : '';
    fail(what, `expected unsigned-byte data (type 0x08), found type ${hex(type)}${name}`);
  }
  const ndim = bytes[3];
  if (ndim < 1 || ndim > MAX_DIMS) fail(what, `expected 1 to ${MAX_DIMS} dimensions, found ${ndim}`);
  const header = 4 + 4 * ndim;
  if (bytes.length < header) {
    fail(what, `truncated header: ${ndim} dimensions need ${header} bytes, found ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  // A double holds the product exactly up to 2^53, far beyond any length we compare it with, and
  // stays ordered (if inexact) above that, so a huge declared size still fails the length check.
  let size = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    if (d === 0) fail(what, `dimension ${i + 1} is 0; expected every dimension to be positive`);
    dims.push(d);
    size *= d;
  }
  const found = bytes.length - header;
  if (size !== found) {
    const shape = dims.join(' x ');
    const problem = size > found ? 'truncated' : 'trailing bytes after the data';
    fail(what, `${problem}: the header declares ${shape} = ${size} bytes of data, found ${found}`);
  }
  return { dims, data: bytes.subarray(header) };
}

/** Parses an IDX file of `N x 28 x 28` images and returns the `N * 784` pixels. */
export function parseIdxImages(bytes: Uint8Array, what: string): Uint8Array {
  const { dims, data } = parseIdx(bytes, what);
  if (dims.length !== 3 || dims[1] !== IMAGE_SIDE || dims[2] !== IMAGE_SIDE) {
    fail(what, `expected images of N x ${IMAGE_SIDE} x ${IMAGE_SIDE}, found ${dims.join(' x ')}`);
  }
  return data;
}

/** Parses an IDX file of `N` labels and returns them. */
export function parseIdxLabels(bytes: Uint8Array, what: string): Uint8Array {
  const { dims, data } = parseIdx(bytes, what);
  if (dims.length !== 1) fail(what, `expected labels with 1 dimension, found ${dims.join(' x ')}`);
  return data;
}

/** Encodes unsigned-byte data as a raw (uncompressed) IDX file. */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  if (!Array.isArray(dims) || dims.length < 1 || dims.length > MAX_DIMS) {
    throw new GarmentError('E_OPTION', `encodeIdx: expected 1 to ${MAX_DIMS} dimensions`);
  }
  let size = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 1 || d > MAX_DIM) {
      const message = `encodeIdx: dimensions must be integers in 1..${MAX_DIM}, found ${d}`;
      throw new GarmentError('E_OPTION', message);
    }
    size *= d;
  }
  if (!(data instanceof Uint8Array) || data.length !== size) {
    const found = data instanceof Uint8Array ? `${data.length} bytes` : 'no Uint8Array';
    const message = `encodeIdx: ${dims.join(' x ')} needs ${size} bytes of data, found ${found}`;
    throw new GarmentError('E_OPTION', message);
  }
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + size);
  const view = new DataView(out.buffer);
  out[2] = UNSIGNED_BYTE;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, header);
  return out;
}
