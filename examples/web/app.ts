// The demo page: classify a photo or a drawing with the bundled model (or one trained here), and
// train a small model in the page with a live chart. Photos are decoded by the browser; the
// preprocessing to 28x28 is the library's, the same pixels as in Node.
import { FASHION_MNIST_LABELS, createClassifier, parseCsv, parseIdx, type Classifier, type Dataset } from 'garment-wasm';
import { preprocessWithInfo } from '../../src/preprocess/index.ts';
import { LiveChart } from './chart.ts';
import { DEMO_LABELS, demoDataset } from './demo-data.ts';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (x: number, d = 1) => `${(x * 100).toFixed(d)}%`;

/** Largest photo side kept (the browser scales bigger photos down before preprocessing). */
const MAX_SIDE = 1024;

let bundled: Classifier | undefined;
let trained: Classifier | undefined;
let useTrained = false;
let lastImage: ImageData | undefined;

// ---- environment ------------------------------------------------------------------------------

async function start(): Promise<void> {
  const isolated = globalThis.crossOriginIsolated === true;
  $('env').textContent = `cross-origin isolated: ${isolated ? 'yes (threads available)' : 'no (one thread)'} · ` +
    `${navigator.hardwareConcurrency ?? '?'} logical cores · loading the bundled model...`;
  bundled = await createClassifier({ onWarning: (m) => console.warn(m) });
  $('env').textContent = `cross-origin isolated: ${isolated ? 'yes (threads available)' : 'no (one thread)'} · ` +
    `${navigator.hardwareConcurrency ?? '?'} logical cores · bundled model ready (${fmt(bundled.parameterCount)} parameters)`;
  document.body.dataset.ready = '1';
  showModelChoice();
}

// ---- classification ---------------------------------------------------------------------------

function activeModel(): Classifier {
  return (useTrained && trained) || bundled!;
}

function showModelChoice(): void {
  const host = $('model-choice');
  if (!trained) {
    host.textContent = 'model: the bundled Fashion-MNIST model';
    return;
  }
  host.innerHTML = '';
  for (const [value, text] of [['bundled', 'bundled model'], ['trained', `the model trained here (${trained.labels.length} classes)`]]) {
    const label = document.createElement('label');
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = 'which';
    input.value = value;
    input.checked = (value === 'trained') === useTrained;
    input.addEventListener('change', () => {
      useTrained = value === 'trained';
      if (lastImage) void classify(lastImage);
    });
    label.append(input, ` ${text}`);
    host.append(label, ' ');
  }
}

/** What the model sees: 28x28 as it is (luma), anything else preprocessed like Fashion-MNIST. */
function toModelInput(img: ImageData) {
  if (img.width === 28 && img.height === 28) {
    const px = new Uint8Array(784);
    for (let i = 0; i < 784; i++) {
      const d = img.data;
      px[i] = Math.floor((299 * d[i * 4] + 587 * d[i * 4 + 1] + 114 * d[i * 4 + 2] + 500) / 1000);
    }
    return { pixels: px, box: undefined };
  }
  const { pixels, info } = preprocessWithInfo({ data: img.data, width: img.width, height: img.height });
  return { pixels, box: info.box };
}

async function classify(img: ImageData): Promise<void> {
  if (!bundled) return;
  lastImage = img;
  const t0 = performance.now();
  const { pixels, box } = toModelInput(img);
  const t1 = performance.now();
  drawOriginal(img, box);
  drawPreprocessed(pixels);
  const clf = activeModel();
  const p = await clf.predict(pixels);
  const t2 = performance.now();
  const ranked = [...p.probabilities.keys()].sort((a, b) => p.probabilities[b] - p.probabilities[a]).slice(0, 3);
  $('top3').replaceChildren(...ranked.map((k) => {
    const li = document.createElement('li');
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = clf.labels[k];
    const bar = document.createElement('span');
    bar.className = 'bar';
    const fill = document.createElement('span');
    fill.style.width = pct(p.probabilities[k]);
    bar.append(fill);
    const value = document.createElement('span');
    value.className = 'value';
    value.textContent = pct(p.probabilities[k]);
    li.append(name, bar, value);
    return li;
  }));
  $('timing').textContent = `${img.width}x${img.height} image · preprocessing ${(t1 - t0).toFixed(1)} ms · model ${(t2 - t1).toFixed(1)} ms`;
  document.body.dataset.classified = String(Number(document.body.dataset.classified ?? 0) + 1);
}

function drawOriginal(img: ImageData, box?: { x: number; y: number; width: number; height: number }): void {
  const c = $<HTMLCanvasElement>('original');
  const g = c.getContext('2d')!;
  const scale = Math.min(c.width / img.width, c.height / img.height);
  const tmp = new OffscreenCanvas(img.width, img.height);
  tmp.getContext('2d')!.putImageData(img, 0, 0);
  g.fillStyle = '#eef1f5';
  g.fillRect(0, 0, c.width, c.height);
  const w = img.width * scale;
  const h = img.height * scale;
  const x0 = (c.width - w) / 2;
  const y0 = (c.height - h) / 2;
  g.drawImage(tmp, x0, y0, w, h);
  if (box) {
    g.strokeStyle = '#e15759';
    g.lineWidth = 2;
    g.strokeRect(x0 + box.x * scale, y0 + box.y * scale, box.width * scale, box.height * scale);
  }
}

function drawPreprocessed(pixels: Uint8Array): void {
  const c = $<HTMLCanvasElement>('pre');
  const img = new ImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    img.data[i * 4] = img.data[i * 4 + 1] = img.data[i * 4 + 2] = pixels[i];
    img.data[i * 4 + 3] = 255;
  }
  c.getContext('2d')!.putImageData(img, 0, 0);
}

/** A decoded photo, scaled down to MAX_SIDE if bigger. */
async function imageFromFile(file: Blob): Promise<ImageData> {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const w = Math.max(1, Math.round(bitmap.width * scale));
  const h = Math.max(1, Math.round(bitmap.height * scale));
  const c = new OffscreenCanvas(w, h);
  const g = c.getContext('2d', { willReadFrequently: true })!;
  g.drawImage(bitmap, 0, 0, w, h);
  bitmap.close();
  return g.getImageData(0, 0, w, h);
}

async function onFile(file: File | undefined): Promise<void> {
  if (!file) return;
  try {
    await classify(await imageFromFile(file));
  } catch (e) {
    $('top3').replaceChildren(Object.assign(document.createElement('li'), { textContent: `could not read ${file.name}: ${(e as Error).message}`, className: 'error' }));
  }
}

// ---- drawing pad ------------------------------------------------------------------------------

const pad = $<HTMLCanvasElement>('pad');
const pg = pad.getContext('2d', { willReadFrequently: true })!;
function clearPad(): void {
  pg.fillStyle = '#fff';
  pg.fillRect(0, 0, pad.width, pad.height);
}
clearPad();
let drawing = false;
const at = (e: PointerEvent) => {
  const r = pad.getBoundingClientRect();
  return [((e.clientX - r.left) * pad.width) / r.width, ((e.clientY - r.top) * pad.height) / r.height];
};
pad.addEventListener('pointerdown', (e) => {
  drawing = true;
  pad.setPointerCapture(e.pointerId);
  const [x, y] = at(e);
  pg.beginPath();
  pg.moveTo(x, y);
  pg.lineTo(x + 0.1, y);
  pg.strokeStyle = '#222';
  pg.lineWidth = 22;
  pg.lineCap = pg.lineJoin = 'round';
  pg.stroke();
});
pad.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  const [x, y] = at(e);
  pg.lineTo(x, y);
  pg.stroke();
});
const finish = () => {
  if (!drawing) return;
  drawing = false;
  void classify(pg.getImageData(0, 0, pad.width, pad.height));
};
pad.addEventListener('pointerup', finish);
pad.addEventListener('pointercancel', finish);
$('clear').addEventListener('click', clearPad);

/** A made-up product photo: a coloured pair of trousers on a cream background, with a soft shadow. */
function samplePhoto(): ImageData {
  const c = new OffscreenCanvas(360, 480);
  const g = c.getContext('2d', { willReadFrequently: true })!;
  const bg = g.createLinearGradient(0, 0, 0, 480);
  bg.addColorStop(0, '#f4efe6');
  bg.addColorStop(1, '#ece5d8');
  g.fillStyle = bg;
  g.fillRect(0, 0, 360, 480);
  g.fillStyle = 'rgba(0,0,0,0.08)';
  g.fillRect(104, 70, 160, 370);
  g.fillStyle = '#2f4a7a';
  g.beginPath();
  g.moveTo(100, 60); g.lineTo(260, 60); g.lineTo(268, 430); g.lineTo(200, 430);
  g.lineTo(180, 150); g.lineTo(160, 430); g.lineTo(92, 430); g.closePath();
  g.fill();
  g.fillStyle = '#243b63';
  g.fillRect(100, 60, 160, 18);
  return g.getImageData(0, 0, 360, 480);
}
$('sample').addEventListener('click', () => void classify(samplePhoto()));

const drop = $('drop');
$<HTMLInputElement>('file').addEventListener('change', (e) => void onFile((e.target as HTMLInputElement).files?.[0]));
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  void onFile(e.dataTransfer?.files[0]);
});

// ---- training ---------------------------------------------------------------------------------

const chart = new LiveChart($('chart'));
let controller: AbortController | undefined;

$<HTMLSelectElement>('data-source').addEventListener('change', (e) => {
  $('files-label').hidden = (e.target as HTMLSelectElement).value !== 'files';
});

/** Fashion-MNIST IDX files (an images file and a labels file, gzipped or not) or a Kaggle CSV. */
async function userData(files: FileList | null): Promise<Dataset> {
  if (!files || files.length === 0) throw new Error('pick an IDX pair (images and labels) or a CSV file first');
  const list = [...files];
  const csv = list.find((f) => /\.csv$/i.test(f.name));
  if (csv) return parseCsv(new Uint8Array(await csv.arrayBuffer()));
  const parsed = await Promise.all(list.map(async (f) => ({ name: f.name, idx: parseIdx(new Uint8Array(await f.arrayBuffer()), f.name) })));
  const images = parsed.find((p) => p.idx.dims.length === 3);
  const labels = parsed.find((p) => p.idx.dims.length === 1);
  if (!images || !labels) throw new Error('need one IDX images file (3 dimensions) and one labels file (1 dimension)');
  const count = Math.min(images.idx.dims[0], labels.idx.dims[0]);
  return { images: images.idx.data.subarray(0, count * 784), labels: labels.idx.data.subarray(0, count), count };
}

function split(d: Dataset, n: number): { train: Dataset; validation: Dataset } {
  const count = Math.min(n, d.count);
  const v = Math.max(1, Math.round(count * 0.2));
  const sub = (a: number, b: number): Dataset => ({ images: d.images.subarray(a * 784, b * 784), labels: d.labels.subarray(a, b), count: b - a });
  return { train: sub(0, count - v), validation: sub(count - v, count) };
}

/** The longest gap between timer ticks while training: how long the page could not respond. */
function pauseProbe() {
  let last = performance.now();
  let longest = 0;
  const id = setInterval(() => {
    const t = performance.now();
    longest = Math.max(longest, t - last);
    last = t;
  }, 10);
  return { stop: () => (clearInterval(id), longest) };
}

$('train-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void train();
});
$('stop').addEventListener('click', () => controller?.abort());

async function train(): Promise<void> {
  const status = $('train-status');
  const result = $('train-result');
  const startBtn = $<HTMLButtonElement>('start');
  const stopBtn = $<HTMLButtonElement>('stop');
  const epochs = Number($<HTMLInputElement>('epochs').value) || 1;
  const batchSize = Number($<HTMLInputElement>('batch').value) || 64;
  const wanted = Number($<HTMLInputElement>('count').value) || 3000;
  const model = $<HTMLSelectElement>('model').value as 'mlp' | 'seed-cnn';
  const fromFiles = $<HTMLSelectElement>('data-source').value === 'files';
  startBtn.disabled = true;
  stopBtn.disabled = false;
  result.textContent = '';
  controller = new AbortController();
  let clf: Classifier | undefined;
  const probe = pauseProbe();
  try {
    status.textContent = fromFiles ? 'reading your files...' : `drawing ${fmt(wanted)} silhouettes...`;
    const all = fromFiles ? await userData($<HTMLInputElement>('data-files').files) : demoDataset(wanted);
    const labels = fromFiles ? FASHION_MNIST_LABELS : DEMO_LABELS;
    const { train: trainSet, validation } = split(all, wanted);
    clf = await createClassifier({ model, labels, seed: 1, onWarning: (m) => (result.textContent = m) });
    chart.reset(epochs * trainSet.count);
    const t0 = performance.now();
    let epochNow = 1;
    const history = await clf.train(trainSet, {
      epochs, batchSize, learningRate: 2e-3, validation, signal: controller.signal, progressInterval: 50,
      onProgress: (p) => {
        epochNow = p.epoch;
        const seen = (p.epoch - 1) * trainSet.count + Math.min(p.step * batchSize, trainSet.count);
        chart.add(seen, p.loss, p.accuracy);
        status.textContent = `epoch ${p.epoch}/${p.epochs} · step ${p.step}/${p.stepsPerEpoch} · loss ${p.loss.toFixed(3)} · ` +
          `accuracy ${pct(p.accuracy)} · ${fmt(p.imagesPerSecond)} images/s · threads in use: ${clf!.threads}`;
      },
      onEpoch: (s) => chart.mark(s.epoch * trainSet.count),
    });
    const last = history.epochs[history.epochs.length - 1];
    const secs = (performance.now() - t0) / 1000;
    result.textContent = `trained ${model} on ${fmt(trainSet.count)} images in ${secs.toFixed(1)} s on ${clf.threads} thread${clf.threads === 1 ? '' : 's'}: ` +
      `validation accuracy ${pct(last.validationAccuracy ?? 0)} on ${fmt(validation.count)} held-out images (epoch ${epochNow}). ` +
      `Longest pause of the page while training: ${probe.stop().toFixed(0)} ms.`;
    trained?.dispose();
    trained = clf;
    clf = undefined;
    useTrained = true;
    showModelChoice();
    if (lastImage) await classify(lastImage);
    document.body.dataset.trained = '1';
  } catch (err) {
    const stopped = (err as { code?: string }).code === 'E_ABORTED';
    result.textContent = stopped ? 'stopped.' : `training failed: ${(err as Error).message}`;
    probe.stop();
  } finally {
    clf?.dispose();
    startBtn.disabled = false;
    stopBtn.disabled = true;
  }
}

start().catch((e) => {
  $('env').textContent = `could not start: ${(e as Error).message}`;
  document.body.dataset.error = (e as Error).message;
});
