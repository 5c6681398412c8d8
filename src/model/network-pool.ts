// The pool side of a Network: starting its workers, laying out their workspaces, running jobs,
// and batched inference across them. Loaded on first use together with the pool itself, so an
// app that only ever classifies small batches (or runs on one thread) never downloads it.
import { Arena } from '../engine/arena.ts';
import { GarmentError } from '../errors.ts';
import { platform } from '#platform';
import * as P from '../threads/protocol.ts';
import { Pool } from '../threads/pool.ts';
import { IMAGE_SIDE } from '../types.ts';
import type { Network, PoolState } from './network.ts';
import { Workspace } from './plan.ts';

/**
 * Images per worker and job during inference: the network's cache-sized slice, but 64 to 128,
 * since each job is a round trip to the workers, which small models feel first.
 */
const poolInferSlice = (net: Network) => Math.max(64, Math.min(128, net.inferSlice));

/**
 * The pool, started on first use, with workspaces of at least `capacity` images per worker;
 * undefined when the network runs on one thread or `worth` is false.
 */
export async function poolFor(net: Network, capacity: number, training: boolean, worth: boolean): Promise<PoolState | undefined> {
  const threads = net.threads;
  if (!threads || threads.workers < 2 || net.poolDisabled || !worth) return undefined;
  if (!net.pooled) {
    try {
      const source = await threads.source();
      const pool = await Pool.start(threads.workers, source, {
        module: net.module, memory: net.engine.memory, layers: net.layers, classes: net.layout.classes,
        inputSide: IMAGE_SIDE, norm: net.norm, region: net.region, control: net.control,
      }, platform.createWorker, () => net.ctrl());
      net.pooled = { pool, ws: [], capacity: 0, training: false, control: net.control };
    } catch (e) {
      net.poolDisabled = true;
      threads.onFallback(`threads unavailable, running on one thread: ${(e as Error).message}`);
      return undefined;
    }
  }
  const p = net.pooled;
  if (p.capacity < capacity || (training && !p.training)) {
    layoutPool(net, p, Math.max(capacity, p.capacity), training || p.training);
    await runPool(net, p, P.CMD_LAYOUT);
  }
  return p;
}

/** The pool for a batch of inference. */
export function poolForInference(net: Network): Promise<PoolState | undefined> {
  return poolFor(net, poolInferSlice(net), false, true);
}

/** Runs one job on the pool; a dead pool falls back to one thread. */
export async function runPool(net: Network, p: PoolState, cmd: number): Promise<void> {
  try {
    await p.pool.run(cmd);
  } catch (e) {
    // A dead pool is not retried: later work runs on this thread.
    if (p.pool.broken) {
      p.pool.terminate();
      net.pooled = undefined;
      net.poolDisabled = true;
      net.threads?.onFallback(`a worker failed, continuing on one thread: ${(e as Error).message}`);
    }
    throw e instanceof GarmentError ? e : new GarmentError('E_WORKER', (e as Error).message, { cause: e });
  }
}

/**
 * Inference over `n` images split across the workers, a slice each per job: `load` writes a
 * slice's inputs into a workspace, `read` collects its outputs.
 */
export async function inferOnPool(
  net: Network, pooled: PoolState, n: number, output: 'probs' | 'loss',
  load: (ws: Workspace, at: number, count: number) => void, read: (ws: Workspace, at: number, count: number) => void,
): Promise<void> {
  // Workspaces laid out for training may hold more: slices stay cache-sized anyway.
  const per = Math.min(pooled.capacity, poolInferSlice(net));
  const c = net.ctrl();
  for (let at = 0; at < n; at += per * pooled.pool.size) {
    const slices = P.splitBatch(Math.min(n - at, per * pooled.pool.size), pooled.pool.size);
    slices.forEach(([start, count], i) => {
      if (count) load(pooled.ws[i], at + start, count);
      c[P.slot(i, P.S_COUNT)] = count;
    });
    await runPool(net, pooled, output === 'probs' ? P.CMD_INFER_PROBS : P.CMD_INFER_LOSS);
    slices.forEach(([start, count], i) => count && read(pooled.ws[i], at + start, count));
  }
}

/**
 * Lays out the pool's workspaces after the parameters (per worker: its gradient buffer, worker 0
 * using the main one, two Adam descriptors and its workspace; workers replay the same steps from
 * their slot's base offset, see threads/worker.ts), then the calling thread's workspace.
 */
function layoutPool(net: Network, p: PoolState, capacity: number, training: boolean): void {
  const arena = net.arena;
  arena.reset(net.workspaceMark);
  const ctrl = net.ctrl();
  const stride = training ? net.training!.partBytes : 0;
  const part0 = arena.alloc(stride * p.pool.size);
  ctrl[P.BN_PART0] = part0;
  ctrl[P.BN_STRIDE] = stride;
  p.ws = [];
  for (let i = 0; i < p.pool.size; i++) {
    const grads = i === 0 ? net.region.grads : arena.f32(net.layout.paramCount);
    const base = arena.alloc(0);
    const sub = new Arena(base);
    sub.alloc(64);
    sub.alloc(64);
    p.ws.push(new Workspace(
      net.engine, net.layout, net.region, grads, sub, capacity, training ? net.trainingPlan() : undefined,
      { part0, stride, parts: p.pool.size, index: i },
    ));
    arena.reset(sub.mark());
    ctrl[P.slot(i, P.S_WS_BASE)] = base;
    ctrl[P.slot(i, P.S_CAPACITY)] = capacity;
    ctrl[P.slot(i, P.S_TRAINING)] = training ? 1 : 0;
    ctrl[P.slot(i, P.S_GRADS)] = grads;
  }
  p.capacity = capacity;
  p.training = training;
  net.localMark = arena.mark();
  const local = net.local;
  net.local = undefined;
  if (local) net.localWorkspace(local.capacity, !!local.train);
}
