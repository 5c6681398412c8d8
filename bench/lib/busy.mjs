// The machine's own multi-core scaling: a process that runs the SIMD peak loop (registers only,
// no memory traffic) for a fixed number of iterations when asked, and reports how long it took.
// Two of these running at once versus one shows how much of a second core this machine gives.
import { peakRunner } from './simd-peak.mjs';

const runner = peakRunner(8, 'mul+add');
process.on('message', ({ id, iterations }) => {
  const { seconds } = runner.time({ iterations });
  process.send({ id, seconds });
});
process.send({ ready: true });
