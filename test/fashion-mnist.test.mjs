import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FASHION_MNIST_FILES, downloadFile, encodeIdx, loadFashionMNIST } from '../dist/node/internal.js';

const KEYS = ['trainImages', 'trainLabels', 'testImages', 'testLabels'];
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

// A tiny synthetic stand-in for Fashion-MNIST (pixels from a fixed LCG): no real images in the repository.
function synthetic(count, seed) {
  const images = new Uint8Array(count * 784);
  let s = seed >>> 0;
  for (let i = 0; i < images.length; i++) images[i] = (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24;
  const labels = Uint8Array.from({ length: count }, (_, i) => (i * 7 + seed) % 10);
  return { images, labels, count };
}
const TRAIN = synthetic(30, 1);
const TEST = synthetic(12, 2);

// Raw IDX content per key, and the `files` option that describes it.
const RAW = {
  trainImages: encodeIdx([TRAIN.count, 28, 28], TRAIN.images),
  trainLabels: encodeIdx([TRAIN.count], TRAIN.labels),
  testImages: encodeIdx([TEST.count, 28, 28], TEST.images),
  testLabels: encodeIdx([TEST.count], TEST.labels),
};
const GZ = Object.fromEntries(KEYS.map((k) => [k, new Uint8Array(gzipSync(RAW[k]))]));
const FILES = Object.fromEntries(KEYS.map((k) => [k, { sha256: sha256(RAW[k]), size: RAW[k].length }]));
const name = (k) => FASHION_MNIST_FILES[k].name;

const temps = [];
async function tempDir() {
  const dir = await mkdtemp(join(tmpdir(), 'garment-fmnist-'));
  temps.push(dir);
  return dir;
}

async function folder(content = GZ, rename = (n) => n) {
  const dir = await tempDir();
  for (const k of KEYS) await writeFile(join(dir, rename(name(k))), content[k]);
  return dir;
}

function same(loaded) {
  assert.is(loaded.train.count, TRAIN.count);
  assert.equal(loaded.train.images, TRAIN.images);
  assert.equal(loaded.train.labels, TRAIN.labels);
  assert.is(loaded.test.count, TEST.count);
  assert.equal(loaded.test.images, TEST.images);
  assert.equal(loaded.test.labels, TEST.labels);
}

async function rejectsCode(promise, code, pattern) {
  try {
    await promise;
  } catch (e) {
    assert.is(e.name, 'GarmentError', `expected a GarmentError, got ${e?.stack ?? e}`);
    assert.is(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return e;
  }
  assert.unreachable(`expected ${code}`);
}

// GARMENT_DATA would take precedence over the cache, so each test sets it explicitly.
const savedEnv = process.env.GARMENT_DATA;
test.before.each(() => {
  delete process.env.GARMENT_DATA;
});
test.after.each(() => {
  if (savedEnv === undefined) delete process.env.GARMENT_DATA;
  else process.env.GARMENT_DATA = savedEnv;
});
test.after(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

// A local server: /ok/ serves the .gz files, /bad/ serves altered ones, /missing/ answers 404,
// /hang/ never answers. It counts requests per path.
async function startServer() {
  const hits = [];
  // Each altered file differs from the real one in its last byte.
  const alter = (raw) => Uint8Array.from(raw, (b, i) => (i === raw.length - 1 ? b ^ 1 : b));
  const altered = Object.fromEntries(KEYS.map((k) => [k, new Uint8Array(gzipSync(alter(RAW[k])))]));
  const server = createServer((req, res) => {
    hits.push(req.url);
    const [, dir, file] = req.url.split('/');
    const key = KEYS.find((k) => name(k) === file);
    if (dir === 'hang') return;
    if (!key || (dir !== 'ok' && dir !== 'bad')) {
      res.writeHead(404).end('not found');
      return;
    }
    const body = dir === 'ok' ? GZ[key] : altered[key];
    res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': body.length });
    // Two writes, so progress is reported more than once.
    res.write(body.subarray(0, body.length >> 1));
    setTimeout(() => res.end(body.subarray(body.length >> 1)), 5);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  const close = () => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  };
  return { base, hits, close };
}

const noFetch = () => {
  throw new Error('no network expected');
};

test('loads a folder of gzipped files', async () => {
  same(await loadFashionMNIST({ dir: await folder() }));
});

test('loads a folder of uncompressed files, and a mix', async () => {
  same(await loadFashionMNIST({ dir: await folder(RAW, (n) => n.replace(/\.gz$/, '')) }));
  const mixed = await folder(GZ);
  await rm(join(mixed, name('testImages')));
  await writeFile(join(mixed, name('testImages').replace(/\.gz$/, '')), RAW.testImages);
  same(await loadFashionMNIST({ dir: mixed }));
});

test('verify: true checks the decompressed checksums', async () => {
  const dir = await folder();
  same(await loadFashionMNIST({ dir, verify: true, files: FILES }));
  await rejectsCode(loadFashionMNIST({ dir, verify: true }), 'E_CHECKSUM',
    /train-images-idx3-ubyte\.gz: expected 47040016 bytes/);
  const wrong = { ...FILES, testLabels: { sha256: '0'.repeat(64) } };
  await rejectsCode(loadFashionMNIST({ dir, verify: true, files: wrong }), 'E_CHECKSUM',
    /t10k-labels-idx1-ubyte\.gz: sha256 [0-9a-f]{64}, expected 0{64}/);
});

test('other file names through options.files', async () => {
  const dir = await folder(GZ, (n) => `my-${n}`);
  const files = Object.fromEntries(KEYS.map((k) => [k, { name: `my-${name(k)}` }]));
  same(await loadFashionMNIST({ dir, files }));
});

test('image and label counts that differ', async () => {
  const fewer = encodeIdx([TEST.count - 1], TEST.labels.subarray(1));
  const dir = await folder({ ...GZ, testLabels: gzipSync(fewer) });
  await rejectsCode(loadFashionMNIST({ dir }), 'E_IDX_FORMAT',
    /t10k-images-idx3-ubyte\.gz holds 12 images but t10k-labels-idx1-ubyte\.gz holds 11 labels/);
});

test('labels outside 0..9 and corrupt files', async () => {
  const labels = TRAIN.labels.slice();
  labels[4] = 10;
  const badLabels = await folder({ ...GZ, trainLabels: encodeIdx([TRAIN.count], labels) });
  await rejectsCode(loadFashionMNIST({ dir: badLabels }), 'E_LABEL_RANGE', /label 10 at index 4/);
  const truncated = await folder({ ...GZ, trainImages: RAW.trainImages.subarray(0, RAW.trainImages.length - 3) });
  await rejectsCode(loadFashionMNIST({ dir: truncated }), 'E_IDX_FORMAT', /train-images-idx3-ubyte\.gz: truncated/);
});

test('a missing folder: the error lists where it looked and how to get the data', async () => {
  const dir = join(tmpdir(), 'garment-no-such-folder');
  const e = await rejectsCode(loadFashionMNIST({ dir }), 'E_DATA_NOT_FOUND');
  assert.ok(e.message.includes(`${dir} (the dir option): none of the four files`), e.message);
  for (const hint of ['GARMENT_DATA', '{ dir }', '{ download: true }']) {
    assert.ok(e.message.includes(hint), e.message);
  }
});

test('a folder with some files missing names them', async () => {
  const dir = await folder();
  await rm(join(dir, name('trainLabels')));
  await rm(join(dir, name('testImages')));
  await rejectsCode(loadFashionMNIST({ dir }), 'E_DATA_NOT_FOUND',
    /missing train-labels-idx1-ubyte\.gz, t10k-images-idx3-ubyte\.gz/);
});

test('without dir: GARMENT_DATA, then the cache, and the error lists both', async () => {
  const data = await folder();
  process.env.GARMENT_DATA = data;
  same(await loadFashionMNIST({ cacheDir: await tempDir(), fetch: noFetch }));

  const empty = await tempDir();
  process.env.GARMENT_DATA = empty;
  same(await loadFashionMNIST({ cacheDir: data, fetch: noFetch }));

  const cache = await tempDir();
  const e = await rejectsCode(loadFashionMNIST({ cacheDir: cache }), 'E_DATA_NOT_FOUND');
  assert.ok(e.message.includes(`${empty} (GARMENT_DATA): none of the four files`), e.message);
  assert.ok(e.message.includes(`${cache} (the cache): none of the four files`), e.message);
  assert.ok(e.message.includes('{ download: true }'), e.message);

  delete process.env.GARMENT_DATA;
  const e2 = await rejectsCode(loadFashionMNIST({ cacheDir: cache }), 'E_DATA_NOT_FOUND');
  assert.ok(e2.message.includes('GARMENT_DATA is not set'), e2.message);
});

test('download: a 404 on the first mirror falls over to the second; files land in the cache', async () => {
  const server = await startServer();
  try {
    const cache = join(await tempDir(), 'nested', 'cache');
    const progress = [];
    const loaded = await loadFashionMNIST({
      download: true,
      cacheDir: cache,
      mirrors: [`${server.base}/missing/`, `${server.base}/ok`],
      files: FILES,
      onProgress: (p) => progress.push(p),
    });
    same(loaded);
    assert.equal((await readdir(cache)).sort(), KEYS.map(name).sort());
    for (const k of KEYS) {
      assert.ok(server.hits.includes(`/missing/${name(k)}`));
      assert.ok(server.hits.includes(`/ok/${name(k)}`));
    }
    const last = progress.filter((p) => p.file === name('trainImages')).at(-1);
    const size = GZ.trainImages.length;
    assert.equal(last, { file: name('trainImages'), loaded: size, total: size });
    assert.ok(progress.filter((p) => p.file === name('trainImages')).length >= 2);

    // The cache now serves a second load without any network.
    same(await loadFashionMNIST({ cacheDir: cache, download: true, files: FILES, fetch: noFetch }));
    same(await loadFashionMNIST({ cacheDir: cache, verify: true, files: FILES }));
  } finally {
    await server.close();
  }
});

test('download: only what the cache lacks', async () => {
  const server = await startServer();
  try {
    const cache = await folder();
    await rm(join(cache, name('testLabels')));
    const mirrors = [`${server.base}/ok/`];
    same(await loadFashionMNIST({ download: true, cacheDir: cache, mirrors, files: FILES }));
    assert.equal(server.hits, [`/ok/${name('testLabels')}`]);
  } finally {
    await server.close();
  }
});

test('download: a wrong checksum on every mirror is E_CHECKSUM and leaves nothing in the cache', async () => {
  const server = await startServer();
  try {
    const cache = await tempDir();
    const mirrors = [`${server.base}/bad/`, `${server.base}/missing/`];
    const load = loadFashionMNIST({ download: true, cacheDir: cache, mirrors, files: FILES });
    const e = await rejectsCode(load, 'E_CHECKSUM', /no mirror served the expected content/);
    assert.ok(e.message.includes(`${server.base}/bad/`), e.message);
    assert.equal(await readdir(cache), []);

    // The same through downloadFile with an explicit destination.
    const dest = join(cache, 'x.gz');
    const download = downloadFile({ name: name('trainLabels'), mirrors, sha256: FILES.trainLabels.sha256, dest });
    await rejectsCode(download, 'E_CHECKSUM', /sha256 [0-9a-f]{64}, expected/);
    assert.equal(await readdir(cache), []);
    assert.not.ok(existsSync(dest));
  } finally {
    await server.close();
  }
});

test('download: a good copy on a later mirror is used after a bad one', async () => {
  const server = await startServer();
  try {
    const cache = await tempDir();
    const got = await downloadFile({
      name: name('testImages'),
      mirrors: [`${server.base}/bad/`, `${server.base}/hang/`, `${server.base}/ok/`],
      sha256: FILES.testImages.sha256,
      size: FILES.testImages.size,
      dest: join(cache, name('testImages')),
      timeoutMs: 300,
    });
    assert.is(got.url, `${server.base}/ok/${name('testImages')}`);
    assert.equal(got.content, RAW.testImages);
    assert.equal(await readdir(cache), [name('testImages')]);
  } finally {
    await server.close();
  }
});

test('download: every mirror down is E_DOWNLOAD and lists the URLs tried', async () => {
  const server = await startServer();
  await server.close();
  const hang = await startServer();
  try {
    const cache = await tempDir();
    const mirrors = [`${server.base}/ok/`, `${hang.base}/hang/`, `${hang.base}/missing/`];
    const load = loadFashionMNIST({ download: true, cacheDir: cache, mirrors, files: FILES, timeoutMs: 200 });
    const e = await rejectsCode(load, 'E_DOWNLOAD');
    for (const m of mirrors) assert.ok(e.message.includes(`${m}${name('trainImages')}`), e.message);
    assert.match(e.message, /HTTP 404/);
    assert.match(e.message, /no data for 200 ms/);
    assert.equal(await readdir(cache), []);
  } finally {
    await hang.close();
  }
});

test('download: an aborted signal stops at once', async () => {
  const controller = new AbortController();
  controller.abort();
  const options = { name: 'x.gz', mirrors: ['http://127.0.0.1:9/'], sha256: '0'.repeat(64) };
  await rejectsCode(downloadFile({ ...options, signal: controller.signal }), 'E_ABORTED');
});

test('the real Fashion-MNIST, when a copy is present', async () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const dir = savedEnv || join(root, '..', 'shared', 'data', 'fashion-mnist');
  const plain = (k) => name(k).replace(/\.gz$/, '');
  if (!existsSync(join(dir, name('trainImages'))) && !existsSync(join(dir, plain('trainImages')))) {
    console.log(`  (skipped: no Fashion-MNIST in ${dir}; set GARMENT_DATA to run this test)`);
    return;
  }
  // verify: true checks size and SHA-256 of every decompressed file against the published values.
  const { train, test: t10k } = await loadFashionMNIST({ dir, verify: true });
  assert.is(train.count, 60000);
  assert.is(t10k.count, 10000);
  assert.is(train.images.length, 60000 * 784);
  assert.is(t10k.images.length, 10000 * 784);
  // And independently of the library: node:zlib and node:crypto on the files themselves.
  for (const k of KEYS) {
    const path = join(dir, name(k));
    const content = existsSync(path) ? gunzipSync(await readFile(path)) : await readFile(join(dir, plain(k)));
    assert.is(content.length, FASHION_MNIST_FILES[k].size, k);
    assert.is(sha256(content), FASHION_MNIST_FILES[k].sha256, k);
  }
  const histogram = (labels) => labels.reduce((h, l) => (h[l]++, h), new Array(10).fill(0));
  assert.equal(histogram(train.labels), new Array(10).fill(6000));
  assert.equal(histogram(t10k.labels), new Array(10).fill(1000));
});

test.run();
