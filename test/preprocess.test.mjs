// Photo preprocessing (src/preprocess): geometry, exactness, and the bundled model on photo-like
// versions of Fashion-MNIST test images made at run time (from $GARMENT_DATA; skipped without it).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import * as esbuild from 'esbuild';
import { createClassifier, loadFashionMNIST } from 'garment-wasm';
import { findDataDir } from '../scripts/data-dir.mjs';
import { drawShape, rng } from './helpers/synthetic.mjs';
import { expectGarmentError } from './helpers/synthetic.mjs';

// The module as it is compiled into the library (predict() runs the same source), bundled here
// because the public API does not export it.
const bundled = await esbuild.build({ entryPoints: ['src/preprocess/index.ts'], bundle: true, write: false, format: 'esm', platform: 'neutral', logLevel: 'silent' });
const { preprocessImage, preprocessWithInfo } = await import(`data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].text).toString('base64')}`);

const dir = findDataDir();
if (!dir && process.env.GARMENT_REQUIRE_DATA === '1') throw new Error('Fashion-MNIST is required (GARMENT_REQUIRE_DATA=1) but was not found; set GARMENT_DATA');
const data = dir ? await loadFashionMNIST({ dir }) : undefined;
const real = data ? test : test.skip;
if (!data) console.log('  (preprocess real-data tests skipped: set GARMENT_DATA to a Fashion-MNIST folder)');

/** Pearson correlation of two equal-length arrays. */
function corr(a, b) {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) (ma += a[i]), (mb += b[i]);
  ma /= n;
  mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i] - ma, y = b[i] - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return saa === 0 || sbb === 0 ? (saa === sbb ? 1 : 0) : sab / Math.sqrt(saa * sbb);
}

/**
 * A photo-like version of a 28x28 image (light garment on black): upscaled by `scale` (bilinear,
 * or nearest), padded, the garment painted in `fg` over a background `bg` (so on a light `bg` it
 * comes out inverted), optional noise, as RGB or RGBA.
 */
function photoLike(x, o) {
  const { scale, pad = [0, 0, 0, 0], bg, fg, noise = 0, rand, nearest = false, alpha = false } = o;
  const [pl, pt, pr, pb] = pad;
  const iw = Math.round(28 * scale);
  const W = iw + pl + pr;
  const H = iw + pt + pb;
  const ch = alpha ? 4 : 3;
  const out = new Uint8Array(W * H * ch);
  const at = (sx, sy) => (sx < 0 || sy < 0 || sx > 27 || sy > 27 ? 0 : x[sy * 28 + sx]);
  for (let y = 0; y < H; y++) {
    for (let u = 0; u < W; u++) {
      let t = 0;
      const ix = u - pl, iy = y - pt;
      if (ix >= 0 && iy >= 0 && ix < iw && iy < iw) {
        if (nearest) t = at(Math.floor(ix / scale), Math.floor(iy / scale));
        else {
          const fx = (ix + 0.5) / scale - 0.5, fy = (iy + 0.5) / scale - 0.5;
          const x0 = Math.floor(fx), y0 = Math.floor(fy), ax = fx - x0, ay = fy - y0;
          t = (1 - ay) * ((1 - ax) * at(x0, y0) + ax * at(x0 + 1, y0)) + ay * ((1 - ax) * at(x0, y0 + 1) + ax * at(x0 + 1, y0 + 1));
        }
      }
      const o2 = (y * W + u) * ch;
      for (let c = 0; c < 3; c++) {
        let v = Math.round(bg[c] + ((fg[c] - bg[c]) * t) / 255);
        if (noise) v += Math.round((rand() * 2 - 1) * noise);
        out[o2 + c] = Math.max(0, Math.min(255, v));
      }
      if (alpha) out[o2 + 3] = 255;
    }
  }
  return { data: out, width: W, height: H };
}

const shape = (label, seed) => drawShape(label, rng(seed));

test('a 28x28 upscaled by an integer factor and padded with its background maps back to the very same pixels', () => {
  for (let label = 0; label < 10; label++) {
    const x = shape(label, 100 + label);
    const base = preprocessImage({ data: x, width: 28, height: 28 });
    for (const [k, pad] of [[2, [0, 0, 0, 0]], [5, [13, 40, 7, 0]], [9, [100, 3, 0, 77]]]) {
      const photo = photoLike(x, { scale: k, pad, bg: [0, 0, 0], fg: [255, 255, 255], nearest: true });
      const y = preprocessImage(photo);
      assert.equal([...y], [...base], `label ${label}, x${k}, pad ${pad}`);
    }
  }
});

test('the garment ends up light on black, its longest edge 28 pixels, centred, stretched to 0..255', () => {
  // A dark 60x150 rectangle on a white 400x300 photo.
  const W = 400, H = 300;
  const data = new Uint8Array(W * H).fill(255);
  for (let y = 100; y < 250; y++) for (let x = 50; x < 110; x++) data[y * W + x] = 20;
  const { pixels, info } = preprocessWithInfo({ data, width: W, height: H });
  assert.equal(info.box, { x: 50, y: 100, width: 60, height: 150 });
  assert.ok(info.lightBackground);
  const rows = [], cols = [];
  for (let i = 0; i < 28; i++) {
    let r = 0, c = 0;
    for (let j = 0; j < 28; j++) (r += pixels[i * 28 + j]), (c += pixels[j * 28 + i]);
    rows.push(r);
    cols.push(c);
  }
  assert.ok(rows.every((r) => r > 0), 'the long edge spans all 28 rows');
  // 60/150 * 28 = 11.2 columns wide, centred: columns 8.4 .. 19.6
  const lit = cols.map((c, i) => (c > 0 ? i : -1)).filter((i) => i >= 0);
  assert.equal([lit[0], lit[lit.length - 1]], [8, 19]);
  assert.is(Math.max(...pixels), 255);
  assert.is(pixels[0], 0);
  assert.is(pixels[14 * 28 + 14], 255, 'inside the garment: full intensity');
});

test('colour, tint, inversion, alpha, gray and dark backgrounds all give the same picture', () => {
  const x = shape(3, 7);
  const ref = preprocessImage(photoLike(x, { scale: 6, pad: [20, 10, 30, 0], bg: [0, 0, 0], fg: [255, 255, 255] }));
  const variants = {
    'inverted on white': { bg: [255, 255, 255], fg: [0, 0, 0] },
    'navy on cream': { bg: [244, 238, 225], fg: [30, 40, 90] },
    'red on grey-blue': { bg: [200, 210, 225], fg: [180, 20, 30] },
    'white on dark green': { bg: [10, 40, 20], fg: [250, 250, 240] },
    'RGBA': { bg: [250, 250, 250], fg: [60, 60, 60], alpha: true },
  };
  const seen = [];
  for (const [name, v] of Object.entries(variants)) {
    const y = preprocessImage(photoLike(x, { scale: 6, pad: [20, 10, 30, 0], ...v }));
    const r = corr(ref, y);
    seen.push(`${name} ${r.toFixed(4)}`);
    assert.ok(r > 0.98, `${name}: correlation ${r}`);
  }
  console.log(`  correlation with light-on-black: ${seen.join(', ')}`);
  // Transparent pixels count as white.
  const rgba = photoLike(x, { scale: 4, pad: [9, 9, 9, 9], bg: [255, 255, 255], fg: [0, 0, 0], alpha: true });
  const clear = rgba.data.slice();
  for (let i = 0; i < clear.length; i += 4) if (clear[i] === 255 && clear[i + 1] === 255) clear.set([17, 99, 3, 0], i);
  assert.equal([...preprocessImage({ ...rgba, data: clear })], [...preprocessImage(rgba)]);
  // One gray channel gives what the same gray as RGB gives.
  const gray = photoLike(x, { scale: 3, bg: [230, 230, 230], fg: [40, 40, 40] });
  const one = new Uint8Array(gray.width * gray.height).map((_, i) => gray.data[i * 3]);
  assert.equal([...preprocessImage({ data: one, width: gray.width, height: gray.height })], [...preprocessImage(gray)]);
});

test('background noise is removed and a blank image gives zeros', () => {
  const x = shape(2, 9);
  const rand = rng(5);
  const clean = preprocessImage(photoLike(x, { scale: 8, pad: [30, 30, 30, 30], bg: [235, 235, 235], fg: [20, 20, 20] }));
  const noisy = preprocessImage(photoLike(x, { scale: 8, pad: [30, 30, 30, 30], bg: [235, 235, 235], fg: [20, 20, 20], noise: 6, rand }));
  assert.ok(corr(clean, noisy) > 0.98, `noisy vs clean ${corr(clean, noisy)}`);
  assert.is(noisy[0] + noisy[27] + noisy[27 * 28] + noisy[783], 0, 'corners are background: 0');
  assert.equal([...preprocessImage({ data: new Uint8Array(50 * 40 * 3).fill(128), width: 50, height: 40 })], new Array(784).fill(0));
  assert.equal([...preprocessImage({ data: new Uint8Array(1), width: 1, height: 1 })], new Array(784).fill(0));
});

test('the same pixels everywhere: a golden hash of a fixed photo', () => {
  const x = shape(8, 21);
  const photo = photoLike(x, { scale: 7.3, pad: [11, 50, 3, 17], bg: [240, 232, 220], fg: [90, 30, 40], noise: 4, rand: rng(3) });
  const y = preprocessImage(photo);
  const hash = createHash('sha256').update(y).digest('hex').slice(0, 16);
  // Integer arithmetic only: this value may change only with the algorithm, never with the runtime.
  assert.is(hash, GOLDEN, `sha256 prefix ${hash}`);
});
const GOLDEN = '9f3744342ff3e323';

test('predict() preprocesses any image that is not 28x28, and checks its shape', async () => {
  const clf = await createClassifier({ threads: 1 });
  const x = shape(1, 4);
  const photo = photoLike(x, { scale: 5, pad: [7, 0, 21, 3], bg: [250, 245, 240], fg: [40, 40, 80], alpha: true });
  const a = await clf.predict(photo);
  const b = await clf.predict(preprocessImage(photo));
  assert.equal([...a.probabilities], [...b.probabilities]);
  const [c] = await clf.predict([photo]);
  assert.equal([...c.probabilities], [...a.probabilities]);
  await expectGarmentError(() => clf.predict({ data: new Uint8Array(10), width: 5, height: 3 }), 'E_INPUT_SHAPE');
  await expectGarmentError(() => clf.predict({ data: new Uint8Array(10), width: 0, height: 3 }), 'E_INPUT_SHAPE');
  await expectGarmentError(() => clf.predict({ data: new Uint8Array(60_001 * 1), width: 60_001, height: 1 }), 'E_INPUT_SHAPE');
  clf.dispose();
});

/** Photo-like settings for test image i: scale 2.5..6, padding, light or dark background, tints, noise. */
function settings(i, rand) {
  const light = i % 4 !== 3;
  const tone = () => Math.floor(rand() * 60);
  const bg = light ? [255 - tone() / 2, 250 - tone() / 2, 240 - tone() / 2] : [tone() / 2, tone() / 2, tone() / 2 + 10];
  const fg = light ? [tone(), tone(), 40 + tone()] : [220 + tone() / 3, 215 + tone() / 3, 200 + tone() / 3];
  const pad = () => Math.floor(rand() * 40);
  return { scale: 2.5 + rand() * 3.5, pad: [pad(), pad(), pad(), pad()], bg: bg.map(Math.round), fg: fg.map(Math.round), noise: 3, rand };
}

real('geometry on real test images: upscaled, padded, tinted, inverted, noisy versions map back close to the original', () => {
  const rand = rng(77);
  const n = 300;
  let sum = 0, min = 1, sumPre = 0;
  for (let i = 0; i < n; i++) {
    const x = data.test.images.subarray(i * 784, (i + 1) * 784);
    const y = preprocessImage(photoLike(x, settings(i, rand)));
    const r = corr(x, y);
    sum += r;
    min = Math.min(min, r);
    sumPre += corr(preprocessImage({ data: x, width: 28, height: 28 }), y);
  }
  console.log(`  correlation with the original over ${n} test images: mean ${(sum / n).toFixed(4)}, min ${min.toFixed(4)}; ` +
    `with the original preprocessed the same way: mean ${(sumPre / n).toFixed(4)}`);
  assert.ok(sum / n > 0.95, `mean correlation ${sum / n}`);
});

real('the bundled model on photo-like versions of 2,000 test images: accuracy >= 0.90', async () => {
  const clf = await createClassifier();
  const n = 2000;
  const rand = rng(2024);
  const photos = [];
  for (let i = 0; i < n; i++) photos.push(photoLike(data.test.images.subarray(i * 784, (i + 1) * 784), settings(i, rand)));
  const preds = await clf.predict(photos);
  const clean = await clf.predict(data.test.images.subarray(0, n * 784));
  let ok = 0, okClean = 0;
  for (let i = 0; i < n; i++) {
    if (preds[i].index === data.test.labels[i]) ok++;
    if (clean[i].index === data.test.labels[i]) okClean++;
  }
  console.log(`  bundled model: photo-like accuracy ${(ok / n).toFixed(4)}, the same ${n} images as 28x28 ${(okClean / n).toFixed(4)}`);
  assert.ok(ok / n >= 0.9, `photo-like accuracy ${ok / n}`);
  clf.dispose();
});

test.run();
