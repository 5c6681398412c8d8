// Native PyTorch (where python3 can import torch; Debian: apt-get install python3-torch), training
// only: the reference for "level with native". The work happens in bench/lib/torch_host.py,
// a Python child of this host process, over JSON lines; it times itself, so the pipe is not measured.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const { decodeWeights } = await (await import('../dist.mjs')).importInternal();
const SCRIPT = new URL('../torch_host.py', import.meta.url).pathname;

// Debian's python3-torch is importable from the system Python only (a pyenv or venv python3 may
// come first on PATH): $PYTHON if set, else the first of these that imports torch.
const PYTHONS = process.env.PYTHON ? [process.env.PYTHON] : ['python3', '/usr/bin/python3'];

export async function create({ kind, threads }) {
  let last;
  for (const python of PYTHONS) {
    try {
      return await start(python, kind, threads);
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

async function start(python, kind, threads) {
  const child = spawn(python, [SCRIPT, String(threads), kind === 'torch-cl' ? 'channels-last' : 'default'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  process.on('exit', () => child.kill());
  const waiting = [];
  let failure;
  const fail = (e) => {
    failure = e;
    for (const w of waiting.splice(0)) w.reject(e);
  };
  child.on('error', (e) => fail(new Error(`python3 did not start: ${e.message}`)));
  child.on('exit', (code) => fail(new Error(`the PyTorch process exited (${code})`)));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const w = waiting.shift();
    if (!w) return;
    const m = JSON.parse(line);
    if (m.ok) w.resolve(m.result);
    else w.reject(new Error(m.error));
  });
  // One call at a time: the host answers the bench's calls in order.
  const call = (cmd, args = {}) => new Promise((resolve, reject) => {
    if (failure) return reject(failure);
    waiting.push({ resolve, reject });
    child.stdin.write(`${JSON.stringify({ cmd, ...args })}\n`);
  });

  let versions;
  try {
    ({ versions } = await call('init'));
  } catch (e) {
    child.kill();
    throw e;
  }
  const dir = mkdtempSync(join(tmpdir(), 'garment-bench-torch-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  let written;
  return {
    versions,
    async setup({ mode, batch, weights, pool }) {
      const file = decodeWeights(weights);
      if (written !== pool) {
        writeFileSync(join(dir, 'images'), pool.images);
        writeFileSync(join(dir, 'labels'), pool.labels);
        written = pool;
      }
      return call('setup', {
        mode, batch, layers: file.model.layers, count: pool.count, scale: file.input.scale, shift: file.input.shift,
        images: join(dir, 'images'), labels: join(dir, 'labels'),
      });
    },
    run: (steps) => call('run', { steps }),
    async probabilities() {
      throw new Error('PyTorch is timed for training only');
    },
    teardown: () => call('teardown'),
  };
}
