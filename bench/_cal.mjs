import { Host } from './lib/hosts.mjs';
import { loadOnnxExporter } from './lib/onnx-entry.mjs';
import { createClassifier } from 'garment-wasm';
import { syntheticDataset } from '../test/helpers/synthetic.mjs';
const { weightsToONNX } = await loadOnnxExporter();
const pool = syntheticDataset(2048, { seed: 5 });
const kinds = process.argv[2].split(',');
const hosts = [];
for (const k of kinds) { const [kind, t] = k.split(':'); hosts.push(await new Host(kind, +t, k).start(pool)); }
for (const mode of ['infer', 'train']) for (const preset of ['mlp', 'seed-cnn', 'cnn']) {
  const clf = await createClassifier({ model: preset, seed: 1, threads: 1 });
  const weights = await clf.save(); clf.dispose();
  const onnx = weightsToONNX(weights);
  for (const batch of [1, 64, 256]) {
    const line = [];
    for (const h of hosts) {
      const r = await h.call('setup', { mode, preset, batch, weights, onnx });
      if (r.unsupported) { line.push(`${h.name}: unsupported`); continue; }
      const s1 = await h.call('run', { steps: 1 });
      if (s1 > 3) { line.push(`${h.name}: ${(batch/s1).toFixed(1)} (1 step ${s1.toFixed(1)}s)`); continue; }
      const k = Math.max(1, Math.round(0.3 / s1));
      const s = await h.call('run', { steps: k });
      line.push(`${h.name}: ${(k*batch/s).toFixed(0)} img/s`);
      await h.call('teardown');
    }
    console.log(mode, preset, batch, line.join(' | '));
  }
}
for (const h of hosts) await h.stop();
