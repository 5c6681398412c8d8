// Interleaved measurement: every contender of a group runs a short burst in turn, round after
// round (the starting contender rotates), so a change in the machine's speed hits all of them
// alike; each contender's figure is the median over rounds, and ratios are medians of per-round
// ratios. Contenders too slow for rounds are timed over a fixed number of steps, or estimated.
import { median, spread } from './stats.mjs';

export const SLOW = {
  /** A step longer than this does not go into rounds: it is timed over FIXED_STEPS steps. */
  roundStepSeconds: 1.5,
  /** Warm-up is skipped for steps longer than this (one step is warm-up enough). */
  warmupSkipSeconds: 5,
  fixedSteps: 1,
  /**
   * A step predicted longer than this (from the same contender's rate at the previous, smaller
   * batch) is not run at all: its rate is that measured rate, marked as an estimate. (TF.js's cpu
   * backend trains `cnn` at batch 64 in about a minute: that one is timed, batch 256 is not.)
   */
  estimateSeconds: 90,
};

/** A run's wall seconds and, when the contender reports it, its CPU seconds. */
async function timed(c, steps) {
  const r = await c.run(steps);
  return typeof r === 'number' ? { seconds: r } : r;
}

/**
 * contenders: [{ name, unitsPerStep, run(steps) -> seconds | { seconds, cpuSeconds }, predictedStep? }]
 * Returns { [name]: { rate, rounds: [rates], cpuRounds: [rates by CPU time], method, steps,
 * stepSeconds, spread } } where a rate is units per second.
 */
export async function measureGroup(contenders, { rounds, roundSeconds, log = () => {} }) {
  const results = {};
  const live = [];
  for (const c of contenders) {
    try {
      const fixed = await prepare(c, roundSeconds, log);
      if (fixed.result) results[c.name] = fixed.result;
      else live.push(fixed.live);
    } catch (e) {
      results[c.name] = { method: 'error', note: String(e?.message ?? e).split('\n')[0] };
      log(`  ${c.name}: ${results[c.name].note}`);
    }
  }
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < live.length; i++) {
      const l = live[(i + r) % live.length];
      if (l.error) continue;
      try {
        const { seconds, cpuSeconds } = await timed(l.c, l.steps);
        l.rates.push((l.steps * l.c.unitsPerStep) / seconds);
        if (cpuSeconds > 0) l.cpuRates.push((l.steps * l.c.unitsPerStep) / cpuSeconds);
      } catch (e) {
        l.error = String(e?.message ?? e).split('\n')[0];
      }
    }
  }
  for (const l of live) {
    if (l.error) {
      results[l.c.name] = { method: 'error', note: l.error };
      continue;
    }
    results[l.c.name] = {
      rate: median(l.rates), rounds: l.rates, method: 'rounds', steps: l.steps, spread: spread(l.rates),
      stepSeconds: l.c.unitsPerStep / median(l.rates),
      ...(l.cpuRates.length === l.rates.length ? { cpuRate: median(l.cpuRates), cpuRounds: l.cpuRates } : {}),
    };
  }
  return results;
}

/** Warm-up and calibration: either a final result (slow or estimated) or a contender for rounds. */
async function prepare(c, roundSeconds, log) {
  if (c.predictedStep !== undefined && c.predictedStep > SLOW.estimateSeconds) {
    log(`  ${c.name}: estimated (a step would take ~${c.predictedStep.toFixed(0)} s)`);
    return { result: { rate: c.unitsPerStep / c.predictedStep, rounds: [], method: 'estimated', predictedStep: c.predictedStep } };
  }
  // Warm-up: one step (JIT, thread pools, caches), unless a step is known to be long.
  let first;
  if (!(c.predictedStep > SLOW.warmupSkipSeconds)) first = (await timed(c, 1)).seconds;
  if (first === undefined || first > SLOW.roundStepSeconds) {
    const steps = SLOW.fixedSteps;
    const seconds = first !== undefined && first > SLOW.warmupSkipSeconds && steps === 1 ? first : (await timed(c, steps)).seconds;
    log(`  ${c.name}: ${steps} step(s) in ${seconds.toFixed(1)} s`);
    const rate = (steps * c.unitsPerStep) / seconds;
    return { result: { rate, rounds: [], method: 'fixed-steps', steps, stepSeconds: seconds / steps } };
  }
  // Steps per burst: about roundSeconds of work, calibrated on a second short run.
  const probe = Math.max(1, Math.round(roundSeconds / 4 / first));
  const t = (await timed(c, probe)).seconds;
  return { live: { c, steps: Math.max(1, Math.round((roundSeconds * probe) / t)), rates: [], cpuRates: [] } };
}

/** a / b by CPU time: the median of per-round ratios, when both reported CPU time every round. */
export function cpuRatio(a, b) {
  if (!a?.cpuRounds || !b?.cpuRounds || a.cpuRounds.length !== b.cpuRounds.length) return undefined;
  return { value: median(a.cpuRounds.map((x, i) => x / b.cpuRounds[i])), estimated: false };
}

/** a / b as the median of per-round ratios when both ran in rounds, else the ratio of rates. */
export function ratio(a, b) {
  if (!a || !b || !(a.rate > 0) || !(b.rate > 0)) return undefined;
  if (a.method === 'rounds' && b.method === 'rounds' && a.rounds.length === b.rounds.length) {
    return { value: median(a.rounds.map((x, i) => x / b.rounds[i])), estimated: false };
  }
  return { value: a.rate / b.rate, estimated: a.method === 'estimated' || b.method === 'estimated' };
}
