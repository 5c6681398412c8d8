// The bundled model's stored-block gzip path (src/io/gunzip-stored.ts) and what readWeightFile
// trusts with `packaged`: anything but a well-formed stored-only member falls back to the
// checking path, and user files never take it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GarmentError, readWeightFile, storedGunzip } from '../dist/node/internal.js';

const MAX = 1 << 20;
const bytesOf = (n, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (Math.imul(i + seed, 2654435761) >>> 24) & 255);
const stored = (data) => new Uint8Array(gzipSync(data, { level: 0 }));
const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

test('stored blocks come out as zlib wrote them: empty, one block, several (past 64 KB)', () => {
  for (const n of [0, 1, 7, 65535, 65536, 200_001]) {
    const data = bytesOf(n, n);
    const out = storedGunzip(stored(data), MAX);
    assert.ok(out instanceof Uint8Array, `n=${n}`);
    assert.ok(eq(out, data), `n=${n}`);
  }
});

test('anything else is left to the checking path (undefined)', () => {
  const data = bytesOf(70_000);
  const good = stored(data);
  const cases = {
    'compressed blocks': new Uint8Array(gzipSync(new Uint8Array(5000), { level: 9 })),
    'not gzip': data.subarray(0, 100),
    'a header flag (file name)': (() => { const b = good.slice(); b[3] = 8; return b; })(),
    'not deflate (CM 7)': (() => { const b = good.slice(); b[2] = 7; return b; })(),
    'NLEN not the complement of LEN': (() => { const b = good.slice(); b[13] ^= 1; return b; })(),
    'a block type other than stored': (() => { const b = good.slice(); b[10] = 2; return b; })(),
    truncated: good.subarray(0, good.length - 1),
    'truncated inside a block': good.subarray(0, 1000),
    'bytes after the trailer': Uint8Array.from([...good, 0]),
    'a second member': Uint8Array.from([...good, ...stored(bytesOf(3))]),
    'the trailer length does not match': (() => { const b = good.slice(); b[b.length - 4] ^= 1; return b; })(),
    'more than maxBytes': stored(bytesOf(MAX + 1)),
  };
  for (const [what, bytes] of Object.entries(cases)) assert.is(storedGunzip(bytes, MAX), undefined, what);
  assert.is(storedGunzip(stored(bytesOf(100)), 99), undefined, 'maxBytes 99 for 100 bytes');
});

test('the shipped model file is stored blocks holding the source payload (so start-up takes the copy path)', () => {
  const shipped = readFileSync(new URL('../dist/pretrained/default.gz', import.meta.url));
  const source = gunzipSync(readFileSync(new URL('../src/pretrained/default.gz', import.meta.url)));
  const out = storedGunzip(shipped, MAX);
  assert.ok(out, 'stored-only');
  assert.ok(eq(out, source));
  // zlib checks its CRC-32: the file is intact as shipped.
  assert.ok(eq(gunzipSync(shipped), source));
});

test('packaged skips the checksums only: a user file with a damaged byte is caught, structure is always checked', async () => {
  const shipped = new Uint8Array(readFileSync(new URL('../dist/pretrained/default.gz', import.meta.url)));
  const a = await readWeightFile(shipped, { packaged: true });
  const b = await readWeightFile(shipped);
  assert.equal(a.tensors.map((t) => t.name), b.tensors.map((t) => t.name));
  // A flipped weight byte (past the header): zlib's CRC check catches it for any caller's file.
  const damaged = shipped.slice();
  damaged[damaged.length - 20_000] ^= 0x10;
  try {
    await readWeightFile(damaged);
    assert.unreachable('a damaged file must not load');
  } catch (e) {
    assert.instance(e, GarmentError);
    assert.is(e.code, 'E_WEIGHTS_FORMAT');
  }
  // Packaged, the same damage goes through: the proof that Node takes the copy path and
  // recomputes no checksum, which is what packaged promises (and why only the package's own file
  // is read so).
  const loaded = await readWeightFile(damaged, { packaged: true });
  assert.equal(loaded.tensors.length, a.tensors.length);
  // A damaged header fails the structural checks even when packaged.
  const header = shipped.slice();
  header[10 + 5 + 20] = 0x7b; // inside the JSON header: '{'
  try {
    await readWeightFile(header, { packaged: true });
    assert.unreachable('a broken header must not load');
  } catch (e) {
    assert.instance(e, GarmentError);
    assert.is(e.code, 'E_WEIGHTS_FORMAT');
  }
});

test.run();
