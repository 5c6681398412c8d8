// The control block shared by the main thread and the workers: an Int32Array of words in the
// shared wasm memory. The main thread writes a job's arguments, bumps GEN and notifies; each
// worker runs its part and bumps DONE. Workers meet at a barrier between the backward pass
// and the gradient reduction. ERROR set by anyone makes everyone finish the job early.

export const CMD_TRAIN = 1;
export const CMD_INFER_PROBS = 2;
export const CMD_INFER_LOSS = 3;
export const CMD_LAYOUT = 4;
export const CMD_EXIT = 5;
/** Fault injection for tests: the receiving worker dies on the spot. */
export const CMD_CRASH = 6;

// Words of the control block.
export const GEN = 0;
export const CMD = 1;
export const DONE = 2;
export const ERROR = 3;
export const BARRIER_COUNT = 4;
export const BARRIER_GEN = 5;
export const N_TOTAL = 6;
export const STEP_SEED = 7;
export const ADAM_STEP = 8;
// f32 words (read through a Float32Array over the same bytes).
export const LR = 9;
export const BETA1 = 10;
export const BETA2 = 11;
export const EPSILON = 12;
export const WEIGHT_DECAY = 13;
export const SMOOTHING = 14;
export const GRAD_SCALE = 15;

export const OPTIMIZER = 16; // 0 Adam, 1 SGD
export const MOMENTUM = 17; // f32
export const NESTEROV = 18;
export const AUGMENT = 19; // 1: augment training images
export const AUG_SHIFT = 20;
export const AUG_FLIP = 21;
export const AUG_ERASE = 22; // f32
export const AUG_ERASE_MIN = 23; // f32
export const AUG_ERASE_MAX = 24; // f32
export const BN_PART0 = 25; // byte offset of worker 0's batch-norm statistics block
export const BN_STRIDE = 26; // bytes between workers' blocks
export const SNAPSHOT = 27; // byte address of this step's divergence-guard snapshot slot, 0 for none

/** Per-worker slots follow the header. */
export const SLOT_BASE = 32;
export const SLOT_WORDS = 9;
export const S_START = 0; // first image of this worker's slice within the batch
export const S_COUNT = 1; // images in the slice
export const S_WS_BASE = 2; // byte offset where the worker's workspace starts
export const S_CAPACITY = 3; // workspace capacity in images
export const S_TRAINING = 4; // 1 when the workspace holds gradients
export const S_GRADS = 5; // byte offset of the worker's gradient buffer
export const S_RANGE_START = 6; // parameter range (floats) this worker reduces and updates
export const S_RANGE_END = 7;
export const S_NONFINITE = 8; // after a training step: non-finite values in the updated range

export const MAX_WORKERS = 64;
export const CONTROL_WORDS = SLOT_BASE + MAX_WORKERS * SLOT_WORDS;

export const slot = (worker: number, field: number): number => SLOT_BASE + worker * SLOT_WORDS + field;

/** How long a waiting worker sleeps before it looks at ERROR again (ms). */
const POLL_MS = 20;

/** Thrown inside a worker when another participant failed: the job ends quietly. */
export class JobAborted extends Error {}

/**
 * Waits until all `parties` workers arrive (sense-reversing barrier on BARRIER_COUNT/GEN).
 * Gives up with JobAborted as soon as ERROR is set, so one failure never strands the others.
 */
export function barrier(ctrl: Int32Array, parties: number): void {
  const gen = Atomics.load(ctrl, BARRIER_GEN);
  if (Atomics.add(ctrl, BARRIER_COUNT, 1) === parties - 1) {
    Atomics.store(ctrl, BARRIER_COUNT, 0);
    Atomics.add(ctrl, BARRIER_GEN, 1);
    Atomics.notify(ctrl, BARRIER_GEN);
    return;
  }
  while (Atomics.load(ctrl, BARRIER_GEN) === gen) {
    if (Atomics.load(ctrl, ERROR) !== 0) throw new JobAborted();
    Atomics.wait(ctrl, BARRIER_GEN, gen, POLL_MS);
  }
}

/** Splits `total` images into `parts` contiguous slices, the first ones one image larger. */
export function splitBatch(total: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  const base = Math.floor(total / parts);
  const extra = total % parts;
  let start = 0;
  for (let i = 0; i < parts; i++) {
    const n = base + (i < extra ? 1 : 0);
    out.push([start, n]);
    start += n;
  }
  return out;
}

/** Splits `count` parameters into `parts` ranges aligned to 16 floats (whole cache lines). */
export function splitRange(count: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  const chunk = Math.ceil(count / parts / 16) * 16;
  for (let i = 0; i < parts; i++) out.push([Math.min(count, i * chunk), Math.min(count, (i + 1) * chunk)]);
  return out;
}
