// The plan: a model's forward and backward passes compiled once into kernel calls with fixed
// pointers. Parameters (and optimizer state) live in one region shared by every workspace; each
// workspace holds the activations, gradients and scratch of one batch slice, so a thread pool
// gives every worker its own workspace over the same parameters. No allocation per step.
//
// Training and inference plans differ: training keeps batch norm as its own step (statistics
// over the whole batch, with a synchronisation point for threads); inference folds it into the
// conv or dense layer before it, drops dropout, and fuses each ReLU into the step before it.
import type { Arena } from '../engine/arena.ts';
import type { Engine } from '../engine/engine.ts';
import {
  ADAM_DESC, AUG_DESC, BN_DESC, BN_RELU, BN_UPDATE_RUNNING, CONV_DESC, CONV_RELU, DENSE_DESC, DENSE_RELU,
  SGD_DESC, writeDesc,
} from '../engine/descriptors.ts';
import type { BatchNormLayer } from './spec.ts';
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
  /** Folded inference copies: per conv/dense layer followed by batch norm, and per standalone batch norm. */
  folded: Map<number, { w: number; b: number }>;
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
  const folded = new Map<number, { w: number; b: number }>();
  const targets = foldTargets(layout);
  for (const l of layout.layers) {
    if (l.spec.type !== 'batchnorm') continue;
    const into = targets.get(l.index);
    // Folded into the layer before: a copy of its weights and bias; standalone: scale and shift.
    folded.set(l.index, into ? { w: arena.f32(into.weight!.size), b: arena.f32(l.input.c) } : { w: arena.f32(l.input.c), b: arena.f32(l.input.c) });
  }
  return { params, grads, m, v, adamDescs, folded };
}

/** Where a workspace's batch-norm statistics meet those of the other slices of the batch. */
export interface BatchNormShare {
  /** Worker 0's partial-statistics block; worker i's is at part0 + i * stride. */
  part0: number;
  stride: number;
  parts: number;
  index: number;
}

/** Bytes of one batch-norm layer's statistics, forward or backward (f64 count + 2C). */
const bnPartBytes = (c: number) => Math.ceil((8 + 16 * c) / 64) * 64;

/** Bytes of one worker's partial-statistics block for `layout`: forward and backward per batch-norm layer. */
export function batchNormPartBytes(layout: Layout): number {
  let bytes = 0;
  for (const l of layout.layers) if (l.spec.type === 'batchnorm') bytes += 2 * bnPartBytes(l.input.c);
  return bytes;
}

/** Target size of one im2col chunk: it and the GEMM's B strip stay in L2. */
const CHUNK_BYTES = 256 * 1024;

/** Mirrors assembly/conv2d_winograd.ts: which convolutions take the Winograd path. */
const useWinograd = (K: number, C: number, F: number) => K === 3 && C >= 8 && C % 4 === 0 && F % 4 === 0;
/** Tiles per Winograd GEMM chunk. */
const WINOGRAD_TILES = 64;
const winogradBytes = (C: number, F: number) => 16 * C * F * 4 + 16 * WINOGRAD_TILES * (C + F) * 4;

type Kind = 'conv' | 'dense' | 'relu' | 'maxpool' | 'dropout' | 'bn' | 'affine' | 'gap' | 'alias';

interface Step {
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

const noSync = (): void => {};

export class Workspace {
  readonly capacity: number;
  /** Whether gradients (and dropout masks) exist: workspaces for inference only skip them. */
  readonly training: boolean;
  /** Pixels as bytes, network input as f32, labels as i32, per-image losses. */
  readonly pixels: number;
  readonly input: number;
  readonly labels: number;
  readonly losses: number;
  /** Logits of the inference plan; of the training plan, and their gradient. */
  readonly logits: number;
  readonly trainLogits: number;
  readonly glogits: number;
  /** Softmax output for predictions. */
  readonly probs: number;
  readonly end: number;
  /** Where this workspace writes parameter gradients. */
  readonly grads: number;
  private readonly trainSteps: Step[];
  private readonly inferSteps: Step[];
  private readonly engine: Engine;
  private readonly layout: Layout;
  private readonly augDesc: number;
  private readonly region: ParamRegion;

  constructor(
    engine: Engine, layout: Layout, region: ParamRegion, grads: number, arena: Arena, capacity: number,
    training: boolean, share: BatchNormShare,
  ) {
    this.engine = engine;
    this.layout = layout;
    this.region = region;
    this.capacity = capacity;
    this.training = training;
    this.grads = grads;
    const inSize = size(layout.input);
    this.pixels = arena.alloc(capacity * inSize);
    this.input = arena.f32(capacity * inSize);
    this.labels = arena.alloc(capacity * 4);
    this.losses = arena.f32(capacity);
    this.probs = arena.f32(capacity * layout.classes);
    this.augDesc = training ? arena.alloc(AUG_DESC.bytes) : 0;
    const augTmp = training ? arena.alloc(inSize) : 0;
    // A training workspace runs both plans; the inference one reuses the training activations.
    const train = training ? trainingSteps(layout) : [];
    const infer = inferenceSteps(layout);
    // Layers before the first one with parameters need no gradients at all.
    const firstParam = training ? layout.layers.findIndex((l) => l.weight || l.gamma) : Infinity;
    const outByLayer = new Map<number, number>();
    let prevOut = this.input;
    let prevGrad = 0;
    for (const s of train) {
      s.in = prevOut;
      s.gin = s.layer.index <= firstParam ? 0 : prevGrad;
      if (s.kind === 'alias') {
        s.out = prevOut;
        s.gout = prevGrad;
      } else {
        const perImage = size(s.layer.output);
        s.out = arena.f32(capacity * perImage);
        s.gout = s.layer.index >= firstParam ? arena.f32(capacity * perImage) : 0;
        outByLayer.set(s.layer.index, s.out);
      }
      prevOut = s.out;
      prevGrad = s.gout;
    }
    prevOut = this.input;
    for (const s of infer) {
      s.in = prevOut;
      s.out = s.kind === 'alias' ? prevOut : outByLayer.get(s.layer.index) ?? arena.f32(capacity * size(s.layer.output));
      prevOut = s.out;
    }
    const steps = [...train, ...infer];
    let scratchBytes = 0;
    for (const s of steps) {
      const l = s.layer;
      if (s.kind === 'conv' && l.spec.type === 'conv') {
        const K = l.spec.kernel, C = l.input.c, F = l.output.c;
        const rowFwd = K * K * C * 4, rowBwd = K * K * F * 4;
        scratchBytes = Math.max(scratchBytes, Math.max(16, Math.floor(CHUNK_BYTES / rowFwd)) * rowFwd);
        if (useWinograd(K, C, F)) scratchBytes = Math.max(scratchBytes, winogradBytes(C, F));
        if (training) {
          scratchBytes = Math.max(scratchBytes, K * K * C * F * 4 + Math.max(16, Math.floor(CHUNK_BYTES / rowBwd)) * rowBwd);
          if (useWinograd(K, F, C)) scratchBytes = Math.max(scratchBytes, K * K * C * F * 4 + winogradBytes(F, C));
        }
        s.desc = arena.alloc(CONV_DESC.bytes);
      } else if (s.kind === 'dense') {
        if (training) scratchBytes = Math.max(scratchBytes, size(l.input) * l.output.c * 4);
        s.desc = arena.alloc(DENSE_DESC.bytes);
      } else if (s.kind === 'dropout') {
        s.mask = arena.f32(capacity * size(l.output));
      } else if (s.kind === 'bn') {
        s.desc = arena.alloc(BN_DESC.bytes);
      }
    }
    const scratch = arena.alloc(scratchBytes);
    // Per batch-norm layer: this slice's batch mean and 1/std, then three backward coefficients (f32[C] each).
    const bnStats = new Map<number, number>();
    for (const s of steps) if (s.kind === 'bn') bnStats.set(s.layer.index, arena.f32(5 * s.layer.input.c));
    this.end = arena.alloc(0);
    engine.ensure(this.end);
    this.logits = infer[infer.length - 1].out;
    this.trainSteps = train;
    this.inferSteps = infer;
    if (training) {
      const last = train[train.length - 1];
      // The loss reads the training logits and writes their gradient, which the last layer reads.
      this.trainLogits = last.out;
      this.glogits = last.gout;
    } else {
      this.trainLogits = 0;
      this.glogits = 0;
    }
    // Descriptors hold every pointer; only the batch count changes per call.
    const mem = engine.raw;
    const targets = foldTargets(layout);
    let partOffset = 0;
    for (const s of steps) {
      const l = s.layer;
      const inTraining = train.includes(s);
      const P = (p: { offset: number } | undefined) => (p ? region.params + p.offset * 4 : 0);
      const G = (p: { offset: number } | undefined) => (p ? grads + p.offset * 4 : 0);
      // In inference, a conv/dense followed by batch norm reads the folded copy of its weights.
      const fold = !inTraining && targets.get(l.index + 1)?.index === l.index ? region.folded.get(l.index + 1) : undefined;
      const w = fold ? fold.w : P(l.weight);
      const b = fold ? fold.b : P(l.bias);
      if (s.kind === 'conv' && l.spec.type === 'conv') {
        const K = l.spec.kernel;
        writeDesc(mem, s.desc, CONV_DESC, {
          N: 0, H: l.input.h, W: l.input.w, C: l.input.c, F: l.output.c, K,
          PAD: l.spec.padding === 'valid' ? 0 : (K - 1) / 2, HO: l.output.h, WO: l.output.w,
          X: s.in, WGT: w, BIAS: b, Y: s.out, DY: s.gout, DX: s.gin, DW: inTraining ? G(l.weight) : 0,
          DB: inTraining ? G(l.bias) : 0, SCRATCH: scratch, SCRATCH_BYTES: scratchBytes, FLAGS: s.relu ? CONV_RELU : 0,
        });
      } else if (s.kind === 'dense') {
        writeDesc(mem, s.desc, DENSE_DESC, {
          N: 0, IN: size(l.input), OUT: l.output.c, X: s.in, WGT: w, BIAS: b, Y: s.out,
          DY: s.gout, DX: s.gin, DW: inTraining ? G(l.weight) : 0, DB: inTraining ? G(l.bias) : 0, SCRATCH: scratch,
          FLAGS: s.relu ? DENSE_RELU : 0,
        });
      } else if (s.kind === 'bn' && l.spec.type === 'batchnorm') {
        const C = l.input.c;
        const stats = bnStats.get(l.index)!;
        const spec = l.spec as Required<BatchNormLayer>;
        writeDesc(mem, s.desc, BN_DESC, {
          ROWS: 0, C, X: s.in, Y: s.out, DY: s.gout, DX: s.gin, GAMMA: P(l.gamma), BETA: P(l.beta),
          DGAMMA: G(l.gamma), DBETA: G(l.beta), RMEAN: P(l.runningMean), RVAR: P(l.runningVar),
          MEAN: stats, INVSTD: stats + C * 4, PART: share.part0 + share.index * share.stride + partOffset,
          PART0: share.part0 + partOffset, PART_STRIDE: share.stride, PARTS: share.parts, EPS: spec.epsilon,
          MOMENTUM: spec.momentum, FLAGS: (s.relu ? BN_RELU : 0) | (share.index === 0 ? BN_UPDATE_RUNNING : 0), OUTPUT: s.out,
          BACK: bnPartBytes(C),
        }, ['EPS', 'MOMENTUM']);
        partOffset += 2 * bnPartBytes(C);
      }
    }
    if (training) writeDesc(mem, this.augDesc, AUG_DESC, { PIXELS: this.pixels, TMP: augTmp });
  }

  /** Augments the `n` images in `pixels` in place (training only). */
  augment(n: number, firstImage: number, stepSeed: number, a: Augmentation): void {
    writeDesc(this.engine.raw, this.augDesc, AUG_DESC, {
      N: n, FIRST: firstImage, SEED: stepSeed | 0, PAD: a.shift, FLIP: a.flip ? 1 : 0,
      ERASE_P: a.erase, ERASE_MIN: a.eraseArea[0], ERASE_MAX: a.eraseArea[1],
    }, ['ERASE_P', 'ERASE_MIN', 'ERASE_MAX']);
    this.engine.k.augment_images(this.augDesc);
  }

  /** Converts `n` images already copied to `pixels` into the network input. */
  normalize(n: number, scale: number, shift: number): void {
    this.engine.k.u8_to_f32(this.pixels, this.input, n * size(this.layout.input), scale, shift);
  }

  /** Runs the forward pass over the first `n` images of the workspace; logits land at `logits`. */
  forward(n: number, opts: ForwardOptions): void {
    const k = this.engine.k;
    const i32 = this.engine.i32;
    const sync = opts.sync ?? noSync;
    for (const s of opts.training ? this.trainSteps : this.inferSteps) {
      const l = s.layer;
      const count = n * size(l.output);
      switch (s.kind) {
        case 'conv':
          i32[(s.desc + CONV_DESC.N) >> 2] = n;
          k.conv2d_forward(s.desc);
          break;
        case 'dense':
          i32[(s.desc + DENSE_DESC.N) >> 2] = n;
          k.dense_forward(s.desc);
          break;
        case 'relu':
          k.relu_forward(s.in, s.out, count);
          break;
        case 'maxpool':
          k.maxpool2d_forward(s.in, s.out, n, l.input.h, l.input.w, l.input.c);
          break;
        case 'gap':
          k.gap_forward(s.in, s.out, n, l.input.h * l.input.w, l.input.c);
          break;
        case 'bn':
          i32[(s.desc + BN_DESC.ROWS) >> 2] = n * l.input.h * l.input.w;
          k.bn_forward_stats(s.desc);
          sync();
          k.bn_forward_apply(s.desc);
          break;
        case 'affine': {
          const f = this.region.folded.get(l.index)!;
          k.channel_affine(s.in, s.out, n * l.input.h * l.input.w, l.input.c, f.w, f.b, s.relu ? 1 : 0);
          break;
        }
        case 'dropout': {
          const rate = (l.spec as { rate: number }).rate;
          // threshold = rate * 2^32 rounded, as an unsigned value carried in an i32.
          const threshold = Math.min(0xffffffff, Math.round(rate * 4294967296)) | 0;
          const per = size(l.output);
          k.dropout_forward(s.in, s.out, s.mask, count, ((opts.firstImage ?? 0) * per) | 0, (opts.stepSeed ?? 0) | 0, threshold, Math.fround(1 / (1 - rate)));
          break;
        }
        case 'alias':
          break;
      }
    }
  }

  /**
   * Runs the backward pass for the first `n` images, from the logits' gradient at `glogits`,
   * writing (not adding) this workspace's parameter gradients.
   */
  backward(n: number, sync: () => void = noSync): void {
    const k = this.engine.k;
    const i32 = this.engine.i32;
    for (let i = this.trainSteps.length - 1; i >= 0; i--) {
      const s = this.trainSteps[i];
      const l = s.layer;
      const count = n * size(l.output);
      switch (s.kind) {
        case 'conv':
          if (s.relu) k.relu_backward(s.out, s.gout, s.gout, count);
          i32[(s.desc + CONV_DESC.N) >> 2] = n;
          k.conv2d_backward_filter(s.desc);
          if (s.gin) k.conv2d_backward_input(s.desc);
          break;
        case 'dense':
          if (s.relu) k.relu_backward(s.out, s.gout, s.gout, count);
          i32[(s.desc + DENSE_DESC.N) >> 2] = n;
          k.dense_backward_filter(s.desc);
          if (s.gin) k.dense_backward_input(s.desc);
          break;
        case 'bn':
          i32[(s.desc + BN_DESC.ROWS) >> 2] = n * l.input.h * l.input.w;
          k.bn_backward_stats(s.desc);
          sync();
          k.bn_backward_apply(s.desc);
          break;
        case 'relu':
          if (s.gin) k.relu_backward(s.out, s.gout, s.gin, count);
          break;
        case 'maxpool':
          if (s.gin) k.maxpool2d_backward(s.in, s.out, s.gout, s.gin, n, l.input.h, l.input.w, l.input.c);
          break;
        case 'gap':
          if (s.gin) k.gap_backward(s.gout, s.gin, n, l.input.h * l.input.w, l.input.c);
          break;
        case 'dropout':
          if (s.gin) k.mul(s.gout, s.mask, s.gin, count);
          break;
        case 'affine':
        case 'alias':
          break;
      }
    }
  }
}

function step(kind: Kind, layer: LayerInfo): Step {
  return { kind, layer, out: 0, gout: 0, in: 0, gin: 0, relu: false, desc: 0, mask: 0 };
}

const fusesRelu = (s: Step | undefined) => !!s && !s.relu && (s.kind === 'conv' || s.kind === 'dense' || s.kind === 'bn' || s.kind === 'affine');

/** Training: every layer is a step; a ReLU folds into the conv, dense or batch norm before it. */
function trainingSteps(layout: Layout): Step[] {
  const steps: Step[] = [];
  for (const l of layout.layers) {
    const t = l.spec.type;
    const prev = steps[steps.length - 1];
    if (t === 'relu' && fusesRelu(prev)) {
      prev.relu = true;
      continue;
    }
    const kind: Kind = t === 'batchnorm' ? 'bn' : t === 'flatten' ? 'alias' : t === 'dropout' && l.spec.rate === 0 ? 'alias' : t;
    steps.push(step(kind, l));
  }
  return steps;
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
    if (t === 'batchnorm' && targets.has(l.index)) {
      // The folded weights of the layer before already include this normalisation.
      continue;
    }
    const kind: Kind = t === 'batchnorm' ? 'affine' : t === 'flatten' || t === 'dropout' ? 'alias' : t;
    steps.push(step(kind, l));
  }
  return steps;
}

/** Hyper-parameters of one optimizer step. */
export interface OptimizerSettings {
  kind: 'adam' | 'sgd';
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  momentum: number;
  nesterov: boolean;
}

/**
 * One optimizer step over the trainable parameters [start, end) from the gradients at
 * `region.grads`, using two descriptors at `descs` (weights take decay, the rest do not).
 * Both optimizers are elementwise, so workers may update disjoint ranges in parallel with
 * identical results.
 */
export function optimizerRange(
  engine: Engine, layout: Layout, region: ParamRegion, descs: readonly [number, number],
  start: number, end: number, step: number, s: OptimizerSettings,
): void {
  const ranges: [number, number, number][] = [
    [start, Math.min(end, layout.decayCount), s.weightDecay],
    [Math.max(start, layout.decayCount), Math.min(end, layout.trainableCount), 0],
  ];
  ranges.forEach(([a, b, wd], i) => {
    if (b <= a) return;
    const d = descs[i];
    if (s.kind === 'sgd') {
      writeDesc(engine.raw, d, SGD_DESC, {
        PARAMS: region.params + a * 4, GRADS: region.grads + a * 4, VELOCITY: region.m + a * 4, COUNT: b - a,
        NESTEROV: s.nesterov ? 1 : 0, LR: s.learningRate, MOMENTUM: s.momentum, WD: wd,
      }, ['LR', 'MOMENTUM', 'WD']);
      engine.k.sgd_step(d);
    } else {
      writeDesc(engine.raw, d, ADAM_DESC, {
        PARAMS: region.params + a * 4, GRADS: region.grads + a * 4, M: region.m + a * 4,
        V: region.v + a * 4, COUNT: b - a, STEP: step, LR: s.learningRate, BETA1: s.beta1,
        BETA2: s.beta2, EPS: s.epsilon, WD: wd,
      }, ['LR', 'BETA1', 'BETA2', 'EPS', 'WD']);
      engine.k.adam_step(d);
    }
  });
}
