// garment-wasm through its public API, exactly as a user calls it.
import { readFileSync } from 'node:fs';
import { importGarment } from '../dist.mjs';

const { createClassifier } = await importGarment();

export async function create({ threads, precision }) {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
  let clf;
  let state;
  return {
    versions: { 'garment-wasm': pkg.version },
    async setup({ mode, batch, weights, pool }) {
      clf?.dispose();
      const warnings = [];
      clf = await createClassifier({ weights, threads, precision, onWarning: (m) => warnings.push(m) });
      state = { mode, batch, pool, at: 0 };
      // 'fast' falls back to 'exact' quietly where relaxed SIMD is missing: that is not a 'fast' figure.
      const fallback = warnings.find((m) => m.includes("'fast' unavailable"));
      if (fallback) return { unsupported: fallback };
      for (const m of warnings) process.stderr.write(`garment-wasm: ${m}\n`);
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
        // One train() call (one epoch) per run over `steps` batches of pool images.
        for (let left = steps; left > 0;) {
          const n = Math.min(left, Math.floor(pool.count / batch));
          const count = n * batch;
          const data = { images: pool.images.subarray(0, count * 784), labels: pool.labels.subarray(0, count), count };
          await clf.train(data, { epochs: 1, batchSize: batch });
          left -= n;
        }
      }
      return (performance.now() - t0) / 1000;
    },
    async probabilities(count) {
      const out = await clf.predict(state.pool.images.subarray(0, count * 784));
      return Float32Array.from(out.flatMap((p) => [...p.probabilities]));
    },
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
