// A compiled model living in wasm memory: its layout, its parameters and optimizer state, and
// the workspaces that run it, on this thread or on a pool of workers. Everything above this
// (training loop, evaluation, prediction) reaches the kernels only through here.
import { Arena } from '../engine/arena.ts';
import { Engine } from '../engine/engine.ts';
import { GarmentError } from '../errors.ts';
import type { Int8Source } from '../io/weights-format.ts';
import type { Pool } from '../threads/pool.ts';
import { CONTROL_WORDS } from '../threads/protocol.ts';
import { type Layout, inferLayout, size } from './layout.ts';
import { foldBatchNormInto } from './fold.ts';
import { type BatchNormShare, type ParamRegion, type TrainingPlanFactory, Workspace, allocParams } from './plan.ts';
import type { LayerSpec } from './spec.ts';
import { inferSlice } from './step.ts';
import { IMAGE_PIXELS, IMAGE_SIDE } from '../types.ts';

/** First byte the arena uses; address 0 stays free so 0 can mean "no pointer". */
const ARENA_START = 1024;
/** Shared memories are created with a fixed maximum; this is ours (1 GiB). */
const SHARED_MAX_BYTES = 1 << 30;
/** Below this many images, inference runs on the calling thread: a worker round trip costs more. */
const POOL_MIN_INFER = 64;

/**
 * Images per inference slice: as many as keep a layer's input and output within ~1.5 MB, so a
 * slice's activations stay in the core's L2 cache as it runs layer after layer (8 to 256; one
 * image of seed-cnn's first conv layer is 89 KB). `npm run bench`, seed-cnn at batch 256 on one
 * thread, against slices of 256: 1.94x -> 2.33x onnxruntime-web, 1.44x -> 2.05x TF.js wasm. Every
 * image's result is independent of its slice, so this changes no bit.
 */
function inferSliceImages(layout: Layout): number {
  const most = Math.max(...layout.layers.map((l) => size(l.input) + size(l.output)));
  return Math.max(8, Math.min(256, (393216 / most) & ~3));
}

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

/** What training adds to a network (src/train/batch.ts): its plan, snapshot room, statistics block. */
export interface TrainingSupport {
  plan: TrainingPlanFactory;
  /** Bytes of one slice's batch-norm statistics block. */
  partBytes: number;
}

/** @internal The pool and the mirrors of its workers' workspaces (for src/train/batch.ts). */
export interface PoolState {
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
  /** @internal Set once training starts (src/train/batch.ts's enableTraining lays out the fields below). */
  training: TrainingSupport | undefined;
  /** @internal The calling thread's batch-norm statistics block (one slice), once training starts. */
  localShare: BatchNormShare | undefined;
  /** Room for two copies of parameters and optimizer moments (the divergence guard), once training starts. */
  snapshotAt = 0;
  readonly snapshotStep: [number, number] = [0, 0];
  // @internal: the fields below are shared with network-pool.ts, the lazily loaded pool side.
  readonly module: WebAssembly.Module;
  readonly arena: Arena;
  workspaceMark: number;
  /** Where the calling thread's workspace starts: after the pool's workspaces, if any. */
  localMark: number;
  readonly threads: ThreadConfig | undefined;
  local: Workspace | undefined;
  /** The running pool, if any. */
  pooled: PoolState | undefined;
  poolDisabled = false;
  /** Control block of the pool, allocated with the parameters so layouts never move it. */
  readonly control: number;
  /** Images per inference slice (see inferSliceImages). */
  readonly inferSlice: number;

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
    this.inferSlice = inferSliceImages(layout);
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
    const control = threads ? arena.alloc(CONTROL_WORDS * 4) : 0;
    const region = allocParams(arena, layout);
    // Fresh memory is zeroed: gradients and Adam moments start at 0.
    const engine = await Engine.create(module, arena.size, threads ? SHARED_MAX_BYTES : undefined);
    return new Network(engine, module, layers, layout, arena, region, norm, threads, control);
  }

  /** The parameters as a live view into wasm memory (invalid after the memory grows). */
  params(): Float32Array {
    return this.engine.f32.subarray(this.region.params >> 2, (this.region.params >> 2) + this.layout.paramCount);
  }

  /**
   * Writes an int8 tensor into the parameters from element `offset` on, dequantised by wasm in
   * room above everything laid out so far (given back at once).
   */
  setInt8(src: Int8Source, offset: number): void {
    const arena = this.arena, mark = arena.mark();
    const q = arena.alloc(src.q.length), scales = arena.f32(src.scales.length);
    this.engine.ensure(arena.size);
    new Int8Array(this.engine.raw, q, src.q.length).set(src.q);
    this.engine.f32.set(src.scales, scales >> 2);
    this.engine.k.dequantize_int8(q, scales, src.q.length, src.scales.length, this.region.params + offset * 4);
    arena.reset(mark);
  }

  /** Writes an f16 tensor (bit patterns) into the parameters from element `offset` on, widened by wasm. */
  setF16(src: Uint16Array, offset: number): void {
    const arena = this.arena, mark = arena.mark();
    const at = arena.alloc(src.length * 2);
    this.engine.ensure(arena.size);
    new Uint16Array(this.engine.raw, at, src.length).set(src);
    this.engine.k.f16_to_f32(at, src.length, this.region.params + offset * 4);
    arena.reset(mark);
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

  /**
   * Brings the inference copies up to date after the parameters changed: batch norm folded into
   * the layers before it, then the Winograd transform of every 3x3 conv's (folded) weights, done
   * once here instead of on every forward call.
   */
  private refold(): void {
    if (this.foldedVersion === this.paramsVersion) return;
    if (this.region.folded.size) foldBatchNormInto(this.engine, this.layout, this.region);
    for (const [index, u] of this.region.winograd) {
      const l = this.layout.layers[index];
      const folded = this.layout.layers[index + 1]?.spec.type === 'batchnorm' ? this.region.folded.get(index + 1) : undefined;
      const w = folded ? folded.w : this.region.params + l.weight!.offset * 4;
      this.engine.k.winograd_weights(w, l.input.c, l.output.c, u);
    }
    this.foldedVersion = this.paramsVersion;
  }

  /** Call after changing parameters (a training step, loading weights): inference refolds batch norm. */
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
    // The pool's side loads with the pool, on the first batch worth a round trip to workers:
    // an app that classifies one image at a time never fetches it.
    const side = this.threads && !this.poolDisabled && n >= POOL_MIN_INFER ? await import('./network-pool.ts') : undefined;
    const pooled = side && (await side.poolForInference(this));
    this.refold();
    if (side && pooled) {
      await side.inferOnPool(this, pooled, n, output, load, read);
    } else {
      // A workspace laid out for training may hold more: slices stay cache-sized anyway.
      const step = Math.min(n, this.inferSlice);
      const ws = this.localWorkspace(step, false);
      for (let at = 0; at < n; at += step) {
        const count = Math.min(step, n - at);
        load(ws, at, count);
        inferSlice(this.engine, this.layout, ws, count, output, this.norm);
        read(ws, at, count);
      }
    }
    return probs ?? { losses, predicted };
  }

  /** Ends the workers, if any. The network stays usable on one thread. */
  close(): void {
    this.pooled?.pool.terminate();
    this.pooled = undefined;
    this.poolDisabled = true;
  }

  /** @internal The pool's control block. */
  ctrl(): Int32Array {
    return new Int32Array(this.engine.raw, this.control, CONTROL_WORDS);
  }

  /**
   * @internal The calling thread's workspace, laid out again when too small. It sits after the
   * pool's, so this never moves theirs.
   */
  localWorkspace(capacity: number, training: boolean): Workspace {
    const ws = this.local;
    const trains = training || !!ws?.train;
    if (ws && ws.capacity >= capacity && (ws.train || !training)) return ws;
    this.arena.reset(this.localMark);
    this.local = new Workspace(
      this.engine, this.layout, this.region, this.region.grads, this.arena, Math.max(capacity, ws?.capacity ?? 0),
      trains ? this.trainingPlan() : undefined, this.localShare,
    );
    return this.local;
  }

  /** @internal */
  trainingPlan(): TrainingPlanFactory {
    if (!this.training) throw new GarmentError('E_OPTION', 'internal: training was not enabled on this network');
    return this.training.plan;
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
