// The training loop: split, shuffle, batch, schedule, step, progress, validation, early
// stopping, abort.
import { GarmentError, show } from '../errors.ts';
import type { Network } from '../model/network.ts';
import type { Augmentation } from '../model/plan.ts';
import type { OptimizerSettings } from '../model/plan-training.ts';
import { enableTraining, restoreSnapshot, trainBatch } from './batch.ts';
import { Rng, mix32 } from '../model/random.ts';
import { IMAGE_PIXELS, type Dataset } from '../types.ts';
import { evaluateNetwork } from './evaluate.ts';
import { platform } from '#platform';
import { type LoopState, encodeCheckpoint, restoreCheckpoint } from './checkpoint.ts';
import { type Schedule, checkSchedule, learningRateAt } from './schedule.ts';
import { checkDataset } from './validate.ts';

/** Progress reported while training. */
export interface TrainProgress {
  /** 1-based epoch. */
  epoch: number;
  epochs: number;
  /** 1-based step within the epoch. */
  step: number;
  stepsPerEpoch: number;
  /** Mean loss and accuracy over this epoch so far. */
  loss: number;
  accuracy: number;
  /** Training throughput over this epoch so far. */
  imagesPerSecond: number;
  /** The learning rate of the last step. */
  learningRate: number;
}

/** What one epoch achieved. */
export interface EpochSummary {
  epoch: number;
  loss: number;
  accuracy: number;
  validationLoss?: number;
  validationAccuracy?: number;
  seconds: number;
  imagesPerSecond: number;
  learningRate: number;
}

/** The learning curves of a training run, one entry per epoch. */
export interface TrainHistory {
  epochs: EpochSummary[];
  /** Set when early stopping ended the run: the epoch whose weights the model kept. */
  bestEpoch?: number;
  stoppedEarly?: boolean;
}

/** Data augmentation for training images; `true` picks shift 2 and flips. */
export interface AugmentOptions {
  /** Random translation by up to this many pixels (a crop of the zero-padded image). Default 2. */
  shift?: number;
  /** Random horizontal flips. Default true. */
  flip?: boolean;
  /** Probability of random erasing. Default 0. */
  erase?: number;
  /** Erased area range, as fractions of the image. Default [0.02, 0.25]. */
  eraseArea?: [number, number];
}

export interface EarlyStoppingOptions {
  /** Epochs without improvement before stopping. */
  patience: number;
  /** What must improve. Default 'loss' (validation loss). */
  monitor?: 'loss' | 'accuracy';
  /** Smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
  /** Put back the best epoch's weights when stopping (and at the end). Default true. */
  restoreBest?: boolean;
}

export interface TrainOptions {
  /** Passes over the data. Default 1. */
  epochs?: number;
  /** Images per optimizer step. Default 64. */
  batchSize?: number;
  /** Peak step size. Default 1e-3 (Adam) or 0.05 (SGD). */
  learningRate?: number;
  /** 'adam' (default; with weightDecay it is AdamW) or 'sgd' (with momentum). */
  optimizer?: 'adam' | 'sgd';
  /** Decoupled weight decay (AdamW; SGD: decoupled too). Applies to weights, not biases or batch-norm. Default 0. */
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** SGD momentum. Default 0.9. */
  momentum?: number;
  nesterov?: boolean;
  /** Learning-rate schedule over the run. Default constant. */
  schedule?: Schedule | Schedule['type'];
  /** Label smoothing in [0, 1). Default 0. */
  labelSmoothing?: number;
  /** Augment training images (see AugmentOptions). Default off. */
  augment?: boolean | AugmentOptions;
  /** Shuffle the training set each epoch. Default true. */
  shuffle?: boolean;
  /** Seed for shuffling, augmentation, dropout and the validation split; defaults to the classifier's seed. */
  seed?: number;
  /** Evaluated after every epoch; its loss and accuracy go into the history. */
  validation?: Dataset;
  /** Hold out this fraction of the training data (seeded) as the validation set. */
  validationSplit?: number;
  /** Stop when the validation metric stops improving (needs validation or validationSplit). */
  earlyStopping?: EarlyStoppingOptions;
  /** Called after each step at most every `progressInterval` ms, and after the last step of each epoch. */
  onProgress?: (p: TrainProgress) => void;
  /** Called once per epoch with its summary. */
  onEpoch?: (e: EpochSummary) => void;
  progressInterval?: number;
  /** Stops training within one batch; the model keeps the weights of the last finished step. */
  signal?: AbortSignal;
  /** Save checkpoints: at the end of every epoch, every `everySteps` steps, and when aborted. */
  checkpoint?: CheckpointOptions;
  /** Continue from a checkpoint of a run with the same data, options and thread count. */
  resume?: Uint8Array;
}

export interface CheckpointOptions {
  /** A file to write (Node, Deno, Bun): through a temporary file and a rename, never half-written. */
  path?: string;
  /** Called with each checkpoint's bytes (any runtime, e.g. to store it in IndexedDB). */
  onSave?: (bytes: Uint8Array, at: { epoch: number; step: number }) => void | Promise<void>;
  /** Also save every this many steps. Default: only at epoch ends (and on abort). */
  everySteps?: number;
}

interface Settings {
  epochs: number;
  batchSize: number;
  optimizer: OptimizerSettings;
  schedule: Schedule;
  labelSmoothing: number;
  augmentation?: Augmentation;
  shuffle: boolean;
  progressInterval: number;
  validationSplit: number;
  earlyStopping?: Required<EarlyStoppingOptions>;
}

function num(v: unknown, name: string, def: number, ok: (x: number) => boolean, expect: string): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) {
    throw new GarmentError('E_OPTION', `train: ${name} must be ${expect}, got ${show(v)}`);
  }
  return v;
}

const isPosInt = (max: number) => (x: number) => Number.isInteger(x) && x >= 1 && x <= max;

function bool(v: unknown, name: string, def: boolean): boolean {
  if (v === undefined) return def;
  if (typeof v !== 'boolean') throw new GarmentError('E_OPTION', `train: ${name} must be true or false`);
  return v;
}

function augmentation(v: unknown): Augmentation | undefined {
  if (v === undefined || v === false) return undefined;
  const o = (v === true ? {} : v) as AugmentOptions;
  if (!o || typeof o !== 'object') throw new GarmentError('E_OPTION', 'train: augment must be true, false or { shift, flip, erase, eraseArea }');
  const area = o.eraseArea ?? [0.02, 0.25];
  if (!Array.isArray(area) || area.length !== 2 || !(area[0] > 0 && area[0] <= area[1] && area[1] <= 1)) {
    throw new GarmentError('E_OPTION', 'train: augment.eraseArea must be [min, max] with 0 < min <= max <= 1');
  }
  return {
    shift: num(o.shift, 'augment.shift', 2, (x) => Number.isInteger(x) && x >= 0 && x <= 8, 'an integer in 0..8'),
    flip: bool(o.flip, 'augment.flip', true),
    erase: num(o.erase, 'augment.erase', 0, (x) => x >= 0 && x <= 1, 'in [0, 1]'),
    eraseArea: [area[0], area[1]],
  };
}

export function trainSettings(o: TrainOptions): Settings {
  if (o === null || typeof o !== 'object') throw new GarmentError('E_OPTION', 'train: options must be an object');
  for (const cb of ['onProgress', 'onEpoch'] as const) {
    if (o[cb] !== undefined && typeof o[cb] !== 'function') throw new GarmentError('E_OPTION', `train: ${cb} must be a function`);
  }
  const kind = o.optimizer ?? 'adam';
  if (kind !== 'adam' && kind !== 'sgd') throw new GarmentError('E_OPTION', `train: optimizer must be 'adam' or 'sgd', got ${show(o.optimizer)}`);
  let earlyStopping: Required<EarlyStoppingOptions> | undefined;
  if (o.earlyStopping !== undefined) {
    const e = o.earlyStopping;
    if (!e || typeof e !== 'object') throw new GarmentError('E_OPTION', 'train: earlyStopping must be { patience, monitor?, minDelta?, restoreBest? }');
    if (e.monitor !== undefined && e.monitor !== 'loss' && e.monitor !== 'accuracy') throw new GarmentError('E_OPTION', `train: earlyStopping.monitor must be 'loss' or 'accuracy'`);
    earlyStopping = {
      patience: num(e.patience, 'earlyStopping.patience', NaN, isPosInt(100000), 'an integer >= 1'),
      monitor: e.monitor ?? 'loss',
      minDelta: num(e.minDelta, 'earlyStopping.minDelta', 0, (x) => x >= 0, 'a number >= 0'),
      restoreBest: bool(e.restoreBest, 'earlyStopping.restoreBest', true),
    };
  }
  return {
    epochs: num(o.epochs, 'epochs', 1, isPosInt(100000), 'an integer >= 1'),
    batchSize: num(o.batchSize, 'batchSize', 64, isPosInt(65536), 'an integer in 1..65536'),
    optimizer: {
      kind,
      learningRate: num(o.learningRate, 'learningRate', kind === 'sgd' ? 0.05 : 1e-3, (x) => x > 0 && x < 1e6, 'a positive number'),
      weightDecay: num(o.weightDecay, 'weightDecay', 0, (x) => x >= 0 && x < 1e3, 'a number >= 0'),
      beta1: num(o.beta1, 'beta1', 0.9, (x) => x >= 0 && x < 1, 'in [0, 1)'),
      beta2: num(o.beta2, 'beta2', 0.999, (x) => x >= 0 && x < 1, 'in [0, 1)'),
      epsilon: num(o.epsilon, 'epsilon', 1e-7, (x) => x > 0 && x < 1, 'in (0, 1)'),
      momentum: num(o.momentum, 'momentum', 0.9, (x) => x >= 0 && x < 1, 'in [0, 1)'),
      nesterov: bool(o.nesterov, 'nesterov', false),
    },
    schedule: checkSchedule(o.schedule),
    labelSmoothing: num(o.labelSmoothing, 'labelSmoothing', 0, (x) => x >= 0 && x < 1, 'in [0, 1)'),
    augmentation: augmentation(o.augment),
    shuffle: bool(o.shuffle, 'shuffle', true),
    progressInterval: num(o.progressInterval, 'progressInterval', 100, (x) => x >= 0, 'a number of milliseconds >= 0'),
    validationSplit: num(o.validationSplit, 'validationSplit', 0, (x) => x >= 0 && x < 1, 'in [0, 1)'),
    earlyStopping,
  };
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Lets timers, I/O and abort signals run between batches. */
// A message to ourselves is a task like setTimeout(0), but without its clamping (1 ms in Node,
// 4 ms in browsers when nested), so a yield costs microseconds.
const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => {
    if (typeof MessageChannel !== 'function') return void setTimeout(resolve, 0);
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(0);
  });

/** How often the loop yields, in ms: rare enough to cost nothing, often enough to stay responsive. */
const YIELD_EVERY_MS = 25;

/** Splits off a seeded random `fraction` of `ds` as a validation set. */
function splitValidation(ds: Dataset, fraction: number, rng: Rng): { train: Dataset; validation: Dataset } {
  const order = new Uint32Array(ds.count);
  for (let i = 0; i < order.length; i++) order[i] = i;
  rng.shuffle(order);
  const nVal = Math.max(1, Math.round(ds.count * fraction));
  if (nVal >= ds.count) throw new GarmentError('E_OPTION', `train: validationSplit ${fraction} leaves no training images out of ${ds.count}`);
  const take = (idx: Uint32Array): Dataset => {
    const images = new Uint8Array(idx.length * IMAGE_PIXELS);
    const labels = new Uint8Array(idx.length);
    idx.forEach((src, i) => {
      images.set(ds.images.subarray(src * IMAGE_PIXELS, (src + 1) * IMAGE_PIXELS), i * IMAGE_PIXELS);
      labels[i] = ds.labels[src];
    });
    return { images, labels, count: idx.length };
  };
  // Keep the training images in their original order; the epoch shuffle does the rest.
  const trainIdx = order.subarray(nVal).slice().sort();
  return { train: take(trainIdx), validation: take(order.subarray(0, nVal).slice().sort()) };
}

/** A cheap identity for a dataset: its size and a hash of every 61st pixel and every label. */
function dataHash(ds: Dataset): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < ds.images.length; i += 61) h = Math.imul(h ^ ds.images[i], 0x01000193);
  for (let i = 0; i < ds.labels.length; i++) h = Math.imul(h ^ ds.labels[i], 0x01000193);
  return h >>> 0;
}

function checkCheckpointOptions(c: unknown): CheckpointOptions | undefined {
  if (c === undefined) return undefined;
  if (!c || typeof c !== 'object') throw new GarmentError('E_OPTION', 'train: checkpoint must be { path?, onSave?, everySteps? }');
  const o = c as CheckpointOptions;
  if (o.path !== undefined && (typeof o.path !== 'string' || !o.path)) throw new GarmentError('E_OPTION', 'train: checkpoint.path must be a file path');
  if (o.onSave !== undefined && typeof o.onSave !== 'function') throw new GarmentError('E_OPTION', 'train: checkpoint.onSave must be a function');
  if (o.path === undefined && o.onSave === undefined) throw new GarmentError('E_OPTION', 'train: checkpoint needs a path or an onSave callback');
  num(o.everySteps, 'checkpoint.everySteps', 1, isPosInt(1e9), 'an integer >= 1');
  return o;
}

export async function trainNetwork(
  net: Network, data: Dataset, options: TrainOptions, seed: number, labels: readonly string[],
  metadata: Record<string, unknown> = {},
): Promise<TrainHistory> {
  // null is taken as no options, like undefined (options.validation below would throw a TypeError).
  options ??= {};
  const s = trainSettings(options);
  const classes = net.layout.classes;
  let train = checkDataset(data, classes, 'training data');
  let validation = options.validation === undefined ? undefined : checkDataset(options.validation, classes, 'validation data');
  const runSeed = options.seed === undefined ? seed : num(options.seed, 'seed', 0, (x) => Number.isSafeInteger(x) && x >= 0, 'a non-negative integer');
  if (s.validationSplit > 0) {
    if (validation) throw new GarmentError('E_OPTION', 'train: pass validation or validationSplit, not both');
    ({ train, validation } = splitValidation(train, s.validationSplit, new Rng(runSeed, 3)));
  }
  if (s.earlyStopping && !validation) throw new GarmentError('E_OPTION', 'train: earlyStopping needs validation data or validationSplit');
  const signal = options.signal;
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof signal.aborted !== 'boolean')) {
    throw new GarmentError('E_OPTION', 'train: signal must be an AbortSignal');
  }
  const checkpoint = checkCheckpointOptions(options.checkpoint);
  enableTraining(net);
  const order = new Uint32Array(train.count);
  const stepsPerEpoch = Math.ceil(train.count / s.batchSize);
  const totalSteps = stepsPerEpoch * s.epochs;
  const cos = (x: number) => net.engine.k.cos64(x);
  const es = s.earlyStopping;
  const fingerprint = JSON.stringify({
    data: [train.count, dataHash(train)], validation: validation ? [validation.count, dataHash(validation)] : null,
    seed: runSeed, ...s, progressInterval: undefined,
  });
  let st: LoopState = {
    epoch: 1, step: 0, runStep: 0, optimizerStep: net.optimizerStep, lossSum: 0, correct: 0, seen: 0,
    history: [], best: Infinity, sinceBest: 0, fingerprint,
  };
  let bestParams: Float32Array | undefined;
  if (options.resume !== undefined) ({ state: st, best: bestParams } = restoreCheckpoint(net, options.resume, fingerprint, { epochs: s.epochs, stepsPerEpoch }));
  const history: TrainHistory = { epochs: st.history };
  if (st.bestEpoch !== undefined) history.bestEpoch = st.bestEpoch;
  const save = async () => {
    if (!checkpoint) return;
    st.optimizerStep = net.optimizerStep;
    const bytes = encodeCheckpoint(net, labels, metadata, st, bestParams);
    if (checkpoint.path) {
      try {
        await platform.writeFileAtomic(checkpoint.path, bytes);
      } catch (e) {
        if (e instanceof GarmentError) throw e;
        throw new GarmentError('E_IO', `could not write the checkpoint ${checkpoint.path}: ${(e as Error)?.message ?? e}`, { cause: e });
      }
    }
    await checkpoint.onSave?.(bytes, { epoch: st.epoch, step: st.step });
  };
  let lastYield = now();
  let lr = s.optimizer.learningRate;
  let stopped = false;
  for (; st.epoch <= s.epochs && !stopped; st.epoch++, st.step = 0, st.lossSum = 0, st.correct = 0, st.seen = 0) {
    const epoch = st.epoch;
    // Each epoch's order comes from (seed, epoch) alone, so a resumed run can rebuild it.
    for (let i = 0; i < order.length; i++) order[i] = i;
    if (s.shuffle) new Rng(runSeed, 16 + epoch).shuffle(order);
    const t0 = now();
    let lastReport = t0;
    const seenAtStart = st.seen;
    while (st.step < stepsPerEpoch) {
      if (signal?.aborted) {
        await save();
        throw abortError(signal);
      }
      const step = st.step + 1;
      const from = st.step * s.batchSize;
      const n = Math.min(s.batchSize, train.count - from);
      lr = learningRateAt(s.schedule, s.optimizer.learningRate, st.runStep, totalSteps, cos);
      const slot = (++st.runStep & 1) as 0 | 1;
      const result = await trainBatch(net,
        { images: train.images, labels: train.labels, order, from, n },
        {
          stepSeed: mix32(runSeed, net.optimizerStep + 1), gradScale: Math.fround(1 / n), smoothing: s.labelSmoothing,
          augmentation: s.augmentation, optimizer: { ...s.optimizer, learningRate: lr },
        },
        slot,
      );
      // The divergence guard. Non-finite weights or optimizer moments after this step: put back
      // the state from before it.
      // A non-finite loss: the weights it came from are already bad (finite but overflowing), so
      // put back the ones before the previous step, which gave a finite loss.
      const lossBad = !Number.isFinite(result.lossSum);
      if (lossBad || !result.finite) {
        restoreSnapshot(net, lossBad && st.runStep > 1 ? ((slot ^ 1) as 0 | 1) : slot);
        const what = lossBad ? `the loss is ${result.lossSum}; the last weights with a finite loss were put back` : 'the weights or the optimizer\'s moments are no longer finite; the state from before this step was put back';
        throw new GarmentError('E_DIVERGED', `training diverged at epoch ${epoch}, step ${step}: ${what}; lower the learning rate (now ${lr})`);
      }
      st.step = step;
      st.correct += result.correct;
      st.lossSum += result.lossSum;
      st.seen += n;
      const t = now();
      if (options.onProgress && (t - lastReport >= s.progressInterval || step === stepsPerEpoch)) {
        lastReport = t;
        options.onProgress({
          epoch, epochs: s.epochs, step, stepsPerEpoch, loss: st.lossSum / st.seen, accuracy: st.correct / st.seen,
          imagesPerSecond: (st.seen - seenAtStart) / Math.max(1e-9, (t - t0) / 1000), learningRate: lr,
        });
      }
      if (checkpoint?.everySteps && st.runStep % checkpoint.everySteps === 0 && step < stepsPerEpoch) await save();
      if (t - lastYield >= YIELD_EVERY_MS) {
        await yieldToEventLoop();
        lastYield = now();
      }
    }
    const seconds = (now() - t0) / 1000;
    const summary: EpochSummary = {
      epoch, loss: st.lossSum / st.seen, accuracy: st.correct / st.seen, seconds,
      imagesPerSecond: (st.seen - seenAtStart) / Math.max(1e-9, seconds), learningRate: lr,
    };
    if (validation) {
      const r = await evaluateNetwork(net, validation, labels);
      summary.validationLoss = r.loss;
      summary.validationAccuracy = r.accuracy;
    }
    history.epochs.push(summary);
    options.onEpoch?.(summary);
    if (es) {
      const score = es.monitor === 'loss' ? summary.validationLoss! : -summary.validationAccuracy!;
      if (score < st.best - es.minDelta) {
        st.best = score;
        st.sinceBest = 0;
        st.bestEpoch = history.bestEpoch = epoch;
        if (es.restoreBest) bestParams = net.params().slice();
      } else if (++st.sinceBest >= es.patience) {
        history.stoppedEarly = true;
        stopped = true;
      }
    }
    if (checkpoint) {
      // Saved as "epoch done": a resume starts the next one.
      st.epoch++;
      st.step = 0;
      st.lossSum = st.correct = st.seen = 0;
      await save();
      st.epoch--;
    }
  }
  if (es?.restoreBest && bestParams && history.bestEpoch !== history.epochs.length) {
    net.params().set(bestParams);
    net.paramsChanged();
  }
  return history;
}

/** The classifier's metadata after a run: epochs and optimizer steps so far, the last validation accuracy. */
export function trainedMetadata(metadata: Record<string, unknown>, history: TrainHistory, optimizerSteps: number): Record<string, unknown> {
  const last = history.epochs[history.epochs.length - 1];
  return {
    ...metadata,
    trainedEpochs: Number(metadata.trainedEpochs ?? 0) + history.epochs.length,
    optimizerSteps,
    ...(last?.validationAccuracy !== undefined ? { validationAccuracy: last.validationAccuracy } : {}),
  };
}

function abortError(signal: AbortSignal): GarmentError {
  return new GarmentError('E_ABORTED', 'training was aborted; the model keeps the weights of the last finished step', { cause: signal.reason });
}
