// `npm start`: the main job, through the CLI (dist/cli.js). With Fashion-MNIST at hand, evaluates
// the bundled model on the 10,000 test images, prints the classification report and writes
// report.html (learning curves need a training history, so this one shows the evaluation). Without
// the data, says how to get it and classifies a generated photo instead.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode } from 'fast-png';
import { findDataDir } from './data-dir.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const cliPath = join(root, 'dist', 'cli.js');
const cli = (args, stderr = 'inherit') => spawnSync(process.execPath, [cliPath, ...args], { stdio: ['inherit', 'inherit', stderr], encoding: 'utf8' });

const dir = findDataDir();
const out = 'report.html';
// Without a known folder the CLI still looks in $GARMENT_DATA and the download cache.
const r = cli(['report', ...(dir ? ['--data', dir] : []), '--out', out], dir ? 'inherit' : 'pipe');
if (r.status === 0) {
  console.log(`\nopen ${out} in a browser for the charts: confusion heatmap, per-class F1, sample predictions.`);
} else if (!dir && /Fashion-MNIST not found/.test(r.stderr ?? '')) {
  console.log('Fashion-MNIST was not found (not in $GARMENT_DATA, ../shared/data/fashion-mnist or the download cache).');
  console.log('Get it (four files, 30 MB, checksums verified) with:  node dist/cli.js download   (or: npx garment-wasm download)');
  console.log('then run npm start again. Meanwhile, a generated photo of trousers:\n');
  // Navy trousers on a cream background, 300x400: the CLI trims, fits, centres and negates it.
  const W = 300, H = 400;
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const legs = y >= 80 && y < 370 && ((x >= 90 + (y - 80) / 20 && x < 146) || (x >= 154 && x < 210 - (y - 80) / 20));
      data.set((y >= 40 && y < 80 && x >= 90 && x < 210) || legs ? [40, 55, 100] : [242, 236, 224], (y * W + x) * 3);
    }
  }
  const photo = join(root, '.tmp', 'trousers.png');
  mkdirSync(join(root, '.tmp'), { recursive: true });
  writeFileSync(photo, encode({ width: W, height: H, data, channels: 3, depth: 8 }));
  const p = cli(['predict', photo]);
  process.exitCode = p.status ?? 1;
} else {
  if (r.stderr) process.stderr.write(r.stderr);
  process.exitCode = r.status ?? 1;
}
