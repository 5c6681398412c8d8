// The plan: a model's forward and backward passes compiled once into kernel calls with fixed
// pointers. Parameters (and optimizer state) live in one region shared by every workspace; each
// workspace holds the activations, gradients and scratch of one batch slice, so a thread pool
// gives every worker its own workspace over the same parameters. No allocation per step.
import { Arena } from '../engine/arena.ts';
import type { Engine } from '../engine/engine.ts';
import {
  CONV_DESC, CONV_RELU, DENSE_DESC, DENSE_RELU, ADAM_DESC, writeDesc,
} from '../engine/descriptors.ts';
import { type Layout, type LayerInfo, size } from './layout.ts';

/** Where the parameters, their gradients and the optimizer state live (float offsets x4 = bytes). */
export interface ParamRegion {
  params: number;
  grads: number;
  m: number;
  v: number;
  /** Two Adam descriptors for the main thread: decayed weights, then biases. */
  adamDescs: [number, number];
}

export function allocParams(arena: Arena, layout: Layout): ParamRegion {
  const n = layout.paramCount;
  const params = arena.f32(n);
  const grads = arena.f32(n);
  const m = arena.f32(n);
  const v = arena.f32(n);
  const adamDescs: [number, number] = [arena.alloc(ADAM_DESC.bytes), arena.alloc(ADAM_DESC.bytes)];
  return { params, grads, m, v, adamDescs };
}

/** Target size of one im2col chunk: it and the GEMM's B strip stay in L2. */
const CHUNK_BYTES = 256 * 1024;

interface Step {
  layer: LayerInfo;
  /** Output activations and the gradient with respect to them. */
  out: number;
  gout: number;
  /** Input activations and the gradient with respect to them (0 when not needed). */
  in: number;
  gin: number;
  desc: number;
  mask: number;
}

/** Options of one forward pass. */
export interface ForwardOptions {
  training: boolean;
  /** Dropout mask seed for this step (see assembly/dropout.ts). */
  stepSeed?: number;
  /** Index of this slice's first image within the whole batch. */
  firstImage?: number;
}

export class Workspace {
  readonly capacity: number;
  /** Whether gradients (and dropout masks) exist: workspaces for inference only skip them. */
  readonly training: boolean;
  /** Pixels as bytes, network input as f32, labels as i32, per-image losses. */
  readonly pixels: number;
  readonly input: number;
  readonly labels: number;
  readonly losses: number;
  /** Logits of the last layer and their gradient. */
  readonly logits: number;
  readonly glogits: number;
  /** Softmax output for predictions. */
  readonly probs: number;
  readonly end: number;
  /** Where this workspace writes parameter gradients. */
  readonly grads: number;
  private readonly steps: Step[];
  private readonly engine: Engine;
  private readonly layout: Layout;

  constructor(
    engine: Engine, layout: Layout, region: ParamRegion, grads: number, arena: Arena, capacity: number,
    training: boolean,
  ) {
    this.engine = engine;
    this.layout = layout;
    this.capacity = capacity;
    this.training = training;
    this.grads = grads;
    const inSize = size(layout.input);
    this.pixels = arena.alloc(capacity * inSize);
    this.input = arena.f32(capacity * inSize);
    this.labels = arena.alloc(capacity * 4);
    this.losses = arena.f32(capacity);
    this.probs = arena.f32(capacity * layout.classes);
    // Layers that come before every parameter need no input gradient.
    const firstParam = training ? layout.layers.findIndex((l) => l.weight) : Infinity;
    let prevOut = this.input;
    let prevGrad = 0;
    let scratchBytes = 0;
    const steps: Step[] = [];
    for (const layer of layout.layers) {
      if (layer.fusedAway) continue;
      const t = layer.spec.type;
      const perImage = size(layer.output);
      let out: number;
      let gout: number;
      if (t === 'flatten') {
        out = prevOut;
        gout = prevGrad;
      } else {
        out = arena.f32(capacity * perImage);
        gout = layer.index >= firstParam ? arena.f32(capacity * perImage) : 0;
      }
      steps.push({ layer, out, gout, in: prevOut, gin: prevGrad, desc: 0, mask: 0 });
      prevOut = out;
      prevGrad = gout;
    }
    // A layer needs its input gradient only if some earlier layer has parameters.
    for (const s of steps) if (s.layer.index <= firstParam) s.gin = 0;
    for (const s of steps) {
      const l = s.layer;
      if (l.spec.type === 'conv') {
        const K = l.spec.kernel, C = l.input.c, F = l.output.c;
        const rowFwd = K * K * C * 4, rowBwd = K * K * F * 4;
        const rowsFwd = Math.max(16, Math.floor(CHUNK_BYTES / rowFwd));
        const rowsBwd = Math.max(16, Math.floor(CHUNK_BYTES / rowBwd));
        scratchBytes = Math.max(scratchBytes, rowsFwd * rowFwd);
        if (training) scratchBytes = Math.max(scratchBytes, K * K * C * F * 4 + rowsBwd * rowBwd);
        s.desc = arena.alloc(CONV_DESC.bytes);
      } else if (l.spec.type === 'dense') {
        if (training) scratchBytes = Math.max(scratchBytes, size(l.input) * l.output.c * 4);
        s.desc = arena.alloc(DENSE_DESC.bytes);
      } else if (l.spec.type === 'dropout' && training) {
        s.mask = arena.f32(capacity * size(l.output));
      }
    }
    const scratch = arena.alloc(scratchBytes);
    this.end = arena.alloc(0);
    engine.ensure(this.end);
    const last = steps[steps.length - 1];
    this.logits = last.out;
    // The loss writes the logits' gradient; the last layer reads it as its output gradient.
    this.glogits = last.gout;
    this.steps = steps;
    // Descriptors hold every pointer; only N changes per call.
    const mem = engine.raw;
    for (const s of steps) {
      const l = s.layer;
      const w = l.weight ? region.params + l.weight.offset * 4 : 0;
      const b = l.bias ? region.params + l.bias.offset * 4 : 0;
      const dw = l.weight ? grads + l.weight.offset * 4 : 0;
      const db = l.bias ? grads + l.bias.offset * 4 : 0;
      if (l.spec.type === 'conv') {
        const K = l.spec.kernel;
        writeDesc(mem, s.desc, CONV_DESC, {
          N: 0, H: l.input.h, W: l.input.w, C: l.input.c, F: l.output.c, K,
          PAD: l.spec.padding === 'valid' ? 0 : (K - 1) / 2, HO: l.output.h, WO: l.output.w,
          X: s.in, WGT: w, BIAS: b, Y: s.out, DY: s.gout, DX: s.gin, DW: dw, DB: db,
          SCRATCH: scratch, SCRATCH_BYTES: scratchBytes, FLAGS: l.fusedRelu ? CONV_RELU : 0,
        });
      } else if (l.spec.type === 'dense') {
        writeDesc(mem, s.desc, DENSE_DESC, {
          N: 0, IN: size(l.input), OUT: l.output.c, X: s.in, WGT: w, BIAS: b, Y: s.out,
          DY: s.gout, DX: s.gin, DW: dw, DB: db, SCRATCH: scratch, FLAGS: l.fusedRelu ? DENSE_RELU : 0,
        });
      }
    }
  }

  /** Converts `n` images already copied to `pixels` into the network input. */
  normalize(n: number, scale: number, shift: number): void {
    this.engine.k.u8_to_f32(this.pixels, this.input, n * size(this.layout.input), scale, shift);
  }

  /** Runs the forward pass over the first `n` images of the workspace; logits land at `logits`. */
  forward(n: number, opts: ForwardOptions): void {
    const k = this.engine.k;
    const i32 = this.engine.i32;
    for (const s of this.steps) {
      const l = s.layer;
      const count = n * size(l.output);
      switch (l.spec.type) {
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
        case 'dropout':
          if (opts.training && this.training && l.spec.rate > 0) {
            const rate = l.spec.rate;
            // threshold = rate * 2^32 rounded, as an unsigned value carried in an i32.
            const threshold = Math.min(0xffffffff, Math.round(rate * 4294967296)) | 0;
            const per = size(l.output);
            k.dropout_forward(s.in, s.out, s.mask, count, ((opts.firstImage ?? 0) * per) | 0, (opts.stepSeed ?? 0) | 0, threshold, Math.fround(1 / (1 - rate)));
          } else {
            this.engine.u8.copyWithin(s.out, s.in, s.in + count * 4);
          }
          break;
        case 'flatten':
          break;
      }
    }
  }

  /**
   * Runs the backward pass for the first `n` images, from the logits' gradient at `glogits`,
   * writing (not adding) this workspace's parameter gradients.
   */
  backward(n: number): void {
    const k = this.engine.k;
    const i32 = this.engine.i32;
    for (let i = this.steps.length - 1; i >= 0; i--) {
      const s = this.steps[i];
      const l = s.layer;
      const count = n * size(l.output);
      switch (l.spec.type) {
        case 'conv':
          if (l.fusedRelu) k.relu_backward(s.out, s.gout, s.gout, count);
          i32[(s.desc + CONV_DESC.N) >> 2] = n;
          k.conv2d_backward_filter(s.desc);
          if (s.gin) k.conv2d_backward_input(s.desc);
          break;
        case 'dense':
          if (l.fusedRelu) k.relu_backward(s.out, s.gout, s.gout, count);
          i32[(s.desc + DENSE_DESC.N) >> 2] = n;
          k.dense_backward_filter(s.desc);
          if (s.gin) k.dense_backward_input(s.desc);
          break;
        case 'relu':
          if (s.gin) k.relu_backward(s.out, s.gout, s.gin, count);
          break;
        case 'maxpool':
          if (s.gin) k.maxpool2d_backward(s.in, s.out, s.gout, s.gin, n, l.input.h, l.input.w, l.input.c);
          break;
        case 'dropout':
          if (s.gin) k.mul(s.gout, s.mask, s.gin, count);
          break;
        case 'flatten':
          break;
      }
    }
  }
}

/** Hyper-parameters of one Adam(W) step. */
export interface AdamSettings {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

/**
 * One optimizer step over the parameters [start, end) from the gradients at `region.grads`,
 * using two descriptors at `descs` (weights take decay, biases do not). Adam is elementwise,
 * so workers may update disjoint ranges in parallel with identical results.
 */
export function adamRange(
  engine: Engine, layout: Layout, region: ParamRegion, descs: readonly [number, number],
  start: number, end: number, step: number, s: AdamSettings,
): void {
  const ranges: [number, number, number][] = [
    [start, Math.min(end, layout.decayCount), s.weightDecay],
    [Math.max(start, layout.decayCount), end, 0],
  ];
  ranges.forEach(([a, b, wd], i) => {
    if (b <= a) return;
    const d = descs[i];
    writeDesc(engine.raw, d, ADAM_DESC, {
      PARAMS: region.params + a * 4, GRADS: region.grads + a * 4, M: region.m + a * 4,
      V: region.v + a * 4, COUNT: b - a, STEP: step, LR: s.learningRate, BETA1: s.beta1,
      BETA2: s.beta2, EPS: s.epsilon, WD: wd,
    }, ['LR', 'BETA1', 'BETA2', 'EPS', 'WD']);
    engine.k.adam_step(d);
  });
}
