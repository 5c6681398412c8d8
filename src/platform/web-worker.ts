// Web Workers (browsers, Deno, Bun) from a source string: a Blob URL, so no worker file has to
// be found after bundling. Needs `worker-src blob:` under a Content-Security-Policy.
import type { WorkerHandle } from './types.ts';

export function createWebWorker(source: string): WorkerHandle | undefined {
  if (typeof Worker !== 'function' || typeof Blob !== 'function' || typeof URL?.createObjectURL !== 'function') return undefined;
  const url = URL.createObjectURL(new Blob([`var __GARMENT_WORKER_MODE__ = 'web';\n${source}`], { type: 'text/javascript' }));
  // A module worker: Deno accepts no other kind, and a classic script is valid module code here.
  const w = new Worker(url, { type: 'module' });
  // Revoked once the worker has loaded its script (its first message) or failed to.
  let revoked = false;
  const revoke = () => {
    if (!revoked) URL.revokeObjectURL(url);
    revoked = true;
  };
  w.addEventListener('message', revoke, { once: true });
  let failed = false;
  const failure: ((e: Error) => void)[] = [];
  const fail = (e: Error) => {
    revoke();
    if (failed) return;
    failed = true;
    for (const cb of failure) cb(e);
  };
  w.addEventListener('error', (e) => {
    e.preventDefault?.();
    fail(new Error((e as ErrorEvent).message || 'worker error'));
  });
  w.addEventListener('messageerror', () => fail(new Error('worker message could not be deserialised')));
  return {
    post: (m) => w.postMessage(m),
    onMessage: (cb) => w.addEventListener('message', (e) => cb((e as MessageEvent).data)),
    onFailure: (cb) => void failure.push(cb),
    keepAlive: () => {},
    terminate: () => {
      failed = true;
      revoke();
      w.terminate();
    },
  };
}
