// One training step of a network, on the calling thread or across the pool, and the divergence
// guard's snapshots. Loaded with the training code: inference never needs it.
import * as P from '../threads/protocol.ts';
import { IMAGE_PIXELS } from '../types.ts';
import { type Network, argmax } from '../model/network.ts';
import { poolFor, runPool } from '../model/network-pool.ts';
import type { Workspace } from '../model/plan.ts';
import {
  type OptimizerSettings, type SliceStep, batchNormPartBytes, nonFiniteState, optimizerRange, snapshotRange, trainSlice,
  trainingPlan,
} from '../model/plan-training.ts';

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
  /** Whether every parameter, running statistic and optimizer moment is finite after the step. */
  finite: boolean;
}

/** Everything one training step needs besides the images. */
export interface StepSettings extends Omit<SliceStep, 'sync'> {
  optimizer: OptimizerSettings;
}

/**
 * Makes `net` trainable (idempotent): plugs in the training plan and lays out, after the
 * parameters, room for the divergence guard's snapshots and the batch-norm statistics; the
 * workspaces are laid out again after them.
 */
export function enableTraining(net: Network): void {
  if (net.training) return;
  const partBytes = batchNormPartBytes(net.layout);
  net.training = { plan: trainingPlan, partBytes };
  const arena = net.arena;
  arena.reset(net.workspaceMark);
  net.snapshotAt = arena.f32(6 * net.layout.paramCount);
  net.localShare = { part0: arena.alloc(partBytes), stride: partBytes, parts: 1, index: 0 };
  net.workspaceMark = net.localMark = arena.mark();
  net.local = undefined;
  if (net.pooled) net.pooled.capacity = 0;
  // The memory holds the snapshot slots from now on: the first step saves the running statistics
  // before it lays out its workspace (which grows the memory), and a copy past the end of the
  // memory is silently cut short (a first step that diverged put back zeros for them).
  net.engine.ensure(arena.size);
}

/**
 * One training step over a batch: augmentation, forward, loss, backward, optimizer. With
 * `guardSlot`, the state before the step is saved in that snapshot slot (see restoreSnapshot):
 * the running statistics here, before the forward pass changes them, and the trainable
 * parameters by whoever updates them, just before the update (each worker its own range).
 */
export async function trainBatch(net: Network, batch: BatchRef, step: StepSettings, guardSlot?: 0 | 1): Promise<BatchResult> {
  const workers = net.threadsConfigured;
  const pooled = await poolFor(net, Math.ceil(batch.n / workers), true, batch.n >= workers);
  const t = net.optimizerStep + 1;
  const { trainableCount, paramCount } = net.layout;
  let snap = 0;
  if (guardSlot !== undefined) {
    snap = net.snapshotAt + guardSlot * 3 * paramCount * 4;
    snapshotRange(net.engine, net.layout, net.region, snap, trainableCount, paramCount);
    net.snapshotStep[guardSlot] = net.optimizerStep;
  }
  net.paramsChanged();
  if (!pooled) {
    const ws = net.localWorkspace(batch.n, true);
    gather(net, ws, batch, 0, batch.n);
    trainSlice(net.engine, net.layout, ws, batch.n, 0, step, net.norm);
    optimizerRange(net.engine, net.layout, net.region, net.region.adamDescs, 0, trainableCount, t, step.optimizer, snap);
    net.optimizerStep = t;
    return collect(net, [ws], [[0, batch.n]], batch, stateFinite(net));
  }
  const slices = P.splitBatch(batch.n, pooled.pool.size);
  const ranges = P.splitRange(trainableCount, pooled.pool.size);
  const c = net.ctrl();
  const f = new Float32Array(c.buffer, c.byteOffset, c.length);
  slices.forEach(([start, n], i) => {
    gather(net, pooled.ws[i], batch, start, n);
    c[P.slot(i, P.S_START)] = start;
    c[P.slot(i, P.S_COUNT)] = n;
    c[P.slot(i, P.S_RANGE_START)] = ranges[i][0];
    c[P.slot(i, P.S_RANGE_END)] = ranges[i][1];
  });
  const o = step.optimizer;
  const a = step.augmentation;
  c[P.N_TOTAL] = batch.n;
  c[P.SNAPSHOT] = snap;
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
  await runPool(net, pooled, P.CMD_TRAIN);
  net.optimizerStep = t;
  // The workers counted non-finite values (parameters and moments) in the ranges they updated;
  // the running statistics (outside every range) are checked here.
  let nonFinite = statsNonFinite(net);
  for (let i = 0; i < pooled.pool.size; i++) nonFinite += c[P.slot(i, P.S_NONFINITE)];
  return collect(net, pooled.ws, slices, batch, nonFinite === 0);
}

function gather(net: Network, ws: Workspace, b: BatchRef, start: number, n: number): void {
  const u8 = net.engine.u8;
  const i32 = net.engine.i32;
  for (let i = 0; i < n; i++) {
    const src = b.order[b.from + start + i];
    u8.set(b.images.subarray(src * IMAGE_PIXELS, (src + 1) * IMAGE_PIXELS), ws.pixels + i * IMAGE_PIXELS);
    i32[(ws.labels >> 2) + i] = b.labels[src];
  }
}

function collect(net: Network, ws: Workspace[], slices: [number, number][], b: BatchRef, finite: boolean): BatchResult {
  const f32 = net.engine.f32;
  const classes = net.layout.classes;
  let lossSum = 0;
  let correct = 0;
  slices.forEach(([start, n], i) => {
    const logits = ws[i].train!.logits;
    for (let j = 0; j < n; j++) {
      lossSum += f32[(ws[i].losses >> 2) + j];
      if (argmax(f32, (logits >> 2) + j * classes, classes) === b.labels[b.order[b.from + start + j]]) correct++;
    }
  });
  return { lossSum, correct, finite };
}

/** Puts back the state from before the step that filled snapshot slot `slot` (see trainBatch). */
export function restoreSnapshot(net: Network, slot: 0 | 1): void {
  const n = net.layout.paramCount * 4;
  const u8 = net.engine.u8;
  const s = net.snapshotAt + slot * 3 * n;
  u8.copyWithin(net.region.params, s, s + n);
  u8.copyWithin(net.region.m, s + n, s + 2 * n);
  u8.copyWithin(net.region.v, s + 2 * n, s + 3 * n);
  net.optimizerStep = net.snapshotStep[slot];
  net.paramsChanged();
}

/** Whether every parameter, running statistic and optimizer moment is finite. */
function stateFinite(net: Network): boolean {
  return statsNonFinite(net) + nonFiniteState(net.engine, net.region, 0, net.layout.trainableCount) === 0;
}

/** Non-finite running statistics (the parameters after the trainable ones, which no optimizer updates). */
function statsNonFinite(net: Network): number {
  const { paramCount, trainableCount } = net.layout;
  return net.engine.k.count_nonfinite(net.region.params + trainableCount * 4, paramCount - trainableCount);
}
