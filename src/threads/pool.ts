// The main thread's side of the thread pool: starts the workers, hands out jobs through the
// control block, and waits for them without ever blocking (Atomics.waitAsync, or a message per
// job where that is missing), so it works on a browser's main thread too.
import { GarmentError } from '../errors.ts';
import type { WorkerHandle } from '../platform/types.ts';
import * as P from './protocol.ts';
import type { WorkerInit } from './worker.ts';

/** How long workers may take to start before the pool gives up. */
const START_TIMEOUT_MS = 20_000;

type WaitAsync = (a: Int32Array, i: number, v: number) => { async: boolean; value: Promise<string> | string };

export class Pool {
  readonly size: number;
  private readonly workers: WorkerHandle[];
  private readonly ctrl: () => Int32Array;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly messageOnDone: boolean;
  private lastError = '';
  private closed = false;

  private constructor(workers: WorkerHandle[], ctrl: () => Int32Array, messageOnDone: boolean) {
    this.workers = workers;
    this.size = workers.length;
    this.ctrl = ctrl;
    this.messageOnDone = messageOnDone;
  }

  /**
   * Starts `count` workers from `source` over the shared memory in `init`; resolves once every
   * worker has instantiated the module, rejects with E_WORKER if any fails or times out.
   */
  static async start(
    count: number, source: string, init: Omit<WorkerInit, 'index' | 'workers' | 'messageOnDone'>,
    create: (source: string) => WorkerHandle | undefined | Promise<WorkerHandle | undefined>, ctrl: () => Int32Array,
  ): Promise<Pool> {
    const messageOnDone = typeof (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync !== 'function';
    const workers: WorkerHandle[] = [];
    const ready: Promise<void>[] = [];
    let pool: Pool | undefined;
    try {
      for (let index = 0; index < count; index++) {
        const w = await create(source);
        if (!w) throw new GarmentError('E_WORKER', 'this runtime cannot start workers');
        workers.push(w);
        ready.push(new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new GarmentError('E_WORKER', `worker ${index} did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
          w.onFailure((e) => {
            clearTimeout(timer);
            reject(new GarmentError('E_WORKER', `worker ${index} failed: ${e.message}`, { cause: e }));
            pool?.fail(new GarmentError('E_WORKER', `worker ${index} failed: ${e.message}`, { cause: e }));
          });
          w.onMessage((d) => {
            const m = d as { type: string; message?: string };
            if (m.type === 'ready') {
              clearTimeout(timer);
              resolve();
            } else if (m.type === 'error') {
              clearTimeout(timer);
              pool?.noteError(m.message ?? 'worker error');
              reject(new GarmentError('E_WORKER', m.message ?? 'worker error'));
            } else if (m.type === 'fatal') {
              pool?.fail(new GarmentError('E_WORKER', `worker ${index} failed: ${m.message ?? 'fatal error'}`));
            } else if (m.type === 'done') {
              pool?.wake?.();
            }
          });
        }));
        w.keepAlive(true);
        w.post({ ...init, index, workers: count, messageOnDone } satisfies WorkerInit);
      }
      pool = new Pool(workers, ctrl, messageOnDone);
      await Promise.all(ready);
      for (const w of workers) w.keepAlive(false);
      return pool;
    } catch (e) {
      for (const w of workers) w.terminate();
      throw e instanceof GarmentError ? e : new GarmentError('E_WORKER', `could not start workers: ${(e as Error).message}`, { cause: e });
    }
  }

  private noteError(message: string): void {
    this.lastError = message;
  }

  /** A worker died: every waiter wakes up and the pool refuses further jobs. */
  private fail(e: Error): void {
    if (this.closed) return;
    this.failure ??= e;
    Atomics.store(this.ctrl(), P.ERROR, -1);
    Atomics.notify(this.ctrl(), P.BARRIER_GEN);
    this.wake?.();
  }

  get broken(): boolean {
    return this.failure !== undefined;
  }

  /**
   * Runs command `cmd` on every worker (arguments already written to the control block) and
   * resolves when all are done. A failure in any worker rejects with E_WORKER.
   */
  async run(cmd: number): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.closed) throw new GarmentError('E_WORKER', 'the thread pool was shut down');
    const c = this.ctrl();
    Atomics.store(c, P.DONE, 0);
    Atomics.store(c, P.ERROR, 0);
    Atomics.store(c, P.BARRIER_COUNT, 0);
    Atomics.store(c, P.CMD, cmd);
    Atomics.add(c, P.GEN, 1);
    for (const w of this.workers) w.keepAlive(true);
    Atomics.notify(c, P.GEN);
    try {
      await this.waitDone();
    } finally {
      for (const w of this.workers) w.keepAlive(false);
    }
    if (this.failure) throw this.failure;
    if (Atomics.load(this.ctrl(), P.ERROR) !== 0) {
      throw new GarmentError('E_WORKER', this.lastError || 'a worker failed during the job');
    }
  }

  private async waitDone(): Promise<void> {
    const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;
    for (;;) {
      const c = this.ctrl();
      const done = Atomics.load(c, P.DONE);
      if (done >= this.size || this.failure) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        if (!this.messageOnDone && waitAsync) {
          const r = waitAsync(c, P.DONE, done);
          if (r.async) (r.value as Promise<string>).then(() => resolve());
          else resolve();
        }
      });
      this.wake = undefined;
    }
  }

  /** Ends every worker. Safe to call twice. */
  terminate(): void {
    if (this.closed) return;
    this.closed = true;
    // Wake idle workers with the exit command first: Deno does not end a worker that is blocked
    // in Atomics.wait when it is terminated, and the process would never exit.
    const c = this.ctrl();
    Atomics.store(c, P.CMD, P.CMD_EXIT);
    Atomics.add(c, P.GEN, 1);
    Atomics.notify(c, P.GEN);
    for (const w of this.workers) w.terminate();
  }
}
