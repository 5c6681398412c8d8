/// <reference types="node" />
// garment-wasm train: one library train() call with the preset's recipe as defaults, a checkpoint
// after every epoch (the library's, resumable bit for bit), a live progress line on a terminal and
// one summary line per epoch everywhere.
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import {
  PRESET_NAMES, RECIPES, createClassifier, type Classifier, type EpochSummary, type PresetName, type Recipe, type TrainOptions,
  type TrainProgress,
} from '../../index.ts';
import { CliError, UsageError, dtype as dtypeOption, flag, int, num, parse, str, threads, THREADS_OPTION } from '../args.ts';
import { limit, loadData } from '../data.ts';
import { line, readBytes, writeAtomic, type Io } from '../io.ts';
import { modelSpec } from '../model.ts';
import { REDRAW_MS, StatusLine, bar, count, duration, percent, wantsLive } from '../progress.ts';

export const HELP = `Usage: garment-wasm train [options]

Trains a classifier on Fashion-MNIST (or a CSV of 28x28 images) and saves it. A preset trains
with its recipe (the settings behind the README's accuracy table) unless options say otherwise.
After every epoch a checkpoint is written (atomically) and the learning curves go to a history
file that 'garment-wasm report' draws.

Model and data
  --model NAME|FILE        a preset (${PRESET_NAMES.join(', ')}) or a JSON file with a layer
                           list or { "layers": [...], "labels": [...] }         (default: seed-cnn)
  --weights FILE           start from a saved weight file instead of fresh weights
  --data DIR               a folder with the four Fashion-MNIST files (default: $GARMENT_DATA, then
                           the download cache)
  --download               download Fashion-MNIST into the cache if it is missing
  --csv FILE               train on a Kaggle-style CSV (label,pixel1,...,pixel784) instead
  --limit N                use only the first N training images
  --validation-split F     hold out this fraction of the training images (a seeded pick) and
                           validate on it after every epoch (default: the preset's recipe, 0.1
                           for a JSON model). Without a split, Fashion-MNIST's test set is
                           evaluated after every epoch instead (it never steers training)

Training (defaults: the preset's recipe; for a JSON model 5 epochs, batch 64, Adam 0.001)
  --epochs N               passes over the training images
  --batch-size N           images per optimizer step
  --learning-rate X        peak step size
  --optimizer adam|sgd     Adam (AdamW with --weight-decay) or SGD with momentum
  --schedule NAME          learning rate over the run: constant, cosine or one-cycle
  --weight-decay X         decoupled weight decay
  --label-smoothing X      in [0, 1)
  --augment, --no-augment  random shifts (2 pixels) and horizontal flips
  --patience N             stop after N epochs without a better validation loss (keeps the best)
  --threads N|auto         worker threads                                         (default: auto)
  --seed N                 seed of the initial weights, shuffling, dropout and the split (default: 1)

Output
  --out FILE               the trained weights                                    (default: model.gz)
  --dtype f32|f16|int8     precision of --out                                     (default: f32)
  --history FILE           the training history (JSON)      (default: --out with .history.json)
  --checkpoint-steps N     also checkpoint every N steps (default: at the end of each epoch)
  --resume FILE            continue an interrupted run from its checkpoint: pass the same other
                           options (and thread count) and the result is bit-identical
  --progress               draw the live progress line even when not on a terminal
  --no-progress            never draw it (it is off by default when piped or when CI is set)
  -h, --help               show this help

The checkpoint is FILE.checkpoint.gz beside --out; it is removed once --out is written, and kept
when training stops early (Ctrl-C saves the last finished step first).
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
  optimizer: { type: 'string' },
  schedule: { type: 'string' },
  'weight-decay': { type: 'string' },
  'label-smoothing': { type: 'string' },
  augment: { type: 'boolean' },
  'no-augment': { type: 'boolean' },
  patience: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  dtype: { type: 'string' },
  history: { type: 'string' },
  'checkpoint-steps': { type: 'string' },
  resume: { type: 'string' },
  progress: { type: 'boolean' },
  'no-progress': { type: 'boolean' },
  ...THREADS_OPTION,
} as const;

/** `model.gz` -> `model.checkpoint.gz`, `model.history.json`. */
export function besideOut(out: string, suffix: string): string {
  return out.replace(/(\.gz)?$/, '') + suffix;
}

/** What a JSON model trains with by default. */
const PLAIN: Recipe = { epochs: 5, batchSize: 64, learningRate: 1e-3, validationSplit: 0.1 };

function oneOf<T extends string>(v: string | undefined, name: string, allowed: readonly T[]): T | undefined {
  if (v !== undefined && !(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} must be ${allowed.join(', ')}, got '${v}'`);
  return v as T | undefined;
}

/** The train() options: the recipe, overridden by what the command line says. */
function trainOptions(p: ReturnType<typeof parse>, recipe: Recipe): TrainOptions & { epochs: number; batchSize: number } {
  if (flag(p, 'augment') && flag(p, 'no-augment')) throw new UsageError('pass --augment or --no-augment, not both');
  const o: TrainOptions & { epochs: number; batchSize: number } = {
    ...recipe,
    epochs: int(p, 'epochs', recipe.epochs ?? 5, 1, 100000),
    batchSize: int(p, 'batch-size', recipe.batchSize ?? 64, 1, 65536),
  };
  if (str(p, 'learning-rate') !== undefined) o.learningRate = num(p, 'learning-rate', 0, (x) => x > 0 && x < 1e6, 'a positive number');
  const optimizer = oneOf(str(p, 'optimizer'), 'optimizer', ['adam', 'sgd'] as const);
  if (optimizer) o.optimizer = optimizer;
  const schedule = oneOf(str(p, 'schedule'), 'schedule', ['constant', 'cosine', 'one-cycle'] as const);
  if (schedule) o.schedule = schedule;
  if (str(p, 'weight-decay') !== undefined) o.weightDecay = num(p, 'weight-decay', 0, (x) => x >= 0 && x < 1e3, 'a number >= 0');
  if (str(p, 'label-smoothing') !== undefined) o.labelSmoothing = num(p, 'label-smoothing', 0, (x) => x >= 0 && x < 1, 'in [0, 1)');
  if (flag(p, 'augment')) o.augment = true;
  if (flag(p, 'no-augment')) delete o.augment;
  const split = num(p, 'validation-split', recipe.validationSplit ?? 0, (x) => x >= 0 && x < 1, 'a fraction in [0, 1)');
  if (split > 0) o.validationSplit = split;
  else delete o.validationSplit;
  const patience = int(p, 'patience', undefined, 1, 100000);
  if (patience !== undefined) {
    if (!o.validationSplit) throw new UsageError('--patience needs a validation split (--validation-split F)');
    o.earlyStopping = { patience };
  }
  return o;
}

export async function run(args: string[], io: Io, argv: string[] = ['train', ...args]): Promise<number> {
  const p = parse('train', args, OPTIONS);
  if (flag(p, 'help')) {
    io.stdout.write(HELP);
    return 0;
  }
  const seed = int(p, 'seed', 1, 0, 2 ** 31 - 1);
  const maxImages = int(p, 'limit', undefined, 1, 1e9);
  const everySteps = int(p, 'checkpoint-steps', undefined, 1, 1e9);
  const dtype = dtypeOption(p);
  if (flag(p, 'progress') && flag(p, 'no-progress')) throw new UsageError('pass --progress or --no-progress, not both');
  if (str(p, 'weights') !== undefined && str(p, 'model') !== undefined) {
    throw new UsageError('pass --model (a fresh network) or --weights (a saved one), not both');
  }
  const modelArg = str(p, 'model') ?? (str(p, 'weights') === undefined ? 'seed-cnn' : undefined);
  const spec = modelArg === undefined ? undefined : modelSpec(modelArg);
  const preset = typeof spec?.model === 'string' ? (spec.model as PresetName) : undefined;
  const options = trainOptions(p, preset ? RECIPES[preset] : PLAIN);
  const out = str(p, 'out') ?? 'model.gz';
  const checkpointPath = besideOut(out, '.checkpoint.gz');
  const historyPath = str(p, 'history') ?? besideOut(out, '.history.json');
  const resumePath = str(p, 'resume');
  const resume = resumePath === undefined ? undefined : readBytes(resumePath, 'checkpoint');
  const nThreads = threads(p);
  const onWarning = (m: string) => line(io.stderr, `note: ${m}`);

  // The model first: a bad --model or weight file fails before any data is read.
  let clf: Classifier;
  let modelName: string;
  const weightsPath = str(p, 'weights');
  if (weightsPath !== undefined) {
    clf = await createClassifier({ weights: readBytes(weightsPath, 'weight file'), seed, threads: nThreads, onWarning });
    modelName = weightsPath;
  } else {
    clf = await createClassifier({ model: spec!.model, labels: spec!.labels, seed, threads: nThreads, onWarning });
    modelName = spec!.name;
  }
  try {
    const data = await loadData(
      { dir: str(p, 'data'), csv: str(p, 'csv'), download: flag(p, 'download'), classes: clf.labels.length },
      io,
      'train',
    );
    const train = limit(data.train!, maxImages);
    // The library's split: round(count * fraction) images, at least one.
    const held = options.validationSplit ? Math.max(1, Math.round(train.count * options.validationSplit)) : 0;
    // Without a split, the learning curves show the test set, as the notebooks did (it only watches).
    const test = !held && str(p, 'csv') === undefined ? data.test : undefined;
    const { epochs, batchSize } = options;
    const steps = Math.ceil((train.count - held) / batchSize);
    const recipe = [
      `batch ${batchSize}`, `${options.optimizer ?? 'adam'} ${options.learningRate ?? (options.optimizer === 'sgd' ? 0.05 : 0.001)}`,
      typeof options.schedule === 'string' ? `${options.schedule} schedule` : '',
      options.weightDecay ? `weight decay ${options.weightDecay}` : '', options.labelSmoothing ? `label smoothing ${options.labelSmoothing}` : '',
      options.augment ? 'augmented' : '',
    ].filter(Boolean).join(', ');
    line(io.stdout, `training ${modelName} (${count(clf.parameterCount)} parameters) on ${count(train.count - held)} images of ${data.source}` +
      `${held ? `, validating on ${count(held)}` : test ? `, testing on ${count(test.count)} after each epoch` : ''}: ${epochs} epoch${epochs === 1 ? '' : 's'} of ${count(steps)} steps (${recipe})` +
      (resume ? `, resuming from ${resumePath}` : ''));

    const status = new StatusLine(io.stderr, wantsLive(io.stderr, io.env, flag(p, 'progress') ? true : flag(p, 'no-progress') ? false : undefined));
    const history = {
      format: 'garment-wasm/history',
      version: 1,
      model: modelName,
      layers: clf.layers,
      labels: clf.labels,
      parameters: clf.parameterCount,
      data: data.source,
      trainImages: train.count - held,
      validationImages: held || test?.count || 0,
      validation: held ? 'held-out split' : test ? 'test set' : undefined,
      options: { ...options, seed, threads: nThreads },
      threads: clf.threads,
      epochs: [] as EpochSummary[],
      bestEpoch: undefined as number | undefined,
      stoppedEarly: undefined as boolean | undefined,
      test: undefined as undefined | { accuracy: number; loss: number; count: number },
    };
    // A resumed run continues the curves the interrupted one wrote.
    if (resume && existsSync(historyPath)) {
      try {
        history.epochs = JSON.parse(readFileSync(historyPath, 'utf8')).epochs ?? [];
      } catch {
        // unreadable: the new epochs alone
      }
    }
    const onProgress = (q: TrainProgress) => {
      if (!status.live) return;
      const left = ((q.epochs - q.epoch) * q.stepsPerEpoch + (q.stepsPerEpoch - q.step)) * batchSize;
      status.draw(
        `epoch ${q.epoch}/${q.epochs} ${bar(q.step / q.stepsPerEpoch)} ${q.step}/${q.stepsPerEpoch}  loss ${q.loss.toFixed(4)}  ` +
          `acc ${percent(q.accuracy)}  ${count(q.imagesPerSecond)} img/s  ETA ${duration(left / Math.max(1e-9, q.imagesPerSecond))}`,
      );
      const checking = held || test?.count;
      if (q.step === q.stepsPerEpoch && checking) status.draw(`epoch ${q.epoch}/${q.epochs}  evaluating ${count(checking)} images...`, true);
    };
    const onEpoch = (e: EpochSummary) => {
      status.clear();
      history.threads = clf.threads;
      history.epochs = [...history.epochs.filter((x) => x.epoch < e.epoch), e];
      writeAtomic(historyPath, `${JSON.stringify(history, null, 2)}\n`);
      line(io.stdout, epochLine(e, epochs, clf.threads, held ? 'val' : 'test'));
    };
    const t0 = performance.now();
    let result;
    try {
      result = await clf.train(train, {
        ...options, ...(test ? { validation: test } : {}), seed, onProgress, onEpoch, progressInterval: REDRAW_MS, signal: io.signal, resume,
        checkpoint: { path: checkpointPath, ...(everySteps ? { everySteps } : {}) },
      });
    } catch (err) {
      status.clear();
      if ((err as { code?: string }).code === 'E_ABORTED') {
        const again = `garment-wasm ${argv.filter((a, i) => a !== '--resume' && argv[i - 1] !== '--resume').join(' ')} --resume ${checkpointPath}`;
        throw new CliError(`interrupted: saved the last finished step to ${checkpointPath}; continue with: ${again}`, { exitCode: 130 });
      }
      throw err;
    }
    const seconds = (performance.now() - t0) / 1000;
    history.epochs = result.epochs;
    history.bestEpoch = result.bestEpoch;
    history.stoppedEarly = result.stoppedEarly;
    if (result.stoppedEarly) line(io.stdout, `stopped early: no better validation loss since epoch ${result.bestEpoch}, whose weights are kept`);
    writeAtomic(out, await clf.save({ dtype }));
    if (existsSync(checkpointPath)) unlinkSync(checkpointPath);
    if (data.test && str(p, 'csv') === undefined) {
      // Evaluated again after early stopping put the best weights back.
      const last = result.epochs[result.epochs.length - 1];
      const r = test && !result.stoppedEarly && last?.validationLoss !== undefined
        ? { accuracy: last.validationAccuracy!, loss: last.validationLoss, count: test.count }
        : await clf.evaluate(data.test);
      history.test = { accuracy: r.accuracy, loss: r.loss, count: r.count };
      line(io.stdout, `test accuracy ${percent(r.accuracy)} (loss ${r.loss.toFixed(4)}) on ${count(r.count)} test images`);
    }
    writeAtomic(historyPath, `${JSON.stringify(history, null, 2)}\n`);
    line(io.stdout, `trained in ${duration(seconds)}; saved ${out} (${dtype}) and ${historyPath}`);
    return 0;
  } finally {
    clf.dispose();
  }
}

function epochLine(e: EpochSummary, epochs: number, threadCount: number, what: string): string {
  const width = String(epochs).length;
  let s = `epoch ${String(e.epoch).padStart(width)}/${epochs}  loss ${e.loss.toFixed(4)}  acc ${percent(e.accuracy)}`;
  if (e.validationAccuracy !== undefined) s += `  ${what} loss ${e.validationLoss!.toFixed(4)}  ${what} acc ${percent(e.validationAccuracy)}`;
  return `${s}  ${e.seconds.toFixed(1)} s  ${count(e.imagesPerSecond)} img/s  ${threadCount} thread${threadCount === 1 ? '' : 's'}`;
}
