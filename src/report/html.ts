// The evaluation report as one self-contained HTML page: learning curves, confusion-matrix heatmap,
// per-class precision/recall/F1, sample predictions with the mistakes marked, class distribution
// and a grid of examples per class. Charts are inline SVG, images are PNG data URIs generated from
// the user's data, styles are inline; no scripts and no network.
import type { EpochSummary } from '../train/train.ts';
import type { EvaluationReport } from '../train/metrics.ts';
import type { LayerSpec } from '../model/spec.ts';
import { pngDataUri } from './png.ts';
import { COLOURS, esc, groupedBars, heatmap, lineChart } from './svg.ts';

/** One image with its true and predicted class. */
export interface ReportSample {
  pixels: Uint8Array;
  label: number;
  predicted: number;
  confidence: number;
  /** Its index in the data set, shown on hover. */
  index?: number;
}

/** The parts of a training history (garment-wasm train --history) the report draws. */
export interface ReportHistory {
  epochs: EpochSummary[];
  model?: string;
  data?: string;
  trainImages?: number;
  validationImages?: number;
  /** What the validation curve measured: 'held-out split' (default) or 'test set'. */
  validation?: string;
  threads?: number;
  options?: Record<string, unknown>;
  test?: { accuracy: number; loss: number; count: number };
}

export interface ReportInput {
  title?: string;
  labels: readonly string[];
  model: { name: string; parameters: number; layers: readonly LayerSpec[] };
  /** The set the evaluation ran on. */
  data: { source: string; count: number };
  evaluation: EvaluationReport;
  history?: ReportHistory;
  /** A random pick of predictions, shown as a grid. */
  samples: ReportSample[];
  /** The most confident mistakes. */
  mistakes: ReportSample[];
  /** A few images of each class, in label order. */
  examples?: Uint8Array[][];
  /** Images per class in each set (e.g. training and test). */
  distribution: { name: string; counts: number[] }[];
  /** e.g. "garment-wasm 0.1.0". */
  generator?: string;
  /** The command that made the report. */
  command?: string;
}

const pct = (x: number, d = 1) => `${(x * 100).toFixed(d)}%`;
const int = (n: number) => Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** "conv 32 3x3 valid · relu · maxpool · dense 10". */
export function describeLayers(layers: readonly LayerSpec[]): string {
  return layers
    .map((l) => {
      const a = l as unknown as Record<string, unknown>;
      switch (l.type) {
        case 'conv': return `conv ${a.filters} ${a.kernel}x${a.kernel}${a.padding === 'valid' ? ' valid' : ''}`;
        case 'dense': return `dense ${a.units}`;
        case 'dropout': return `dropout ${a.rate}`;
        default: return l.type;
      }
    })
    .join(' · ');
}

const CSS = `
:root { --fg: #1d2430; --muted: #5b6575; --line: #d9dee6; --bad: #d62728; --bg: #fff; --panel: #f6f8fb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1120px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 36px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
p.sub, .note, footer { color: var(--muted); }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.kpi { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 140px; }
.kpi b { display: block; font-size: 22px; }
.kpi span { color: var(--muted); font-size: 12px; }
.row { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
svg { max-width: 100%; height: auto; font: 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
svg .grid { stroke: #e8ebf0; } svg .axis { stroke: #8a94a3; } svg .tick { fill: #4a5361; font-size: 11px; }
svg .label { fill: #333; font-size: 12px; } svg .legend { fill: #333; font-size: 12px; } svg .chart-title { font-weight: 600; font-size: 13px; }
svg .cell { font-size: 12px; } svg .value { fill: #4a5361; font-size: 10px; } svg .note { fill: #6b7480; font-size: 11px; }
svg rect.diag { stroke: #1d2430; stroke-width: 1.5; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px; text-align: right; border-bottom: 1px solid var(--line); }
th:first-child, td:first-child { text-align: left; }
tr.avg td { font-weight: 600; }
.samples { display: grid; grid-template-columns: repeat(auto-fill, minmax(96px, 1fr)); gap: 8px; }
.card { border: 2px solid var(--line); border-radius: 6px; padding: 4px; text-align: center; font-size: 11px; line-height: 1.25; background: var(--panel); }
.card img, .examples img { image-rendering: pixelated; width: 56px; height: 56px; display: block; margin: 2px auto 4px; background: #000; }
.card.bad { border-color: var(--bad); background: #fdf0f0; }
.card .pred { font-weight: 600; } .card .truth { color: var(--bad); }
.examples { display: grid; grid-template-columns: 120px 1fr; gap: 4px 12px; align-items: center; }
.examples div.imgs { display: flex; flex-wrap: wrap; gap: 3px; }
.examples img { margin: 0; width: 42px; height: 42px; }
code { background: var(--panel); padding: 1px 4px; border-radius: 4px; }
`;

function card(s: ReportSample, labels: readonly string[]): string {
  const bad = s.predicted !== s.label;
  const hover = `${s.index !== undefined ? `image ${s.index}: ` : ''}true ${labels[s.label]}, predicted ${labels[s.predicted]} (${pct(s.confidence)})`;
  return `<div class="card${bad ? ' bad' : ''}" title="${esc(hover)}"><img alt="${esc(labels[s.label])}" src="${pngDataUri(s.pixels)}">` +
    `<div class="pred">${esc(labels[s.predicted])} ${pct(s.confidence, 0)}</div>` +
    (bad ? `<div class="truth">true: ${esc(labels[s.label])}</div>` : '') + '</div>';
}

function curves(h: ReportHistory | undefined): string {
  if (!h || h.epochs.length === 0) {
    return '<p class="note">No training history was given. <code>garment-wasm train</code> writes one next to its weights ' +
      '(<code>model.history.json</code>); pass it with <code>--history</code> to draw the learning curves here.</p>';
  }
  const xs = h.epochs.map((e) => e.epoch);
  const hasVal = h.epochs.some((e) => e.validationAccuracy !== undefined);
  const val = h.validation === 'test set' ? 'test' : 'validation';
  const loss = lineChart({
    title: 'loss', xs, xLabel: 'epoch', format: (y) => y.toFixed(2),
    series: [
      { name: 'training', colour: COLOURS[0], values: h.epochs.map((e) => e.loss) },
      ...(hasVal ? [{ name: val, colour: COLOURS[1], values: h.epochs.map((e) => e.validationLoss), dashed: true }] : []),
    ],
  });
  const acc = lineChart({
    title: 'accuracy', xs, xLabel: 'epoch', format: (y) => pct(y),
    series: [
      { name: 'training', colour: COLOURS[0], values: h.epochs.map((e) => e.accuracy) },
      ...(hasVal ? [{ name: val, colour: COLOURS[1], values: h.epochs.map((e) => e.validationAccuracy), dashed: true }] : []),
    ],
  });
  const last = h.epochs[h.epochs.length - 1];
  const secs = h.epochs.reduce((a, e) => a + e.seconds, 0);
  const o = h.options ?? {};
  const facts = [
    h.trainImages !== undefined ? `${int(h.trainImages)} training images` : '',
    h.validationImages ? (h.validation === 'test set' ? `${int(h.validationImages)} test images after each epoch` : `${int(h.validationImages)} held out for validation`) : '',
    o.batchSize !== undefined ? `batch ${o.batchSize}` : '',
    o.learningRate !== undefined ? `learning rate ${o.learningRate}` : '',
    h.threads !== undefined ? `${h.threads} thread${h.threads === 1 ? '' : 's'}` : '',
    `${h.epochs.length} epoch${h.epochs.length === 1 ? '' : 's'} in ${secs.toFixed(1)} s (last: ${int(last.imagesPerSecond)} images/s)`,
  ].filter(Boolean);
  return `<div class="row">${loss}${acc}</div><p class="note">${esc(facts.join(' · '))}</p>`;
}

function metricsTable(r: EvaluationReport): string {
  const row = (name: string, m: { precision: number; recall: number; f1: number }, support: number, cls = '') =>
    `<tr${cls}><td>${esc(name)}</td><td>${m.precision.toFixed(3)}</td><td>${m.recall.toFixed(3)}</td><td>${m.f1.toFixed(3)}</td><td>${int(support)}</td></tr>`;
  const total = r.perClass.reduce((a, m) => a + m.support, 0);
  return '<table><thead><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr></thead><tbody>' +
    r.perClass.map((m) => row(m.label, m, m.support)).join('') +
    row('macro avg', r.macro, total, ' class="avg"') + row('weighted avg', r.weighted, total, ' class="avg"') +
    '</tbody></table>';
}

function distribution(d: ReportInput['distribution'], labels: readonly string[]): string {
  if (d.length === 0) return '<p class="note">No label counts were given.</p>';
  const chart = groupedBars({
    title: 'images per class', series: d.map((s) => s.name), format: (x) => int(x),
    groups: labels.map((label, c) => ({ label, values: d.map((s) => s.counts[c] ?? 0) })),
  });
  const notes = d.map((s) => {
    const total = s.counts.reduce((a, b) => a + b, 0);
    const min = Math.min(...s.counts);
    const max = Math.max(...s.counts);
    return `${s.name}: ${int(total)} images, ${min === max ? `exactly ${int(min)} per class` : `${int(min)} to ${int(max)} per class`}`;
  });
  return `${chart}<p class="note">${esc(notes.join(' · '))}</p>`;
}

/** Renders the whole report page. */
export function renderReport(r: ReportInput): string {
  const e = r.evaluation;
  const labels = r.labels;
  const title = r.title ?? 'garment-wasm model report';
  const worst = e.perClass.reduce((a, m) => (m.f1 < a.f1 ? m : a), e.perClass[0]);
  const mistakesShown = r.samples.filter((s) => s.predicted !== s.label).length;
  const kpis = [
    [pct(e.accuracy, 2), `accuracy on ${int(e.count)} images`],
    [e.loss.toFixed(4), 'mean loss'],
    [e.macro.f1.toFixed(3), 'macro F1'],
    [int(e.count - Math.round(e.accuracy * e.count)), 'misclassified'],
    [esc(worst.label), `hardest class (F1 ${worst.f1.toFixed(3)})`],
  ];
  const examples = r.examples?.length
    ? `<h2>What the classes look like</h2><div class="examples">${r.examples
        .map((imgs, c) => `<div>${esc(labels[c])}</div><div class="imgs">${imgs.map((px) => `<img alt="${esc(labels[c])}" src="${pngDataUri(px)}">`).join('')}</div>`)
        .join('')}</div>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><main>
<h1>${esc(title)}</h1>
<p class="sub">${esc(r.model.name)}: ${int(r.model.parameters)} parameters (${esc(describeLayers(r.model.layers))}), evaluated on ${int(r.data.count)} images of ${esc(r.data.source)}.</p>
<div class="kpis">${kpis.map(([v, l]) => `<div class="kpi"><b>${v}</b><span>${esc(l)}</span></div>`).join('')}</div>

<h2>Learning curves</h2>
${curves(r.history)}

<h2>Confusion matrix</h2>
<div class="row">${heatmap(e.confusionMatrix, labels)}</div>

<h2>Precision, recall and F1 per class</h2>
<div class="row">${groupedBars({
    title: 'per-class metrics', series: ['precision', 'recall', 'F1'], max: 1, format: (x) => x.toFixed(2),
    groups: e.perClass.map((m) => ({ label: m.label, values: [m.precision, m.recall, m.f1] })),
  })}${metricsTable(e)}</div>

<h2>Sample predictions</h2>
<p class="note">${r.samples.length} images picked at random; ${mistakesShown} of them misclassified (red border, true class below). Hover an image for details.</p>
<div class="samples">${r.samples.map((s) => card(s, labels)).join('')}</div>
${r.mistakes.length ? `<h2>The most confident mistakes</h2><p class="note">Misclassified images with the highest confidence in the wrong class.</p><div class="samples">${r.mistakes.map((s) => card(s, labels)).join('')}</div>` : ''}

<h2>Class distribution</h2>
${distribution(r.distribution, labels)}
${examples}
<footer><p>${esc([r.generator ?? 'garment-wasm', r.command ? `made with: ${r.command}` : ''].filter(Boolean).join(' · '))}. Self-contained: no scripts, no network; the images were generated from the data set on the machine that made this report.</p></footer>
</main></body></html>
`;
}
