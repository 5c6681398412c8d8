// Writes the frozen fixtures under fixtures/: weight files in today's format (version 1) and the
// predictions they must keep giving. Run once per format version; later readers are tested
// against these files, never against freshly written ones.
//
//   node scripts/make-fixtures.mjs
import { writeFileSync } from 'node:fs';
import { createClassifier } from 'garment-wasm';
import { syntheticDataset } from '../test/helpers/synthetic.mjs';

const layers = [
  { type: 'conv', filters: 4, kernel: 3, padding: 'same' },
  { type: 'relu' },
  { type: 'maxpool' },
  { type: 'conv', filters: 6, kernel: 5, padding: 'valid' },
  { type: 'relu' },
  { type: 'maxpool' },
  { type: 'dense', units: 12 },
  { type: 'relu' },
  { type: 'dropout', rate: 0.2 },
  { type: 'dense', units: 4 },
];
const labels = ['bar', 'post', 'disc', 'ring'];
const clf = await createClassifier({ model: layers, labels, seed: 42 });
await clf.train(syntheticDataset(400, { classes: 4, seed: 42 }), { epochs: 2, batchSize: 20, learningRate: 3e-3 });
const probe = syntheticDataset(8, { classes: 4, seed: 43 });
const expected = {};
for (const dtype of ['f32', 'f16', 'int8']) {
  const bytes = await clf.save({ dtype });
  writeFileSync(new URL(`../fixtures/weights-v1-${dtype}.gz`, import.meta.url), bytes);
  const again = await createClassifier({ weights: bytes });
  const preds = await again.predict(probe.images);
  expected[dtype] = preds.map((p) => ({ label: p.label, bits: [...new Uint32Array(p.probabilities.slice().buffer)] }));
}
writeFileSync(
  new URL('../fixtures/weights-v1.expected.json', import.meta.url),
  JSON.stringify({ probe: Buffer.from(probe.images).toString('base64'), expected }, null, 1) + '\n',
);
console.log('fixtures written');
