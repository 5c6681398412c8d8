import { gzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeIdx, parseIdx, parseIdxImages, parseIdxLabels } from '../dist/node/internal.js';

// Synthetic pixels from a fixed LCG: no real dataset bytes in the repository.
function bytes(n, seed = 1) {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

function throwsCode(fn, code, pattern) {
  try {
    fn();
  } catch (e) {
    assert.is(e.name, 'GarmentError', `expected a GarmentError, got ${e}`);
    assert.is(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return e;
  }
  assert.unreachable(`expected ${code}`);
}

test('encodeIdx writes the header the format defines', () => {
  const file = encodeIdx([3, 2], new Uint8Array([1, 2, 3, 4, 5, 6]));
  assert.equal([...file], [0, 0, 8, 2, 0, 0, 0, 3, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6]);
});

test('round trip, raw and gzipped, 1 to 4 dimensions', () => {
  for (const dims of [[7], [5, 3], [4, 28, 28], [2, 3, 4, 5]]) {
    const data = bytes(dims.reduce((a, b) => a * b, 1), dims.length);
    const raw = encodeIdx(dims, data);
    for (const input of [raw, new Uint8Array(gzipSync(raw))]) {
      const parsed = parseIdx(input, 'x');
      assert.equal(parsed.dims, dims);
      assert.equal(parsed.data, data);
    }
  }
});

test('a file inside a larger buffer (non-zero byteOffset)', () => {
  const raw = encodeIdx([2, 2], new Uint8Array([9, 8, 7, 6]));
  const big = new Uint8Array(raw.length + 5);
  big.set(raw, 3);
  const parsed = parseIdx(big.subarray(3, 3 + raw.length), 'x');
  assert.equal(parsed.dims, [2, 2]);
  assert.equal([...parsed.data], [9, 8, 7, 6]);
});

test('parseIdxImages and parseIdxLabels', () => {
  const images = bytes(3 * 784, 7);
  assert.equal(parseIdxImages(encodeIdx([3, 28, 28], images), 'img'), images);
  const labels = new Uint8Array([0, 9, 4]);
  assert.equal(parseIdxLabels(new Uint8Array(gzipSync(encodeIdx([3], labels))), 'lab'), labels);
  const idx = (dims) => encodeIdx(dims, bytes(dims.reduce((a, b) => a * b, 1)));
  throwsCode(() => parseIdxImages(idx([3, 784]), 'img.idx'), 'E_IDX_FORMAT', /img\.idx.*N x 28 x 28.*3 x 784/);
  throwsCode(() => parseIdxImages(idx([3, 28, 27]), 'img'), 'E_IDX_FORMAT', /3 x 28 x 27/);
  throwsCode(() => parseIdxLabels(idx([3, 1]), 'lab'), 'E_IDX_FORMAT', /1 dimension/);
});

test('bad magic', () => {
  const raw = encodeIdx([4], new Uint8Array(4));
  raw[0] = 0x50;
  throwsCode(() => parseIdx(raw, 'labels.idx'), 'E_IDX_FORMAT', /labels\.idx: not an IDX file.*0x50/);
  throwsCode(() => parseIdx(new Uint8Array([0, 0, 8]), 'x'), 'E_IDX_FORMAT', /at least 4 bytes, found 3/);
  throwsCode(() => parseIdx(new Uint8Array(0), 'x'), 'E_IDX_FORMAT');
});

test('a type other than unsigned bytes', () => {
  const raw = encodeIdx([4], new Uint8Array(4));
  raw[2] = 0x0d;
  throwsCode(() => parseIdx(raw, 'x'), 'E_IDX_FORMAT',
    /expected unsigned-byte data \(type 0x08\), found type 0x0d \(float32\)/);
});

test('dimension count outside 1..4, zero dimensions, truncated header', () => {
  const parse = (...b) => parseIdx(new Uint8Array(b), 'x');
  throwsCode(() => parse(0, 0, 8, 0), 'E_IDX_FORMAT', /1 to 4 dimensions, found 0/);
  throwsCode(() => parse(0, 0, 8, 5, ...new Uint8Array(20)), 'E_IDX_FORMAT', /1 to 4 dimensions, found 5/);
  throwsCode(() => parse(0, 0, 8, 2, 0, 0, 0, 0, 0, 0, 0, 1), 'E_IDX_FORMAT', /dimension 1 is 0/);
  throwsCode(() => parse(0, 0, 8, 3, 0, 0, 0, 1, 0), 'E_IDX_FORMAT', /truncated header.*16 bytes, found 9/);
});

test('truncated data and trailing bytes say what was expected and found', () => {
  const raw = encodeIdx([2, 28, 28], bytes(2 * 784));
  throwsCode(() => parseIdx(raw.subarray(0, raw.length - 1), 'train.idx'), 'E_IDX_FORMAT',
    /train\.idx: truncated: the header declares 2 x 28 x 28 = 1568 bytes of data, found 1567/);
  const longer = new Uint8Array(raw.length + 2);
  longer.set(raw);
  throwsCode(() => parseIdx(longer, 'x'), 'E_IDX_FORMAT', /trailing bytes.*1568 bytes of data, found 1570/);
  throwsCode(() => parseIdx(new Uint8Array(gzipSync(longer)), 'x'), 'E_IDX_FORMAT', /trailing bytes/);
});

test('huge declared dimensions fail fast without allocating', () => {
  const raw = new Uint8Array([0, 0, 8, 4, ...new Array(16).fill(0xff), 1, 2, 3]);
  const before = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  throwsCode(() => parseIdx(raw, 'bomb'), 'E_IDX_FORMAT',
    /bomb: truncated: the header declares 4294967295 x 4294967295 x 4294967295 x 4294967295 = .* found 3$/);
  throwsCode(() => parseIdx(new Uint8Array(gzipSync(raw)), 'bomb'), 'E_IDX_FORMAT', /truncated/);
  // A hang guard, not a speed target: refusing must not mean allocating or scanning gigabytes.
  assert.ok(performance.now() - t0 < 1000);
  assert.ok(process.memoryUsage().arrayBuffers - before < 1 << 20);
});

test('gzip that decompresses past the cap is refused', () => {
  const raw = encodeIdx([1 << 16], new Uint8Array(1 << 16));
  const gz = new Uint8Array(gzipSync(raw));
  throwsCode(() => parseIdx(gz, 'z', { maxBytes: 1000 }), 'E_IDX_FORMAT', /more than 1000 bytes/);
  throwsCode(() => parseIdx(gz.subarray(0, gz.length - 10), 'z'), 'E_IDX_FORMAT', /z: /);
});

test('encodeIdx rejects data that does not fit the dimensions', () => {
  throwsCode(() => encodeIdx([2, 2], new Uint8Array(3)), 'E_OPTION', /needs 4 bytes of data, found 3/);
  throwsCode(() => encodeIdx([], new Uint8Array(0)), 'E_OPTION');
  throwsCode(() => encodeIdx([0], new Uint8Array(0)), 'E_OPTION');
  throwsCode(() => encodeIdx([1.5], new Uint8Array(1)), 'E_OPTION');
});

test.run();
