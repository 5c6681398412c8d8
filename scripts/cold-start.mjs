// Cold start in Node, Deno and Bun: a fresh process per run (test/runtimes/cold-start.mjs), from
// the library's import to the first prediction with the bundled model; the median of 5 runs.
//   node scripts/cold-start.mjs [runs] [parts]
//   node scripts/cold-start.mjs [runs] --against OLD_DIST    (Node only: an older build's dist/)
// `parts` times the pieces instead: the import, the embedded-weights module, a CRC-32 over the
// bundled model's file as the first call in the process, decoding the weight file, compiling a
// wasm binary. `--against` alternates fresh processes of OLD_DIST's Node build and this one's,
// `runs` each, so the host's drift falls on both (build the old commit, copy its dist/ aside).
// Run `npm run build` first. Timings on a busy machine are noisy: compare side by side.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 5);
const parts = process.argv.includes('parts');
const against = process.argv.includes('--against') ? process.argv[process.argv.indexOf('--against') + 1] : undefined;
const script = join(root, 'test', 'runtimes', 'cold-start.mjs');
// Each runtime's own build, the one the package's `exports` conditions give it.
const dist = (leaf) => pathToFileURL(join(root, 'dist', leaf)).href + '/';
const find = (...c) => c.map((p) => join(root, 'node_modules', p)).find(existsSync);
const runtimes = {
  node: [process.execPath, [], 'node'],
  deno: [find('deno/deno', '@deno/linux-x64-glibc/deno'), ['run', '--allow-read'], 'deno'],
  bun: [find('bun/bin/bun.exe', '@oven/bun-linux-x64/bin/bun'), [], 'node'],
};
const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];

const summary = (samples) => Object.keys(samples[0]).map((k) => `${k} ${median(samples.map((s) => s[k])).toFixed(1)}`).join(', ');
const run = (cmd, args) => JSON.parse(execFileSync(cmd, args, { encoding: 'utf8' }).trim().split('\n').pop());

if (against) {
  const builds = { old: pathToFileURL(join(against, 'node')).href + '/', new: dist('node') };
  const samples = { old: [], new: [] };
  for (let i = 0; i < runs; i++) {
    for (const k of i % 2 ? ['old', 'new'] : ['new', 'old']) samples[k].push(run(process.execPath, [script, builds[k]]));
  }
  for (const k of ['old', 'new']) console.log(`node ${k} ${summary(samples[k])} (ms, median of ${runs}, alternating)`);
  process.exit(0);
}

for (const [name, [cmd, pre, leaf]] of Object.entries(runtimes)) {
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(run(cmd, [...pre, script, dist(leaf), ...(parts ? ['parts'] : [])]));
  console.log(`${name.padEnd(5)} ${summary(samples)} (ms, median of ${runs})`);
}
