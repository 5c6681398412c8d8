// Cold start, run as a fresh process: `node cold.mjs <kind> <artifact dir>` imports the library,
// loads the bundled model (garment-wasm) or the same model exported for the peer, classifies one
// image and prints { importToFirstPrediction, sinceProcessStart } in milliseconds.
// performance.now() counts from the process's time origin, so the second figure includes Node's
// own start-up; the parent also times the whole process from spawn to exit.
const t0 = performance.now();
const [kind, dir] = process.argv.slice(2);
const image = new Uint8Array(784).map((_, i) => (i * 37) & 255);
let label;

if (kind === 'garment') {
  const { createClassifier } = await (await import('./dist.mjs')).importGarment();
  const clf = await createClassifier();
  label = (await clf.predict(image)).label;
} else if (kind === 'ort-node' || kind === 'ort-web') {
  const { readFileSync } = await import('node:fs');
  const ort = await import(kind === 'ort-node' ? 'onnxruntime-node' : 'onnxruntime-web');
  const session = await ort.InferenceSession.create(readFileSync(`${dir}/default.onnx`));
  const out = await session.run({ pixels: new ort.Tensor('float32', Float32Array.from(image), [1, 28, 28, 1]) });
  label = out.logits.data.indexOf(Math.max(...out.logits.data));
} else if (kind === 'tfjs-wasm') {
  const { readFileSync } = await import('node:fs');
  const tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  const { buildModel, normalise } = await import('./tfjs-model.mjs');
  const meta = JSON.parse(readFileSync(`${dir}/default.tfjs.json`, 'utf8'));
  const data = new Float32Array(readFileSync(`${dir}/default.tfjs.bin`).buffer.slice(0));
  const file = { ...meta, tensors: meta.tensors.map((t) => ({ ...t, data: data.subarray(t.offset, t.offset + t.size) })) };
  const y = buildModel(tf, file).predict(tf.tensor4d(normalise(image, file.input), [1, 28, 28, 1]));
  label = (await y.argMax(-1).data())[0];
} else if (kind !== 'bare') {
  throw new Error(`unknown cold-start kind ${kind}`);
}
const t1 = performance.now();
process.stdout.write(`${JSON.stringify({ kind, label, importToFirstPrediction: t1 - t0, sinceProcessStart: t1 })}\n`);
// Worker pools and thread pools would otherwise keep some processes alive.
process.exit(0);
