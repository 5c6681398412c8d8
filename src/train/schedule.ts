// Learning-rate schedules over a training run's steps. The cosine comes from the wasm module
// (cos64), and everything else is exactly rounded arithmetic, so every engine gets the same rates.
import { GarmentError, show } from '../errors.ts';

/** How the learning rate moves over a run. */
export type Schedule =
  | { type: 'constant' }
  /** Linear warm-up over `warmup` of the run (a fraction, default 0), then cosine decay to `learningRate * final`. */
  | { type: 'cosine'; warmup?: number; final?: number }
  /**
   * One-cycle (Smith & Topin 2019, as PyTorch's OneCycleLR): cosine rise from `learningRate / divFactor`
   * to `learningRate` over `warmup` of the run (default 0.3), then cosine fall to
   * `learningRate / (divFactor * finalDivFactor)`.
   */
  | { type: 'one-cycle'; warmup?: number; divFactor?: number; finalDivFactor?: number };

export function checkSchedule(s: unknown): Schedule {
  if (s === undefined) return { type: 'constant' };
  if (typeof s === 'string') return checkSchedule({ type: s });
  if (!s || typeof s !== 'object') throw new GarmentError('E_OPTION', `train: schedule must be 'constant', 'cosine', 'one-cycle' or an object like { type: 'cosine', warmup: 0.05 }`);
  const o = s as Record<string, unknown>;
  const frac = (v: unknown, name: string, def: number) => {
    if (v === undefined) return def;
    if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new GarmentError('E_OPTION', `train: schedule.${name} must be in [0, 1), got ${show(v)}`);
    return v;
  };
  const factor = (v: unknown, name: string, def: number) => {
    if (v === undefined) return def;
    if (typeof v !== 'number' || !(v >= 1 && v < 1e9)) throw new GarmentError('E_OPTION', `train: schedule.${name} must be >= 1, got ${show(v)}`);
    return v;
  };
  switch (o.type) {
    case 'constant':
      return { type: 'constant' };
    case 'cosine':
      return { type: 'cosine', warmup: frac(o.warmup, 'warmup', 0), final: frac(o.final, 'final', 0) };
    case 'one-cycle':
      return { type: 'one-cycle', warmup: frac(o.warmup, 'warmup', 0.3), divFactor: factor(o.divFactor, 'divFactor', 25), finalDivFactor: factor(o.finalDivFactor, 'finalDivFactor', 1e4) };
    default:
      throw new GarmentError('E_OPTION', `train: unknown schedule ${show(o.type)}; expected 'constant', 'cosine' or 'one-cycle'`);
  }
}

/**
 * The learning rate at step `t` (0-based) of `total`, for peak rate `lr`. `cos` must be the
 * wasm module's cos64, valid on [-pi, pi].
 */
export function learningRateAt(s: Schedule, lr: number, t: number, total: number, cos: (x: number) => number): number {
  // (1 + cos(pi * p)) / 2 falls from 1 to 0 as p goes from 0 to 1.
  const fall = (p: number) => (1 + cos(Math.PI * Math.min(1, Math.max(0, p)))) / 2;
  switch (s.type) {
    case 'constant':
      return lr;
    case 'cosine': {
      const warm = Math.floor((s.warmup ?? 0) * total);
      if (t < warm) return (lr * (t + 1)) / warm;
      const end = lr * (s.final ?? 0);
      return end + (lr - end) * fall((t - warm) / Math.max(1, total - warm));
    }
    case 'one-cycle': {
      const start = lr / (s.divFactor ?? 25);
      const end = start / (s.finalDivFactor ?? 1e4);
      const warm = Math.max(1, Math.floor((s.warmup ?? 0.3) * total));
      if (t < warm) return lr + (start - lr) * fall(t / warm);
      return end + (lr - end) * fall((t - warm) / Math.max(1, total - warm - 1));
    }
  }
}
