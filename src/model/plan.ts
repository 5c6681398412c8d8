// The plan: a model's forward and backward passes compiled once into kernel calls with fixed
// pointers. Parameters (and optimizer state) live in one region shared by every workspace; each
// workspace holds the activations, gradients and scratch of one batch slice, so a thread pool
// gives every worker its own workspace over the same parameters. No allocation per step.
//
// Training and inference plans differ: training keeps batch norm as its own step (statistics
// over the whole batch, with a synchronisation point for threads); inference folds it into the
// conv or dense layer before it, drops dropout, and fuses each ReLU into the step before it.
// This file is the inference half, which every app needs; the training half
// (plan-training.ts) loads with the training code and plugs in through TrainingPlanFactory.
import type { Arena } from '../engine/arena.ts';
import type { Engine } from '../engine/engine.ts';
import type { Kernels } from '../engine/kernels.ts';
import { CONV_DESC, CONV_PRETRANSFORMED, CONV_RELU, DENSE_DESC, DENSE_RELU, DENSE_SPARSE_X, writeDesc } from '../engine/descriptors.ts';
import { type Layout, type LayerInfo, size } from './layout.ts';

/** Where the parameters, their gradients and the optimizer state live (byte offsets). */
export interface ParamRegion {
  params: number;
  grads: number;
  /** Adam's moments; SGD keeps its velocity in `m`. */
  m: number;
  v: number;
  /** Two optimizer descriptors for the main thread: decayed weights, then the rest. */
  adamDescs: [number, number];
  /**
   * Folded inference copies: per conv/dense layer followed by batch norm, and per standalone batch
   * norm; `scale` is room for the per-channel factors in f64 while folding (src/model/fold.ts).
   */
  folded: Map<number, { w: number; b: number; scale: number }>;
  /** Winograd-transformed inference weights of each 3x3 conv that takes that path (by layer index). */
  winograd: Map<number, number>;
}

/** Batch-norm layers folded into the conv/dense layer right before them (by the bn layer's index). */
export function foldTargets(layout: Layout): Map<number, LayerInfo> {
  const out = new Map<number, LayerInfo>();
  layout.layers.forEach((l, i) => {
    const prev = layout.layers[i - 1];
    if (l.spec.type === 'batchnorm' && prev && (prev.spec.type === 'conv' || prev.spec.type === 'dense')) out.set(i, prev);
  });
  return out;
}

export function allocParams(arena: Arena, layout: Layout): ParamRegion {
  const n = layout.paramCount;
  const params = arena.f32(n);
  const grads = arena.f32(n);
  const m = arena.f32(n);
  const v = arena.f32(n);
  const adamDescs: [number, number] = [arena.alloc(64), arena.alloc(64)];
  const folded = new Map<number, { w: number; b: number; scale: number }>();
  const targets = foldTargets(layout);
  for (const l of layout.layers) {
    if (l.spec.type !== 'batchnorm') continue;
    const into = targets.get(l.index);
    // Folded into the layer before: a copy of its weights and bias; standalone: scale and shift.
    const C = l.input.c;
    folded.set(l.index, { w: arena.f32(into ? into.weight!.size : C), b: arena.f32(C), scale: arena.alloc(8 * C) });
  }
  const winograd = new Map<number, number>();
  for (const l of layout.layers) {
    if (l.spec.type === 'conv' && useWinograd(l.spec.kernel, l.input.c, l.output.c)) winograd.set(l.index, arena.f32(16 * l.input.c * l.output.c));
  }
  return { params, grads, m, v, adamDescs, folded, winograd };
}

/** Where a workspace's batch-norm statistics meet those of the other slices of the batch. */
export interface BatchNormShare {
  /** Worker 0's partial-statistics block; worker i's is at part0 + i * stride. */
  part0: number;
  stride: number;
  parts: number;
  index: number;
}

/** Target size of one im2col chunk: it and the GEMM's B strip stay in L2. */
const CHUNK_BYTES = 256 * 1024;

/** Mirrors assembly/conv2d_winograd.ts: which convolutions take the Winograd path. */
export const useWinograd = (K: number, C: number, F: number) => K === 3 && C >= 8 && C % 4 === 0 && F % 4 === 0;
/** Tiles per Winograd GEMM chunk. */
const WINOGRAD_TILES = 64;
const winogradBytes = (C: number, F: number) => 16 * C * F * 4 + 16 * WINOGRAD_TILES * (C + F) * 4;

/** Scratch bytes a conv or dense layer needs: forward only, or forward and both backward passes. */
export function scratchFor(l: LayerInfo, training: boolean): number {
  // Dense: W transposed for backward-input; the indices of a row's nonzero inputs for forward.
  if (l.spec.type === 'dense') return size(l.input) * (training ? l.output.c : 1) * 4;
  if (l.spec.type !== 'conv') return 0;
  const K = l.spec.kernel, C = l.input.c, F = l.output.c;
  const rowFwd = K * K * C * 4, rowBwd = K * K * F * 4;
  let bytes = Math.max(16, Math.floor(CHUNK_BYTES / rowFwd)) * rowFwd;
  if (useWinograd(K, C, F)) bytes = Math.max(bytes, winogradBytes(C, F));
  if (training) {
    bytes = Math.max(bytes, K * K * C * F * 4 + Math.max(16, Math.floor(CHUNK_BYTES / rowBwd)) * rowBwd);
    if (useWinograd(K, F, C)) bytes = Math.max(bytes, K * K * C * F * 4 + winogradBytes(F, C));
  }
  return bytes;
}

export type Kind = 'conv' | 'dense' | 'relu' | 'maxpool' | 'dropout' | 'bn' | 'affine' | 'gap' | 'alias';

export interface Step {
  kind: Kind;
  layer: LayerInfo;
  /** Output activations and the gradient with respect to them. */
  out: number;
  gout: number;
  /** Input activations and the gradient with respect to them (0 when not needed). */
  in: number;
  gin: number;
  relu: boolean;
  desc: number;
  mask: number;
}

export function step(kind: Kind, layer: LayerInfo): Step {
  return { kind, layer, out: 0, gout: 0, in: 0, gin: 0, relu: false, desc: 0, mask: 0 };
}

export const fusesRelu = (s: Step | undefined): s is Step =>
  !!s && !s.relu && (s.kind === 'conv' || s.kind === 'dense' || s.kind === 'bn' || s.kind === 'affine');

/** Augmentation of training images (see assembly/augment.ts). */
export interface Augmentation {
  /** Maximum shift in pixels (crop of the zero-padded image). */
  shift: number;
  flip: boolean;
  /** Probability of erasing a random rectangle, and its area range as fractions of the image. */
  erase: number;
  eraseArea: [number, number];
}

/** Options of one forward pass. */
export interface ForwardOptions {
  training: boolean;
  /** Dropout mask seed for this step (see assembly/dropout.ts). */
  stepSeed?: number;
  /** Index of this slice's first image within the whole batch. */
  firstImage?: number;
  /** Called where every slice of the batch must have reached the same point (batch norm). */
  sync?: () => void;
}

/** What a workspace's builder hands the training half. */
export interface TrainingContext {
  engine: Engine;
  layout: Layout;
  region: ParamRegion;
  grads: number;
  arena: Arena;
  capacity: number;
  share: BatchNormShare;
  input: number;
  pixels: number;
}

/** The training half of a workspace (plan-training.ts). */
export interface TrainingPlan {
  /** Its activation buffers by layer index: the inference plan reuses them. */
  readonly outByLayer: Map<number, number>;
  readonly logits: number;
  readonly glogits: number;
  readonly scratchBytes: number;
  /** Writes its descriptors once the shared scratch is placed. */
  bind(scratch: number, scratchBytes: number): void;
  forward(n: number, opts: ForwardOptions): void;
  backward(n: number, sync?: () => void): void;
  augment(n: number, firstImage: number, stepSeed: number, a: Augmentation): void;
}

export type TrainingPlanFactory = (ctx: TrainingContext) => TrainingPlan;

/**
 * Writes the descriptor of a conv or dense step. `grads` 0: no gradients (inference), which reads
 * folded weights (`fold`) and Winograd weights transformed ahead of time (`region.winograd`).
 */
export function describeStep(
  mem: ArrayBuffer, s: Step, region: ParamRegion, grads: number, scratch: number, scratchBytes: number,
  fold?: { w: number; b: number },
): void {
  const l = s.layer;
  const P = (p: { offset: number } | undefined) => (p ? region.params + p.offset * 4 : 0);
  const G = (p: { offset: number } | undefined) => (p && grads ? grads + p.offset * 4 : 0);
  const w = fold ? fold.w : P(l.weight);
  const b = fold ? fold.b : P(l.bias);
  if (s.kind === 'conv' && l.spec.type === 'conv') {
    const K = l.spec.kernel;
    writeDesc(mem, s.desc, CONV_DESC, {
      N: 0, H: l.input.h, W: l.input.w, C: l.input.c, F: l.output.c, K,
      PAD: l.spec.padding === 'valid' ? 0 : (K - 1) / 2, HO: l.output.h, WO: l.output.w,
      X: s.in, WGT: w, BIAS: b, Y: s.out, DY: s.gout, DX: s.gin, DW: G(l.weight), DB: G(l.bias),
      SCRATCH: scratch, SCRATCH_BYTES: scratchBytes,
      FLAGS: (s.relu ? CONV_RELU : 0) | (!grads && region.winograd.has(l.index) ? CONV_PRETRANSFORMED : 0),
      U: grads ? 0 : region.winograd.get(l.index) ?? 0,
    });
  } else if (s.kind === 'dense') {
    writeDesc(mem, s.desc, DENSE_DESC, {
      N: 0, IN: size(l.input), OUT: l.output.c, X: s.in, WGT: w, BIAS: b, Y: s.out, DY: s.gout, DX: s.gin,
      DW: G(l.weight), DB: G(l.bias), SCRATCH: scratch,
      // Skipping zero inputs needs finite weights: the parameters are (loading checks them, the
      // divergence guard keeps them so); a folded copy may have overflowed.
      FLAGS: (s.relu ? DENSE_RELU : 0) | (fold ? 0 : DENSE_SPARSE_X),
    });
  }
}

/** Runs one forward step of a kind both plans share; false for the kinds only training has. */
export function forwardStep(k: Kernels, i32: Int32Array, s: Step, n: number, region: ParamRegion): boolean {
  const l = s.layer;
  switch (s.kind) {
    case 'conv':
      i32[(s.desc + CONV_DESC.N) >> 2] = n;
      k.conv2d_forward(s.desc);
      return true;
    case 'dense':
      i32[(s.desc + DENSE_DESC.N) >> 2] = n;
      k.dense_forward(s.desc);
      return true;
    case 'relu':
      k.relu_forward(s.in, s.out, n * size(l.output));
      return true;
    case 'maxpool':
      k.maxpool2d_forward(s.in, s.out, n, l.input.h, l.input.w, l.input.c);
      return true;
    case 'gap':
      k.gap_forward(s.in, s.out, n, l.input.h * l.input.w, l.input.c);
      return true;
    case 'affine': {
      const f = region.folded.get(l.index)!;
      k.channel_affine(s.in, s.out, n * l.input.h * l.input.w, l.input.c, f.w, f.b, s.relu ? 1 : 0);
      return true;
    }
    case 'alias':
      return true;
    default:
      return false;
  }
}

export class Workspace {
  readonly capacity: number;
  /** Pixels as bytes, network input as f32, labels as i32, per-image losses. */
  readonly pixels: number;
  readonly input: number;
  readonly labels: number;
  readonly losses: number;
  /** Logits of the inference plan. */
  readonly logits: number;
  /** Softmax output for predictions. */
  readonly probs: number;
  readonly end: number;
  /** Where this workspace writes parameter gradients (training). */
  readonly grads: number;
  /** The training half, when this workspace trains. */
  readonly train: TrainingPlan | undefined;
  private readonly steps: Step[];
  private readonly engine: Engine;
  private readonly layout: Layout;
  private readonly region: ParamRegion;

  constructor(
    engine: Engine, layout: Layout, region: ParamRegion, grads: number, arena: Arena, capacity: number,
    training?: TrainingPlanFactory, share?: BatchNormShare,
  ) {
    this.engine = engine;
    this.layout = layout;
    this.region = region;
    this.capacity = capacity;
    this.grads = grads;
    const inSize = size(layout.input);
    this.pixels = arena.alloc(capacity * inSize);
    this.input = arena.f32(capacity * inSize);
    this.labels = arena.alloc(capacity * 4);
    this.losses = arena.f32(capacity);
    this.probs = arena.f32(capacity * layout.classes);
    const train = training?.({
      engine, layout, region, grads, arena, capacity, share: share ?? { part0: 0, stride: 0, parts: 1, index: 0 },
      input: this.input, pixels: this.pixels,
    });
    this.train = train;
    // The inference plan writes into the training plan's buffers where the two share a layer.
    const steps = inferenceSteps(layout);
    let prevOut = this.input;
    let scratchBytes = train?.scratchBytes ?? 0;
    for (const s of steps) {
      s.in = prevOut;
      s.out = s.kind === 'alias' ? prevOut : train?.outByLayer.get(s.layer.index) ?? arena.f32(capacity * size(s.layer.output));
      prevOut = s.out;
      if (s.kind === 'conv' || s.kind === 'dense') {
        s.desc = arena.alloc(s.kind === 'conv' ? CONV_DESC.bytes : DENSE_DESC.bytes);
        scratchBytes = Math.max(scratchBytes, scratchFor(s.layer, false));
      }
    }
    const scratch = arena.alloc(scratchBytes);
    this.end = arena.alloc(0);
    engine.ensure(this.end);
    this.logits = prevOut;
    this.steps = steps;
    const targets = foldTargets(layout);
    for (const s of steps) {
      // A conv/dense followed by batch norm reads the folded copy of its weights.
      const fold = targets.get(s.layer.index + 1)?.index === s.layer.index ? region.folded.get(s.layer.index + 1) : undefined;
      describeStep(engine.raw, s, region, 0, scratch, scratchBytes, fold);
    }
    train?.bind(scratch, scratchBytes);
  }

  /** Converts `n` images already copied to `pixels` into the network input. */
  normalize(n: number, scale: number, shift: number): void {
    this.engine.k.u8_to_f32(this.pixels, this.input, n * size(this.layout.input), scale, shift);
  }

  /** Runs the inference plan over the first `n` images; logits land at `logits`. */
  forward(n: number): void {
    const k = this.engine.k;
    const i32 = this.engine.i32;
    for (const s of this.steps) forwardStep(k, i32, s, n, this.region);
  }
}

/** Inference: batch norm folds into the layer before it (or becomes an affine), dropout vanishes. */
function inferenceSteps(layout: Layout): Step[] {
  const steps: Step[] = [];
  const targets = foldTargets(layout);
  for (const l of layout.layers) {
    const t = l.spec.type;
    const prev = steps[steps.length - 1];
    if (t === 'relu' && fusesRelu(prev)) {
      prev.relu = true;
      continue;
    }
    // The folded weights of the layer before already include this normalisation.
    if (t === 'batchnorm' && targets.has(l.index)) continue;
    const kind: Kind = t === 'batchnorm' ? 'affine' : t === 'flatten' || t === 'dropout' ? 'alias' : t;
    steps.push(step(kind, l));
  }
  return steps;
}
