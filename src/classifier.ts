// The Classifier: one model, its weights and its labels, behind a small async API.
import { GarmentError, show } from './errors.ts';
import { canShareMemory, loadModule, type WasmSource } from './engine/module.ts';
import { platform } from '#platform';
import { type BatchInput, type ImageInput, isBatch, toPixels } from './input.ts';
import { CHECKPOINT_TENSOR_PREFIXES, checkLabels, type StoredFile } from './io/weights-format.ts';
import type { SaveOptions } from './io/save-network.ts';
import { DEFAULT_NORM, Network, argmax, type InputNorm, type ThreadConfig } from './model/network.ts';
import { type LayerSpec, type PresetName, validateLayers } from './model/spec.ts';
// Training, evaluation and saving load on first use, so an app that only classifies never
// downloads or parses them (nor fflate's compressor).
import type { EvaluationReport } from './train/metrics.ts';
import type { TrainHistory, TrainOptions } from './train/train.ts';
import { FASHION_MNIST_LABELS, IMAGE_SIDE, type Dataset } from './types.ts';

/** Options of {@link createClassifier}. */
export interface ClassifierOptions {
  /** A preset name or a layer list. With neither `model` nor `weights`, the bundled pretrained model loads. */
  model?: PresetName | LayerSpec[];
  /** A weight file from `save()` (gzipped bytes). */
  weights?: Uint8Array | ArrayBuffer;
  /** Class names, in label order. Default: the ten Fashion-MNIST classes. */
  labels?: readonly string[];
  /** Seed for initialisation, shuffling and dropout. Default 1. */
  seed?: number;
  /**
   * Threads for training and batched inference: a number, or 'auto' (the machine's cores, at most 8).
   * Where workers or SharedArrayBuffer are missing (no cross-origin isolation, edge runtimes) this
   * falls back to one thread, with identical results. Default 'auto'.
   */
  threads?: number | 'auto';
  /** Called with a message when something degrades quietly (e.g. threads fall back to one). */
  onWarning?: (message: string) => void;
  /**
   * 'exact' (default): identical results in every runtime and on every CPU. 'fast': fused
   * multiply-add (relaxed SIMD) where the runtime supports it, faster, but the last bits of
   * results may differ between CPUs and runtimes; falls back to 'exact' (with a warning) elsewhere.
   */
  precision?: 'exact' | 'fast';
  /** The wasm binary, for hosts that cannot read it from beside the bundle (e.g. Cloudflare Workers). */
  wasm?: WasmSource;
}

/** One image's classification. */
export interface Prediction {
  /** The most likely class name. */
  label: string;
  /** Its index in `labels`. */
  index: number;
  /** Its probability. */
  confidence: number;
  /** Probabilities of every class, in label order. */
  probabilities: Float32Array;
}

/** The network behind each classifier, for the project's own tests (exported by src/internal.ts only). */
export const networkOf = new WeakMap<Classifier, Network>();

export class Classifier {
  /** Class names, in label order. */
  readonly labels: readonly string[];
  readonly #net: Network;
  readonly #seed: number;
  #metadata: Record<string, unknown>;
  #disposed = false;
  #queue: Promise<unknown> = Promise.resolve();

  /** @internal Use {@link createClassifier}. */
  constructor(net: Network, labels: readonly string[], seed: number, metadata: Record<string, unknown>) {
    this.#net = net;
    networkOf.set(this, net);
    this.labels = Object.freeze([...labels]);
    this.#seed = seed;
    this.#metadata = metadata;
  }

  /** The model's layer list (JSON). */
  get layers(): readonly LayerSpec[] {
    return this.#net.layers;
  }

  /** Threads in use right now (workers start on the first call that benefits from them). */
  get threads(): number {
    return this.#net.activeThreads;
  }

  /** Number of trainable parameters. */
  get parameterCount(): number {
    return this.#net.layout.paramCount;
  }

  /** Classifies one image (784 pixels or ImageData-like) or a batch (an array of images or a flat array). */
  predict(images: ImageInput): Promise<Prediction>;
  predict(images: BatchInput): Promise<Prediction[]>;
  predict(images: ImageInput | BatchInput): Promise<Prediction | Prediction[]>;
  predict(images: ImageInput | BatchInput): Promise<Prediction | Prediction[]> {
    return this.#run(async () => {
      const batch = isBatch(images);
      const { pixels, count } = await toPixels(images);
      const out = await this.#predictPixels(pixels, count);
      return batch ? out : out[0];
    });
  }

  /** Accuracy, loss, confusion matrix and per-class precision/recall/F1 over a dataset. */
  evaluate(data: Dataset): Promise<EvaluationReport> {
    return this.#run(async () => {
      const { evaluateNetwork, checkDataset } = await import('./train/evaluate.ts');
      return evaluateNetwork(this.#net, checkDataset(data, this.labels.length, 'evaluation data'), this.labels);
    });
  }

  /** Trains on `data`; resolves with the per-epoch history. Same as `train(classifier, data, options)`. */
  train(data: Dataset, options: TrainOptions = {}): Promise<TrainHistory> {
    return this.#run(async () => {
      const { trainNetwork, trainedMetadata } = await import('./train/train.ts');
      const history = await trainNetwork(this.#net, data, options, this.#seed, this.labels, this.#metadata);
      this.#metadata = trainedMetadata(this.#metadata, history, this.#net.optimizerStep);
      return history;
    });
  }

  /** The model as a gzipped weight file. The same weights always give the same bytes. */
  save(options: SaveOptions = {}): Promise<Uint8Array> {
    return this.#run(async () => (await import('./io/save-network.ts')).saveNetwork(this.#net, this.labels, this.#metadata, options));
  }

  /**
   * The model as ONNX bytes (opset 13; input: raw 0..255 pixels as float32 [N, 28, 28, 1], outputs
   * `logits` and `probabilities`), for onnxruntime and other ONNX tools. Also available on its own
   * as `weightsToONNX` from `garment-wasm/onnx`.
   */
  async toONNX(): Promise<Uint8Array> {
    const bytes = await this.save();
    const { weightsToONNX } = await import('./onnx/index.ts');
    return weightsToONNX(bytes);
  }

  /**
   * Ends the worker threads and releases the model; its memory goes with the last reference.
   * Any later call fails with E_DISPOSED.
   */
  dispose(): void {
    this.#disposed = true;
    this.#net.close();
  }

  async #predictPixels(pixels: Uint8Array, count: number): Promise<Prediction[]> {
    const classes = this.labels.length;
    const probs = await this.#net.infer(pixels, 0, count, 'probs');
    for (let i = 0; i < probs.length; i++) {
      if (!Number.isFinite(probs[i])) {
        throw new GarmentError('E_NUMERIC', `image ${Math.floor(i / classes)}: the model's arithmetic overflowed (its weights are too large), so it has no answer`);
      }
    }
    const out: Prediction[] = [];
    for (let i = 0; i < count; i++) {
      const index = argmax(probs, i * classes, classes);
      // Views of one allocation: the probabilities array is all a prediction allocates.
      const probabilities = count === 1 ? probs : probs.subarray(i * classes, (i + 1) * classes);
      out.push({ label: this.labels[index], index, confidence: probabilities[index], probabilities });
    }
    return out;
  }

  /** Runs operations one at a time, so concurrent calls never interleave in wasm memory. */
  #run<T>(fn: () => T | Promise<T>): Promise<T> {
    const next = this.#queue.then(() => {
      if (this.#disposed) throw new GarmentError('E_DISPOSED', 'this classifier was disposed; create a new one');
      return fn();
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

function checkSeed(seed: unknown): number {
  if (seed === undefined) return 1;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new GarmentError('E_OPTION', `createClassifier: seed must be a non-negative integer, got ${show(seed)}`);
  }
  return seed;
}

/** 'auto' uses every core up to this many: small networks stop scaling long before 64. */
const AUTO_THREADS_MAX = 8;

function checkThreads(threads: unknown): number {
  if (threads === undefined || threads === 'auto') return Math.max(1, Math.min(AUTO_THREADS_MAX, platform.cores()));
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new GarmentError('E_OPTION', `createClassifier: threads must be 'auto' or an integer in 1..64, got ${show(threads)}`);
  }
  return threads;
}

/**
 * Decides whether this classifier can use workers and loads the right binary: the threaded one
 * over shared memory, or the plain one (quietly, with one warning) where threads are impossible.
 */
async function networkSetup(options: ClassifierOptions, explicitThreads: boolean, workers: number): Promise<{ module: WebAssembly.Module; threads?: ThreadConfig }> {
  const warned = new Set<string>();
  const warn = (message: string, loud = explicitThreads) => {
    const topic = message.split(':')[0];
    if (warned.has(topic)) return;
    warned.add(topic);
    if (options.onWarning) options.onWarning(message);
    else if (loud) console.warn(`garment-wasm: ${message}`);
  };
  if (options.precision !== undefined && options.precision !== 'exact' && options.precision !== 'fast') {
    throw new GarmentError('E_OPTION', `createClassifier: precision must be 'exact' or 'fast', got ${show(options.precision)}`);
  }
  let relaxed = options.precision === 'fast' && options.wasm === undefined;
  if (relaxed && !(await import('./engine/relaxed.ts')).hasRelaxedSimd()) {
    relaxed = false;
    warn("precision 'fast' unavailable: this runtime has no relaxed SIMD; using 'exact'", true);
  }
  if (workers > 1) {
    let reason: string | undefined;
    if (options.wasm !== undefined) reason = 'a user-supplied wasm module runs on one thread';
    else if (!platform.workers) reason = 'this runtime has no workers';
    else if (!canShareMemory()) reason = 'SharedArrayBuffer is unavailable (in browsers: serve the page cross-origin isolated, with COOP/COEP headers)';
    if (!reason) {
      return {
        module: await loadModule(undefined, relaxed ? 'relaxed-threads' : 'threads'),
        threads: {
          workers,
          source: () => import('./threads/worker-source.ts').then((m) => m.default),
          onFallback: warn,
        },
      };
    }
    warn(`threads unavailable, running on one thread: ${reason}`);
  }
  return { module: await loadModule(options.wasm, relaxed ? 'relaxed' : 'simd') };
}

/** Creates a classifier: the bundled pretrained model, a fresh preset or layer list, or saved weights. */
export async function createClassifier(options: ClassifierOptions = {}): Promise<Classifier> {
  if (options === null || typeof options !== 'object') throw new GarmentError('E_OPTION', 'createClassifier: options must be an object');
  const seed = checkSeed(options.seed);
  const workers = checkThreads(options.threads);
  if (options.onWarning !== undefined && typeof options.onWarning !== 'function') throw new GarmentError('E_OPTION', 'createClassifier: onWarning must be a function');
  if (options.model !== undefined && options.weights !== undefined) {
    throw new GarmentError('E_OPTION', 'createClassifier: pass either model (a fresh network) or weights (a saved one), not both');
  }
  const setup = networkSetup(options, typeof options.threads === 'number', workers);
  setup.catch(() => {}); // awaited below; a rejection before that must not go unhandled
  if (options.model !== undefined) {
    const labels = checkLabels(options.labels ?? FASHION_MNIST_LABELS, 'E_OPTION');
    // Presets and initialisation load only here: apps that load saved weights never fetch them.
    const layers = typeof options.model === 'string'
      ? validateLayers((await import('./model/presets.ts')).presetLayers(options.model, labels.length))
      : validateLayers(options.model);
    const { initParams } = await import('./model/init.ts');
    const { module, threads } = await setup;
    const net = await Network.create(module, layers, labels.length, DEFAULT_NORM, threads);
    initParams(net.layout, net.params(), seed);
    return new Classifier(net, labels, seed, { seed });
  }
  // The weight-file reader loads with the weights, both at once (in browsers a chunk of its own:
  // apps that train fresh networks never fetch it, and the entry a page parses first stays small).
  const reader = platform.weightReader();
  reader.catch(() => {}); // awaited below, as setup is
  let bytes = options.weights;
  const packaged = bytes === undefined;
  if (bytes === undefined) bytes = (await import('./pretrained/default-weights.ts')).default;
  if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
  if (!(bytes instanceof Uint8Array)) throw new GarmentError('E_OPTION', 'createClassifier: weights must be a Uint8Array or ArrayBuffer');
  const file = await (await reader).readWeightFile(bytes, { packaged });
  return fromWeightFile(file, await setup, seed, options.labels);
}

async function fromWeightFile(
  file: StoredFile, { module, threads }: { module: WebAssembly.Module; threads?: ThreadConfig }, seed: number,
  labelsOverride?: readonly string[],
): Promise<Classifier> {
  const spec = file.model as { layers?: unknown } | null;
  const layers = validateLayers(spec && typeof spec === 'object' ? spec.layers : undefined);
  // The file's labels were checked as it was read; labels passed in are checked here.
  const labels = labelsOverride == null ? file.labels : checkLabels(labelsOverride, 'E_OPTION');
  const inp = file.input;
  if (inp.height !== IMAGE_SIDE || inp.width !== IMAGE_SIDE || inp.channels !== 1) {
    throw new GarmentError('E_WEIGHTS_MISMATCH', `weights: this version runs 28x28x1 models, the file describes ${inp.height}x${inp.width}x${inp.channels}`);
  }
  const norm: InputNorm = { scale: Math.fround(inp.scale), shift: Math.fround(inp.shift) };
  const net = await Network.create(module, layers, labels.length, norm, threads);
  const byName = new Map(file.tensors.map((t) => [t.name, t]));
  for (const p of net.layout.params) {
    const t = byName.get(p.name);
    if (!t) throw new GarmentError('E_WEIGHTS_MISMATCH', `weights: tensor ${p.name} is missing`);
    if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) {
      throw new GarmentError('E_WEIGHTS_MISMATCH', `weights: tensor ${p.name} has shape [${t.shape}], the model needs [${p.shape}]`);
    }
    // Int8 and f16 tensors straight from the file convert in wasm (start-up time); the rest copy.
    if ('int8' in t) net.setInt8(t.int8, p.offset);
    else if ('f16' in t) net.setF16(t.f16, p.offset);
    else net.params().set(t.data, p.offset);
    byName.delete(p.name);
  }
  // A checkpoint loads as a model too: its optimizer tensors are for resuming training.
  for (const name of byName.keys()) if (CHECKPOINT_TENSOR_PREFIXES.some((p) => name.startsWith(p))) byName.delete(name);
  if (byName.size) throw new GarmentError('E_WEIGHTS_MISMATCH', `weights: tensors the model does not use: ${[...byName.keys()].join(', ')}`);
  return new Classifier(net, labels, seed, { ...(file.metadata ?? {}) });
}

/** Trains `classifier` on `data`. Same as `classifier.train(data, options)`. */
export async function train(classifier: Classifier, data: Dataset, options?: TrainOptions): Promise<TrainHistory> {
  if (!(classifier instanceof Classifier)) throw new GarmentError('E_OPTION', 'train: the first argument must be a classifier from createClassifier()');
  return classifier.train(data, options);
}

/** Classifies images. Same as `classifier.predict(images)`. */
export function predict(classifier: Classifier, images: ImageInput): Promise<Prediction>;
export function predict(classifier: Classifier, images: BatchInput): Promise<Prediction[]>;
export async function predict(classifier: Classifier, images: ImageInput | BatchInput): Promise<Prediction | Prediction[]> {
  if (!(classifier instanceof Classifier)) throw new GarmentError('E_OPTION', 'predict: the first argument must be a classifier from createClassifier()');
  return classifier.predict(images);
}
