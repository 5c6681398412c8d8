// The markdown report of one bench run (bench/run.mjs writes the same data as JSON).
import { ratio } from './measure.mjs';
import { PYTORCH_TRAINING, TARGETS } from './reference.mjs';

const num = (x) => {
  if (!Number.isFinite(x)) return '?';
  if (x >= 100) return Math.round(x).toLocaleString('en-US');
  if (x >= 10) return x.toFixed(1);
  return x.toPrecision(2);
};
const times = (r) => (r ? `${r.estimated ? '~' : ''}${r.value >= 10 ? Math.round(r.value).toLocaleString('en-US') : r.value.toFixed(2)}×` : '');
const pct = (x) => `${(x * 100).toFixed(0)}%`;
const table = (head, rows) => [
  `| ${head.join(' | ')} |`,
  `| ${head.map((h, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');

export function formatReport(res, contenders) {
  const out = [];
  const notes = new Map(); // footnote text -> mark
  const note = (text) => {
    if (!notes.has(text)) notes.set(text, `[${notes.size + 1}]`);
    return notes.get(text);
  };
  const cellText = (m) => {
    if (!m) return '—';
    if (m.method === 'n/a') return `— ${note('TF.js runs on one thread in Node: the cpu backend is plain JavaScript, the wasm backend has no threads there')}`;
    if (m.method === 'unsupported') return `unsupported ${note(m.note)}`;
    if (m.method === 'error') return `error ${note(m.note)}`;
    if (m.method === 'estimated') return `~${num(m.rate)} ${note('not run: one step would take over 90 s; estimated from the rate at the previous, smaller batch')}`;
    if (m.method === 'fixed-steps') return `${num(m.rate)} ${note('too slow for rounds (a step takes over 1.5 s): timed over a fixed 1 step')}`;
    return num(m.rate);
  };
  const groups = (res.groups ?? []).filter((g) => !g.scaling);

  const m = res.machine;
  const loads = m.load1Samples ?? [];
  out.push(`# garment-wasm benchmark${res.quick ? ' (quick)' : ''}`, '');
  out.push(`${res.started} · ${m.cpu}, ${m.cores} cores, ${m.memoryGB.toFixed(0)} GB · Node ${m.node} (V8 ${m.v8}) · ${res.seconds.toFixed(0)} s`);
  out.push(`Load average (1 min): ${m.loadavg[0].toFixed(2)} at the start, ${Math.max(...loads, 0).toFixed(2)} at most during the run, ${m.loadavgEnd[0].toFixed(2)} at the end (the bench itself adds about 1). ${m.loadavg[0] > 0.5 ? '**The machine was busy with other work when the run started: absolute figures are low and noisy; the side-by-side ratios are what count.**' : ''}`);
  if (res.versions) out.push(`Versions: ${Object.entries(res.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  out.push(`Method: each row's contenders run in turn, ${res.rounds} rounds of ~${res.roundSeconds} s each (rotating the order); figures are medians over rounds, ratios medians of per-round ratios. Every contender runs in its own process with the same weights (garment-wasm's, copied into TF.js layers; exported to ONNX for onnxruntime). Inputs are synthetic images. onnxruntime and TF.js get their inputs as ready-made float tensors; garment-wasm is called through its public API with bytes.`);
  for (const s of res.skipped ?? []) out.push(`Skipped: ${s}.`);
  out.push('');

  for (const mode of ['train', 'infer']) {
    const rows = groups.filter((g) => g.mode === mode);
    if (!rows.length) continue;
    const peers = mode === 'train' ? ['TF.js cpu', 'TF.js wasm'] : ['TF.js cpu', 'TF.js wasm', 'ort-web', 'ort-node'];
    out.push(mode === 'train' ? '## Training, images/s' : '## Inference, images/s', '');
    const body = [];
    for (const g of rows) {
      for (const threads of [1, 2]) {
        const mine = g.cells[`garment-${threads}`];
        if (!mine && threads === 2) continue;
        const peerCells = peers.map((p) => {
          const c = contenders.find((x) => x.peer === p && x.threads === threads);
          return c ? g.cells[c.id] : { method: 'n/a' };
        });
        body.push([
          g.preset, g.batch, threads, cellText(mine),
          ...peerCells.map(cellText),
          ...peerCells.map((c) => (c && c.method !== 'n/a' ? times(ratio(mine, c)) : '')),
        ]);
      }
    }
    out.push(table(['preset', 'batch', 'threads', 'garment-wasm', ...peers, ...peers.map((p) => `garment ÷ ${p}`)], body), '');
  }

  // Parity: the same model gives the same probabilities everywhere.
  const parity = groups.filter((g) => g.parity && Object.keys(g.parity).length);
  if (parity.length) {
    const worst = Math.max(...parity.flatMap((g) => Object.values(g.parity)));
    out.push(`Same model everywhere: the largest probability difference from garment-wasm over the first 64 images of every preset is ${worst.toExponential(1)}${worst > 1e-4 ? ' — **too large: a peer is not running the same model**' : ''}.`, '');
  }

  // Batch-1 latency.
  const lat = groups.filter((g) => g.mode === 'infer' && g.batch === 1);
  if (lat.length) {
    out.push('## Batch-1 latency, µs per image (1 thread; lower is better)', '');
    const us = (c) => (c && c.rate > 0 ? `${num(1e6 / c.rate)}${c.method === 'rounds' ? '' : '*'}` : '—');
    out.push(table(['preset', 'garment-wasm', 'ort-node', 'ort-web', 'TF.js wasm', 'TF.js cpu', 'garment ÷ ort-node', 'garment ÷ ort-web'],
      lat.map((g) => {
        const mine = g.cells['garment-1'];
        const inv = (peer) => {
          const r = ratio(g.cells[peer], mine); // latency ratio = peer rate / garment rate
          return r ? `${r.value.toFixed(2)}×` : '';
        };
        return [g.preset, us(mine), us(g.cells['ort-node-1']), us(g.cells['ort-web-1']), us(g.cells['tfjs-wasm']), us(g.cells['tfjs-cpu']), inv('ort-node-1'), inv('ort-web-1')];
      })), '');
  }

  // Thread scaling beside the machine's own.
  const scalingRows = [];
  for (const g of res.groups ?? []) {
    if (!g.cells['machine-1']) continue;
    const one = g.cells['garment-1'], two = g.cells['garment-2'];
    const mine = ratio(two, one), machine = ratio(g.cells['machine-2'], g.cells['machine-1']);
    scalingRows.push([`${g.mode === 'train' ? 'training' : 'inference'} ${g.preset}, batch ${g.batch}`, cellText(one), cellText(two), mine ? `${mine.value.toFixed(2)}×` : '?', machine ? `${machine.value.toFixed(2)}×` : '?']);
  }
  if (scalingRows.length) {
    out.push('## Thread scaling, 2 threads ÷ 1, beside the machine\'s own', '');
    out.push('The machine column: two processes running the same register-only SIMD loop at once, against one, timed in the same rounds as the row (2.00× means two whole free cores).', '');
    out.push(table(['workload', 'garment-wasm 1 thread (images/s)', '2 threads', 'garment 2t ÷ 1t', 'machine: 2 processes ÷ 1'], scalingRows), '');
  }

  // Kernels against the SIMD peak.
  const k = res.kernels;
  if (k?.exact) {
    out.push('## Kernels against the wasm SIMD peak (one thread)', '');
    const e = k.exact;
    const fma = k.fast?.peak ?? (k.fmaPeak ? { gflops: k.fmaPeak.fma, chains: k.fmaPeak.fmaChains } : undefined);
    out.push(`Peak, register-only f32x4 loop: **${e.peak.gflops.toFixed(1)} GFLOP/s** with separate mul+add (${e.peak.chains} independent chains; the build's 'exact' arithmetic)` +
      (fma ? `, **${fma.gflops.toFixed(1)} GFLOP/s** with relaxed_madd (FMA, ${fma.chains} chains${k.fast ? '' : '; for reference: no relaxed build exists yet'})` : k.relaxedError ? ` (relaxed SIMD not measured: ${k.relaxedError})` : '') + '.', '');
    const rows = e.kernels.map((x) => {
      const target = x.kind === 'gemm' ? TARGETS.gemmFraction : TARGETS.convFraction;
      return [x.name, num(x.mflop), x.gflops.toFixed(1), pct(x.fraction), `${pct(target)} ${x.fraction >= target ? '✓' : '✗'}`];
    });
    out.push(table(['kernel (batch 64)', 'MFLOP per call', 'GFLOP/s', 'of mul+add peak', 'target'], rows), '');
    if (k.fast) {
      out.push(table(['kernel (relaxed build)', 'GFLOP/s', 'of FMA peak'], k.fast.kernels.map((x) => [x.name, x.gflops.toFixed(1), pct(x.fraction)])), '');
    }
    out.push('Conv FLOPs are direct-convolution FLOPs (2·N·H·W·F·K²·C per pass), whatever algorithm runs.', '');
  }

  // Cold start.
  const cs = res.coldStart;
  if (cs?.bare) {
    out.push('## Cold start: a fresh process, import to the first prediction (median of ' + `${cs.bare.runs})`, '');
    const names = { garment: 'garment-wasm (bundled model)', 'ort-node': 'onnxruntime-node', 'ort-web': 'onnxruntime-web', 'tfjs-wasm': 'TF.js wasm' };
    const rows = Object.entries(names).filter(([kk]) => cs[kk]).map(([kk, label]) => [
      label, num(cs[kk].importToFirstPredictionMs), num(cs[kk].wallMs), num(cs[kk].wallMs - cs.bare.wallMs),
    ]);
    rows.push(['bare `node -e 0`', '', num(cs.bare.wallMs), '0']);
    out.push(table(['', 'import → first prediction, in process (ms)', 'whole process (ms)', 'whole process − bare node (ms)'], rows), '');
  }

  // Memory.
  if (res.memory?.length) {
    out.push('## Peak memory, training `cnn` at batch 256', '');
    out.push(table(['threads', 'peak RSS (MB)', 'RSS after import (MB)', 'target'], res.memory.map((x) => [
      x.threads, x.peakRssMB.toFixed(0), x.rssAfterImportMB.toFixed(0), `≤ ${TARGETS.trainingRssMB} ${x.peakRssMB <= TARGETS.trainingRssMB ? '✓' : '✗'}`,
    ])), '');
  }

  // PyTorch: reference only.
  const train64 = groups.filter((g) => g.mode === 'train' && g.batch === 64 && PYTORCH_TRAINING.some((p) => p.preset === g.preset));
  if (train64.length) {
    out.push('## Native PyTorch: reference figures (not measured here)', '');
    out.push('Quoted from issue 6 (PyTorch 1.13, oneDNN, training at batch 64, measured earlier on a quiet machine of this kind). PyTorch cannot run here, so the ratio compares a figure from this run with one from another time: indicative only.', '');
    const rows = PYTORCH_TRAINING.filter((p) => train64.some((g) => g.preset === p.preset)).map((p) => {
      const g = train64.find((x) => x.preset === p.preset);
      const mine = g.cells[`garment-${p.threads}`];
      return [p.preset, p.threads, p.layout, `${p.imagesPerSecond.toLocaleString('en-US')} (reference, not measured here)`, cellText(mine), mine?.rate ? `${(mine.rate / p.imagesPerSecond).toFixed(2)}× (indicative)` : ''];
    });
    out.push(table(['preset', 'threads', 'PyTorch layout', 'PyTorch images/s', 'garment-wasm images/s (this run)', 'garment ÷ PyTorch'], rows), '');
  }

  const checks = targetChecks(res, groups);
  if (checks.length) {
    out.push('## Issue 6 targets', '');
    out.push(table(['target', 'this run', ''], checks.map((c) => [c.target, c.value, c.ok === undefined ? '' : c.ok ? '✓' : '✗'])), '');
  }

  if (notes.size) {
    out.push('Notes:', '');
    for (const [text, mark] of notes) out.push(`${mark} ${text}`);
    out.push('');
  }
  return `${out.join('\n')}\n`;
}

function targetChecks(res, groups) {
  const checks = [];
  const cell = (mode, preset, batch, id) => groups.find((g) => g.mode === mode && g.preset === preset && g.batch === batch)?.cells[id];
  for (const preset of ['seed-cnn', 'cnn']) {
    const r = ratio(cell('train', preset, 64, 'garment-1'), cell('train', preset, 64, 'tfjs-cpu'));
    if (r) checks.push({ target: `training ${preset} ≥ ${TARGETS.trainVsTfjsCpu}× TF.js cpu (batch 64, 1 thread)`, value: times(r), ok: r.value >= TARGETS.trainVsTfjsCpu });
  }
  for (const preset of ['seed-cnn', 'cnn']) {
    for (const threads of [1, 2]) {
      const mine = cell('infer', preset, 256, `garment-${threads}`);
      for (const [peer, label, goal] of [[`ort-web-${threads}`, 'ort-web', TARGETS.inferVsOrtWeb], ['tfjs-wasm', 'TF.js wasm', TARGETS.inferVsTfjsWasm]]) {
        if (peer === 'tfjs-wasm' && threads === 2) continue;
        const r = ratio(mine, cell('infer', preset, 256, peer));
        if (r) checks.push({ target: `inference ${preset} batch 256, ${threads}t ≥ ${goal}× ${label}`, value: times(r), ok: r.value >= goal });
      }
    }
  }
  for (const preset of ['mlp', 'seed-cnn', 'cnn', 'default']) {
    const mine = cell('infer', preset, 1, 'garment-1');
    if (preset !== 'cnn' && preset !== 'default') {
      const r = ratio(cell('infer', preset, 1, 'ort-node-1'), mine);
      if (r) checks.push({ target: `batch-1 latency ${preset} ≤ ort-node's`, value: `${r.value.toFixed(2)}× ort-node's`, ok: r.value <= TARGETS.latencyVsOrtNode });
    }
    const r = ratio(cell('infer', preset, 1, 'ort-web-1'), mine);
    if (r) checks.push({ target: `batch-1 latency ${preset} ≤ ${TARGETS.latencyVsOrtWeb}× ort-web's`, value: `${r.value.toFixed(2)}× ort-web's`, ok: r.value <= TARGETS.latencyVsOrtWeb });
  }
  for (const p of PYTORCH_TRAINING.filter((x) => x.layout === 'default')) {
    const mine = cell('train', p.preset, 64, `garment-${p.threads}`);
    const goal = TARGETS.trainVsPyTorch[p.preset];
    if (mine?.rate) checks.push({ target: `training ${p.preset} ${p.threads}t ≥ ${goal}× PyTorch (reference figure${p.preset === 'cnn' ? "; target is for precision: 'fast'" : ''})`, value: `${(mine.rate / p.imagesPerSecond).toFixed(2)}× (indicative)`, ok: mine.rate / p.imagesPerSecond >= goal });
  }
  for (const x of res.kernels?.exact?.kernels ?? []) {
    if (x.kind === 'gemm' || x.name.startsWith('cnn conv2')) {
      const goal = x.kind === 'gemm' ? TARGETS.gemmFraction : TARGETS.convFraction;
      checks.push({ target: `${x.name} ≥ ${pct(goal)} of peak`, value: pct(x.fraction), ok: x.fraction >= goal });
    }
  }
  const g = res.coldStart?.garment;
  if (g) checks.push({ target: `cold start ≤ ${TARGETS.coldStartMs} ms (import → first prediction)`, value: `${num(g.importToFirstPredictionMs)} ms`, ok: g.importToFirstPredictionMs <= TARGETS.coldStartMs });
  for (const x of res.memory ?? []) checks.push({ target: `peak RSS training cnn batch 256, ${x.threads}t ≤ ${TARGETS.trainingRssMB} MB`, value: `${x.peakRssMB.toFixed(0)} MB`, ok: x.peakRssMB <= TARGETS.trainingRssMB });
  return checks;
}
