// The markdown report of one bench run (bench/run.mjs writes the same data as JSON).
import { cpuRatio, ratio } from './measure.mjs';
import { PYTORCH_TRAINING, TARGETS } from './reference.mjs';

const num = (x) => {
  if (!Number.isFinite(x)) return '?';
  if (x >= 100) return Math.round(x).toLocaleString('en-US');
  return x >= 10 ? x.toFixed(1) : x.toPrecision(2);
};
const times = (r) => {
  if (!r) return '';
  const v = r.value >= 10 ? Math.round(r.value).toLocaleString('en-US') : r.value.toFixed(2);
  return `${r.estimated ? '~' : ''}${v}×`;
};
const pct = (x) => `${(x * 100).toFixed(0)}%`;
const check = (ok) => (ok ? '✓' : '✗');
const table = (head, rows) => [
  `| ${head.join(' | ')} |`,
  `| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');

const NOTE = {
  tfjsThreads: 'TF.js runs on one thread in Node: the cpu backend is plain JavaScript, the wasm backend has no threads there',
  estimated: 'not run: one step would take over 90 s; estimated from the rate at the previous, smaller batch',
  fixed: 'too slow for rounds (a step takes over 1.5 s): timed over a fixed 1 step',
};

export function formatReport(res, contenders) {
  const notes = new Map(); // footnote text -> mark
  const note = (text) => {
    if (!notes.has(text)) notes.set(text, `[${notes.size + 1}]`);
    return notes.get(text);
  };
  const cellText = (m) => {
    if (!m) return '—';
    switch (m.method) {
      case 'n/a': return `— ${note(NOTE.tfjsThreads)}`;
      case 'unsupported': return `unsupported ${note(m.note)}`;
      case 'error': return `error ${note(m.note)}`;
      case 'estimated': return `~${num(m.rate)} ${note(NOTE.estimated)}`;
      case 'fixed-steps': return `${num(m.rate)} ${note(NOTE.fixed)}`;
      default: return num(m.rate);
    }
  };
  const ctx = { res, contenders, cellText, groups: (res.groups ?? []).filter((g) => !g.scaling) };
  const out = [
    header(res),
    ...['train', 'infer'].map((mode) => throughput(ctx, mode)),
    parity(ctx), cpuView(ctx), latency(ctx), scaling(ctx), kernels(res), coldStart(res), memory(res), pytorch(ctx), targets(ctx),
  ].filter(Boolean);
  if (notes.size) out.push(['Notes:', '', ...[...notes].map(([text, mark]) => `${mark} ${text}`)].join('\n'));
  return `${out.join('\n\n')}\n`;
}

function header(res) {
  const m = res.machine;
  const peakLoad = Math.max(...(m.load1Samples ?? []), 0);
  const lines = [
    `# garment-wasm benchmark${res.quick ? ' (quick)' : ''}`,
    '',
    `${res.started} · ${m.cpu}, ${m.cores} cores, ${m.memoryGB.toFixed(0)} GB · Node ${m.node} (V8 ${m.v8}) · ` +
      `${res.seconds.toFixed(0)} s`,
    '',
    `Load average (1 min): ${m.loadavg[0].toFixed(2)} at the start, ${peakLoad.toFixed(2)} at most during the run, ` +
      `${m.loadavgEnd[0].toFixed(2)} at the end (the build just before and the bench itself add 1 to 2).` +
      (m.loadavg[0] > 1.5 || peakLoad > 3.5
        ? ' **The machine was busy with other work: absolute figures are low and noisy; the side-by-side ratios are what count.**'
        : ''),
  ];
  if (res.versions) lines.push('', `Versions: ${Object.entries(res.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  lines.push('',
    `Method: each row's contenders run in turn, ${res.rounds} rounds of ~${res.roundSeconds} s each (rotating the order); ` +
    'figures are medians over rounds, ratios medians of per-round ratios. Every contender runs in its own process with ' +
    `the same weights (garment-wasm's, copied into TF.js layers; exported to ONNX for onnxruntime; PyTorch trains the same ` +
    `layers from its own initialisation). Inputs: ${res.inputs ?? 'synthetic images'}. ` +
    'onnxruntime, TF.js and PyTorch get ready-made float tensors; garment-wasm is called through its public API with bytes.');
  for (const s of res.skipped ?? []) lines.push('', `Skipped: ${s}.`);
  return lines.join('\n');
}

function throughput({ groups, contenders, cellText }, mode) {
  const rows = groups.filter((g) => g.mode === mode);
  if (!rows.length) return '';
  const peers = mode === 'train' ? ['TF.js cpu', 'TF.js wasm', 'PyTorch', 'PyTorch channels-last'] : ['TF.js cpu', 'TF.js wasm', 'ort-web', 'ort-node'];
  const body = [];
  for (const g of rows) {
    for (const threads of [1, 2]) {
      const mine = g.cells[`garment-${threads}`];
      if (!mine && threads === 2) continue;
      const cells = peers.map((p) => {
        const c = contenders.find((x) => x.peer === p && x.threads === threads);
        return c ? g.cells[c.id] : { method: 'n/a' };
      });
      body.push([
        g.preset, g.batch, threads, cellText(mine), cellText(g.cells[`garment-fast-${threads}`]), ...cells.map(cellText),
        ...cells.map((c) => (c && c.method !== 'n/a' ? times(ratio(mine, c)) : '')),
      ]);
    }
  }
  const head = ['preset', 'batch', 'threads', 'garment-wasm', "garment 'fast'", ...peers, ...peers.map((p) => `garment ÷ ${p}`)];
  return `## ${mode === 'train' ? 'Training' : 'Inference'}, images/s\n\n${table(head, body)}`;
}

/** 1-thread ratios by CPU time: a process waiting for a core does not lose CPU time. */
function cpuView({ groups }) {
  const peers = [['tfjs-cpu', 'TF.js cpu'], ['tfjs-wasm', 'TF.js wasm'], ['ort-web-1', 'ort-web'], ['ort-node-1', 'ort-node']];
  const body = [];
  for (const g of groups) {
    const mine = g.cells['garment-1'];
    const rs = peers.map(([id]) => cpuRatio(mine, g.cells[id]));
    if (rs.some(Boolean)) body.push([`${g.mode === 'train' ? 'training' : 'inference'} ${g.preset}`, g.batch, ...rs.map(times)]);
  }
  if (!body.length) return '';
  return [
    '## 1-thread ratios by CPU time',
    '',
    "The same rounds, each contender's images per CPU-second of its own process (all its threads, so only for 1-thread " +
      'runs): a busy machine that keeps a process waiting for a core does not change these. Where they differ from the ' +
      'wall-clock ratios above, the difference is the machine, not the code.',
    '',
    table(['workload', 'batch', ...peers.map(([, label]) => `garment ÷ ${label}`)], body),
  ].join('\n');
}

/** The same model gives the same probabilities everywhere. */
function parity({ groups }) {
  const checked = groups.filter((g) => g.parity && Object.keys(g.parity).length);
  if (!checked.length) return '';
  const worst = Math.max(...checked.flatMap((g) => Object.values(g.parity)));
  return 'Same model everywhere: the largest probability difference from garment-wasm over the first 64 images of ' +
    `every preset is ${worst.toExponential(1)}${worst > 1e-4 ? ' — **too large: a peer is not running the same model**' : ''}.`;
}

function latency({ groups }) {
  const rows = groups.filter((g) => g.mode === 'infer' && g.batch === 1);
  if (!rows.length) return '';
  const us = (c) => (c && c.rate > 0 ? `${num(1e6 / c.rate)}${c.method === 'rounds' ? '' : '*'}` : '—');
  const body = rows.map((g) => {
    const mine = g.cells['garment-1'];
    // A latency ratio is the inverse of a throughput ratio.
    const vs = (peer) => {
      const r = ratio(g.cells[peer], mine);
      return r ? `${r.value.toFixed(2)}×` : '';
    };
    return [
      g.preset, us(mine), us(g.cells['ort-node-1']), us(g.cells['ort-web-1']), us(g.cells['tfjs-wasm']),
      us(g.cells['tfjs-cpu']), vs('ort-node-1'), vs('ort-web-1'),
    ];
  });
  const head = ['preset', 'garment-wasm', 'ort-node', 'ort-web', 'TF.js wasm', 'TF.js cpu', 'garment ÷ ort-node', 'garment ÷ ort-web'];
  return `## Batch-1 latency, µs per image (1 thread; lower is better)\n\n${table(head, body)}`;
}

function scaling({ res, cellText }) {
  const body = [];
  for (const g of res.groups ?? []) {
    if (!g.cells['machine-1']) continue;
    const one = g.cells['garment-1'], two = g.cells['garment-2'];
    const mine = ratio(two, one), machine = ratio(g.cells['machine-2'], g.cells['machine-1']);
    body.push([
      `${g.mode === 'train' ? 'training' : 'inference'} ${g.preset}, batch ${g.batch}`, cellText(one), cellText(two),
      mine ? `${mine.value.toFixed(2)}×` : '?', machine ? `${machine.value.toFixed(2)}×` : '?',
    ]);
  }
  if (!body.length) return '';
  return [
    "## Thread scaling, 2 threads ÷ 1, beside the machine's own",
    '',
    'The machine column: two processes running the same register-only SIMD loop at once, against one, timed in the ' +
      'same rounds as the row (2.00× means two whole free cores).',
    '',
    table(['workload', 'garment-wasm 1 thread (images/s)', '2 threads', 'garment 2t ÷ 1t', 'machine: 2 processes ÷ 1'], body),
  ].join('\n');
}

function kernelRows(list) {
  return list.map((x) => {
    const target = x.kind === 'gemm' ? TARGETS.gemmFraction : TARGETS.convFraction;
    return [x.name, num(x.mflop), x.gflops.toFixed(1), pct(x.fraction), `${pct(target)} ${check(x.fraction >= target)}`];
  });
}

function kernels(res) {
  const k = res.kernels;
  if (!k?.exact) return '';
  const e = k.exact;
  const fma = k.fast?.peak ?? (k.fmaPeak ? { gflops: k.fmaPeak.fma, chains: k.fmaPeak.fmaChains } : undefined);
  let peak = `Peak, register-only f32x4 loop: **${e.peak.gflops.toFixed(1)} GFLOP/s** with separate mul+add ` +
    `(${e.peak.chains} independent chains; the 'exact' build's arithmetic)`;
  if (fma) {
    peak += `, **${fma.gflops.toFixed(1)} GFLOP/s** with relaxed_madd (FMA, ${fma.chains} chains` +
      `${k.fast ? '' : `; for reference: ${k.relaxedNote ?? 'no relaxed build exists yet'}`})`;
  } else if (k.relaxedError) peak += ` (relaxed SIMD not measured: ${k.relaxedError})`;
  const head = ['kernel (batch 64)', 'MFLOP per call', 'GFLOP/s'];
  const lines = [
    '## Kernels against the wasm SIMD peak (one thread)', '', `${peak}.`, '',
    table([...head, 'of mul+add peak', 'target'], kernelRows(e.kernels)),
  ];
  if (k.fast) {
    lines.push('', `precision: 'fast' (${k.fast.wasm.split('/').pop()}) against the FMA peak:`, '',
      table([...head, 'of FMA peak', 'target'], kernelRows(k.fast.kernels)));
  }
  lines.push('', 'Conv FLOPs are direct-convolution FLOPs (2·N·H·W·F·K²·C per pass), whatever algorithm runs: above 100% ' +
    'means fewer multiplications than direct convolution (Winograd F(2x2,3x3)), not more than peak arithmetic.');
  return lines.join('\n');
}

function coldStart(res) {
  const cs = res.coldStart;
  if (!cs?.bare) return '';
  const names = {
    garment: 'garment-wasm (bundled model)', 'ort-node': 'onnxruntime-node', 'ort-web': 'onnxruntime-web', 'tfjs-wasm': 'TF.js wasm',
  };
  const body = Object.entries(names).filter(([k]) => cs[k]).map(([k, label]) => [
    label, num(cs[k].importToFirstPredictionMs), num(cs[k].wallMs), num(cs[k].wallMs - cs.bare.wallMs),
  ]);
  body.push(['bare `node -e 0`', '', num(cs.bare.wallMs), '0']);
  const head = ['', 'import → first prediction, in process (ms)', 'whole process (ms)', 'whole process − bare node (ms)'];
  return `## Cold start: a fresh process, import to the first prediction (median of ${cs.bare.runs})\n\n${table(head, body)}`;
}

function memory(res) {
  if (!res.memory?.length) return '';
  const body = res.memory.map((x) => [
    x.threads, x.peakRssMB.toFixed(0), x.rssAfterImportMB.toFixed(0),
    `≤ ${TARGETS.trainingRssMB} ${check(x.peakRssMB <= TARGETS.trainingRssMB)}`,
  ]);
  return `## Peak memory, training \`cnn\` at batch 256\n\n${table(['threads', 'peak RSS (MB)', 'RSS after import (MB)', 'target'], body)}`;
}

/** PyTorch at batch 64: measured in this run where it could run, and the issue's reference figures. */
function pytorch({ groups, cellText }) {
  const at64 = (preset) => groups.find((g) => g.mode === 'train' && g.batch === 64 && g.preset === preset);
  const refs = PYTORCH_TRAINING.filter((p) => at64(p.preset));
  if (!refs.length) return '';
  const measured = refs.some((p) => at64(p.preset).cells[torchId(p)]?.rate > 0);
  const body = refs.map((p) => {
    const g = at64(p.preset);
    const mine = g.cells[`garment-${p.threads}`], fast = g.cells[`garment-fast-${p.threads}`], torch = g.cells[torchId(p)];
    const vsRef = (c) => (c?.rate ? `${(c.rate / p.imagesPerSecond).toFixed(2)}×` : '');
    const vs = (c) => times(ratio(c, torch));
    return [
      p.preset, p.threads, p.layout, cellText(torch), p.imagesPerSecond.toLocaleString('en-US'),
      cellText(mine), cellText(fast), vs(mine), vs(fast), vsRef(mine), vsRef(fast),
    ];
  });
  return [
    '## Native PyTorch, training at batch 64',
    '',
    (measured
      ? 'Measured: PyTorch in its own process, in the same rounds as garment-wasm (Debian\'s python3-torch 1.13 with ' +
        'OpenBLAS, a contender like the others; `bench/lib/torch_host.py`). '
      : 'PyTorch did not run in this run (see the training table\'s notes), so only the reference figures compare. ') +
      'Reference: the figures issue 6 quotes (PyTorch 1.13, oneDNN, measured earlier on a quiet machine of this kind); ' +
      'ratios against them compare a figure from this run with one from another time: indicative only.',
    '',
    table([
      'preset', 'threads', 'PyTorch layout', 'PyTorch (this run)', 'PyTorch (reference)', 'garment-wasm', "garment 'fast'",
      'garment ÷ PyTorch', "'fast' ÷ PyTorch", 'garment ÷ reference', "'fast' ÷ reference",
    ], body),
  ].join('\n');
}

/** The contender that measures reference figure `p` (layout and threads). */
const torchId = (p) => `torch-${p.layout === 'channels-last' ? 'cl-' : ''}${p.threads}`;

function targets({ res, groups }) {
  const checks = [];
  const add = (target, value, ok) => checks.push([target, value, ok === undefined ? '' : check(ok)]);
  const cell = (mode, preset, batch, id) => groups.find((g) => g.mode === mode && g.preset === preset && g.batch === batch)?.cells[id];
  for (const preset of ['seed-cnn', 'cnn']) {
    const r = ratio(cell('train', preset, 64, 'garment-1'), cell('train', preset, 64, 'tfjs-cpu'));
    if (r) add(`training ${preset} ≥ ${TARGETS.trainVsTfjsCpu}× TF.js cpu (batch 64, 1 thread)`, times(r), r.value >= TARGETS.trainVsTfjsCpu);
  }
  for (const preset of ['seed-cnn', 'cnn']) {
    for (const threads of [1, 2]) {
      const mine = cell('infer', preset, 256, `garment-${threads}`);
      const peers = [[`ort-web-${threads}`, 'ort-web', TARGETS.inferVsOrtWeb]];
      if (threads === 1) peers.push(['tfjs-wasm', 'TF.js wasm', TARGETS.inferVsTfjsWasm]);
      for (const [peer, label, goal] of peers) {
        const r = ratio(mine, cell('infer', preset, 256, peer));
        if (r) add(`inference ${preset} batch 256, ${threads}t ≥ ${goal}× ${label}`, times(r), r.value >= goal);
      }
    }
  }
  for (const preset of ['mlp', 'seed-cnn', 'cnn', 'default']) {
    const mine = cell('infer', preset, 1, 'garment-1');
    const vsNode = ratio(cell('infer', preset, 1, 'ort-node-1'), mine);
    if (vsNode && (preset === 'mlp' || preset === 'seed-cnn')) {
      add(`batch-1 latency ${preset} ≤ ort-node's`, `${vsNode.value.toFixed(2)}× ort-node's`, vsNode.value <= TARGETS.latencyVsOrtNode);
    }
    const vsWeb = ratio(cell('infer', preset, 1, 'ort-web-1'), mine);
    if (vsWeb) add(`batch-1 latency ${preset} ≤ ${TARGETS.latencyVsOrtWeb}× ort-web's`, `${vsWeb.value.toFixed(2)}× ort-web's`, vsWeb.value <= TARGETS.latencyVsOrtWeb);
  }
  for (const p of PYTORCH_TRAINING.filter((x) => x.layout === 'default')) {
    // seed-cnn's target is for the default precision, cnn's for precision: 'fast'.
    const precision = p.preset === 'cnn' ? 'fast' : 'exact';
    const mine = cell('train', p.preset, 64, precision === 'fast' ? `garment-fast-${p.threads}` : `garment-${p.threads}`);
    const goal = TARGETS.trainVsPyTorch[p.preset];
    if (!mine?.rate) continue;
    const side = ratio(mine, cell('train', p.preset, 64, torchId(p)));
    if (side) add(`training ${p.preset} ${p.threads}t, '${precision}', ≥ ${goal}× PyTorch (measured side by side)`, times(side), side.value >= goal);
    const r = mine.rate / p.imagesPerSecond;
    add(`training ${p.preset} ${p.threads}t, '${precision}', ≥ ${goal}× PyTorch (reference figure)`, `${r.toFixed(2)}× (indicative)`, r >= goal);
  }
  for (const [label, list] of [['', res.kernels?.exact?.kernels], [" ('fast', of FMA peak)", res.kernels?.fast?.kernels]]) {
    for (const x of list ?? []) {
      const goal = x.kind === 'gemm' ? TARGETS.gemmFraction : TARGETS.convFraction;
      add(`${x.name}${label} ≥ ${pct(goal)} of peak`, pct(x.fraction), x.fraction >= goal);
    }
  }
  const g = res.coldStart?.garment;
  if (g) {
    const ms = g.importToFirstPredictionMs;
    add(`cold start ≤ ${TARGETS.coldStartMs} ms (import → first prediction)`, `${num(ms)} ms`, ms <= TARGETS.coldStartMs);
  }
  for (const x of res.memory ?? []) {
    const ok = x.peakRssMB <= TARGETS.trainingRssMB;
    add(`peak RSS training cnn batch 256, ${x.threads}t ≤ ${TARGETS.trainingRssMB} MB`, `${x.peakRssMB.toFixed(0)} MB`, ok);
  }
  return checks.length ? `## Issue 6 targets\n\n${table(['target', 'this run', ''], checks)}` : '';
}
