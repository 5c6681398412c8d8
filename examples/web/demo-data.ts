// A generated training set for the demo: five garment silhouettes drawn light on black at 28x28,
// with random size, position, tilt, brightness and noise. Drawn here, never cut from a data set.

export const DEMO_LABELS = ['T-shirt', 'Trouser', 'Dress', 'Bag', 'Sneaker'];

type Draw = (g: CanvasRenderingContext2D) => void;

const poly = (g: CanvasRenderingContext2D, pts: number[]) => {
  g.beginPath();
  g.moveTo(pts[0], pts[1]);
  for (let i = 2; i < pts.length; i += 2) g.lineTo(pts[i], pts[i + 1]);
  g.closePath();
  g.fill();
};

const SHAPES: Draw[] = [
  (g) => poly(g, [9, 4, 19, 4, 26, 9, 23, 13, 19, 11, 19, 25, 9, 25, 9, 11, 5, 13, 2, 9]), // T-shirt
  (g) => poly(g, [8, 2, 20, 2, 21, 27, 16, 27, 14, 9, 12, 27, 7, 27]), // trouser
  (g) => poly(g, [11, 2, 17, 2, 18, 8, 24, 27, 4, 27, 10, 8]), // dress
  (g) => {
    poly(g, [4, 11, 24, 11, 24, 25, 4, 25]); // bag
    g.lineWidth = 2.2;
    g.beginPath();
    g.arc(14, 11, 6, Math.PI, 0);
    g.stroke();
  },
  (g) => poly(g, [2, 22, 3, 14, 9, 13, 13, 16, 19, 17, 26, 19, 26, 24, 2, 24]), // sneaker
];

/** mulberry32: seeded, so the same demo set every time. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` images over the five classes, as a Dataset ({ images, labels, count }). */
export function demoDataset(count: number, seed = 1): { images: Uint8Array; labels: Uint8Array; count: number } {
  const rand = random(seed);
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 28;
  const g = canvas.getContext('2d', { willReadFrequently: true })!;
  const images = new Uint8Array(count * 784);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = Math.floor(rand() * SHAPES.length);
    labels[i] = label;
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.fillStyle = '#000';
    g.fillRect(0, 0, 28, 28);
    const v = 140 + Math.floor(rand() * 115);
    g.fillStyle = g.strokeStyle = `rgb(${v},${v},${v})`;
    const s = 0.75 + rand() * 0.3;
    g.translate(14 + (rand() - 0.5) * 4, 14 + (rand() - 0.5) * 4);
    g.rotate((rand() - 0.5) * 0.3);
    g.scale(s, s);
    g.translate(-14, -14);
    SHAPES[label](g);
    const px = g.getImageData(0, 0, 28, 28).data;
    const o = i * 784;
    for (let k = 0; k < 784; k++) {
      const noise = rand() < 0.06 ? Math.floor(rand() * 90) : 0;
      images[o + k] = Math.min(255, px[k * 4] + noise);
    }
  }
  return { images, labels, count };
}
