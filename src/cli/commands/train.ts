/// <reference types="node" />
// garment-wasm train: trains epoch by epoch so that a checkpoint can be written after each one,
// with a live progress line on a terminal and one summary line per epoch everywhere.
import { unlinkSync } from 'node:fs';
import { PRESET_NAMES, createClassifier, type Classifier, type EpochSummary, type TrainProgress } from '../../index.ts';
import { CliError, UsageError, flag, int, num, parse, str, threads, THREADS_OPTION } from '../args.ts';
import { limit, loadData, splitValidation } from '../data.ts';
import { line, readBytes, writeAtomic, type Io } from '../io.ts';
import { modelSpec } from '../model.ts';
import { REDRAW_MS, StatusLine, bar, count, duration, percent, wantsLive } from '../progress.ts';

export const HELP = `Usage: garment-wasm train [options]

Trains a classifier on Fashion-MNIST (or a CSV of 28x28 images) and saves it. After every epoch the
weights go to a checkpoint file (written atomically) and the learning curves to a history file
that 'garment-wasm report' draws.

Model and data
  --model NAME|FILE        a preset (${PRESET_NAMES.join(', ')}) or a JSON file with a layer
                           list or { "layers": [...], "labels": [...] }         (default: seed-cnn)
  --weights FILE           continue from a saved weight file (e.g. a checkpoint) instead
  --data DIR               a folder with the four Fashion-MNIST files (default: $GARMENT_DATA, then
                           the download cache)
  --download               download Fashion-MNIST into the cache if it is missing
  --csv FILE               train on a Kaggle-style CSV (label,pixel1,...,pixel784) instead
  --limit N                use only the first N training images
  --validation-split F     hold out this fraction of the training images (a seeded pick) and
                           validate on it after every epoch; 0 for none            (default: 0.1)

Training
  --epochs N               passes over the training images                        (default: 5)
  --batch-size N           images per optimizer step                              (default: 64)
  --learning-rate X        Adam's step size                                       (default: 0.001)
  --weight-decay X         decoupled weight decay (AdamW)                         (default: 0)
  --label-smoothing X      in [0, 1)                                              (default: 0)
  --threads N|auto         worker threads                                         (default: auto)
  --seed N                 seed of the initial weights, shuffling, dropout and the split (default: 1)

Output
  --out FILE               the trained weights                                    (default: model.gz)
  --dtype f32|f16|int8     precision of --out; checkpoints are always f32         (default: f32)
  --history FILE           the training history (JSON)      (default: --out with .history.json)
  --progress               draw the live progress line even when not on a terminal
  --no-progress            never draw it (it is off by default when piped or when CI is set)
  -h, --help               show this help

The checkpoint is FILE.checkpoint.gz beside --out; it is removed once --out is written, and kept
when training stops early (Ctrl-C): continue with --weights FILE.checkpoint.gz.
`;

const OPTIONS = {
  model: { type: 'string' },
  weights: { type: 'string' },
  data: { type: 'string' },
  download: { type: 'boolean' },
  csv: { type: 'string' },
  limit: { type: 'string' },
  'validation-split': { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  'learning-rate': { type: 'string' },
  'weight-decay': { type: 'string' },
  'label-smoothing': { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  dtype: { type: 'string' },
  history: { type: 'string' },
  progress: { type: 'boolean' },
  'no-progress': { type: 'boolean' },
  ...THREADS_OPTION,
} as const;

/** `model.gz` -> `model.checkpoint.gz`, `model.history.json`. */
export function besideOut(out: string, suffix: string): string {
  return out.replace(/(\.gz)?$/, '') + suffix;
}

/** The shuffling seed of epoch `e`: each epoch is its own train() call, so each gets its own order. */
const epochSeed = (seed: number, e: number): number => (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(e, 0xc2b2ae35)) >>> 0;

export async function run(args: string[], io: Io): Promise<number> {
  const p = parse('train', args, OPTIONS);
  if (flag(p, 'help')) {
    io.stdout.write(HELP);
    return 0;
  }
  const epochs = int(p, 'epochs', 5, 1, 100000);
  const batchSize = int(p, 'batch-size', 64, 1, 65536);
  const learningRate = num(p, 'learning-rate', 1e-3, (x) => x > 0 && x < 1e6, 'a positive number');
  const weightDecay = num(p, 'weight-decay', 0, (x) => x >= 0, 'a number >= 0');
  const labelSmoothing = num(p, 'label-smoothing', 0, (x) => x >= 0 && x < 1, 'in [0, 1)');
  const split = num(p, 'validation-split', 0.1, (x) => x >= 0 && x < 1, 'a fraction in [0, 1)');
  const seed = int(p, 'seed', 1, 0, 2 ** 31 - 1);
  const maxImages = int(p, 'limit', undefined, 1, 1e9);
  const dtype = str(p, 'dtype') ?? 'f32';
  if (dtype !== 'f32' && dtype !== 'f16' && dtype !== 'int8') throw new UsageError(`--dtype must be f32, f16 or int8, got '${dtype}'`);
  if (flag(p, 'progress') && flag(p, 'no-progress')) throw new UsageError('pass --progress or --no-progress, not both');
  if (str(p, 'weights') !== undefined && str(p, 'model') !== undefined) {
    throw new UsageError('pass --model (a fresh network) or --weights (a saved one), not both');
  }
  const out = str(p, 'out') ?? 'model.gz';
  const checkpointPath = besideOut(out, '.checkpoint.gz');
  const historyPath = str(p, 'history') ?? besideOut(out, '.history.json');
  const nThreads = threads(p);
  const onWarning = (m: string) => line(io.stderr, `note: ${m}`);

  // The model first: a bad --model fails before any data is read.
  let clf: Classifier;
  let modelName: string;
  const weightsPath = str(p, 'weights');
  if (weightsPath !== undefined) {
    clf = await createClassifier({ weights: readBytes(weightsPath, 'weight file'), seed, threads: nThreads, onWarning });
    modelName = weightsPath;
  } else {
    const spec = modelSpec(str(p, 'model') ?? 'seed-cnn');
    clf = await createClassifier({ model: spec.model, labels: spec.labels, seed, threads: nThreads, onWarning });
    modelName = spec.name;
  }
  try {
    const data = await loadData(
      { dir: str(p, 'data'), csv: str(p, 'csv'), download: flag(p, 'download'), classes: clf.labels.length },
      io,
      'train',
    );
    const all = limit(data.train!, maxImages);
    const { train, validation } = splitValidation(all, split, seed);
    const steps = Math.ceil(train.count / batchSize);
    line(io.stdout, `training ${modelName} (${count(clf.parameterCount)} parameters) on ${count(train.count)} images of ${data.source}` +
      `${validation ? `, validating on ${count(validation.count)}` : ''}: ${epochs} epoch${epochs === 1 ? '' : 's'} of ${count(steps)} steps of ${batchSize}`);

    const status = new StatusLine(io.stderr, wantsLive(io.stderr, io.env, flag(p, 'progress') ? true : flag(p, 'no-progress') ? false : undefined));
    const history = {
      format: 'garment-wasm/history',
      version: 1,
      model: modelName,
      layers: clf.layers,
      labels: clf.labels,
      parameters: clf.parameterCount,
      data: data.source,
      trainImages: train.count,
      validationImages: validation?.count ?? 0,
      options: { epochs, batchSize, learningRate, weightDecay, labelSmoothing, seed, validationSplit: split, threads: nThreads },
      threads: 1,
      epochs: [] as EpochSummary[],
      test: undefined as undefined | { accuracy: number; loss: number; count: number },
    };
    const t0 = performance.now();
    for (let e = 1; e <= epochs; e++) {
      const onProgress = (q: TrainProgress) => {
        if (!status.live) return;
        const seen = Math.min(q.step * batchSize, train.count);
        const left = (epochs - e) * train.count + (train.count - seen);
        status.draw(
          `epoch ${e}/${epochs} ${bar(q.step / q.stepsPerEpoch)} ${q.step}/${q.stepsPerEpoch}  loss ${q.loss.toFixed(4)}  ` +
            `acc ${percent(q.accuracy)}  ${count(q.imagesPerSecond)} img/s  ETA ${duration(left / Math.max(1e-9, q.imagesPerSecond))}`,
          q.step === 1,
        );
        if (q.step === q.stepsPerEpoch && validation) status.draw(`epoch ${e}/${epochs}  validating on ${count(validation.count)} images...`, true);
      };
      let summary: EpochSummary;
      try {
        const h = await clf.train(train, {
          epochs: 1, batchSize, learningRate, weightDecay, labelSmoothing, seed: epochSeed(seed, e), validation,
          onProgress, progressInterval: REDRAW_MS, signal: io.signal,
        });
        summary = { ...h.epochs[0], epoch: e };
      } catch (err) {
        status.clear();
        if ((err as { code?: string }).code === 'E_ABORTED') {
          writeAtomic(checkpointPath, await clf.save());
          throw new CliError(`interrupted in epoch ${e}: saved the weights of the last finished step to ${checkpointPath}; continue with --weights ${checkpointPath}`, { exitCode: 130 });
        }
        throw err;
      }
      status.clear();
      history.threads = clf.threads;
      history.epochs.push(summary);
      writeAtomic(checkpointPath, await clf.save());
      writeAtomic(historyPath, `${JSON.stringify(history, null, 2)}\n`);
      line(io.stdout, epochLine(summary, epochs, clf.threads));
    }
    const seconds = (performance.now() - t0) / 1000;
    writeAtomic(out, await clf.save({ dtype }));
    unlinkSync(checkpointPath);
    if (data.test && str(p, 'csv') === undefined) {
      const r = await clf.evaluate(data.test);
      history.test = { accuracy: r.accuracy, loss: r.loss, count: r.count };
      writeAtomic(historyPath, `${JSON.stringify(history, null, 2)}\n`);
      line(io.stdout, `test accuracy ${percent(r.accuracy)} (loss ${r.loss.toFixed(4)}) on ${count(r.count)} test images`);
    }
    line(io.stdout, `trained in ${duration(seconds)}; saved ${out} (${dtype}) and ${historyPath}`);
    return 0;
  } finally {
    clf.dispose();
  }
}

function epochLine(e: EpochSummary, epochs: number, threadCount: number): string {
  const width = String(epochs).length;
  let s = `epoch ${String(e.epoch).padStart(width)}/${epochs}  loss ${e.loss.toFixed(4)}  acc ${percent(e.accuracy)}`;
  if (e.validationAccuracy !== undefined) s += `  val loss ${e.validationLoss!.toFixed(4)}  val acc ${percent(e.validationAccuracy)}`;
  return `${s}  ${e.seconds.toFixed(1)} s  ${count(e.imagesPerSecond)} img/s  ${threadCount} thread${threadCount === 1 ? '' : 's'}`;
}
