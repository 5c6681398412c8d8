// The runtime matrix's smoke test: the same calls in every runtime, printed so that any difference
// in any bit shows up in a text diff. The library comes in as an argument (ES import, require(),
// npm: specifier, bundle...), so this file imports nothing and runs unchanged everywhere.
//
// Everything here is integer arithmetic (images, labels, hashes) or exact bit dumps of what the
// library returns: nothing on the compared path may use Math.exp/log/pow/sin/cos, whose last bits
// differ between JavaScript engines.

export const SMOKE_VERSION = 1;

/** xorshift32: an integer stream, the same in every engine. */
function xorshift(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** A 28x28 garment-like silhouette for `kind` 0..9, with seeded jitter and noise. */
export function drawImage(kind, seed) {
  const next = xorshift(seed * 2654435761 + kind + 1);
  const img = new Uint8Array(784);
  const dx = (next() % 5) - 2;
  const dy = (next() % 5) - 2;
  const inside = (x, y) => {
    const cx = x - 14 - dx, cy = y - 14 - dy;
    const ax = cx < 0 ? -cx : cx, ay = cy < 0 ? -cy : cy;
    switch (kind) {
      case 0: return (ay < 9 && ax < 6) || (cy < -4 && cy > -9 && ax < 11); // T-shirt: body and short sleeves
      case 1: return cy > -11 && cy < 12 && ax < 7 && !(cy > -4 && ax < 2); // trouser: two legs
      case 2: return (ay < 10 && ax < 7) || (cy < -2 && ax < 12 && cy > -10); // pullover: long sleeves
      case 3: return ay < 12 && ax < 4 + ((cy + 12) >> 2); // dress: widening to the hem
      case 4: return (ay < 11 && ax < 8) && !(cy < -8 && ax < 2); // coat: body, open collar
      case 5: return cy > 2 && cy < 7 && cx > -11 && cx < 11 && !(cy > 4 && ax < 6); // sandal: straps
      case 6: return (ay < 10 && ax < 7) || (cy < -6 && ax < 12 && cy > -10); // shirt
      case 7: return cy > 0 && cy < 8 && cx > -12 && cx < 12 - (cy >> 1); // sneaker
      case 8: return (cy > -3 && cy < 10 && ax < 11) || (cy < -3 && cy > -9 && ax > 4 && ax < 7); // bag with handle
      default: return (cy > -10 && cy < 8 && cx > 2 && cx < 8) || (cy > 3 && cy < 9 && cx > -10 && cx < 8); // ankle boot
    }
  };
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      if (inside(x, y)) img[y * 28 + x] = 120 + (next() % 136);
      else if (next() % 20 === 0) img[y * 28 + x] = next() % 60;
    }
  }
  return img;
}

/** The fixed images every runtime classifies: two of each kind, plus RGBA and photo-sized copies. */
export function fixedImages() {
  const images = [];
  for (let i = 0; i < 20; i++) images.push(drawImage(i % 10, 1000 + i));
  return images;
}

/** 28x28 RGBA (the luma path) and 56x42 RGBA on a light background (the photo preprocessing path). */
export function imageDataInputs() {
  const gray = drawImage(7, 77);
  const rgba = new Uint8ClampedArray(784 * 4);
  for (let i = 0; i < 784; i++) {
    rgba[i * 4] = gray[i];
    rgba[i * 4 + 1] = (gray[i] * 3) >> 2;
    rgba[i * 4 + 2] = gray[i] >> 1;
    rgba[i * 4 + 3] = 255;
  }
  const w = 56, h = 42;
  const photo = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // A dark garment (the scaled-up silhouette) on a light background, like a product photo.
      const v = gray[Math.min(27, (y * 2) / 3 | 0) * 28 + (x >> 1)];
      const o = (y * w + x) * 4;
      photo[o] = photo[o + 1] = photo[o + 2] = 255 - v;
      photo[o + 3] = 255;
    }
  }
  return [{ data: rgba, width: 28, height: 28 }, { data: photo, width: w, height: h }];
}

/** `count` labelled images for training, labels 0..9 in a seeded order. */
export function trainingSet(count, seed) {
  const next = xorshift(seed);
  const images = new Uint8Array(count * 784);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = next() % 10;
    labels[i] = label;
    images.set(drawImage(label, seed + i), i * 784);
  }
  return { images, labels, count };
}

/** FNV-1a over bytes: a short fingerprint, computed with integer arithmetic only. */
export function fnv1a(bytes, h = 0x811c9dc5) {
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return h >>> 0;
}

const bytesOf = (typed) => new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
const hex32 = (n) => (n >>> 0).toString(16).padStart(8, '0');
/** The exact bits of float32 values, as hex. */
const f32hex = (a) => Array.from(new Uint32Array(new Float32Array(a).buffer), hex32).join(' ');
/** The exact bits of a float64, as hex. */
function f64hex(x) {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x);
  return hex32(v.getUint32(0)) + hex32(v.getUint32(4));
}
const probsHash = (predictions) => {
  let h = 0x811c9dc5;
  for (const p of predictions) h = fnv1a(bytesOf(p.probabilities), h);
  return hex32(h);
};

/**
 * Runs the smoke test against `lib` (the package's exports). `threads`: the thread count asked
 * for in the batch section (its output must not depend on it). `wasm`: the binary as this host
 * supplies it to `createClassifier({ wasm })` (a URL, bytes or a WebAssembly.Module). Resolves
 * with the text every runtime must print identically, and `info` that may differ (threads
 * actually used, warnings, the kind of wasm source).
 */
export async function runSmoke(lib, { threads = 1, wasm } = {}) {
  const out = [];
  const info = { threads: 1, warnings: [], wasm: Object.prototype.toString.call(wasm).slice(8, -1) };
  const say = (line) => out.push(line);
  const same = (a, b) => a.length === b.length && a.every((p, i) => f32hex(p.probabilities) === f32hex(b[i].probabilities));
  say(`garment-wasm smoke v${SMOKE_VERSION}`);

  // 1. The bundled model: single images, ImageData-like images, and the same images as a batch.
  const clf = await lib.createClassifier({ threads: 1 });
  say(`pretrained: ${clf.parameterCount} parameters, layers ${clf.layers.map((l) => l.type).join(',')}`);
  say(`labels: ${clf.labels.join(',')}`);
  const images = fixedImages();
  const singles = [];
  for (const [i, img] of images.entries()) {
    const p = await lib.predict(clf, img);
    singles.push(p);
    say(`image ${String(i).padStart(2)}: ${p.index} ${p.label} | ${f32hex(p.probabilities)}`);
  }
  for (const [i, img] of imageDataInputs().entries()) {
    const p = await clf.predict(img);
    say(`imagedata ${i} (${img.width}x${img.height}): ${p.index} ${p.label} | ${f32hex(p.probabilities)}`);
  }
  const batch = await clf.predict(images);
  say(`batch of ${batch.length}: ${same(batch, singles) ? 'identical to one by one' : 'DIFFERENT from one by one'}`);
  const own = await lib.createClassifier({ threads: 1, wasm });
  say(`user-supplied wasm: ${same(await own.predict(images), singles) ? 'identical' : 'DIFFERENT'}`);
  own.dispose();

  // 2. A batch big enough for the thread pool, on as many threads as this runtime allows.
  const big = new Uint8Array(160 * 784);
  for (let i = 0; i < 160; i++) big.set(drawImage(i % 10, 5000 + i), i * 784);
  const pooled = await lib.createClassifier({ threads, onWarning: (m) => info.warnings.push(m) });
  const bigOut = await pooled.predict(big);
  info.threads = pooled.threads;
  const bigOne = await clf.predict(big);
  say(`batch of 160: probabilities fnv1a ${probsHash(bigOut)}, ${same(bigOut, bigOne) ? 'same as one thread' : 'DIFFERENT from one thread'}`);
  pooled.dispose();

  // 3. Twenty training steps from a fixed seed on one thread, then the weights' fingerprint.
  const data = trainingSet(320, 42);
  const fresh = await lib.createClassifier({ model: 'seed-cnn', seed: 7, threads: 1 });
  say(`seed-cnn seed 7: ${fresh.parameterCount} parameters, initial weights fnv1a ${hex32(fnv1a(await fresh.save()))}`);
  const history = await lib.train(fresh, data, { epochs: 1, batchSize: 16, learningRate: 0.002 });
  const e = history.epochs[0];
  say(`trained 20 steps: loss ${f64hex(e.loss)} accuracy ${f64hex(e.accuracy)}`);
  const saved = await fresh.save();
  say(`weights: ${saved.length} bytes, fnv1a ${hex32(fnv1a(saved))}`);
  for (const dtype of ['f16', 'int8']) {
    const b = await fresh.save({ dtype });
    say(`weights ${dtype}: ${b.length} bytes, fnv1a ${hex32(fnv1a(b))}`);
  }
  const trained = await fresh.predict(images);
  say(`trained model on the fixed images: ${trained.map((p) => p.index).join(' ')}, probabilities fnv1a ${probsHash(trained)}`);
  for (const i of [0, 7]) say(`  image ${i}: ${f32hex(trained[i].probabilities)}`);

  // 4. Save and load: the same predictions, and the same bytes when saved again.
  const loaded = await lib.createClassifier({ weights: saved, threads: 1 });
  const again = await loaded.predict(images);
  const resaved = await loaded.save();
  say(`save/load: predictions ${same(again, trained) ? 'identical' : 'DIFFERENT'}, bytes ${fnv1a(resaved) === fnv1a(saved) && resaved.length === saved.length ? 'identical' : 'DIFFERENT'}`);

  // 5. Errors carry stable codes.
  try {
    await lib.predict(clf, new Uint8Array(100));
    say('bad input: no error');
  } catch (err) {
    say(`bad input: ${err instanceof lib.GarmentError ? 'GarmentError' : err?.name} ${err?.code}`);
  }
  // A runtime without SIMD (simulated: the feature probe fails) gets a clear error, not a crash.
  const validate = WebAssembly.validate;
  WebAssembly.validate = () => false;
  try {
    await lib.createClassifier({ threads: 1 });
    say('no SIMD: no error');
  } catch (err) {
    say(`no SIMD: ${err instanceof lib.GarmentError ? 'GarmentError' : err?.name} ${err?.code}`);
  } finally {
    WebAssembly.validate = validate;
  }
  for (const c of [clf, fresh, loaded]) c.dispose();
  return { text: out.join('\n'), info };
}

/** One image classified the way the edge functions answer a POST: what the matrix compares. */
export async function classifyBytes(lib, clf, bytes) {
  const p = await lib.predict(clf, bytes);
  return { index: p.index, label: p.label, probabilities: f32hex(p.probabilities) };
}
