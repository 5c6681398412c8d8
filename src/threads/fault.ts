// Fault injection for the project's own tests (exported by src/internal.ts only): makes one
// worker of a network's pool die during a job, as a crash would.
import { GarmentError } from '../errors.ts';
import type { Network } from '../model/network.ts';
import { runPool } from '../model/network-pool.ts';
import * as P from './protocol.ts';

export async function crashWorker(net: Network, index: number): Promise<void> {
  const p = net.pooled;
  if (!p) throw new GarmentError('E_WORKER', 'no thread pool is running');
  const c = net.ctrl();
  for (let i = 0; i < p.pool.size; i++) c[P.slot(i, P.S_COUNT)] = i === index ? 1 : 0;
  await runPool(net, p, P.CMD_CRASH);
}
