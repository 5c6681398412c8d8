// onnxruntime: 'ort-node' (native, MLAS) or 'ort-web' (wasm SIMD, run in Node), inference only,
// on the ONNX export of the same weights (src/onnx). Input: raw pixels as float32 NHWC, prepared
// once (the graph normalises them).

export async function create({ kind, threads }) {
  const ort = kind === 'ort-node' ? await import('onnxruntime-node') : await import('onnxruntime-web');
  // onnxruntime-web reads its thread count once per process, before the first session.
  if (kind === 'ort-web') ort.env.wasm.numThreads = threads;
  let state;
  const teardown = async () => {
    if (!state) return;
    await state.session.release?.();
    state = undefined;
  };
  return {
    versions: { [kind === 'ort-node' ? 'onnxruntime-node' : 'onnxruntime-web']: ort.env.versions?.common },
    async setup({ mode, batch, onnx, pool }) {
      await teardown();
      if (mode !== 'infer') return { unsupported: 'inference only' };
      const session = await ort.InferenceSession.create(onnx, {
        executionMode: 'sequential', graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1,
      });
      const ring = Math.max(1, Math.min(4, Math.floor(pool.count / batch)));
      const xs = [];
      for (let r = 0; r < ring; r++) {
        const from = r * batch;
        const pixels = Float32Array.from(pool.images.subarray(from * 784, (from + batch) * 784));
        xs.push(new ort.Tensor('float32', pixels, [batch, 28, 28, 1]));
      }
      state = { session, xs, i: 0 };
      return {};
    },
    async run(steps) {
      const s = state;
      const t0 = performance.now();
      for (let k = 0; k < steps; k++) {
        const out = await s.session.run({ pixels: s.xs[s.i++ % s.xs.length] });
        void out.probabilities.data;
      }
      return (performance.now() - t0) / 1000;
    },
    async probabilities(count) {
      const x = new ort.Tensor('float32', state.xs[0].data.slice(0, count * 784), [count, 28, 28, 1]);
      const out = await state.session.run({ pixels: x });
      return Float32Array.from(out.probabilities.data);
    },
    teardown,
  };
}
