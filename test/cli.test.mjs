// The garment-wasm CLI (dist/cli.js), run as a child process the way users run it: help and
// errors, predict on PNG and JPEG files made here, train/eval/report on a generated CSV, Ctrl-C
// checkpoints, and download from a local mirror. With Fashion-MNIST (GARMENT_DATA) also eval,
// report and download on the real files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode as decodePng, encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import { gunzipSync } from 'fflate';
import { createHash } from 'node:crypto';
import { createClassifier, FASHION_MNIST_LABELS } from 'garment-wasm';
import { decodeWeights } from '../dist/node/internal.js';
import { findDataDir } from '../scripts/data-dir.mjs';
import { syntheticDataset } from './helpers/synthetic.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(root, 'dist', 'cli.js');
const tmp = join(root, '.tmp', `cli-test-${process.pid}`);
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
const at = (...p) => join(tmp, ...p);

const dataDir = findDataDir();
if (!dataDir && process.env.GARMENT_REQUIRE_DATA === '1') throw new Error('Fashion-MNIST is required (GARMENT_REQUIRE_DATA=1) but was not found; set GARMENT_DATA');
const real = dataDir ? test : test.skip;

// Children never see the real data or the user's cache unless a test passes them.
const ISOLATED = { GARMENT_DATA: '', XDG_CACHE_HOME: at('cache'), CI: '' };

/**
 * Runs the CLI; resolves with its exit code and output. `onStdout`/`onStderr` see output as it
 * comes. A process still running after `timeout` ms is killed and rejects: the CLI must exit on
 * its own once its work is done, worker threads or not.
 */
function cli(args, { env = {}, onStdout, onStderr, timeout = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: tmp, env: { ...process.env, ...ISOLATED, ...env } });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`garment-wasm ${args.join(' ')}: still running after ${timeout} ms\n${stderr}`));
    }, timeout);
    child.stdout.on('data', (d) => {
      stdout += d;
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, stdout, stderr });
    });
  });
}

/** Asserts a failure: the exit code, and exactly one line on stderr, without a stack trace. */
function oneLineError(r, code, pattern) {
  assert.is(r.code, code, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.is(lines.length, 1, `one line, got:\n${r.stderr}`);
  assert.match(lines[0], /^garment-wasm: /);
  assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
  if (pattern) assert.match(lines[0], pattern);
}

function writeCsv(path, set, header = true) {
  const rows = header ? [['label', ...Array.from({ length: 784 }, (_, i) => `pixel${i + 1}`)].join(',')] : [];
  for (let i = 0; i < set.count; i++) rows.push([set.labels[i], ...set.images.subarray(i * 784, (i + 1) * 784)].join(','));
  writeFileSync(path, `${rows.join('\n')}\n`);
}

/** A black-and-white trouser silhouette (0 or 255 only, so every PNG flavour holds it exactly). */
function silhouette(W = 150, H = 210) {
  const px = new Uint8Array(W * H).fill(255);
  for (let y = 20; y < H - 15; y++) {
    for (let x = 30; x < W - 30; x++) {
      const legs = y > 50 && x > W / 2 - 5 && x < W / 2 + 5;
      if (!legs) px[y * W + x] = 0;
    }
  }
  return { px, W, H };
}

const expand = (px, ch) => {
  const out = new Uint8Array(px.length * ch);
  for (let i = 0; i < px.length; i++) for (let c = 0; c < ch; c++) out[i * ch + c] = c === 3 ? 255 : px[i];
  return out;
};

test('--help on every command, help <command>, --version; exit 0', async () => {
  for (const args of [['--help'], ['-h'], []]) {
    const r = await cli(args);
    assert.is(r.code, 0);
    assert.match(r.stdout, /Usage: garment-wasm <command>/);
  }
  for (const command of ['download', 'train', 'eval', 'predict', 'report']) {
    const r = await cli([command, '--help']);
    assert.is(r.code, 0, command);
    assert.match(r.stdout, new RegExp(`^Usage: garment-wasm ${command}`), command);
    assert.is(r.stderr, '');
    assert.is((await cli(['help', command])).stdout, r.stdout);
  }
  assert.match((await cli(['--version'])).stdout, /^\d+\.\d+\.\d+/);
});

test('usage errors: one line, exit 2', async () => {
  oneLineError(await cli(['fly']), 2, /unknown command 'fly'/);
  oneLineError(await cli(['train', '--epochs', 'ten']), 2, /--epochs must be an integer/);
  oneLineError(await cli(['train', '--validation-split', '1.5']), 2, /--validation-split must be a fraction/);
  oneLineError(await cli(['train', '--model', 'nope']), 2, /neither a preset \(mlp, seed-cnn, [^)]*\) nor a JSON file/);
  oneLineError(await cli(['eval', '--colour']), 2, /Unknown option '--colour'/);
  oneLineError(await cli(['eval', '--threads', '0']), 2, /--threads/);
  oneLineError(await cli(['predict']), 2, /at least one PNG or JPEG/);
  oneLineError(await cli(['train', '--dtype', 'f8']), 2, /--dtype/);
});

test('failures: one clear line, exit 1', async () => {
  oneLineError(await cli(['eval', 'missing.gz']), 1, /cannot read the weight file missing\.gz: no such file/);
  writeFileSync(at('junk.gz'), 'not a weight file');
  oneLineError(await cli(['eval', 'junk.gz']), 1, /\[E_WEIGHTS_FORMAT\]$/);
  oneLineError(await cli(['eval']), 1, /Fashion-MNIST not found .*run 'garment-wasm download', add --download, or pass --data DIR or --csv FILE/);
  oneLineError(await cli(['eval', '--data', at('nowhere')]), 1, /--data .*nowhere: none of the four files; it needs train-images-idx3-ubyte, .* or run 'garment-wasm download'/);
  writeFileSync(at('bad.csv'), '3,1,2\n');
  oneLineError(await cli(['eval', '--csv', 'bad.csv']), 1, /\[E_CSV_FORMAT\]$/);
  writeFileSync(at('bad-model.json'), '{"layers": 3}');
  oneLineError(await cli(['train', '--model', 'bad-model.json']), 1, /expected a layer list/);
  writeFileSync(at('bad-layers.json'), '[{ "type": "conv", "filters": -1, "kernel": 3 }]');
  oneLineError(await cli(['train', '--model', 'bad-layers.json']), 1, /\[E_MODEL_SPEC\]$/);
});

test('export: the bundled model as ONNX and as a mixed int8/f16 weight file; a bad tensor name writes nothing', async () => {
  const r = await cli(['export', '--onnx', 'bundled.onnx', '--weights', 'mixed.gz', '--dtype', 'int8', '--tensor-dtype', '0.weight=f16']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /-> bundled\.onnx \(\d+ bytes, ONNX opset 13\)\n/);
  assert.match(r.stdout, /-> mixed\.gz \(\d+ bytes, int8, 0\.weight f16\)\n$/);
  const onnx = readFileSync(at('bundled.onnx'));
  assert.is(onnx[0], 0x08, 'an ONNX ModelProto starts with ir_version');
  // The header says how each tensor is stored: the override in f16, the other weights int8.
  const payload = gunzipSync(readFileSync(at('mixed.gz')));
  const headerLength = new DataView(payload.buffer, payload.byteOffset).getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(payload.subarray(16, 16 + headerLength)));
  const dtypeOf = Object.fromEntries(header.tensors.map((t) => [t.name, t.dtype]));
  assert.is(dtypeOf['0.weight'], 'f16');
  const weightDtypes = header.tensors.filter((t) => t.name.endsWith('.weight') && t.name !== '0.weight').map((t) => t.dtype);
  assert.ok(weightDtypes.length >= 2 && weightDtypes.every((d) => d === 'int8'), weightDtypes.join());
  assert.ok(decodeWeights(readFileSync(at('mixed.gz'))).tensors.length === header.tensors.length);
  const mixed = await createClassifier({ weights: readFileSync(at('mixed.gz')), threads: 1 });
  const bundled = await createClassifier({ threads: 1 });
  const set = syntheticDataset(64, { seed: 5 });
  const a = await mixed.predict(set.images);
  const b = await bundled.predict(set.images);
  const agree = a.filter((p, i) => p.label === b[i].label).length;
  assert.ok(agree >= 60, `mixed and bundled agree on ${agree}/64`);
  mixed.dispose();
  bundled.dispose();

  oneLineError(await cli(['export', '--weights', 'never.gz', '--dtype', 'int8', '--tensor-dtype', 'conv9.weight=f16']), 1, /no tensor named "conv9\.weight"/);
  oneLineError(await cli(['export', '--weights', 'never.gz', '--tensor-dtype', '0.weight=f64']), 2, /--tensor-dtype/);
  oneLineError(await cli(['export', '--onnx', 'never.onnx', '--dtype', 'int8']), 2, /go with --weights/);
  oneLineError(await cli(['export']), 2, /--onnx FILE or --weights FILE/);
  assert.not.ok(existsSync(at('never.gz')));
});

test('predict: every PNG flavour of the same image gives the library\'s answer for it', async () => {
  const { px, W, H } = silhouette();
  const bits = new Uint8Array(Math.ceil(W / 8) * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (px[y * W + x]) bits[y * Math.ceil(W / 8) + (x >> 3)] |= 0x80 >> (x & 7);
  const files = {
    'gray.png': encodePng({ width: W, height: H, data: px, channels: 1, depth: 8 }),
    'gray16.png': encodePng({ width: W, height: H, data: Uint16Array.from(px, (v) => v * 257), channels: 1, depth: 16 }),
    'gray1.png': encodePng({ width: W, height: H, data: bits, channels: 1, depth: 1 }),
    'ga.png': encodePng({ width: W, height: H, data: expand(px, 2).map((v, i) => (i % 2 ? 255 : v)), channels: 2, depth: 8 }),
    'rgb.png': encodePng({ width: W, height: H, data: expand(px, 3), channels: 3, depth: 8 }),
    'rgba.png': encodePng({ width: W, height: H, data: expand(px, 4), channels: 4, depth: 8 }),
    'palette.png': encodePng({ width: W, height: H, data: px.map((v) => (v ? 1 : 0)), channels: 1, depth: 8, palette: [[0, 0, 0], [255, 255, 255]] }),
  };
  for (const [name, bytes] of Object.entries(files)) writeFileSync(at(name), bytes);
  const r = await cli(['predict', '--json', '--threads', '1', '--top', '10', ...Object.keys(files)]);
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  const clf = await createClassifier({ threads: 1 });
  const want = await clf.predict({ data: expand(px, 3), width: W, height: H });
  clf.dispose();
  for (const item of out) {
    assert.is(item.width, W);
    assert.is(item.height, H);
    assert.is(item.predictions.length, 10);
    const probs = new Array(10);
    for (const p of item.predictions) probs[p.index] = p.confidence;
    assert.equal(probs, [...want.probabilities], item.file);
    assert.is(item.predictions[0].label, want.label, item.file);
  }
  assert.is(want.label, 'Trouser');
});

test('predict: text output, JPEG with an EXIF rotation, --preprocessed, and a bad file among good ones', async () => {
  const { px, W, H } = silhouette(120, 200);
  const rgba = expand(px, 4).map((v, i) => (i % 4 === 2 ? Math.max(0, v - 40) : v)); // tinted
  writeFileSync(at('upright.jpg'), jpeg.encode({ data: rgba, width: W, height: H }, 92).data);
  // The same picture stored on its side, with EXIF orientation 6 ("rotate 90 clockwise to view").
  const side = new Uint8Array(W * H * 4);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) side.set(rgba.subarray((y * W + x) * 4, (y * W + x) * 4 + 4), ((W - 1 - x) * H + y) * 4);
  const plain = jpeg.encode({ data: side, width: H, height: W }, 92).data;
  const exif = Buffer.from([
    0xff, 0xe1, 0x00, 0x22, 0x45, 0x78, 0x69, 0x66, 0x00, 0x00, // APP1, length 34, "Exif\0\0"
    0x4d, 0x4d, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x08, // big-endian TIFF header, IFD0 at 8
    0x00, 0x01, 0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00, // orientation = 6
    0x00, 0x00, 0x00, 0x00, // no next IFD
  ]);
  writeFileSync(at('rotated.jpg'), Buffer.concat([plain.subarray(0, 2), exif, plain.subarray(2)]));
  writeFileSync(at('notes.txt'), 'hello');
  const r = await cli(['predict', 'upright.jpg', 'notes.txt', 'rotated.jpg', '--preprocessed', 'seen', '--threads', '1']);
  assert.is(r.code, 1, 'a file failed');
  oneLineError({ ...r }, 1, /notes\.txt: not a PNG or JPEG file/);
  const lines = r.stdout.trim().split('\n');
  assert.is(lines.length, 2);
  assert.match(lines[0], /^upright\.jpg\s+Trouser \d+\.\d%  \S.* \d+\.\d%  \S.* \d+\.\d%$/);
  assert.match(lines[1], /^rotated\.jpg\s+Trouser /);
  const a = decodePng(readFileSync(at('seen', 'upright.28x28.png'))).data;
  const b = decodePng(readFileSync(at('seen', 'rotated.28x28.png'))).data;
  assert.is(a.length, 784);
  let diff = 0;
  for (let i = 0; i < 784; i++) diff += Math.abs(a[i] - b[i]);
  assert.ok(diff / 784 < 8, `mean difference ${diff / 784} between the upright and the EXIF-rotated 28x28`);
});

test('train on a CSV: plain lines when piped, a model, a history, no checkpoint left; eval and report on it', async () => {
  writeCsv(at('shapes.csv'), syntheticDataset(1500, { seed: 3 }));
  writeCsv(at('shapes-test.csv'), syntheticDataset(400, { seed: 4 }), false);
  const r = await cli(['train', '--csv', 'shapes.csv', '--model', 'mlp', '--epochs', '3', '--batch-size', '32', '--validation-split', '0.1', '--threads', '1', '--out', 'out/shapes.gz']);
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stdout + r.stderr, /\x1b|\r/, 'no terminal control codes when piped');
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /^training mlp \(109,386 parameters\) on 1,350 images of CSV shapes\.csv, validating on 150: 3 epochs of 43 steps \(batch 32, adam 0\.001\)$/);
  for (let e = 1; e <= 3; e++) assert.match(lines[e], new RegExp(`^epoch ${e}/3  loss \\d\\.\\d{4}  acc [\\d.]+%  val loss \\d\\.\\d{4}  val acc [\\d.]+%  [\\d.]+ s  [\\d,]+ img/s  1 thread$`));
  assert.match(lines[4], /^trained in \d+:\d\d; saved out\/shapes\.gz \(f32\) and out\/shapes\.history\.json$/);
  assert.equal(readdirSync(at('out')).sort(), ['shapes.gz', 'shapes.history.json']);
  const history = JSON.parse(readFileSync(at('out', 'shapes.history.json'), 'utf8'));
  assert.is(history.epochs.length, 3);
  assert.is(history.trainImages, 1350);
  assert.ok(history.epochs[2].validationAccuracy > 0.9, `validation accuracy ${history.epochs[2].validationAccuracy}`);
  const clf = await createClassifier({ weights: readFileSync(at('out', 'shapes.gz')), threads: 1 });
  assert.equal([...clf.labels], [...FASHION_MNIST_LABELS]);
  clf.dispose();

  const e = await cli(['eval', 'out/shapes.gz', '--csv', 'shapes-test.csv', '--threads', '1']);
  assert.is(e.code, 0, e.stderr);
  assert.match(e.stdout, /^out\/shapes\.gz \(109,386 parameters\) on 400 test images of CSV shapes-test\.csv:/);
  assert.match(e.stdout, /precision\s+recall\s+f1-score\s+support/);
  assert.match(e.stdout, /Ankle boot/);
  assert.match(e.stdout, /confusion matrix \(rows: true class, columns: predicted class\)/);
  const j = await cli(['eval', 'out/shapes.gz', '--csv', 'shapes-test.csv', '--json']);
  const report = JSON.parse(j.stdout);
  assert.is(report.count, 400);
  assert.ok(report.accuracy > 0.9, `accuracy ${report.accuracy}`);
  assert.is(report.confusionMatrix.length, 10);

  const h = await cli(['report', 'out/shapes.gz', '--csv', 'shapes-test.csv', '--out', 'shapes.html', '--quiet']);
  assert.is(h.code, 0, h.stderr);
  assert.match(h.stdout, /^accuracy [\d.]+%; wrote shapes\.html \([\d.]+ KB, learning curves from out\/shapes\.history\.json\)\n$/);
  const html = readFileSync(at('shapes.html'), 'utf8');
  assert.match(html, /aria-label="loss"/);
  assert.match(html, /aria-label="accuracy"/);
  assert.match(html, /aria-label="confusion matrix"/);
  assert.not.match(html, /<script|<link|src="http|href="http/);
});

test('train: a JSON layer list with its own labels, --progress draws on stderr, same seed gives the same file', async () => {
  const set = syntheticDataset(600, { classes: 3, seed: 8 });
  writeCsv(at('three.csv'), set);
  writeFileSync(at('tiny.json'), JSON.stringify({
    layers: [{ type: 'conv', filters: 4, kernel: 3 }, { type: 'relu' }, { type: 'maxpool' }, { type: 'dense', units: 3 }],
    labels: ['bar', 'column', 'disc'],
  }));
  const args = ['train', '--csv', 'three.csv', '--model', 'tiny.json', '--epochs', '2', '--threads', '1', '--seed', '7'];
  const a = await cli([...args, '--out', 'a.gz', '--progress']);
  assert.is(a.code, 0, a.stderr);
  assert.match(a.stderr, /\repoch 1\/2 [█░]{24} \d+\/9  loss [\d.]+  acc [\d.]+%  [\d,]+ img\/s  ETA \d+:\d\d\x1b\[K/);
  const b = await cli([...args, '--out', 'b.gz']);
  assert.is(b.code, 0, b.stderr);
  assert.equal(readFileSync(at('a.gz')), readFileSync(at('b.gz')), 'same seed, same weights');
  const clf = await createClassifier({ weights: readFileSync(at('a.gz')), threads: 1 });
  assert.equal([...clf.labels], ['bar', 'column', 'disc']);
  clf.dispose();
});

test('train: Ctrl-C saves a checkpoint and exits 130; --resume finishes bit-identical to a run never stopped', async () => {
  writeCsv(at('more.csv'), syntheticDataset(1200, { seed: 5 }));
  const args = ['train', '--csv', 'more.csv', '--model', 'seed-cnn', '--epochs', '3', '--batch-size', '64', '--validation-split', '0.1', '--threads', '1'];
  let sent = false;
  const r = await cli([...args, '--out', 'int/model.gz'], {
    onStdout: (out, child) => {
      if (!sent && /epoch 1\/3/.test(out)) {
        sent = true;
        child.kill('SIGINT');
      }
    },
  });
  assert.ok(sent, 'epoch 1 finished');
  assert.is(r.code, 130, r.stderr);
  assert.match(r.stderr, /stopping after this step/);
  const again = `garment-wasm ${args.join(' ')} --out int/model.gz --resume int/model.checkpoint.gz`;
  assert.ok(r.stderr.trim().split('\n').pop() === `garment-wasm: interrupted: saved the last finished step to int/model.checkpoint.gz; continue with: ${again}`, r.stderr);
  assert.ok(!existsSync(at('int', 'model.gz')), 'no final model');
  const asModel = await createClassifier({ weights: readFileSync(at('int', 'model.checkpoint.gz')), threads: 1 });
  asModel.dispose();
  const resumed = await cli([...args, '--out', 'int/model.gz', '--resume', 'int/model.checkpoint.gz']);
  assert.is(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /resuming from int\/model\.checkpoint\.gz/);
  assert.ok(!existsSync(at('int', 'model.checkpoint.gz')), 'the checkpoint is removed once the model is saved');
  const whole = await cli([...args, '--out', 'whole/model.gz']);
  assert.is(whole.code, 0, whole.stderr);
  assert.equal(readFileSync(at('int', 'model.gz')), readFileSync(at('whole', 'model.gz')), 'resumed = uninterrupted');
  const history = JSON.parse(readFileSync(at('int', 'model.history.json'), 'utf8'));
  assert.equal(history.epochs.map((e) => e.epoch), [1, 2, 3]);
});

test('train: SIGKILL mid-epoch, then --resume: the same final weights as a run never stopped; both exit on their own with 2 threads', async () => {
  writeCsv(at('kill.csv'), syntheticDataset(1600, { seed: 6 }));
  // 1,440 training images in batches of 16: 90 steps in the epoch, a checkpoint every 10 steps.
  const args = ['train', '--csv', 'kill.csv', '--model', 'seed-cnn', '--epochs', '1', '--batch-size', '16', '--validation-split', '0.1', '--threads', '2', '--checkpoint-steps', '10', '--progress'];
  let killedAt;
  const killed = await cli([...args, '--out', 'kill/model.gz'], {
    onStderr: (err, child) => {
      const steps = [...err.matchAll(/epoch 1\/1 \S+ (\d+)\/90/g)];
      const step = Number(steps.at(-1)?.[1] ?? 0);
      if (killedAt === undefined && step >= 25) {
        killedAt = step;
        child.kill('SIGKILL');
      }
    },
  });
  assert.is(killed.code, 'SIGKILL', `killed: ${killed.stderr.slice(-500)}`);
  const ckpt = at('kill', 'model.checkpoint.gz');
  assert.ok(existsSync(ckpt), 'a checkpoint was written before the kill');
  assert.equal(readdirSync(at('kill')).filter((f) => f.endsWith('.tmp')), [], 'no half-written files');
  const state = decodeWeights(readFileSync(ckpt)).metadata.checkpoint;
  assert.is(state.epoch, 1, 'killed before the epoch ended');
  assert.ok(state.step > 0 && state.step < 90 && state.step % 10 === 0, `the checkpoint is mid-epoch: step ${state.step} (killed at ${killedAt})`);
  const resumed = await cli([...args, '--out', 'kill/model.gz', '--resume', 'kill/model.checkpoint.gz'], { timeout: 60_000 });
  assert.is(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /resuming from kill\/model\.checkpoint\.gz/);
  const whole = await cli([...args, '--out', 'kill-whole/model.gz'], { timeout: 60_000 });
  assert.is(whole.code, 0, whole.stderr);
  const a = readFileSync(at('kill', 'model.gz'));
  const b = readFileSync(at('kill-whole', 'model.gz'));
  const sha = (x) => createHash('sha256').update(x).digest('hex').slice(0, 16);
  console.log(`  SIGKILL at epoch 1 step ${killedAt}, resumed from step ${state.step}: sha256 ${sha(a)}, uninterrupted ${sha(b)}`);
  assert.ok(a.equals(b), 'resumed = uninterrupted, bit for bit');
});

/** Serves files from memory on 127.0.0.1 (a download mirror). */
async function mirror(files) {
  const server = createServer((req, res) => {
    const body = files[req.url.slice(1)];
    if (!body) return res.writeHead(404).end();
    res.writeHead(200, { 'Content-Length': body.length }).end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

test('download: a mirror with the wrong content fails with one line and leaves no file', async () => {
  const junk = Buffer.from('not fashion');
  const { server, url } = await mirror({ 'train-images-idx3-ubyte.gz': junk, 'train-labels-idx1-ubyte.gz': junk, 't10k-images-idx3-ubyte.gz': junk, 't10k-labels-idx1-ubyte.gz': junk });
  const r = await cli(['download', '--dir', 'dl-bad', '--mirror', url]);
  server.close();
  oneLineError(r, 1, /no mirror served the expected content: http:\/\/127\.0\.0\.1:\d+\/.*\[E_CHECKSUM\]$/);
  assert.ok(!existsSync(at('dl-bad')) || readdirSync(at('dl-bad')).length === 0);
});

real('download from a local mirror of the real files into the cache: checksums, then already there, then eval reads it', async () => {
  const names = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
  const files = Object.fromEntries(names.filter((n) => existsSync(join(dataDir, n))).map((n) => [n, readFileSync(join(dataDir, n))]));
  if (Object.keys(files).length < 4) return console.log('  (download test skipped: the data folder holds uncompressed files)');
  const { server, url } = await mirror(files);
  const env = { XDG_CACHE_HOME: at('xdg') };
  const cache = at('xdg', 'garment-wasm', 'fashion-mnist');
  const none = await cli(['eval', '--limit', '500', '--threads', '1'], { env });
  oneLineError(none, 1, /Fashion-MNIST not found/);
  const r = await cli(['download', '--mirror', url], { env });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, '', 'quiet when piped');
  assert.is(r.stdout, `downloaded 4 files into ${cache}: 60,000 training and 10,000 test images, SHA-256 verified\n`);
  assert.equal(readdirSync(cache).sort(), [...names].sort());
  const again = await cli(['download', '--dir', cache, '--mirror', url, '--progress']);
  server.close();
  assert.is(again.code, 0, again.stderr);
  assert.match(again.stdout, /^Fashion-MNIST was already in /);
  const e = await cli(['eval', '--limit', '500', '--threads', '1'], { env });
  assert.is(e.code, 0, e.stderr);
  assert.match(e.stdout, /on 500 test images of Fashion-MNIST/);
});

real('eval and report on Fashion-MNIST with the bundled model', async () => {
  const env = { GARMENT_DATA: dataDir };
  const e = await cli(['eval', '--limit', '1000'], { env });
  assert.is(e.code, 0, e.stderr);
  assert.match(e.stdout, /^the bundled model \(\d[\d,]* parameters\) on 1,000 test images of Fashion-MNIST:/);
  assert.match(e.stdout, /confusion matrix/);
  const acc = Number(/accuracy ([\d.]+)%/.exec(e.stdout)[1]);
  assert.ok(acc > 85, `accuracy ${acc}%`);
  const r = await cli(['report', '--limit', '500', '--out', 'fm.html', '--samples', '30'], { env });
  assert.is(r.code, 0, r.stderr);
  const html = readFileSync(at('fm.html'), 'utf8');
  assert.match(html, /No training history was given/);
  assert.is((html.match(/class="card/g) ?? []).length, 30 + 20);
  assert.match(html, /training set: 60,000 images, exactly 6,000 per class/);
});

let t0 = performance.now();
test.after.each(() => {
  if (process.env.GARMENT_TEST_TIMES) console.log(`  ${Math.round(performance.now() - t0)} ms`);
  t0 = performance.now();
});
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test.run();
