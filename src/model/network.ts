// A compiled model living in wasm memory: its layout, its parameters and optimizer state, and
// the workspaces that run it, on this thread or on a pool of workers. Everything above this
// (training loop, evaluation, prediction) reaches the kernels only through here.
import { Arena } from '../engine/arena.ts';
import { Engine } from '../engine/engine.ts';
import { GarmentError } from '../errors.ts';
import { platform } from '#platform';
import type { Pool } from '../threads/pool.ts';
import * as P from '../threads/protocol.ts';
import { type Layout, inferLayout } from './layout.ts';
import { foldBatchNorm } from './fold.ts';
import {
  type Augmentation, type BatchNormShare, type OptimizerSettings, type ParamRegion, Workspace, allocParams,
  batchNormPartBytes, optimizerRange,
} from './plan.ts';
import type { LayerSpec } from './spec.ts';
import { type SliceStep, inferSlice, trainSlice } from './step.ts';
import { IMAGE_PIXELS, IMAGE_SIDE } from '../types.ts';

/** First byte the arena uses; address 0 stays free so 0 can mean "no pointer". */
const ARENA_START = 1024;
/** Shared memories are created with a fixed maximum; this is ours (1 GiB). */
const SHARED_MAX_BYTES = 1 << 30;
/** Below this many images, inference runs on the calling thread: a worker round trip costs more. */
const POOL_MIN_INFER = 64;
/** Images per worker and job during inference. */
const POOL_INFER_SLICE = 128;

/** Pixel normalisation: input = pixel * scale + shift. */
export interface InputNorm {
  scale: number;
  shift: number;
}

export const DEFAULT_NORM: InputNorm = { scale: Math.fround(1 / 255), shift: 0 };

/** How a network may use threads: the threaded binary and how many workers. */
export interface ThreadConfig {
  workers: number;
  /** Loads the worker script's source (a lazily imported chunk). */
  source: () => Promise<string>;
  /** Called once when the pool cannot be used and the network falls back to one thread. */
  onFallback: (reason: string) => void;
}

/** One batch of training images, addressed through a (shuffled) index order. */
export interface BatchRef {
  images: Uint8Array;
  labels: Uint8Array;
  order: Uint32Array;
  from: number;
  n: number;
}

export interface BatchResult {
  lossSum: number;
  correct: number;
}

/** Everything one training step needs besides the images. */
export interface StepSettings {
  stepSeed: number;
  gradScale: number;
  smoothing: number;
  augmentation?: Augmentation;
  optimizer: OptimizerSettings;
}

interface PoolState {
  pool: Pool;
  /** Mirrors of the workers' workspaces: where their inputs and outputs live. */
  ws: Workspace[];
  capacity: number;
  training: boolean;
  control: number;
}

export class Network {
  readonly engine: Engine;
  readonly layout: Layout;
  readonly layers: LayerSpec[];
  readonly region: ParamRegion;
  readonly norm: InputNorm;
  /** Adam's step counter t, 1-based after the first step. */
  optimizerStep = 0;
  /** Bumped whenever parameters change, so folded inference weights know when to refresh. */
  private paramsVersion = 1;
  private foldedVersion = 0;
  /** The calling thread's batch-norm statistics block (one slice). */
  private readonly localShare: BatchNormShare;
  /** Room for a copy of parameters and optimizer moments (the divergence guard's last good state). */
  private readonly snapshotAt: number;
  private readonly snapshotStep: [number, number] = [0, 0];
  private readonly module: WebAssembly.Module;
  private readonly arena: Arena;
  private readonly workspaceMark: number;
  /** Where the calling thread's workspace starts: after the pool's workspaces, if any. */
  private localMark: number;
  private readonly threads: ThreadConfig | undefined;
  private local: Workspace | undefined;
  private pooled: PoolState | undefined;
  private poolDisabled = false;
  /** Control block of the pool, allocated with the parameters so layouts never move it. */
  private readonly control: number;

  private constructor(
    engine: Engine, module: WebAssembly.Module, layers: LayerSpec[], layout: Layout, arena: Arena,
    region: ParamRegion, norm: InputNorm, threads: ThreadConfig | undefined, control: number,
  ) {
    this.engine = engine;
    this.module = module;
    this.layers = layers;
    this.layout = layout;
    this.arena = arena;
    this.region = region;
    this.norm = norm;
    this.threads = threads;
    this.control = control;
    this.snapshotAt = arena.f32(6 * layout.paramCount);
    const partBytes = batchNormPartBytes(layout);
    this.localShare = { part0: arena.alloc(partBytes), stride: partBytes, parts: 1, index: 0 };
    this.workspaceMark = arena.mark();
    this.localMark = this.workspaceMark;
  }

  /**
   * Lays out a model in a new memory. With `threads`, `module` must be the threaded build: the
   * memory is shared so workers can join it.
   */
  static async create(
    module: WebAssembly.Module, layers: LayerSpec[], classes: number, norm: InputNorm, threads?: ThreadConfig,
  ): Promise<Network> {
    const layout = inferLayout(layers, { h: IMAGE_SIDE, w: IMAGE_SIDE, c: 1 }, classes);
    const arena = new Arena(ARENA_START);
    const control = threads ? arena.alloc(P.CONTROL_WORDS * 4) : 0;
    const region = allocParams(arena, layout);
    // Fresh memory is zeroed: gradients and Adam moments start at 0.
    const engine = await Engine.create(module, arena.size, threads ? SHARED_MAX_BYTES : undefined);
    return new Network(engine, module, layers, layout, arena, region, norm, threads, control);
  }

  /** The parameters as a live view into wasm memory (invalid after the memory grows). */
  params(): Float32Array {
    return this.engine.f32.subarray(this.region.params >> 2, (this.region.params >> 2) + this.layout.paramCount);
  }

  /** Adam's first and second moments, live views. */
  moments(): [Float32Array, Float32Array] {
    const f = this.engine.f32, n = this.layout.paramCount;
    return [f.subarray(this.region.m >> 2, (this.region.m >> 2) + n), f.subarray(this.region.v >> 2, (this.region.v >> 2) + n)];
  }

  /** Threads this network was set up for (1 without a pool), whether or not they have started. */
  get threadsConfigured(): number {
    return this.threads?.workers ?? 1;
  }

  /** Worker threads in use now (1 when running on the calling thread only). */
  get activeThreads(): number {
    return this.pooled ? this.pooled.pool.size : 1;
  }

  /** One training step over a batch: augmentation, forward, loss, backward, optimizer. */
  async trainBatch(batch: BatchRef, step: StepSettings): Promise<BatchResult> {
    const workers = this.threads?.workers ?? 1;
    const pooled = await this.poolFor(Math.ceil(batch.n / workers), true, batch.n >= workers);
    const t = this.optimizerStep + 1;
    this.paramsVersion++;
    if (!pooled) {
      const ws = this.localWorkspace(batch.n, true);
      this.gather(ws, batch, 0, batch.n);
      trainSlice(this.engine, this.layout, ws, batch.n, 0, step, this.norm);
      optimizerRange(this.engine, this.layout, this.region, this.region.adamDescs, 0, this.layout.trainableCount, t, step.optimizer);
      this.optimizerStep = t;
      return this.collect([ws], [[0, batch.n]], batch);
    }
    const slices = P.splitBatch(batch.n, pooled.pool.size);
    const ranges = P.splitRange(this.layout.trainableCount, pooled.pool.size);
    const c = this.ctrl();
    const f = new Float32Array(c.buffer, c.byteOffset, c.length);
    slices.forEach(([start, n], i) => {
      this.gather(pooled.ws[i], batch, start, n);
      c[P.slot(i, P.S_START)] = start;
      c[P.slot(i, P.S_COUNT)] = n;
      c[P.slot(i, P.S_RANGE_START)] = ranges[i][0];
      c[P.slot(i, P.S_RANGE_END)] = ranges[i][1];
    });
    const o = step.optimizer;
    const a = step.augmentation;
    c[P.N_TOTAL] = batch.n;
    c[P.STEP_SEED] = step.stepSeed | 0;
    c[P.ADAM_STEP] = t;
    f[P.GRAD_SCALE] = step.gradScale;
    f[P.SMOOTHING] = step.smoothing;
    c[P.OPTIMIZER] = o.kind === 'sgd' ? 1 : 0;
    f[P.LR] = o.learningRate;
    f[P.BETA1] = o.beta1;
    f[P.BETA2] = o.beta2;
    f[P.EPSILON] = o.epsilon;
    f[P.WEIGHT_DECAY] = o.weightDecay;
    f[P.MOMENTUM] = o.momentum;
    c[P.NESTEROV] = o.nesterov ? 1 : 0;
    c[P.AUGMENT] = a ? 1 : 0;
    if (a) {
      c[P.AUG_SHIFT] = a.shift;
      c[P.AUG_FLIP] = a.flip ? 1 : 0;
      f[P.AUG_ERASE] = a.erase;
      f[P.AUG_ERASE_MIN] = a.eraseArea[0];
      f[P.AUG_ERASE_MAX] = a.eraseArea[1];
    }
    await this.runPool(pooled, P.CMD_TRAIN);
    this.optimizerStep = t;
    return this.collect(pooled.ws, slices, batch);
  }

  /**
   * Saves parameters, optimizer state and step counter in one of two slots, to put back if a
   * later step diverges (two, because weights can be finite yet already overflow the next loss).
   */
  snapshot(slot: 0 | 1): void {
    const n = this.layout.paramCount * 4;
    const u8 = this.engine.u8;
    const s = this.snapshotAt + slot * 3 * n;
    u8.copyWithin(s, this.region.params, this.region.params + n);
    u8.copyWithin(s + n, this.region.m, this.region.m + n);
    u8.copyWithin(s + 2 * n, this.region.v, this.region.v + n);
    this.snapshotStep[slot] = this.optimizerStep;
  }

  /** Puts back what snapshot(slot) saved. */
  restoreSnapshot(slot: 0 | 1): void {
    const n = this.layout.paramCount * 4;
    const u8 = this.engine.u8;
    const s = this.snapshotAt + slot * 3 * n;
    u8.copyWithin(this.region.params, s, s + n);
    u8.copyWithin(this.region.m, s + n, s + 2 * n);
    u8.copyWithin(this.region.v, s + 2 * n, s + 3 * n);
    this.optimizerStep = this.snapshotStep[slot];
    this.paramsVersion++;
  }

  /** Whether every parameter (and running statistic) is finite. */
  paramsFinite(): boolean {
    return this.engine.k.count_nonfinite(this.region.params, this.layout.paramCount) === 0;
  }

  /** Recomputes the folded batch-norm weights for inference if training changed the parameters. */
  private refold(): void {
    if (this.foldedVersion === this.paramsVersion || this.region.folded.size === 0) return;
    const f32 = this.engine.f32;
    for (const t of foldBatchNorm(this.layout, this.params())) {
      const dst = this.region.folded.get(t.layer)!;
      f32.set(t.w, dst.w >> 2);
      f32.set(t.b, dst.b >> 2);
    }
    this.foldedVersion = this.paramsVersion;
  }

  /** Call after writing parameters directly (loading weights): inference refolds batch norm. */
  paramsChanged(): void {
    this.paramsVersion++;
  }

  /**
   * Inference over images `[from, from + n)` of `pixels`. 'probs' returns n x classes
   * probabilities; 'loss' (with labels) returns per-image losses and predicted classes.
   */
  async infer(pixels: Uint8Array, from: number, n: number, output: 'probs'): Promise<Float32Array>;
  async infer(pixels: Uint8Array, from: number, n: number, output: 'loss', labels: Uint8Array): Promise<{ losses: Float32Array; predicted: Uint8Array }>;
  async infer(pixels: Uint8Array, from: number, n: number, output: 'probs' | 'loss', labels?: Uint8Array): Promise<Float32Array | { losses: Float32Array; predicted: Uint8Array }> {
    const classes = this.layout.classes;
    const probs = output === 'probs' ? new Float32Array(n * classes) : undefined;
    const losses = new Float32Array(output === 'loss' ? n : 0);
    const predicted = new Uint8Array(output === 'loss' ? n : 0);
    const read = (ws: Workspace, at: number, count: number) => {
      const f32 = this.engine.f32;
      if (probs) {
        probs.set(f32.subarray(ws.probs >> 2, (ws.probs >> 2) + count * classes), at * classes);
      } else {
        losses.set(f32.subarray(ws.losses >> 2, (ws.losses >> 2) + count), at);
        for (let i = 0; i < count; i++) predicted[at + i] = argmax(f32, (ws.logits >> 2) + i * classes, classes);
      }
    };
    const load = (ws: Workspace, at: number, count: number) => {
      this.engine.u8.set(pixels.subarray((from + at) * IMAGE_PIXELS, (from + at + count) * IMAGE_PIXELS), ws.pixels);
      if (labels) {
        const i32 = this.engine.i32;
        for (let i = 0; i < count; i++) i32[(ws.labels >> 2) + i] = labels[from + at + i];
      }
    };
    const pooled = await this.poolFor(POOL_INFER_SLICE, false, n >= POOL_MIN_INFER);
    this.refold();
    if (!pooled) {
      const ws = this.localWorkspace(Math.min(n, 256), false);
      for (let at = 0; at < n; at += ws.capacity) {
        const count = Math.min(ws.capacity, n - at);
        load(ws, at, count);
        inferSlice(this.engine, this.layout, ws, count, output, this.norm);
        read(ws, at, count);
      }
    } else {
      const per = pooled.capacity;
      const c = this.ctrl();
      for (let at = 0; at < n; at += per * pooled.pool.size) {
        const slices = P.splitBatch(Math.min(n - at, per * pooled.pool.size), pooled.pool.size);
        slices.forEach(([start, count], i) => {
          if (count) load(pooled.ws[i], at + start, count);
          c[P.slot(i, P.S_COUNT)] = count;
        });
        await this.runPool(pooled, output === 'probs' ? P.CMD_INFER_PROBS : P.CMD_INFER_LOSS);
        slices.forEach(([start, count], i) => count && read(pooled.ws[i], at + start, count));
      }
    }
    return probs ?? { losses, predicted };
  }

  /** Fault injection for tests: makes worker `index` die during the next job. */
  async crashWorker(index: number): Promise<void> {
    const p = this.pooled;
    if (!p) throw new GarmentError('E_WORKER', 'no thread pool is running');
    const c = this.ctrl();
    for (let i = 0; i < p.pool.size; i++) c[P.slot(i, P.S_COUNT)] = i === index ? 1 : 0;
    await this.runPool(p, P.CMD_CRASH);
  }

  /** Ends the workers, if any. The network stays usable on one thread. */
  close(): void {
    this.pooled?.pool.terminate();
    this.pooled = undefined;
    this.poolDisabled = true;
  }

  private ctrl(): Int32Array {
    return new Int32Array(this.engine.raw, this.control, P.CONTROL_WORDS);
  }

  private gather(ws: Workspace, b: BatchRef, start: number, n: number): void {
    const u8 = this.engine.u8;
    const i32 = this.engine.i32;
    for (let i = 0; i < n; i++) {
      const src = b.order[b.from + start + i];
      u8.set(b.images.subarray(src * IMAGE_PIXELS, (src + 1) * IMAGE_PIXELS), ws.pixels + i * IMAGE_PIXELS);
      i32[(ws.labels >> 2) + i] = b.labels[src];
    }
  }

  private collect(ws: Workspace[], slices: [number, number][], b: BatchRef): BatchResult {
    const f32 = this.engine.f32;
    const classes = this.layout.classes;
    let lossSum = 0;
    let correct = 0;
    slices.forEach(([start, n], i) => {
      for (let j = 0; j < n; j++) {
        lossSum += f32[(ws[i].losses >> 2) + j];
        if (argmax(f32, (ws[i].trainLogits >> 2) + j * classes, classes) === b.labels[b.order[b.from + start + j]]) correct++;
      }
    });
    return { lossSum, correct };
  }

  /** The calling thread's workspace, laid out again when too small. It sits after the pool's, so this never moves theirs. */
  private localWorkspace(capacity: number, training: boolean): Workspace {
    const ws = this.local;
    if (ws && ws.capacity >= capacity && (ws.training || !training)) return ws;
    this.arena.reset(this.localMark);
    this.local = new Workspace(this.engine, this.layout, this.region, this.region.grads, this.arena, Math.max(capacity, ws?.capacity ?? 0), training || !!ws?.training, this.localShare);
    return this.local;
  }

  /**
   * The pool, started on first use, with workspaces of at least `capacity` images per worker;
   * undefined when this network runs on one thread or `worth` is false.
   */
  private async poolFor(capacity: number, training: boolean, worth: boolean): Promise<PoolState | undefined> {
    const threads = this.threads;
    if (!threads || threads.workers < 2 || this.poolDisabled || !worth) return undefined;
    if (!this.pooled) {
      try {
        const source = await threads.source();
        // The pool's code loads with it: single-threaded users never fetch it.
        const { Pool } = await import('../threads/pool.ts');
        const pool = await Pool.start(threads.workers, source, {
          module: this.module, memory: this.engine.memory, layers: this.layers, classes: this.layout.classes,
          inputSide: IMAGE_SIDE, norm: this.norm, region: this.region, control: this.control,
        }, platform.createWorker, () => this.ctrl());
        this.pooled = { pool, ws: [], capacity: 0, training: false, control: this.control };
      } catch (e) {
        this.poolDisabled = true;
        threads.onFallback(`threads unavailable, running on one thread: ${(e as Error).message}`);
        return undefined;
      }
    }
    const p = this.pooled;
    if (p.capacity < capacity || (training && !p.training)) {
      this.layoutPool(p, Math.max(capacity, p.capacity), training || p.training);
      await this.runPool(p, P.CMD_LAYOUT);
    }
    return p;
  }

  private async runPool(p: PoolState, cmd: number): Promise<void> {
    try {
      await p.pool.run(cmd);
    } catch (e) {
      // A dead pool is not retried: later work runs on this thread.
      if (p.pool.broken) {
        p.pool.terminate();
        this.pooled = undefined;
        this.poolDisabled = true;
        this.threads?.onFallback(`a worker failed, continuing on one thread: ${(e as Error).message}`);
      }
      throw e instanceof GarmentError ? e : new GarmentError('E_WORKER', (e as Error).message, { cause: e });
    }
  }

  /**
   * Lays out the pool's workspaces after the parameters (per worker: its gradient buffer, worker 0
   * using the main one, two Adam descriptors and its workspace; workers replay the same steps from
   * their slot's base offset, see threads/worker.ts), then the calling thread's workspace.
   */
  private layoutPool(p: PoolState, capacity: number, training: boolean): void {
    const arena = this.arena;
    arena.reset(this.workspaceMark);
    const ctrl = this.ctrl();
    const stride = batchNormPartBytes(this.layout);
    const part0 = arena.alloc(stride * p.pool.size);
    ctrl[P.BN_PART0] = part0;
    ctrl[P.BN_STRIDE] = stride;
    p.ws = [];
    for (let i = 0; i < p.pool.size; i++) {
      const grads = i === 0 ? this.region.grads : arena.f32(this.layout.paramCount);
      const base = arena.alloc(0);
      const sub = new Arena(base);
      sub.alloc(64);
      sub.alloc(64);
      p.ws.push(new Workspace(this.engine, this.layout, this.region, grads, sub, capacity, training, { part0, stride, parts: p.pool.size, index: i }));
      arena.reset(sub.mark());
      ctrl[P.slot(i, P.S_WS_BASE)] = base;
      ctrl[P.slot(i, P.S_CAPACITY)] = capacity;
      ctrl[P.slot(i, P.S_TRAINING)] = training ? 1 : 0;
      ctrl[P.slot(i, P.S_GRADS)] = grads;
    }
    p.capacity = capacity;
    p.training = training;
    this.localMark = arena.mark();
    const local = this.local;
    this.local = undefined;
    if (local) this.localWorkspace(local.capacity, local.training);
  }
}

/** Index of the largest of `n` values starting at `at` (the first one on ties). */
export function argmax(a: Float32Array, at: number, n: number): number {
  let best = 0;
  let v = a[at];
  for (let j = 1; j < n; j++) {
    if (a[at + j] > v) {
      v = a[at + j];
      best = j;
    }
  }
  return best;
}
