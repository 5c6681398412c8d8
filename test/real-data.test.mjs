// Acceptance on real Fashion-MNIST (read from $GARMENT_DATA or ../shared/data/fashion-mnist).
// Without the data these tests are skipped, unless GARMENT_REQUIRE_DATA=1 (CI) makes that a failure.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createClassifier, loadFashionMNIST } from 'garment-wasm';
import { findDataDir } from '../scripts/data-dir.mjs';

const dir = findDataDir();
if (!dir && process.env.GARMENT_REQUIRE_DATA === '1') throw new Error('Fashion-MNIST is required (GARMENT_REQUIRE_DATA=1) but was not found; set GARMENT_DATA');
const data = dir ? await loadFashionMNIST({ dir }) : undefined;
const maybe = data ? test : test.skip;
if (!data) console.log('  (real-data tests skipped: set GARMENT_DATA to a Fashion-MNIST folder)');

maybe('seed-cnn, one epoch on all 60,000 images (seed 1, batch 64): test accuracy >= 0.85', async () => {
  const clf = await createClassifier({ model: 'seed-cnn', seed: 1, threads: 1 });
  const history = await clf.train(data.train, { epochs: 1, batchSize: 64, learningRate: 1e-3 });
  const report = await clf.evaluate(data.test);
  console.log(`  seed-cnn 1 epoch: test accuracy ${report.accuracy}, ${Math.round(history.epochs[0].imagesPerSecond)} images/s`);
  assert.ok(report.accuracy >= 0.85, `accuracy ${report.accuracy}`);
  clf.dispose();
});

maybe('the bundled model on all 10,000 test images', async () => {
  const clf = await createClassifier();
  const report = await clf.evaluate(data.test);
  console.log(`  bundled model: test accuracy ${report.accuracy}`);
  assert.ok(report.accuracy >= 0.945, `accuracy ${report.accuracy}`);
  clf.dispose();
});

test.run();
