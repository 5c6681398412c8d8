// TensorFlow.js 4.22: the pure-JS 'cpu' backend or the 'wasm' backend (XNNPACK), training with
// trainOnBatch (Adam, softmax cross-entropy on the logits, like garment-wasm) and inference with
// predict + data(). Neither backend uses threads in Node.
import { buildModel, normalise } from '../tfjs-model.mjs';

const { decodeWeights } = await (await import('../dist.mjs')).importInternal();

export async function create({ kind }) {
  const tf = await import('@tensorflow/tfjs');
  const backend = kind === 'tfjs-wasm' ? 'wasm' : 'cpu';
  if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} failed to start`);
  await tf.ready();
  let state;
  const teardown = () => {
    if (!state) return;
    state.model.dispose();
    for (const t of state.xs) t.dispose();
    for (const t of state.ys) t.dispose();
    state = undefined;
  };
  return {
    versions: backend === 'wasm'
      ? { '@tensorflow/tfjs-backend-wasm': (await import('@tensorflow/tfjs-backend-wasm')).version_wasm }
      : { '@tensorflow/tfjs': tf.version.tfjs },
    async setup({ mode, batch, weights, pool }) {
      teardown();
      const file = decodeWeights(weights);
      const model = buildModel(tf, file);
      const classes = file.labels.length;
      // A few different input batches, converted once (conversion is not what is measured).
      const ring = Math.max(1, Math.min(4, Math.floor(pool.count / batch)));
      const xs = [], ys = [];
      for (let r = 0; r < ring; r++) {
        const from = r * batch;
        const pixels = normalise(pool.images.subarray(from * 784, (from + batch) * 784), file.input);
        xs.push(tf.tensor4d(pixels, [batch, 28, 28, 1]));
        const labels = tf.tensor1d(Int32Array.from(pool.labels.subarray(from, from + batch)), 'int32');
        ys.push(tf.oneHot(labels, classes).toFloat());
        labels.dispose();
      }
      state = { mode, batch, model, xs, ys, i: 0, file };
      if (mode === 'train') {
        const loss = (yTrue, yPred) => tf.losses.softmaxCrossEntropy(yTrue, yPred);
        model.compile({ optimizer: tf.train.adam(1e-3), loss });
        // A backend that lacks a gradient kernel fails here, on a tiny batch, not mid-measurement.
        try {
          await model.trainOnBatch(xs[0].slice(0, 1), ys[0].slice(0, 1));
        } catch (e) {
          teardown();
          return { unsupported: String(e?.message ?? e).split('\n')[0] };
        }
      }
      return {};
    },
    async run(steps) {
      const s = state;
      const t0 = performance.now();
      for (let k = 0; k < steps; k++) {
        const r = s.i++ % s.xs.length;
        if (s.mode === 'train') await s.model.trainOnBatch(s.xs[r], s.ys[r]);
        else {
          const y = s.model.predict(s.xs[r]);
          await y.data();
          y.dispose();
        }
      }
      return (performance.now() - t0) / 1000;
    },
    async probabilities(count) {
      const y = tf.tidy(() => tf.softmax(state.model.predict(state.xs[0].slice(0, count))));
      const out = await y.data();
      y.dispose();
      return Float32Array.from(out);
    },
    teardown,
  };
}
