// Cold start in Node, Deno and Bun: a fresh process per run (test/runtimes/cold-start.mjs), from
// the library's import to the first prediction with the bundled model; the median of 5 runs.
//   node scripts/cold-start.mjs [runs] [parts]
// `parts` times the pieces instead: the import, the embedded-weights module, decoding the weight
// file, compiling a wasm binary. Run `npm run build` first. Timings on a busy machine are noisy.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 5);
const parts = process.argv.includes('parts');
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

for (const [name, [cmd, pre, leaf]] of Object.entries(runtimes)) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(cmd, [...pre, script, dist(leaf), ...(parts ? ['parts'] : [])], { encoding: 'utf8' });
    samples.push(JSON.parse(out.trim().split('\n').pop()));
  }
  const keys = Object.keys(samples[0]);
  console.log(`${name.padEnd(5)} ${keys.map((k) => `${k} ${median(samples.map((s) => s[k])).toFixed(1)}`).join(', ')} (ms, median of ${runs})`);
}
