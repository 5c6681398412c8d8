// garment-wasm against TensorFlow.js and onnxruntime, in one run, side by side.
//
//   npm run bench                      everything (about 5-10 minutes)
//   npm run bench -- --quick           a couple of cells, seconds (CI)
//   npm run bench -- --only infer/cnn  only the measurements whose id contains this (repeatable)
//
// Prints markdown tables and writes bench/results/bench-<time>.json. See bench/README.md.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Host } from './lib/hosts.mjs';
import { SLOW, measureGroup } from './lib/measure.mjs';
import { loadOnnxExporter } from './lib/onnx-entry.mjs';
import { formatReport } from './lib/report.mjs';
import { hasRelaxedSimd } from './lib/simd-peak.mjs';
import { findDataDir } from '../scripts/data-dir.mjs';
import { median } from './lib/stats.mjs';

const root = new URL('../', import.meta.url);
const here = (p) => fileURLToPath(new URL(p, import.meta.url));

// ---- options ----------------------------------------------------------------------------------

function parseArgs(argv) {
  const o = { quick: false, only: [], contenders: [], rounds: undefined, roundSeconds: undefined, report: undefined, stepTimeout: 150, generated: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--only') o.only.push(...String(argv[++i] ?? '').split(',').filter(Boolean));
    else if (a.startsWith('--only=')) o.only.push(...a.slice(7).split(',').filter(Boolean));
    else if (a === '--contenders') o.contenders.push(...String(argv[++i] ?? '').split(',').filter(Boolean));
    else if (a === '--rounds') o.rounds = Number(argv[++i]);
    else if (a === '--round-seconds') o.roundSeconds = Number(argv[++i]);
    else if (a === '--report') o.report = argv[++i];
    else if (a === '--step-timeout') o.stepTimeout = Number(argv[++i]);
    else if (a === '--generated') o.generated = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(readFileSync(here('./README.md'), 'utf8'));
      process.exit(0);
    } else throw new Error(`unknown option ${a} (see bench/README.md)`);
  }
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const ROUNDS = opts.rounds ?? (opts.quick ? 3 : 6);
const ROUND_SECONDS = opts.roundSeconds ?? (opts.quick ? 0.1 : 0.3);
const wanted = (id) => opts.only.length === 0 || opts.only.some((s) => id.includes(s));
const log = (m) => process.stderr.write(`${m}\n`);

/** Every contender: one process each (bench/lib/host.mjs). `peer` groups them into table columns. */
const CONTENDERS = [
  { id: 'garment-1', kind: 'garment', threads: 1, peer: 'garment-wasm', modes: ['train', 'infer'] },
  { id: 'garment-2', kind: 'garment', threads: 2, peer: 'garment-wasm', modes: ['train', 'infer'] },
  // precision: 'fast' (relaxed-SIMD FMA); Node 20 validates relaxed SIMD only behind a flag.
  { id: 'garment-fast-1', kind: 'garment', threads: 1, precision: 'fast', peer: "garment 'fast'", modes: ['train', 'infer'] },
  { id: 'garment-fast-2', kind: 'garment', threads: 2, precision: 'fast', peer: "garment 'fast'", modes: ['train', 'infer'] },
  { id: 'tfjs-cpu', kind: 'tfjs-cpu', threads: 1, peer: 'TF.js cpu', modes: ['train', 'infer'] },
  { id: 'tfjs-wasm', kind: 'tfjs-wasm', threads: 1, peer: 'TF.js wasm', modes: ['train', 'infer'] },
  { id: 'ort-web-1', kind: 'ort-web', threads: 1, peer: 'ort-web', modes: ['infer'] },
  { id: 'ort-web-2', kind: 'ort-web', threads: 2, peer: 'ort-web', modes: ['infer'] },
  { id: 'ort-node-1', kind: 'ort-node', threads: 1, peer: 'ort-node', modes: ['infer'] },
  { id: 'ort-node-2', kind: 'ort-node', threads: 2, peer: 'ort-node', modes: ['infer'] },
  // Native PyTorch, where a python3 imports torch (Debian: apt-get install python3-torch
  // libopenblas0-openmp): training at the batches the issue quotes it for; channels-last where
  // there are convolutions worth the layout.
  { id: 'torch-1', kind: 'torch', threads: 1, peer: 'PyTorch', modes: ['train'], batches: [64, 256] },
  { id: 'torch-2', kind: 'torch', threads: 2, peer: 'PyTorch', modes: ['train'], batches: [64, 256] },
  { id: 'torch-cl-1', kind: 'torch-cl', threads: 1, peer: 'PyTorch channels-last', modes: ['train'], batches: [64, 256], presets: ['cnn', 'default'] },
  { id: 'torch-cl-2', kind: 'torch-cl', threads: 2, peer: 'PyTorch channels-last', modes: ['train'], batches: [64, 256], presets: ['cnn', 'default'] },
];
// --report: print the tables of a saved run again, without measuring anything.
if (opts.report) {
  process.stdout.write(formatReport(JSON.parse(readFileSync(opts.report, 'utf8')), CONTENDERS));
  process.exit(0);
}

if (!existsSync(new URL('dist/node/index.js', root)) || !existsSync(new URL('dist/node/internal.js', root))) {
  throw new Error('dist/ is missing: run `npm run build` first (npm run bench does)');
}
// One build for the whole run, in a private copy (see lib/dist.mjs); every child inherits the variable.
const snapshot = fileURLToPath(new URL(`.tmp/bench-dist-${process.pid}/`, root));
cpSync(fileURLToPath(new URL('dist/', root)), snapshot, { recursive: true });
process.env.GARMENT_BENCH_DIST = snapshot;
process.on('exit', () => rmSync(snapshot, { recursive: true, force: true }));
const { importGarment, importInternal } = await import('./lib/dist.mjs');

const { createClassifier, loadFashionMNIST, PRESET_NAMES } = await importGarment();
const { weightsToONNX } = await loadOnnxExporter();
const { syntheticDataset } = await import('../test/helpers/synthetic.mjs');

// ---- what runs ------------------------------------------------------------------------------

const BATCHES = [1, 64, 256];
const hasDefault = PRESET_NAMES.includes('default');
const PRESETS = ['mlp', 'seed-cnn', 'cnn', ...(hasDefault ? ['default'] : [])];

/** Measurement groups: one (mode, preset, batch) each, all its contenders interleaved. */
function plan() {
  const groups = [];
  const add = (mode, preset, batch, ids, extra = {}) => {
    const id = `${extra.scaling ? 'scaling/' : ''}${mode}/${preset}/b${batch}`;
    // --contenders keeps only those (the machine's scaling pair counts as machine-1, machine-2).
    if (opts.contenders.length) ids = ids.filter((c) => opts.contenders.includes(c));
    if (wanted(id) && ids.length) groups.push({ id, mode, preset, batch, ids, ...extra });
  };
  if (opts.quick) {
    add('infer', 'seed-cnn', 64, ['garment-1', 'ort-node-1']);
    add('train', 'mlp', 64, ['garment-1', 'tfjs-cpu']);
    return groups;
  }
  const machine = ['machine-1', 'machine-2'];
  for (const mode of ['infer', 'train']) {
    for (const preset of PRESETS) {
      for (const batch of BATCHES) {
        const ids = CONTENDERS.filter((c) => c.modes.includes(mode) && (c.batches ?? [batch]).includes(batch) && (c.presets ?? [preset]).includes(preset))
          .map((c) => c.id);
        // The thread-scaling workloads also time the machine's own 2-process scaling, in the same rounds.
        const scaling = mode === 'train' && ((preset === 'cnn' && batch === 256) || (preset === 'seed-cnn' && batch === 64));
        add(mode, preset, batch, scaling ? [...ids, ...machine] : ids);
      }
    }
  }
  for (const preset of ['seed-cnn', 'cnn']) add('infer', preset, 1024, ['garment-1', 'garment-2', ...machine], { scaling: true });
  return groups;
}

// ---- the machine --------------------------------------------------------------------------------

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, memoryGB: os.totalmem() / 2 ** 30,
    node: process.version, v8: process.versions.v8, platform: `${process.platform} ${process.arch}`,
    loadavg: os.loadavg(),
  };
}

/** Runs `node args` and parses the last line of stdout as JSON; also times the whole process. */
function nodeJson(args, { env } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, {
      cwd: fileURLToPath(root), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '', err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      const wallMs = performance.now() - t0;
      if (code !== 0) return reject(new Error(`node ${args.join(' ')} exited ${code}: ${err.trim().slice(-2000)}`));
      const line = out.trim().split('\n').pop();
      try {
        resolve({ ...(line ? JSON.parse(line) : {}), wallMs });
      } catch {
        reject(new Error(`node ${args.join(' ')}: no JSON in output: ${out.slice(-500)}`));
      }
    });
  });
}

// ---- models: the same weights for everyone -----------------------------------------------------

const models = {};
async function modelFor(preset) {
  if (!models[preset]) {
    const clf = await createClassifier({ model: preset, seed: 1, threads: 1 });
    const weights = await clf.save();
    clf.dispose();
    let onnx, onnxError;
    try {
      onnx = weightsToONNX(weights);
    } catch (e) {
      onnxError = e.message;
    }
    models[preset] = { weights, onnx, onnxError };
  }
  return models[preset];
}

// ---- phases -------------------------------------------------------------------------------------

async function kernelPhase() {
  const out = {};
  const wasm = `${snapshot}web/garment-simd.wasm`;
  const rounds = opts.quick ? 1 : 7;
  const seconds = opts.quick ? 0.02 : 0.04;
  log('kernels: GFLOP/s against the wasm SIMD peak (mul+add), one thread');
  out.exact = await nodeJson([here('./lib/kernels.mjs'), JSON.stringify({ wasm, peak: 'mul+add', rounds, seconds })]);
  // Relaxed SIMD: Node 20 validates it only behind a flag, so that part runs in its own process.
  const flag = hasRelaxedSimd() ? [] : ['--experimental-wasm-relaxed-simd'];
  const asconfig = JSON.parse(readFileSync(new URL('asconfig.json', root), 'utf8'));
  const relaxedTarget = Object.values(asconfig.targets)
    .find((t) => (t.enable ?? []).includes('relaxed-simd') && !t.sharedMemory);
  const relaxedFile = relaxedTarget && `${snapshot}web/${relaxedTarget.outFile.split('/').pop()}`;
  try {
    if (relaxedFile && existsSync(relaxedFile) && !opts.quick) {
      log(`kernels: ${relaxedFile} against the FMA (relaxed_madd) peak`);
      const args = JSON.stringify({ wasm: relaxedFile, peak: 'fma', rounds, seconds });
      out.fast = await nodeJson([...flag, here('./lib/kernels.mjs'), args]);
    } else {
      if (relaxedFile && !opts.quick) {
        out.relaxedNote = `asconfig.json has a relaxed-SIMD target but ${relaxedFile} is not built`;
      }
      const code = `import('${new URL('./lib/simd-peak.mjs', import.meta.url).href}').then(({ bestPeak }) => {
        const m = bestPeak('mul+add'), f = bestPeak('fma');
        const best = (p) => Math.max(...Object.values(p.byChains));
        console.log(JSON.stringify({ mulAdd: best(m), fma: best(f), fmaChains: f.runner.chains, byChains: f.byChains }));
      })`;
      out.fmaPeak = await nodeJson([...flag, '--input-type=module', '-e', code]);
    }
  } catch (e) {
    out.relaxedError = e.message.split('\n').find((l) => /Error|error/.test(l))?.slice(0, 300) ?? e.message.slice(0, 300);
  }
  return out;
}

async function coldPhase(dir) {
  const kinds = opts.quick ? ['bare', 'garment'] : ['bare', 'garment', 'ort-node', 'ort-web', 'tfjs-wasm'];
  const runs = opts.quick ? 1 : 5;
  const samples = Object.fromEntries(kinds.map((k) => [k, []]));
  log(`cold start: ${kinds.join(', ')} x ${runs}, interleaved`);
  for (let r = 0; r < runs; r++) {
    for (let i = 0; i < kinds.length; i++) {
      const kind = kinds[(i + r) % kinds.length];
      const res = kind === 'bare' ? await nodeJson(['-e', '0']) : await nodeJson([here('./lib/cold.mjs'), kind, dir]);
      samples[kind].push(res);
    }
  }
  const out = {};
  for (const k of kinds) {
    const s = samples[k];
    out[k] = {
      wallMs: median(s.map((x) => x.wallMs)),
      importToFirstPredictionMs: k === 'bare' ? undefined : median(s.map((x) => x.importToFirstPrediction)),
      sinceProcessStartMs: k === 'bare' ? undefined : median(s.map((x) => x.sinceProcessStart)),
      runs: s.length,
    };
  }
  return out;
}

async function memoryPhase() {
  const out = [];
  for (const threads of [1, 2]) {
    log(`memory: training cnn at batch 256, ${threads} thread(s)`);
    out.push(await nodeJson([here('./lib/memory.mjs'), 'cnn', '256', String(threads), '3']));
  }
  return out;
}

/** Writes the bundled model as the peers load it, for the cold-start processes. */
async function coldArtifacts() {
  const dir = fileURLToPath(new URL(`.tmp/bench-${process.pid}/`, root));
  mkdirSync(dir, { recursive: true });
  const clf = await createClassifier({ threads: 1 });
  const weights = await clf.save();
  clf.dispose();
  writeFileSync(`${dir}default.onnx`, weightsToONNX(weights));
  const { decodeWeights } = await importInternal();
  const file = decodeWeights(weights);
  let offset = 0;
  const tensors = file.tensors.map((t) => {
    const e = { name: t.name, shape: t.shape, offset, size: t.data.length };
    offset += t.data.length;
    return e;
  });
  const data = new Float32Array(offset);
  file.tensors.forEach((t, i) => data.set(t.data, tensors[i].offset));
  writeFileSync(`${dir}default.tfjs.json`, JSON.stringify({ model: file.model, labels: file.labels, input: file.input, tensors }));
  writeFileSync(`${dir}default.tfjs.bin`, new Uint8Array(data.buffer));
  return { dir, layers: file.model.layers };
}

// ---- the main table -----------------------------------------------------------------------------

const hosts = new Map();
const hostErrors = new Map();
// Inputs: Fashion-MNIST's first 2048 test images where the data is found, generated ones otherwise
// or with --generated. Images matter to one path: batch-1 dense layers skip the weight rows of zero
// inputs, and the generated images' blank backgrounds give more zeros than real ones
// (`node bench/dense-zeros.mjs`: mlp's first layer 81% against 50%).
const dataDir = opts.generated ? undefined : findDataDir();
const pool = dataDir ? firstImages((await loadFashionMNIST({ dir: dataDir })).test, 2048) : syntheticDataset(2048, { seed: 5 });
const poolName = dataDir ? 'Fashion-MNIST test images' : `generated images (${opts.generated ? '--generated' : 'no Fashion-MNIST found'})`;
function firstImages(set, n) {
  return { images: set.images.slice(0, n * 784), labels: set.labels.slice(0, n), count: n };
}

async function hostFor(id) {
  if (hosts.has(id) && hosts.get(id).alive) return hosts.get(id);
  if (hostErrors.has(id)) throw hostErrors.get(id);
  const c = CONTENDERS.find((x) => x.id === id);
  try {
    const execArgv = c.precision === 'fast' && !hasRelaxedSimd() ? ['--experimental-wasm-relaxed-simd'] : [];
    const h = await new Host(c.kind, c.threads, id, { precision: c.precision, execArgv }).start(pool);
    hosts.set(id, h);
    return h;
  } catch (e) {
    hostErrors.set(id, e);
    throw e;
  }
}

/** The machine's 2-process scaling as two pseudo-contenders of a group (bench/lib/busy.mjs). */
const BUSY_ITERATIONS = 250_000;
let busy;
async function busyProcs() {
  if (busy) return busy;
  const { fork } = await import('node:child_process');
  busy = await Promise.all([0, 1].map(() => new Promise((resolve, reject) => {
    const child = fork(here('./lib/busy.mjs'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.once('message', () => resolve(child));
    child.once('error', reject);
  })));
  return busy;
}
const busyRun = (child, iterations) => new Promise((resolve) => {
  child.once('message', (m) => resolve(m.seconds));
  child.send({ id: 1, iterations });
});
function machineContender(id) {
  return {
    name: id, unitsPerStep: 1,
    async run(steps) {
      const [a, b] = await busyProcs();
      if (id === 'machine-1') return busyRun(a, steps * BUSY_ITERATIONS);
      const [ta, tb] = await Promise.all([busyRun(a, steps * BUSY_ITERATIONS), busyRun(b, steps * BUSY_ITERATIONS)]);
      return steps / (steps / ta + steps / tb); // so that steps / seconds = the two rates summed
    },
  };
}

/** A contender still busy after this long (no smaller batch predicted it) is stopped. */
const STEP_TIMEOUT_MS = opts.stepTimeout * 1000;
const lastRate = new Map(); // `${contender} ${mode} ${preset}` -> images/s at the last batch

async function runGroup(g) {
  log(`${g.id}: ${g.ids.join(', ')}`);
  const { weights, onnx, onnxError } = await modelFor(g.preset);
  const cells = {};
  const live = [];
  for (const id of g.ids) {
    if (id.startsWith('machine')) {
      live.push(machineContender(id));
      continue;
    }
    try {
      const h = await hostFor(id);
      if (h.kind.startsWith('ort') && !onnx) {
        cells[id] = { method: 'error', note: `ONNX export failed: ${onnxError}` };
        continue;
      }
      const r = await h.call('setup', { mode: g.mode, preset: g.preset, batch: g.batch, weights, onnx });
      if (r.unsupported) {
        cells[id] = { method: 'unsupported', note: r.unsupported };
        log(`  ${id}: unsupported (${r.unsupported})`);
        continue;
      }
      const key = `${id} ${g.mode} ${g.preset}`;
      const prev = lastRate.get(key);
      live.push({
        name: id, unitsPerStep: g.batch, predictedStep: prev ? g.batch / prev : undefined,
        run: (steps) => h.call('run', { steps }, STEP_TIMEOUT_MS),
      });
    } catch (e) {
      cells[id] = { method: 'error', note: e.message.split('\n')[0] };
      log(`  ${id}: error: ${cells[id].note}`);
    }
  }
  // Same model, same answers: probabilities on the first images, against garment-wasm's.
  let parity;
  if (g.mode === 'infer' && g.batch === 64 && !g.scaling) {
    parity = {};
    const count = Math.min(g.batch, 64);
    const ref = live.some((l) => l.name === 'garment-1') ? await hosts.get('garment-1').call('probabilities', { count }) : undefined;
    for (const l of live) {
      if (!ref || !hosts.has(l.name) || l.name === 'garment-1') continue;
      const p = await hosts.get(l.name).call('probabilities', { count });
      let d = 0;
      for (let i = 0; i < p.length; i++) d = Math.max(d, Math.abs(p[i] - ref[i]));
      parity[l.name] = d;
    }
  }
  const measured = await measureGroup(live, { rounds: ROUNDS, roundSeconds: ROUND_SECONDS, log });
  for (const [id, m] of Object.entries(measured)) {
    cells[id] = m;
    if (id.startsWith('machine') || !(m.rate > 0)) continue;
    lastRate.set(`${id} ${g.mode} ${g.preset}`, m.rate);
    const rate = m.rate >= 100 ? Math.round(m.rate) : m.rate.toFixed(1);
    const spread = m.spread !== undefined ? `, spread ${(m.spread * 100).toFixed(0)}%` : '';
    log(`  ${id}: ${rate} images/s (${m.method}${spread})`);
  }
  for (const id of g.ids) if (hosts.get(id)?.alive) await hosts.get(id).call('teardown').catch(() => {});
  return { ...g, cells, parity };
}

// ---- run ------------------------------------------------------------------------------------------

const started = new Date();
const t0 = performance.now();
const result = {
  started: started.toISOString(), quick: opts.quick, only: opts.only, rounds: ROUNDS, roundSeconds: ROUND_SECONDS,
  slowPolicy: SLOW, machine: machine(), presets: PRESETS, inputs: poolName,
  skipped: hasDefault ? [] : ["preset 'default': createClassifier({ model: 'default' }) does not exist yet"],
};
const loads = [os.loadavg()[0]];
const loadTimer = setInterval(() => loads.push(os.loadavg()[0]), 5000);

try {
  if (wanted('kernels')) result.kernels = await kernelPhase();
  if (wanted('cold-start')) {
    const art = await coldArtifacts();
    try {
      result.coldStart = await coldPhase(art.dir);
    } finally {
      rmSync(art.dir, { recursive: true, force: true });
    }
    result.coldStart.model = 'the bundled model (garment-wasm), its ONNX export (onnxruntime), its layers and weights (TF.js)';
  }
  if (wanted('memory') && !opts.quick) result.memory = await memoryPhase();
  result.groups = [];
  for (const g of plan()) result.groups.push(await runGroup(g));
  result.versions = {};
  for (const h of hosts.values()) Object.assign(result.versions, h.versions);
} finally {
  clearInterval(loadTimer);
  for (const h of hosts.values()) await h.stop();
  for (const c of busy ?? []) c.kill();
}
result.seconds = (performance.now() - t0) / 1000;
result.machine.loadavgEnd = os.loadavg();
result.machine.load1Samples = loads;

const text = formatReport(result, CONTENDERS);
process.stdout.write(text);
const dir = fileURLToPath(new URL('bench/results/', root));
mkdirSync(dir, { recursive: true });
const stamp = started.toISOString().replace(/[:.]/g, '-');
const file = `${dir}bench-${opts.quick ? 'quick-' : ''}${stamp}.json`;
writeFileSync(file, `${JSON.stringify({ ...result, markdown: text }, null, 1)}\n`);
log(`\nwrote ${file} (${result.seconds.toFixed(0)} s)`);
