// The training loop: shuffle, batch, forward, loss, backward, Adam, progress, abort.
import { GarmentError } from '../errors.ts';
import type { Network } from '../model/network.ts';
import { Rng, mix32 } from '../model/random.ts';
import type { Dataset } from '../types.ts';
import { evaluateNetwork } from './evaluate.ts';
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
}

/** The learning curves of a training run, one entry per epoch. */
export interface TrainHistory {
  epochs: EpochSummary[];
}

export interface TrainOptions {
  /** Passes over the data. Default 1. */
  epochs?: number;
  /** Images per optimizer step. Default 64. */
  batchSize?: number;
  /** Adam's step size. Default 1e-3. */
  learningRate?: number;
  /** Decoupled weight decay (AdamW); 0 gives plain Adam. Default 0. */
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Label smoothing in [0, 1). Default 0. */
  labelSmoothing?: number;
  /** Shuffle the training set each epoch. Default true. */
  shuffle?: boolean;
  /** Seed for shuffling and dropout; defaults to the classifier's seed. */
  seed?: number;
  /** Evaluated after every epoch; its loss and accuracy go into the history. */
  validation?: Dataset;
  /** Called after each step at most every `progressInterval` ms, and after the last step of each epoch. */
  onProgress?: (p: TrainProgress) => void;
  /** Called once per epoch with its summary. */
  onEpoch?: (e: EpochSummary) => void;
  progressInterval?: number;
  /** Stops training within one batch; the model keeps the weights of the last finished step. */
  signal?: AbortSignal;
}

interface Settings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  labelSmoothing: number;
  shuffle: boolean;
  progressInterval: number;
}

function num(v: unknown, name: string, def: number, ok: (x: number) => boolean, expect: string): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) {
    throw new GarmentError('E_OPTION', `train: ${name} must be ${expect}, got ${String(v)}`);
  }
  return v;
}

const isPosInt = (max: number) => (x: number) => Number.isInteger(x) && x >= 1 && x <= max;

export function trainSettings(o: TrainOptions): Settings {
  if (o === null || typeof o !== 'object') throw new GarmentError('E_OPTION', 'train: options must be an object');
  if (o.shuffle !== undefined && typeof o.shuffle !== 'boolean') throw new GarmentError('E_OPTION', 'train: shuffle must be a boolean');
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw new GarmentError('E_OPTION', 'train: onProgress must be a function');
  if (o.onEpoch !== undefined && typeof o.onEpoch !== 'function') throw new GarmentError('E_OPTION', 'train: onEpoch must be a function');
  return {
    epochs: num(o.epochs, 'epochs', 1, isPosInt(100000), 'an integer >= 1'),
    batchSize: num(o.batchSize, 'batchSize', 64, isPosInt(65536), 'an integer in 1..65536'),
    learningRate: num(o.learningRate, 'learningRate', 1e-3, (x) => x > 0 && x < 1e6, 'a positive number'),
    weightDecay: num(o.weightDecay, 'weightDecay', 0, (x) => x >= 0 && x < 1e3, 'a number >= 0'),
    beta1: num(o.beta1, 'beta1', 0.9, (x) => x >= 0 && x < 1, 'in [0, 1)'),
    beta2: num(o.beta2, 'beta2', 0.999, (x) => x >= 0 && x < 1, 'in [0, 1)'),
    epsilon: num(o.epsilon, 'epsilon', 1e-7, (x) => x > 0 && x < 1, 'in (0, 1)'),
    labelSmoothing: num(o.labelSmoothing, 'labelSmoothing', 0, (x) => x >= 0 && x < 1, 'in [0, 1)'),
    shuffle: o.shuffle ?? true,
    progressInterval: num(o.progressInterval, 'progressInterval', 100, (x) => x >= 0, 'a number of milliseconds >= 0'),
  };
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Lets timers, I/O and abort signals run between batches. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** How often the loop yields, in ms: rare enough to cost nothing, often enough to stay responsive. */
const YIELD_EVERY_MS = 25;

export async function trainNetwork(
  net: Network, data: Dataset, options: TrainOptions, seed: number, labels: readonly string[],
): Promise<TrainHistory> {
  const s = trainSettings(options ?? {});
  const classes = net.layout.classes;
  const train = checkDataset(data, classes, 'training data');
  const validation = options.validation === undefined ? undefined : checkDataset(options.validation, classes, 'validation data');
  const runSeed = options.seed === undefined ? seed : num(options.seed, 'seed', 0, Number.isSafeInteger, 'an integer');
  const signal = options.signal;
  const rng = new Rng(runSeed, 2);
  const order = new Uint32Array(train.count);
  for (let i = 0; i < order.length; i++) order[i] = i;
  const stepsPerEpoch = Math.ceil(train.count / s.batchSize);
  const history: TrainHistory = { epochs: [] };
  let lastYield = now();
  const adam = {
    learningRate: s.learningRate, beta1: s.beta1, beta2: s.beta2, epsilon: s.epsilon, weightDecay: s.weightDecay,
  };
  for (let epoch = 1; epoch <= s.epochs; epoch++) {
    if (s.shuffle) rng.shuffle(order);
    const t0 = now();
    let lastReport = t0;
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    for (let step = 1; step <= stepsPerEpoch; step++) {
      if (signal?.aborted) throw abortError(signal);
      const from = (step - 1) * s.batchSize;
      const n = Math.min(s.batchSize, train.count - from);
      const result = await net.trainBatch(
        { images: train.images, labels: train.labels, order, from, n },
        { stepSeed: mix32(runSeed, net.optimizerStep + 1), gradScale: Math.fround(1 / n), smoothing: s.labelSmoothing },
        adam,
      );
      const batchLoss = result.lossSum;
      correct += result.correct;
      if (!Number.isFinite(batchLoss)) {
        throw new GarmentError('E_DIVERGED', `training diverged at epoch ${epoch}, step ${step}: the loss is ${batchLoss}; lower the learning rate (now ${s.learningRate})`);
      }
      lossSum += batchLoss;
      seen += n;
      const t = now();
      if (options.onProgress && (t - lastReport >= s.progressInterval || step === stepsPerEpoch)) {
        lastReport = t;
        options.onProgress({
          epoch, epochs: s.epochs, step, stepsPerEpoch, loss: lossSum / seen, accuracy: correct / seen,
          imagesPerSecond: seen / Math.max(1e-9, (t - t0) / 1000),
        });
      }
      if (t - lastYield >= YIELD_EVERY_MS) {
        await yieldToEventLoop();
        lastYield = now();
      }
    }
    const seconds = (now() - t0) / 1000;
    const summary: EpochSummary = {
      epoch, loss: lossSum / seen, accuracy: correct / seen, seconds, imagesPerSecond: seen / Math.max(1e-9, seconds),
    };
    if (validation) {
      const r = await evaluateNetwork(net, validation, labels);
      summary.validationLoss = r.loss;
      summary.validationAccuracy = r.accuracy;
    }
    history.epochs.push(summary);
    options.onEpoch?.(summary);
  }
  return history;
}

function abortError(signal: AbortSignal): GarmentError {
  return new GarmentError('E_ABORTED', 'training was aborted; the model keeps the weights of the last finished step', { cause: signal.reason });
}
