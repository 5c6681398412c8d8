// A worker of the thread pool. It joins the shared memory with its own wasm instance, lays out
// its own workspace, then loops: wait for a job in the control block, run its slice, report.
// Bundled into a string at build time (see scripts/build.mjs) so no worker file has to be found.
import { Arena } from '../engine/arena.ts';
import { Engine } from '../engine/engine.ts';
import { inferLayout, type Layout } from '../model/layout.ts';
import { type ParamRegion, Workspace } from '../model/plan.ts';
import { nonFiniteState, optimizerRange, trainSlice, trainingPlan } from '../model/plan-training.ts';
import type { LayerSpec } from '../model/spec.ts';
import { inferSlice } from '../model/step.ts';
import * as P from './protocol.ts';

/** The first message a worker receives. */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  layers: LayerSpec[];
  classes: number;
  inputSide: number;
  norm: { scale: number; shift: number };
  region: ParamRegion;
  control: number;
  index: number;
  workers: number;
  messageOnDone: boolean;
}

interface Port {
  post(msg: unknown): void;
  close(): void;
  /** Ends the worker abruptly, as a crash would (fault injection). */
  die(): void;
}

declare const __GARMENT_WORKER_MODE__: 'node' | 'web';
/** Node: the worker_threads parentPort, provided by the module prologue (src/platform/node.ts). */
declare const __GARMENT_PARENT_PORT__: { on(ev: string, cb: (d: unknown) => void): void; postMessage(m: unknown): void; close(): void };
declare const process: { exit(code: number): never };

function connect(onInit: (init: WorkerInit, port: Port) => void): void {
  if (__GARMENT_WORKER_MODE__ === 'node') {
    const parent = __GARMENT_PARENT_PORT__;
    const port = { post: (m: unknown) => parent.postMessage(m), close: () => parent.close(), die: () => process.exit(70) };
    parent.on('message', (d) => onInit(d as WorkerInit, port));
  } else {
    const scope = globalThis as unknown as { onmessage: ((e: MessageEvent) => void) | null; postMessage(m: unknown): void; close(): void };
    const port = {
      post: (m: unknown) => scope.postMessage(m),
      close: () => scope.close(),
      // A web worker that closes itself raises no event: say so first, then go.
      die: () => {
        scope.postMessage({ type: 'fatal', message: 'worker crashed (fault injection)' });
        scope.close();
      },
    };
    scope.onmessage = (e) => {
      scope.onmessage = null;
      onInit(e.data as WorkerInit, port);
    };
  }
}

connect((init, port) => {
  start(init, port).catch((e) => port.post({ type: 'error', message: `worker ${init.index} failed to start: ${(e as Error)?.message ?? e}` }));
});

async function start(init: WorkerInit, port: Port): Promise<void> {
  const engine = await Engine.over(init.module, init.memory);
  const layout = inferLayout(init.layers, { h: init.inputSide, w: init.inputSide, c: 1 }, init.classes);
  const ctrl = () => new Int32Array(engine.raw as unknown as SharedArrayBuffer, init.control, P.CONTROL_WORDS);
  const ctrlF = () => new Float32Array(engine.raw as unknown as SharedArrayBuffer, init.control, P.CONTROL_WORDS);
  let ws: Workspace | undefined;
  let descs: [number, number] = [0, 0];
  // Read the generation before saying ready: the first job may come right after.
  let gen = Atomics.load(ctrl(), P.GEN);
  port.post({ type: 'ready', index: init.index });
  for (;;) {
    Atomics.wait(ctrl(), P.GEN, gen);
    const c = ctrl();
    gen = Atomics.load(c, P.GEN);
    const cmd = c[P.CMD];
    const slot = (f: number) => c[P.slot(init.index, f)];
    if (cmd === P.CMD_CRASH && slot(P.S_COUNT) === 1) {
      port.die();
      return;
    }
    try {
      if (cmd === P.CMD_LAYOUT) {
        // The main thread already grew the memory and decided where this workspace goes.
        const arena = new Arena(slot(P.S_WS_BASE));
        descs = [arena.alloc(64), arena.alloc(64)];
        ws = new Workspace(engine, layout, init.region, slot(P.S_GRADS), arena, slot(P.S_CAPACITY), slot(P.S_TRAINING) === 1 ? trainingPlan : undefined, {
          part0: c[P.BN_PART0], stride: c[P.BN_STRIDE], parts: init.workers, index: init.index,
        });
      } else if (cmd === P.CMD_TRAIN && ws) {
        runTrain(engine, layout, init, ws, descs, c, ctrlF());
      } else if ((cmd === P.CMD_INFER_PROBS || cmd === P.CMD_INFER_LOSS) && ws) {
        const n = slot(P.S_COUNT);
        if (n > 0) inferSlice(engine, layout, ws, n, cmd === P.CMD_INFER_PROBS ? 'probs' : 'loss', init.norm);
      }
    } catch (e) {
      if (!(e instanceof P.JobAborted)) {
        Atomics.store(c, P.ERROR, init.index + 1);
        port.post({ type: 'error', message: `worker ${init.index}: ${(e as Error)?.message ?? e}` });
      }
    }
    Atomics.add(c, P.DONE, 1);
    Atomics.notify(c, P.DONE);
    if (init.messageOnDone) port.post({ type: 'done', gen });
    if (cmd === P.CMD_EXIT) {
      port.close();
      return;
    }
  }
}

function runTrain(engine: Engine, layout: Layout, init: WorkerInit, ws: Workspace, descs: [number, number], c: Int32Array, f: Float32Array): void {
  const me = init.index;
  const n = c[P.slot(me, P.S_COUNT)];
  const augmentation = c[P.AUGMENT]
    ? { shift: c[P.AUG_SHIFT], flip: c[P.AUG_FLIP] === 1, erase: f[P.AUG_ERASE], eraseArea: [f[P.AUG_ERASE_MIN], f[P.AUG_ERASE_MAX]] as [number, number] }
    : undefined;
  // Every worker runs its slice, even an empty one, so all meet at the same batch-norm barriers.
  trainSlice(engine, layout, ws, n, c[P.slot(me, P.S_START)], {
    stepSeed: c[P.STEP_SEED], gradScale: f[P.GRAD_SCALE], smoothing: f[P.SMOOTHING], augmentation,
    sync: () => P.barrier(c, init.workers),
  }, init.norm);
  P.barrier(c, init.workers);
  // Reduce this worker's parameter range over every worker's gradients, in worker order, then
  // update it: the same sums, in the same order, whatever the range split.
  const a = c[P.slot(me, P.S_RANGE_START)];
  const b = c[P.slot(me, P.S_RANGE_END)];
  c[P.slot(me, P.S_NONFINITE)] = 0;
  if (b > a) {
    for (let w = 1; w < init.workers; w++) {
      if (c[P.slot(w, P.S_COUNT)] === 0) continue;
      engine.k.add_into(init.region.grads + a * 4, c[P.slot(w, P.S_GRADS)] + a * 4, b - a);
    }
    optimizerRange(engine, layout, init.region, descs, a, b, c[P.ADAM_STEP], {
      kind: c[P.OPTIMIZER] === 1 ? 'sgd' : 'adam', learningRate: f[P.LR], beta1: f[P.BETA1], beta2: f[P.BETA2],
      epsilon: f[P.EPSILON], weightDecay: f[P.WEIGHT_DECAY], momentum: f[P.MOMENTUM], nesterov: c[P.NESTEROV] === 1,
    }, c[P.SNAPSHOT]);
    // The divergence guard's check, over the range this worker just wrote.
    c[P.slot(me, P.S_NONFINITE)] = nonFiniteState(engine, init.region, a, b);
  }
}
