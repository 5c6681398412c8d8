// Security properties of what ships: no code built from strings anywhere in dist (workers start
// from Blob or data: URLs of a source string fixed at build time), weight files cannot place
// tensor data outside the bytes their header gives them, and gzip bombs cost a bounded amount of
// memory in every reader. The page side (CSP) is test/csp.test.mjs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClassifier } from 'garment-wasm';
import { decodeWeights, networkOf } from '../dist/node/internal.js';
import { bitsEqual, expectGarmentError } from './helpers/synthetic.mjs';
import { pack, referenceTensor, unpack } from './helpers/weightfile.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

function walk(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) walk(join(dir, e.name), out);
    else if (/\.(c?js|mjs)$/.test(e.name)) out.push(join(dir, e.name));
  }
  return out;
}

// Ways to turn a string into code. `Function(` without `new` counts too; the lookbehind skips
// names that merely end in "Function" and method calls such as `x.Function(`.
const CODE_FROM_STRINGS = [
  ['eval(', /(?<![\w$.])eval\s*\(/],
  ['new Function(', /\bnew\s+Function\s*\(/],
  ['Function(', /(?<![\w$.])Function\s*\(/],
  ['setTimeout/setInterval with a string', /\bset(?:Timeout|Interval)\s*\(\s*['"`]/],
  ['import() of a data: or blob: URL built from text', /import\s*\(\s*['"`](?:data|blob):/],
];

test('no eval, new Function or string timers anywhere in dist (library, worker source, CLI) or the demo bundle', () => {
  const files = [...walk(join(root, 'dist')), ...(existsSync(join(root, 'examples/web/dist')) ? walk(join(root, 'examples/web/dist')) : [])];
  assert.ok(files.some((f) => f.endsWith('cli.js')), 'dist/cli.js is scanned');
  assert.ok(files.length > 20, `${files.length} files`);
  let workerSources = 0;
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    if (text.includes('__GARMENT_WORKER_MODE__')) workerSources++;
    for (const [what, re] of CODE_FROM_STRINGS) {
      const m = re.exec(text);
      assert.not.ok(m, `${f.slice(root.length)}: ${what} at ${m?.index}: ...${text.slice(Math.max(0, (m?.index ?? 0) - 60), (m?.index ?? 0) + 60)}...`);
    }
  }
  assert.ok(workerSources >= 3, `the embedded worker source was scanned too (${workerSources} files hold it)`);
});

test('workers start from a Blob URL (web, Deno, Bun) or a data: URL (Node), never from eval', () => {
  const all = (dir) => walk(join(root, 'dist', dir)).map((f) => readFileSync(f, 'utf8')).join('\n');
  const web = all('web');
  assert.match(web, /URL\.createObjectURL\(new Blob\(\[/);
  assert.match(web, /new Worker\([\w$]+,\s*\{\s*type:\s*"module"\s*\}\)/);
  const node = all('node');
  assert.match(node, /data:text\/javascript,/);
});

// --- weight files: data lands only where the header says -------------------------------------

const fixture = (dtype) => new Uint8Array(readFileSync(new URL(`../fixtures/weights-v1-${dtype}.gz`, import.meta.url)));
const align16 = (n) => Math.ceil(n / 16) * 16;

test('a header cannot place a tensor past the data section, on another tensor, or at a bad offset', async () => {
  for (const dtype of ['f32', 'f16', 'int8']) {
    const base = unpack(fixture(dtype));
    const bpv = { f32: 4, f16: 2, int8: 1 }[dtype];
    const edits = {
      'offset at the end': (t, u) => (t.offset = align16(u.data.length)),
      'one aligned step past the end': (t, u) => (t.offset = align16(u.data.length - t.length + 1)),
      'on another tensor': (t, u) => (t.offset = u.header.tensors[1].offset),
      'negative offset': (t) => (t.offset = -16),
      'unaligned offset': (t) => (t.offset += 8),
      'offset 2^53': (t) => (t.offset = 2 ** 53),
      'offset 2^32 (wraps to 0 in 32 bits)': (t) => (t.offset = 2 ** 32),
      'a shape with far more values than the file holds': (t) => {
        t.shape = [1 << 20, 4];
        t.length = (1 << 22) * bpv;
      },
      'more values than any tensor may have': (t) => {
        t.shape = [1 << 16, 1 << 16];
        t.length = 2 ** 32 * bpv;
      },
      'a length that disagrees with the shape': (t) => (t.length += bpv * 4),
      ...(dtype === 'int8' ? {
        'scales past the end': (t, u) => (t.scales = align16(u.data.length)),
        'scales on the values': (t) => (t.scales = t.offset),
      } : {}),
    };
    for (const [what, edit] of Object.entries(edits)) {
      const u = structuredClone(base);
      edit(u.header.tensors[0], u);
      const bytes = pack(u);
      assert.throws(() => decodeWeights(bytes), (e) => e.code === 'E_WEIGHTS_FORMAT', `${dtype}, ${what}: decodeWeights`);
      await expectGarmentError(() => createClassifier({ weights: bytes, threads: 1 }), 'E_WEIGHTS_FORMAT');
    }
    assert.throws(() => decodeWeights(pack({ ...structuredClone(base), headerLength: 1 << 30 })), (e) => e.code === 'E_WEIGHTS_FORMAT', 'header length past the payload');
  }
});

test('tensors moved around the data section, with NaN bytes between them, load from exactly their bytes', async () => {
  for (const dtype of ['f32', 'f16', 'int8']) {
    const { header, data } = unpack(fixture(dtype));
    // Lay the tensors out again, last first, each after 16 bytes of 0xff (a NaN in every dtype's
    // scale): a reader that strayed by one value would pick up a NaN or a wrong number.
    const blocks = [];
    let at = 0;
    const place = (bytes) => {
      at += 16;
      blocks.push([at, bytes]);
      const where = at;
      at = align16(at + bytes.length);
      return where;
    };
    const moved = structuredClone(header);
    for (const t of [...moved.tensors].reverse()) {
      const source = header.tensors.find((x) => x.name === t.name);
      t.offset = place(data.subarray(source.offset, source.offset + source.length));
      if (t.dtype === 'int8') t.scales = place(data.subarray(source.scales, source.scales + 4 * t.shape.at(-1)));
    }
    const section = new Uint8Array(at + 16).fill(0xff);
    for (const [where, bytes] of blocks) section.set(bytes, where);
    const bytes = pack({ header: moved, data: section });
    const file = decodeWeights(bytes);
    const clf = await createClassifier({ weights: bytes, threads: 1 });
    const net = networkOf.get(clf);
    for (const t of moved.tensors) {
      const want = referenceTensor(section, t);
      assert.ok(bitsEqual(file.tensors.find((x) => x.name === t.name).data, want), `${dtype} ${t.name}: decoded from its own bytes`);
      const p = net.layout.params.find((x) => x.name === t.name);
      assert.ok(bitsEqual(net.params().subarray(p.offset, p.offset + p.size), want), `${dtype} ${t.name}: in wasm memory exactly`);
    }
    // And the same predictions as the file laid out normally.
    const original = await createClassifier({ weights: fixture(dtype), threads: 1 });
    const image = new Uint8Array(784).map((_, i) => (i * 13) & 255);
    assert.ok(bitsEqual((await clf.predict(image)).probabilities, (await original.predict(image)).probabilities));
    clf.dispose();
    original.dispose();
  }
});

// --- gzip bombs: memory --------------------------------------------------------------------------

test('a 1 GiB gzip bomb costs every reader less than 256 MB of memory (peak RSS, measured in a child process)', () => {
  if (!existsSync('/proc/self/status')) return console.log('  (skipped: no /proc to read the peak RSS from)');
  const script = `
    const { readFileSync } = await import('node:fs');
    const { gzipSync } = await import('node:zlib');
    const { createClassifier, parseIdx } = await import('garment-wasm');
    const { decodeWeights, encodeIdx } = await import('./dist/node/internal.js');
    const { zeroBomb } = await import('./test/helpers/weightfile.mjs');
    const peakMb = () => Number(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
    const bomb = zeroBomb(2 ** 30);
    // Warm up every path (zlib, fflate, wasm) on small inputs, so the baseline holds them.
    const small = readFileSync('fixtures/weights-v1-f32.gz');
    decodeWeights(small);
    (await createClassifier({ weights: small, threads: 1 })).dispose();
    parseIdx(gzipSync(encodeIdx([4, 4], new Uint8Array(16))), 'small');
    const base = peakMb();
    const out = { bombBytes: bomb.length, results: {} };
    for (const [name, fn] of [
      ['createClassifier', () => createClassifier({ weights: bomb, threads: 1 })],
      ['decodeWeights', () => decodeWeights(bomb)],
      ['parseIdx', () => parseIdx(bomb, 'bomb')],
    ]) {
      const t0 = performance.now();
      try {
        await fn();
        out.results[name] = { accepted: true };
      } catch (e) {
        out.results[name] = { code: e.code, message: e.message, ms: Math.round(performance.now() - t0) };
      }
    }
    out.growthMb = Math.round(peakMb() - base);
    console.log(JSON.stringify(out));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop());
  console.log(`  gzip bomb: ${(out.bombBytes / 2 ** 20).toFixed(1)} MB inflating to 1 GiB; peak RSS grew ${out.growthMb} MB; ${Object.entries(out.results).map(([k, v]) => `${k} ${v.code} in ${v.ms} ms`).join(', ')}`);
  for (const [name, v] of Object.entries(out.results)) {
    assert.ok(v.code === 'E_WEIGHTS_FORMAT' || v.code === 'E_IDX_FORMAT', `${name}: ${JSON.stringify(v)}`);
    assert.match(v.message, /more than \d+ bytes/, name);
    assert.ok(v.ms < 10_000, `${name} took ${v.ms} ms`);
  }
  assert.ok(out.growthMb < 256, `peak RSS grew by ${out.growthMb} MB`);
});

test.run();
