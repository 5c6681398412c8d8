// Weight files written by earlier format versions must keep loading and keep predicting the
// same. The fixtures are frozen (scripts/make-fixtures.mjs wrote them once); never regenerate
// them to make this test pass.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { createClassifier } from 'garment-wasm';

const fixture = (name) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
const { probe, expected } = JSON.parse(fixture('weights-v1.expected.json'));
const probeImages = new Uint8Array(Buffer.from(probe, 'base64'));

for (const dtype of ['f32', 'f16', 'int8']) {
  test(`format v1 (${dtype}) loads and predicts exactly as when it was written`, async () => {
    const clf = await createClassifier({ weights: fixture(`weights-v1-${dtype}.gz`) });
    assert.equal([...clf.labels], ['bar', 'post', 'disc', 'ring']);
    const preds = await clf.predict(probeImages);
    preds.forEach((p, i) => {
      assert.is(p.label, expected[dtype][i].label);
      assert.equal([...new Uint32Array(p.probabilities.slice().buffer)], expected[dtype][i].bits);
    });
  });
}

test('the bundled pretrained model loads with no options and classifies', async () => {
  const clf = await createClassifier();
  assert.is(clf.labels.length, 10);
  const p = await clf.predict(new Uint8Array(784));
  assert.ok(p.confidence > 0 && p.confidence <= 1);
});

test.run();
