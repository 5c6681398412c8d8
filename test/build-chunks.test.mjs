// The Node and Deno builds load the package entry's start-up code from one chunk file (each file
// costs a module loader ~0.5 ms: scripts/one-core-chunk.mjs), and the lazily loaded parts
// (training, evaluation, presets, saving, the worker script) stay out of it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';

/** The files `index.js` of a build loads before any code runs: its static imports, transitively. */
function staticClosure(dir) {
  const seen = new Set();
  const stack = ['index.js'];
  while (stack.length) {
    const file = stack.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(new URL(`../dist/${dir}/${file}`, import.meta.url), 'utf8');
    for (const m of code.matchAll(/^(?:import|export)\s[^;]*?from\s*"\.\/([^"]+)"|^import\s*"\.\/([^"]+)"/gm)) stack.push(m[1] ?? m[2]);
  }
  return [...seen].map((f) => [f, readFileSync(new URL(`../dist/${dir}/${f}`, import.meta.url), 'utf8')]);
}

for (const dir of ['node', 'deno']) {
  test(`${dir} build: the entry loads one chunk, without the lazily loaded code`, () => {
    const files = staticClosure(dir);
    assert.ok(files.length <= 2, `${dir}/index.js loads ${files.length} files: ${files.map(([f]) => f).join(', ')}`);
    const code = files.map(([, c]) => c).join('\n');
    assert.ok(code.includes('function createClassifier('), 'the closure is the entry\'s code');
    for (const lazy of ['function trainNetwork(', 'function evaluateNetwork(', 'function presetLayers(', 'function saveNetwork(', 'function initParams(']) {
      assert.not.ok(code.includes(lazy), `${lazy}...) is loaded at start-up`);
    }
  });
}

test('the other entries do not export the plugin\'s helper binding', async () => {
  for (const dir of ['node', 'deno']) {
    for (const entry of ['onnx.js', 'internal.js']) {
      const code = readFileSync(new URL(`../dist/${dir}/${entry}`, import.meta.url), 'utf8');
      assert.not.ok(/as __garmentCore\b/.test(code), `${dir}/${entry} exports __garmentCore`);
    }
  }
  const onnx = await import('../dist/node/onnx.js');
  assert.equal(Object.keys(onnx).sort(), ['toONNX', 'weightsToONNX']);
});

test.run();
