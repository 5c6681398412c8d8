// The kernel interface between the TypeScript side and the wasm binaries: every binary exports
// exactly the list recorded for the interface version both sides name, and a module that is not
// this release's binary is refused with a typed error, not a TypeError at its first missing kernel.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { createClassifier } from 'garment-wasm';
import { WASM_ABI } from '../dist/node/internal.js';
import { expectGarmentError } from './helpers/synthetic.mjs';

// Changing the exports (a kernel added, removed or renamed, or its arguments changed) means a new
// version: bump ABI_VERSION in assembly/index.ts and WASM_ABI in src/engine/engine.ts, and record
// the new list here under the new number.
const EXPORTS = {
  1: [
    'ABI_VERSION', 'adam_step', 'add_into', 'augment_images', 'bias_grad', 'bn_backward_apply', 'bn_backward_stats',
    'bn_forward_apply', 'bn_forward_stats', 'channel_affine', 'conv2d_backward_filter', 'conv2d_backward_input',
    'conv2d_forward', 'cos64', 'count_nonfinite', 'dense_backward_filter', 'dense_backward_input', 'dense_forward',
    'dequantize_int8', 'dropout_forward', 'exp64', 'fill', 'gap_backward', 'gap_forward', 'gemm', 'log64',
    'maxpool2d_backward', 'maxpool2d_forward', 'memory', 'mul', 'powi64', 'relu_backward', 'relu_forward',
    'scale_channels_f64', 'sgd_step', 'softmax', 'softmax_cross_entropy', 'transpose', 'u8_to_f32', 'winograd_weights',
  ],
  // 2: f16_to_f32 (f16 tensors widened in wasm as a model loads).
  2: [
    'ABI_VERSION', 'adam_step', 'add_into', 'augment_images', 'bias_grad', 'bn_backward_apply', 'bn_backward_stats',
    'bn_forward_apply', 'bn_forward_stats', 'channel_affine', 'conv2d_backward_filter', 'conv2d_backward_input',
    'conv2d_forward', 'cos64', 'count_nonfinite', 'dense_backward_filter', 'dense_backward_input', 'dense_forward',
    'dequantize_int8', 'dropout_forward', 'exp64', 'f16_to_f32', 'fill', 'gap_backward', 'gap_forward', 'gemm', 'log64',
    'maxpool2d_backward', 'maxpool2d_forward', 'memory', 'mul', 'powi64', 'relu_backward', 'relu_forward',
    'scale_channels_f64', 'sgd_step', 'softmax', 'softmax_cross_entropy', 'transpose', 'u8_to_f32', 'winograd_weights',
  ],
};

const dist = new URL('../dist/', import.meta.url);
const binaries = readdirSync(dist).filter((f) => f.endsWith('.wasm'));

test('every binary exports the list recorded for its interface version, and names that version', () => {
  assert.ok(binaries.length >= 4, binaries.join(', '));
  for (const file of binaries) {
    const bytes = readFileSync(new URL(file, dist));
    // Names only: compiling the relaxed binaries needs relaxed SIMD, which listing exports does not.
    const names = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name).sort();
    assert.equal(names, EXPORTS[WASM_ABI], `${file}: its exports changed; bump the interface version (see above)`);
  }
});

test('a module that is not this release binary gives E_WASM_LOAD', async () => {
  const empty = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  assert.match((await expectGarmentError(() => createClassifier({ wasm: empty }), 'E_WASM_LOAD')).message, /not from this garment-wasm release/);
  const e = await expectGarmentError(() => createClassifier({ wasm: new WebAssembly.Module(empty), model: 'mlp' }), 'E_WASM_LOAD');
  assert.match(e.message, new RegExp(`kernel interface missing, expected ${WASM_ABI}`));
  // A binary that names another interface version (as another release's would).
  const name = [...new TextEncoder().encode('ABI_VERSION')];
  const other = new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x06, 0x06, 0x01, 0x7f, 0x00, 0x41, WASM_ABI - 1, 0x0b, // global section: i32 const WASM_ABI - 1
    0x07, 2 + name.length + 2, 0x01, name.length, ...name, 0x03, 0x00, // export it as ABI_VERSION
  ]);
  const o = await expectGarmentError(() => createClassifier({ wasm: other, model: 'mlp' }), 'E_WASM_LOAD');
  assert.match(o.message, new RegExp(`interface ${WASM_ABI - 1}, expected ${WASM_ABI}`));
  // One that imports something the library does not provide fails to instantiate.
  const needsF = new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type section: () -> ()
    0x02, 0x09, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x66, 0x00, 0x00, // import env.f
  ]);
  assert.match((await expectGarmentError(() => createClassifier({ wasm: needsF }), 'E_WASM_LOAD')).message, /instantiate/);
  // The right binary, supplied by hand, still loads.
  const clf = await createClassifier({ wasm: readFileSync(new URL('garment-simd.wasm', dist)) });
  assert.is((await clf.predict(new Uint8Array(784))).probabilities.length, 10);
});

test.run();
