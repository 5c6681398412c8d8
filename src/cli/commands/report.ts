/// <reference types="node" />
// garment-wasm report: evaluates a model and writes one self-contained HTML page about it.
import { existsSync } from 'node:fs';
import { formatReport, type Prediction } from '../../index.ts';
import { renderReport, type ReportHistory, type ReportSample } from '../../report/index.ts';
import { CliError, UsageError, flag, int, parse, str, threads, THREADS_OPTION } from '../args.ts';
import { limit, loadData } from '../data.ts';
import { line, readBytes, writeAtomic, type Io } from '../io.ts';
import { loadWeights } from '../model.ts';
import { bytes, count, percent } from '../progress.ts';
import { besideOut } from './train.ts';

declare const __GARMENT_VERSION__: string;

export const HELP = `Usage: garment-wasm report [WEIGHTS] [options]

Evaluates a model on the Fashion-MNIST test set (or a CSV) and writes one self-contained HTML
page: learning curves, a confusion-matrix heatmap, precision/recall/F1 per class, a grid of sample
predictions with the mistakes marked, the most confident mistakes, the class distribution and a
few images of each class. Charts are SVG and images are generated from your copy of the data; the
page needs no network. Also prints the text report.

  WEIGHTS                  a weight file (default: the bundled model)
  --history FILE           a training history for the learning curves (default: the
                           .history.json beside WEIGHTS, if there is one)
  --out FILE               the HTML file to write                              (default: report.html)
  --data DIR               a folder with the four Fashion-MNIST files (default: $GARMENT_DATA, then
                           the download cache)
  --download               download Fashion-MNIST into the cache if it is missing
  --csv FILE               evaluate on a Kaggle-style CSV (label,pixel1,...,pixel784) instead
  --limit N                use only the first N test images
  --samples N              images in the sample grid                              (default: 60)
  --mistakes N             confident mistakes to show                             (default: 20)
  --seed N                 which images the sample grid shows                     (default: 1)
  --title TEXT             the page's title
  --threads N|auto         worker threads                                         (default: auto)
  --quiet                  do not print the text report
  -h, --help               show this help
`;

const OPTIONS = {
  history: { type: 'string' },
  out: { type: 'string' },
  data: { type: 'string' },
  download: { type: 'boolean' },
  csv: { type: 'string' },
  limit: { type: 'string' },
  samples: { type: 'string' },
  mistakes: { type: 'string' },
  seed: { type: 'string' },
  title: { type: 'string' },
  quiet: { type: 'boolean' },
  ...THREADS_OPTION,
} as const;

/** Reads and checks a history file from `garment-wasm train`. */
export function readHistory(path: string): ReportHistory {
  let h: unknown;
  try {
    h = JSON.parse(new TextDecoder().decode(readBytes(path, 'history file')));
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`${path}: not valid JSON (${(e as Error).message})`, { cause: e });
  }
  const epochs = (h as { epochs?: unknown })?.epochs;
  const fine = Array.isArray(epochs) && epochs.every((e) => e && typeof e === 'object' && Number.isFinite(e.epoch) && Number.isFinite(e.loss) && Number.isFinite(e.accuracy));
  if (!fine) throw new CliError(`${path}: not a training history (expected "epochs": [{ epoch, loss, accuracy, ... }])`);
  return h as ReportHistory;
}

/** `n` distinct indices below `total`, picked by a seeded shuffle (an integer PRNG: same everywhere). */
function pick(total: number, n: number, seed: number): number[] {
  let s = (seed ^ 0x2545f491) >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  const idx = Array.from({ length: total }, (_, i) => i);
  const k = Math.min(n, total);
  for (let i = 0; i < k; i++) {
    const j = i + (next() % (total - i));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx.slice(0, k);
}

function counts(labels: Uint8Array, classes: number): number[] {
  const c = new Array<number>(classes).fill(0);
  for (const l of labels) c[l]++;
  return c;
}

export async function run(args: string[], io: Io, argv: string[] = args): Promise<number> {
  const p = parse('report', args, OPTIONS, true);
  if (flag(p, 'help')) {
    io.stdout.write(HELP);
    return 0;
  }
  if (p.positionals.length > 1) throw new UsageError(`report: expected at most one weight file, got ${p.positionals.length} arguments`);
  const weightsPath = p.positionals[0];
  const nSamples = int(p, 'samples', 60, 0, 1000);
  const nMistakes = int(p, 'mistakes', 20, 0, 1000);
  const seed = int(p, 'seed', 1, 0, 2 ** 31 - 1);
  const maxImages = int(p, 'limit', undefined, 1, 1e9);
  const out = str(p, 'out') ?? 'report.html';
  let historyPath = str(p, 'history');
  if (historyPath === undefined && weightsPath !== undefined && existsSync(besideOut(weightsPath, '.history.json'))) {
    historyPath = besideOut(weightsPath, '.history.json');
  }
  const history = historyPath === undefined ? undefined : readHistory(historyPath);

  const { clf, name } = await loadWeights(weightsPath, threads(p), io);
  try {
    const classes = clf.labels.length;
    const data = await loadData({ dir: str(p, 'data'), csv: str(p, 'csv'), download: flag(p, 'download'), classes }, io, 'test');
    const test = limit(data.test!, maxImages);
    const evaluation = await clf.evaluate(test);
    const preds = (await clf.predict(test.images)) as Prediction[] | Prediction;
    const all = Array.isArray(preds) ? preds : [preds];
    const sample = (i: number): ReportSample => ({
      pixels: test.images.subarray(i * 784, (i + 1) * 784), label: test.labels[i], predicted: all[i].index, confidence: all[i].confidence, index: i,
    });
    const samples = pick(test.count, nSamples, seed).map(sample);
    const mistakes = all
      .map((q, i) => ({ q, i }))
      .filter(({ q, i }) => q.index !== test.labels[i])
      .sort((a, b) => b.q.confidence - a.q.confidence || a.i - b.i)
      .slice(0, nMistakes)
      .map(({ i }) => sample(i));
    const examples = clf.labels.map((_, c) => {
      const imgs: Uint8Array[] = [];
      for (let i = 0; i < test.count && imgs.length < 12; i++) if (test.labels[i] === c) imgs.push(test.images.subarray(i * 784, (i + 1) * 784));
      return imgs;
    });
    const distribution = [
      ...(data.train && str(p, 'csv') === undefined ? [{ name: 'training set', counts: counts(data.train.labels, classes) }] : []),
      { name: str(p, 'csv') === undefined ? 'test set' : 'CSV', counts: counts(test.labels, classes) },
    ];
    const version = typeof __GARMENT_VERSION__ === 'string' ? __GARMENT_VERSION__ : 'dev';
    const html = renderReport({
      title: str(p, 'title'),
      labels: clf.labels,
      model: { name, parameters: clf.parameterCount, layers: clf.layers },
      data: { source: data.source, count: test.count },
      evaluation,
      history,
      samples,
      mistakes,
      examples,
      distribution,
      generator: `garment-wasm ${version}`,
      command: `garment-wasm ${argv.join(' ')}`.trim(),
    });
    writeAtomic(out, html);
    if (!flag(p, 'quiet')) {
      line(io.stdout, `${name} (${count(clf.parameterCount)} parameters) on ${count(evaluation.count)} test images of ${data.source}:\n`);
      line(io.stdout, formatReport(evaluation));
      line(io.stdout);
    }
    line(io.stdout, `accuracy ${percent(evaluation.accuracy)}; wrote ${out} (${bytes(Buffer.byteLength(html))}${history ? `, learning curves from ${historyPath}` : ''})`);
    return 0;
  } finally {
    clf.dispose();
  }
}
