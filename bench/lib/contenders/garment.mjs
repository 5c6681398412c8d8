// garment-wasm through its public API, exactly as a user calls it.
import { createClassifier } from 'garment-wasm';
import { readFileSync } from 'node:fs';

export async function create({ threads }) {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
  let clf;
  let state;
  return {
    versions: { 'garment-wasm': pkg.version },
    async setup({ mode, batch, weights, pool }) {
      clf?.dispose();
      clf = await createClassifier({ weights, threads, onWarning: (m) => process.stderr.write(`garment-wasm: ${m}\n`) });
      state = { mode, batch, pool, at: 0 };
      return { threads: clf.threads };
    },
    async run(steps) {
      const { mode, batch, pool } = state;
      const t0 = performance.now();
      if (mode === 'infer') {
        for (let s = 0; s < steps; s++) {
          const from = nextBatch(state);
          await clf.predict(pool.images.subarray(from * 784, (from + batch) * 784));
        }
      } else {
        // One train() call per run: `steps` batches of consecutive pool images, one epoch.
        let left = steps;
        while (left > 0) {
          const n = Math.min(left, Math.floor(pool.count / batch));
          const from = 0;
          await clf.train(
            { images: pool.images.subarray(from * 784, (from + n * batch) * 784), labels: pool.labels.subarray(from, from + n * batch), count: n * batch },
            { epochs: 1, batchSize: batch },
          );
          left -= n;
        }
      }
      return (performance.now() - t0) / 1000;
    },
    async probabilities(count) {
      const out = await clf.predict(state.pool.images.subarray(0, count * 784));
      return Float32Array.from(out.flatMap((p) => [...p.probabilities]));
    },
    threadsInUse: () => clf?.threads,
    teardown() {
      clf?.dispose();
      clf = undefined;
    },
  };
}

/** The next batch's first image, cycling through the pool so inputs vary between calls. */
function nextBatch(state) {
  const { batch, pool } = state;
  if (state.at + batch > pool.count) state.at = 0;
  const from = state.at;
  state.at += batch;
  return from;
}
