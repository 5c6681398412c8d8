// Generated garment-like images for tests: each class is a different simple shape, with
// seeded noise and jitter, so small models can learn them in seconds. Never dataset images.

export function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** Draws class `label` (0..classes-1) into a 784-byte image. */
export function drawShape(label, rand, out = new Uint8Array(784)) {
  out.fill(0);
  const dx = Math.floor(rand() * 5) - 2;
  const dy = Math.floor(rand() * 5) - 2;
  const set = (x, y, v) => {
    x += dx;
    y += dy;
    if (x >= 0 && x < 28 && y >= 0 && y < 28) out[y * 28 + x] = v;
  };
  const kind = label % 10;
  for (let y = 4; y < 24; y++) {
    for (let x = 4; x < 24; x++) {
      const cx = x - 14, cy = y - 14;
      let on = false;
      switch (kind) {
        case 0: on = Math.abs(cy) < 3; break; // horizontal bar
        case 1: on = Math.abs(cx) < 3; break; // vertical bar
        case 2: on = cx * cx + cy * cy < 64; break; // disc
        case 3: on = Math.abs(cx) + Math.abs(cy) < 9 && Math.abs(cx) + Math.abs(cy) > 5; break; // diamond ring
        case 4: on = Math.abs(cx - cy) < 2; break; // diagonal
        case 5: on = Math.abs(cx + cy) < 2; break; // anti-diagonal
        case 6: on = cy > 2; break; // lower half
        case 7: on = cx < -2; break; // left half
        case 8: on = (x + y) % 4 < 2 && Math.abs(cx) < 8 && Math.abs(cy) < 8; break; // stripes
        case 9: on = Math.abs(cx) < 8 && Math.abs(cy) < 8 && !(Math.abs(cx) < 5 && Math.abs(cy) < 5); break; // frame
      }
      if (on) set(x, y, 150 + Math.floor(rand() * 100));
    }
  }
  for (let i = 0; i < 784; i++) if (rand() < 0.05) out[i] = Math.floor(rand() * 80);
  return out;
}

/** A dataset of `count` generated images over `classes` classes. */
export function syntheticDataset(count, { classes = 10, seed = 1 } = {}) {
  const rand = rng(seed);
  const images = new Uint8Array(count * 784);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = Math.floor(rand() * classes);
    labels[i] = label;
    drawShape(label, rand, images.subarray(i * 784, (i + 1) * 784));
  }
  return { images, labels, count };
}

/** Random pixel images (no structure). */
export function noiseImages(count, seed = 7) {
  const rand = rng(seed);
  const images = new Uint8Array(count * 784);
  for (let i = 0; i < images.length; i++) images[i] = Math.floor(rand() * 256);
  return images;
}

export function bitsEqual(a, b) {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

export async function expectGarmentError(fn, code) {
  const { GarmentError } = await import('garment-wasm');
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof GarmentError)) throw new Error(`expected GarmentError ${code}, got ${e?.name}: ${e?.message}`);
    if (e.code !== code) throw new Error(`expected code ${code}, got ${e.code}: ${e.message}`);
    return e;
  }
  throw new Error(`expected GarmentError ${code}, but nothing was thrown`);
}
