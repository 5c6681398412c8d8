/// <reference types="node" />
// The `garment-wasm` executable (dist/cli.js): runs the CLI on this process's arguments and streams.
import { line } from './io.ts';
import { main } from './run.ts';

/** Ctrl-C stops training or a download cleanly (a checkpoint is saved); a second one quits at once. */
function interruptible(): AbortSignal {
  const controller = new AbortController();
  process.on('SIGINT', () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort(new Error('interrupted'));
    line(process.stderr, '\nstopping after this step (Ctrl-C again to quit now)');
  });
  return controller.signal;
}

const argv = process.argv.slice(2);
const graceful = argv[0] === 'train' || argv[0] === 'download';
process.exitCode = await main(argv, {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: graceful ? interruptible() : new AbortController().signal,
});
