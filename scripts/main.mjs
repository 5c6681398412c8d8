// `npm start`: the main job. With Fashion-MNIST at hand, evaluates the bundled model on the
// 10,000 test images and prints the report; without it, classifies generated images and says
// how to get the data.
import { createClassifier, loadFashionMNIST, formatReport, GarmentError } from 'garment-wasm';
import { findDataDir } from './data-dir.mjs';

const clf = await createClassifier();
const dir = findDataDir();
let data;
try {
  data = await loadFashionMNIST(dir ? { dir } : {});
} catch (e) {
  if (!(e instanceof GarmentError) || e.code !== 'E_DATA_NOT_FOUND') throw e;
  console.log(`Fashion-MNIST not found: ${e.message}\n`);
}
if (data) {
  const t0 = performance.now();
  const report = await clf.evaluate(data.test);
  const ms = performance.now() - t0;
  console.log(`bundled model (${clf.parameterCount} parameters) on the ${report.count} Fashion-MNIST test images:\n`);
  console.log(formatReport(report));
  console.log(`\nevaluated in ${Math.round(ms)} ms (${Math.round(report.count / (ms / 1000))} images/s)`);
} else {
  // A generated "trouser": two light vertical legs on black.
  const img = new Uint8Array(784);
  for (let y = 3; y < 26; y++) for (let x = 8; x < 20; x++) if (y < 8 || x < 13 || x > 14) img[y * 28 + x] = 200;
  const p = await clf.predict(img);
  console.log(`a generated trouser-like image is classified as "${p.label}" (${(p.confidence * 100).toFixed(1)}%)`);
}
clf.dispose();
