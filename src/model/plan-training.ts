// The training half of a workspace: every layer as a step (batch norm with its cross-slice
// statistics, dropout with its masks), gradient buffers, the backward pass, augmentation, and the
// optimizer steps. Loaded with the training code; the inference half is plan.ts.
import {
  ADAM_DESC, AUG_DESC, BN_DESC, BN_RELU, BN_UPDATE_RUNNING, CONV_DESC, DENSE_DESC, SGD_DESC, writeDesc,
} from '../engine/descriptors.ts';
import type { Engine } from '../engine/engine.ts';
import { type Layout, size } from './layout.ts';
import {
  type Augmentation, type ForwardOptions, type Kind, type ParamRegion, type Step, type TrainingContext,
  type TrainingPlan, type TrainingPlanFactory, type Workspace, describeStep, forwardStep, fusesRelu, scratchFor, step,
} from './plan.ts';
import type { BatchNormLayer } from './spec.ts';

/** Bytes of one batch-norm layer's statistics, forward or backward (f64 count + 2C). */
const bnPartBytes = (c: number) => Math.ceil((8 + 16 * c) / 64) * 64;

/** Bytes of one worker's partial-statistics block for `layout`: forward and backward per batch-norm layer. */
export function batchNormPartBytes(layout: Layout): number {
  let bytes = 0;
  for (const l of layout.layers) if (l.spec.type === 'batchnorm') bytes += 2 * bnPartBytes(l.input.c);
  return bytes;
}

const noSync = (): void => {};

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

class Plan implements TrainingPlan {
  readonly outByLayer = new Map<number, number>();
  readonly logits: number;
  readonly glogits: number;
  readonly scratchBytes: number;
  private readonly steps: Step[];
  private readonly c: TrainingContext;
  private readonly augDesc: number;
  private readonly augTmp: number;
  private readonly bnStats = new Map<number, number>();

  constructor(c: TrainingContext) {
    this.c = c;
    const { layout, arena, capacity } = c;
    this.augDesc = arena.alloc(AUG_DESC.bytes);
    this.augTmp = arena.alloc(size(layout.input));
    const steps = trainingSteps(layout);
    // Layers before the first one with parameters need no gradients at all.
    const firstParam = layout.layers.findIndex((l) => l.weight || l.gamma);
    let prevOut = c.input;
    let prevGrad = 0;
    let scratchBytes = 0;
    for (const s of steps) {
      s.in = prevOut;
      s.gin = s.layer.index <= firstParam ? 0 : prevGrad;
      if (s.kind === 'alias') {
        s.out = prevOut;
        s.gout = prevGrad;
      } else {
        const perImage = size(s.layer.output);
        s.out = arena.f32(capacity * perImage);
        s.gout = s.layer.index >= firstParam ? arena.f32(capacity * perImage) : 0;
        this.outByLayer.set(s.layer.index, s.out);
      }
      prevOut = s.out;
      prevGrad = s.gout;
      scratchBytes = Math.max(scratchBytes, scratchFor(s.layer, true));
      if (s.kind === 'conv') s.desc = arena.alloc(CONV_DESC.bytes);
      else if (s.kind === 'dense') s.desc = arena.alloc(DENSE_DESC.bytes);
      else if (s.kind === 'dropout') s.mask = arena.f32(capacity * size(s.layer.output));
      else if (s.kind === 'bn') {
        s.desc = arena.alloc(BN_DESC.bytes);
        // This slice's batch mean and 1/std, then three backward coefficients (f32[C] each).
        this.bnStats.set(s.layer.index, arena.f32(5 * s.layer.input.c));
      }
    }
    this.steps = steps;
    this.scratchBytes = scratchBytes;
    const last = steps[steps.length - 1];
    // The loss reads the training logits and writes their gradient, which the last layer reads.
    this.logits = last.out;
    this.glogits = last.gout;
  }

  bind(scratch: number, scratchBytes: number): void {
    const { engine, region, grads, share } = this.c;
    const mem = engine.raw;
    const P = (p: { offset: number } | undefined) => (p ? region.params + p.offset * 4 : 0);
    const G = (p: { offset: number } | undefined) => (p ? grads + p.offset * 4 : 0);
    let partOffset = 0;
    for (const s of this.steps) {
      const l = s.layer;
      if (s.kind === 'conv' || s.kind === 'dense') describeStep(mem, s, region, grads, scratch, scratchBytes);
      else if (s.kind === 'bn') {
        const C = l.input.c;
        const stats = this.bnStats.get(l.index)!;
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
    writeDesc(mem, this.augDesc, AUG_DESC, { PIXELS: this.c.pixels, TMP: this.augTmp });
  }

  augment(n: number, firstImage: number, stepSeed: number, a: Augmentation): void {
    writeDesc(this.c.engine.raw, this.augDesc, AUG_DESC, {
      N: n, FIRST: firstImage, SEED: stepSeed | 0, PAD: a.shift, FLIP: a.flip ? 1 : 0,
      ERASE_P: a.erase, ERASE_MIN: a.eraseArea[0], ERASE_MAX: a.eraseArea[1],
    }, ['ERASE_P', 'ERASE_MIN', 'ERASE_MAX']);
    this.c.engine.k.augment_images(this.augDesc);
  }

  forward(n: number, opts: ForwardOptions): void {
    const { engine, region } = this.c;
    const k = engine.k;
    const i32 = engine.i32;
    const sync = opts.sync ?? noSync;
    for (const s of this.steps) {
      if (forwardStep(k, i32, s, n, region)) continue;
      const l = s.layer;
      if (s.kind === 'bn') {
        i32[(s.desc + BN_DESC.ROWS) >> 2] = n * l.input.h * l.input.w;
        k.bn_forward_stats(s.desc);
        sync();
        k.bn_forward_apply(s.desc);
      } else if (s.kind === 'dropout') {
        const rate = (l.spec as { rate: number }).rate;
        // threshold = rate * 2^32 rounded, as an unsigned value carried in an i32.
        const threshold = Math.min(0xffffffff, Math.round(rate * 4294967296)) | 0;
        const per = size(l.output);
        k.dropout_forward(s.in, s.out, s.mask, n * per, ((opts.firstImage ?? 0) * per) | 0, (opts.stepSeed ?? 0) | 0, threshold, Math.fround(1 / (1 - rate)));
      }
    }
  }

  /**
   * The backward pass for the first `n` images, from the logits' gradient at `glogits`, writing
   * (not adding) this workspace's parameter gradients.
   */
  backward(n: number, sync: () => void = noSync): void {
    const k = this.c.engine.k;
    const i32 = this.c.engine.i32;
    for (let i = this.steps.length - 1; i >= 0; i--) {
      const s = this.steps[i];
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
      }
    }
  }
}

/** Per-step values every slice of a batch shares. */
export interface SliceStep {
  stepSeed: number;
  /** 1 / (images in the whole batch): each slice's gradient is its share of the batch mean. */
  gradScale: number;
  smoothing: number;
  augmentation?: Augmentation;
  /** Where all slices must meet (batch norm); a no-op on one thread. */
  sync?: () => void;
}

/**
 * Augmentation, forward, loss and backward over the `n` images (and i32 labels) already in `ws`,
 * which start at image `firstImage` of the whole batch. Leaves per-image losses and logits in the
 * workspace and this slice's parameter gradients in its gradient buffer. Runs (and meets the
 * other slices) even when `n` is 0. Shared by the calling thread and the workers.
 */
export function trainSlice(engine: Engine, layout: Layout, ws: Workspace, n: number, firstImage: number, step: SliceStep, norm: { scale: number; shift: number }): void {
  const t = ws.train!;
  if (step.augmentation && n > 0) t.augment(n, firstImage, step.stepSeed, step.augmentation);
  ws.normalize(n, norm.scale, norm.shift);
  t.forward(n, { training: true, stepSeed: step.stepSeed, firstImage, sync: step.sync });
  engine.k.softmax_cross_entropy(t.logits, ws.labels, n, layout.classes, t.glogits, ws.losses, step.gradScale, step.smoothing);
  t.backward(n, step.sync);
}

/** Builds the training half of a workspace. */
export const trainingPlan: TrainingPlanFactory = (c) => new Plan(c);

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
 * Copies parameters and both optimizer moments over [start, end) (in floats) into the divergence
 * guard's snapshot slot at byte `dst`: three arrays of `paramCount` floats, in that order.
 */
export function snapshotRange(engine: Engine, layout: Layout, region: ParamRegion, dst: number, start: number, end: number): void {
  if (end <= start) return;
  const n = layout.paramCount * 4;
  const u8 = engine.u8;
  u8.copyWithin(dst + start * 4, region.params + start * 4, region.params + end * 4);
  u8.copyWithin(dst + n + start * 4, region.m + start * 4, region.m + end * 4);
  u8.copyWithin(dst + 2 * n + start * 4, region.v + start * 4, region.v + end * 4);
}

/**
 * Non-finite values among the parameters and both optimizer moments over [start, end) (in
 * floats): the divergence guard's check. The moments count too: a gradient above ~1e19 overflows
 * Adam's second moment to Infinity while the step it divides stays finite (m / sqrt(Infinity) is
 * 0), which would leave those parameters silently frozen and the state unsaveable.
 */
export function nonFiniteState(engine: Engine, region: ParamRegion, start: number, end: number): number {
  if (end <= start) return 0;
  const k = engine.k, n = end - start, at = start * 4;
  return k.count_nonfinite(region.params + at, n) + k.count_nonfinite(region.m + at, n) + k.count_nonfinite(region.v + at, n);
}

/**
 * One optimizer step over the trainable parameters [start, end) from the gradients at
 * `region.grads`, using two descriptors at `descs` (weights take decay, the rest do not).
 * Both optimizers are elementwise, so workers may update disjoint ranges in parallel with
 * identical results. With `snapshot` (a snapshot slot's byte address), the range is copied there
 * first.
 */
export function optimizerRange(
  engine: Engine, layout: Layout, region: ParamRegion, descs: readonly [number, number],
  start: number, end: number, step: number, s: OptimizerSettings, snapshot = 0,
): void {
  // The divergence guard's copy of this range is taken here, by whoever updates it, while the
  // values are about to be read anyway: with threads, each worker copies its own range.
  if (snapshot) snapshotRange(engine, layout, region, snapshot, start, end);
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
