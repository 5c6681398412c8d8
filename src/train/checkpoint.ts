// Checkpoints: everything a training run needs to continue exactly where it stopped. A
// checkpoint is a weight file (so it also loads as a model) with two more tensors, Adam's moments
// ('optimizer.m', 'optimizer.v'), the best weights so far when early stopping keeps them
// ('checkpoint.best'), and the loop's position in its metadata. Resuming with the same data,
// options and thread count gives bit-identical weights to a run that never stopped (another
// thread count continues correctly, within float rounding).
import { GarmentError } from '../errors.ts';
import { decodeWeights, encodeWeights, type WeightTensor } from '../io/weights.ts';
import type { Network } from '../model/network.ts';
import { IMAGE_SIDE } from '../types.ts';
import type { EpochSummary } from './train.ts';

/** Where a run stood. */
export interface LoopState {
  /** Epoch in progress (1-based) and steps of it already done. */
  epoch: number;
  step: number;
  /** Steps done in this run (drives the schedule). */
  runStep: number;
  optimizerStep: number;
  lossSum: number;
  correct: number;
  seen: number;
  history: EpochSummary[];
  best: number;
  sinceBest: number;
  bestEpoch?: number;
  /** What must match for a resume to be exact. */
  fingerprint: string;
}

export function encodeCheckpoint(
  net: Network, labels: readonly string[], metadata: Record<string, unknown>, state: LoopState, best?: Float32Array,
): Uint8Array {
  const params = net.params();
  const [m, v] = net.moments();
  const tensors: WeightTensor[] = net.layout.params.map((p) => ({ name: p.name, shape: p.shape, data: params.slice(p.offset, p.offset + p.size) }));
  const n = net.layout.paramCount;
  tensors.push({ name: 'optimizer.m', shape: [n], data: m.slice() }, { name: 'optimizer.v', shape: [n], data: v.slice() });
  if (best) tensors.push({ name: 'checkpoint.best', shape: [n], data: best });
  return encodeWeights({
    model: { layers: net.layers },
    labels: [...labels],
    input: { height: IMAGE_SIDE, width: IMAGE_SIDE, channels: 1, ...net.norm },
    tensors,
    metadata: { ...metadata, checkpoint: state },
  });
}

/**
 * The loop state comes from a file, and a checksum is no defence against one edited on purpose: a
 * step or epoch out of range would run the loop (nearly) forever, and junk would land in the
 * history. `best` starts as Infinity, which JSON writes as null.
 */
function checkLoopState(s: LoopState, run: { epochs: number; stepsPerEpoch: number }): void {
  const int = (v: unknown, lo: number, hi: number) => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
  const ok = int(s.epoch, 1, run.epochs + 1) && int(s.step, 0, run.stepsPerEpoch - 1) &&
    s.runStep === (s.epoch - 1) * run.stepsPerEpoch + s.step && int(s.optimizerStep, s.runStep, 2 ** 31 - 2) &&
    typeof s.lossSum === 'number' && Number.isFinite(s.lossSum) && s.lossSum >= 0 &&
    int(s.seen, 0, Number.MAX_SAFE_INTEGER) && int(s.correct, 0, s.seen) &&
    Array.isArray(s.history) && s.history.length === s.epoch - 1 &&
    s.history.every((e, i) => !!e && typeof e === 'object' && (e as { epoch?: unknown }).epoch === i + 1) &&
    (s.best === null || (typeof s.best === 'number' && !Number.isNaN(s.best))) && int(s.sinceBest, 0, s.epoch - 1) &&
    (s.bestEpoch === undefined || int(s.bestEpoch, 1, s.epoch - 1));
  if (!ok) throw new GarmentError('E_WEIGHTS_FORMAT', "train: the checkpoint's loop state is not one this run can be in (a corrupt or edited file)");
  if (s.best === null) s.best = Infinity;
}

/** Puts a checkpoint's weights and optimizer state into `net`; returns the loop state and best weights. */
export function restoreCheckpoint(
  net: Network, bytes: unknown, fingerprint: string, run: { epochs: number; stepsPerEpoch: number },
): { state: LoopState; best?: Float32Array } {
  if (!(bytes instanceof Uint8Array)) throw new GarmentError('E_OPTION', 'train: resume must be the bytes of a checkpoint (Uint8Array)');
  const file = decodeWeights(bytes);
  const state = (file.metadata as { checkpoint?: LoopState } | undefined)?.checkpoint;
  if (!state || typeof state !== 'object' || !Number.isInteger(state.epoch) || !Number.isInteger(state.step) || !Array.isArray(state.history)) {
    throw new GarmentError('E_WEIGHTS_FORMAT', 'train: resume needs a checkpoint (saved by train with `checkpoint`), not a plain weight file');
  }
  if (state.fingerprint !== fingerprint) {
    throw new GarmentError('E_OPTION', 'train: this checkpoint was made with other data or options (epochs, batch size, seed, schedule...); resume with the same ones');
  }
  checkLoopState(state, run);
  const byName = new Map(file.tensors.map((t) => [t.name, t]));
  const n = net.layout.paramCount;
  // Everything is checked before anything is written: a refused checkpoint leaves the model as it was.
  for (const p of net.layout.params) {
    const t = byName.get(p.name);
    if (!t || t.data.length !== p.size) throw new GarmentError('E_WEIGHTS_MISMATCH', `train: the checkpoint's ${p.name} does not fit this model`);
  }
  const tm = byName.get('optimizer.m'), tv = byName.get('optimizer.v');
  if (!tm || !tv || tm.data.length !== n || tv.data.length !== n) throw new GarmentError('E_WEIGHTS_MISMATCH', 'train: the checkpoint has no optimizer state for this model');
  const best = byName.get('checkpoint.best')?.data;
  // Best weights of another size would throw a RangeError when restored at the end of training.
  if (best && best.length !== n) throw new GarmentError('E_WEIGHTS_MISMATCH', "train: the checkpoint's best weights do not fit this model");
  const params = net.params();
  for (const p of net.layout.params) params.set(byName.get(p.name)!.data, p.offset);
  const [m, v] = net.moments();
  m.set(tm.data);
  v.set(tv.data);
  net.optimizerStep = state.optimizerStep;
  net.paramsChanged();
  return { state, best };
}
