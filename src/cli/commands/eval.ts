// garment-wasm eval: the classification report and confusion matrix of a model on a test set.
import { formatReport } from '../../index.ts';
import { flag, int, parse, str, threads, THREADS_OPTION, UsageError } from '../args.ts';
import { limit, loadData } from '../data.ts';
import { line, type Io } from '../io.ts';
import { loadWeights } from '../model.ts';
import { count, percent } from '../progress.ts';

export const HELP = `Usage: garment-wasm eval [WEIGHTS] [options]

Evaluates a weight file (default: the bundled pretrained model) on the Fashion-MNIST test set or
a CSV, and prints the classification report (precision, recall, F1 and support per class) and the
confusion matrix with class names.

  WEIGHTS                  a weight file from 'garment-wasm train' (default: the bundled model)
  --data DIR               a folder with the four Fashion-MNIST files (default: $GARMENT_DATA, then
                           the download cache)
  --download               download Fashion-MNIST into the cache if it is missing
  --csv FILE               evaluate on a Kaggle-style CSV (label,pixel1,...,pixel784) instead
  --limit N                use only the first N test images
  --digits N               decimals in the report                                 (default: 4)
  --threads N|auto         worker threads                                         (default: auto)
  --json                   print the report as JSON
  -h, --help               show this help
`;

const OPTIONS = {
  data: { type: 'string' },
  download: { type: 'boolean' },
  csv: { type: 'string' },
  limit: { type: 'string' },
  digits: { type: 'string' },
  json: { type: 'boolean' },
  ...THREADS_OPTION,
} as const;

export async function run(args: string[], io: Io): Promise<number> {
  const p = parse('eval', args, OPTIONS, true);
  if (flag(p, 'help')) {
    io.stdout.write(HELP);
    return 0;
  }
  if (p.positionals.length > 1) throw new UsageError(`eval: expected at most one weight file, got ${p.positionals.length} arguments`);
  const digits = int(p, 'digits', 4, 0, 8);
  const maxImages = int(p, 'limit', undefined, 1, 1e9);
  const { clf, name } = await loadWeights(p.positionals[0], threads(p), io);
  try {
    const data = await loadData({ dir: str(p, 'data'), csv: str(p, 'csv'), download: flag(p, 'download'), classes: clf.labels.length }, io, 'test');
    const test = limit(data.test!, maxImages);
    const t0 = performance.now();
    const report = await clf.evaluate(test);
    const ms = performance.now() - t0;
    if (flag(p, 'json')) {
      line(io.stdout, JSON.stringify({ model: name, data: data.source, ...report }, null, 2));
      return 0;
    }
    line(io.stdout, `${name} (${count(clf.parameterCount)} parameters) on ${count(report.count)} test images of ${data.source}:\n`);
    line(io.stdout, formatReport(report, digits));
    line(io.stdout, `\naccuracy ${percent(report.accuracy)}, loss ${report.loss.toFixed(4)}; evaluated in ${count(ms)} ms ` +
      `(${count(report.count / Math.max(1e-9, ms / 1000))} images/s, ${clf.threads} thread${clf.threads === 1 ? '' : 's'})`);
    return 0;
  } finally {
    clf.dispose();
  }
}
