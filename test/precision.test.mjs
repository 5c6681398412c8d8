// precision: 'fast' (relaxed SIMD fused multiply-add) against the default 'exact', in runtimes
// with and without relaxed SIMD (Node 20 has it only behind --experimental-wasm-relaxed-simd).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';

const script = `
  const { createClassifier } = await import('garment-wasm');
  const { syntheticDataset } = await import('./test/helpers/synthetic.mjs');
  const data = syntheticDataset(256, { seed: 5 });
  const out = {};
  for (const precision of ['exact', 'fast']) {
    const warnings = [];
    const clf = await createClassifier({ model: 'cnn', seed: 3, threads: 1, precision, onWarning: (m) => warnings.push(m) });
    await clf.train(data, { epochs: 1, batchSize: 32 });
    const p = await clf.predict(data.images.subarray(0, 20 * 784));
    out[precision] = { probs: p.map((x) => Array.from(x.probabilities)), warnings };
  }
  console.log(JSON.stringify(out));
`;

function run(flags) {
  const r = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', script], {
    encoding: 'utf8', cwd: new URL('..', import.meta.url).pathname, timeout: 120_000,
  });
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function maxDiff(a, b) {
  let m = 0;
  a.forEach((row, i) => row.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i][j])))));
  return m;
}

test("without relaxed SIMD, 'fast' falls back to 'exact' with one warning and identical results", () => {
  const out = run(['--no-experimental-wasm-relaxed-simd']);
  assert.is(out.fast.warnings.length, 1);
  assert.match(out.fast.warnings[0], 'relaxed SIMD');
  assert.is(maxDiff(out.fast.probs, out.exact.probs), 0);
});

test("with relaxed SIMD, 'fast' trains and predicts close to 'exact'", () => {
  const out = run(['--experimental-wasm-relaxed-simd']);
  assert.equal(out.fast.warnings, []);
  const d = maxDiff(out.fast.probs, out.exact.probs);
  assert.ok(d < 1e-3, `max probability difference ${d}`);
  assert.ok(d > 0, "'fast' gave bit-identical results: the relaxed binary was not used");
});

test.run();
