// The HTML report (src/report): one self-contained page with SVG charts and generated images.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as esbuild from 'esbuild';
import { decode } from 'fast-png';
import { drawShape, rng } from './helpers/synthetic.mjs';

// Bundled from source here: the report is part of the CLI bundle, not of the library's API.
const bundled = await esbuild.build({ entryPoints: ['src/report/index.ts'], bundle: true, write: false, format: 'esm', platform: 'neutral', logLevel: 'silent' });
const { renderReport, describeLayers, pngDataUri } = await import(`data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].text).toString('base64')}`);

const labels = ['tee', 'trouser <b>', 'dress & co'];

function input(over = {}) {
  const confusionMatrix = [[50, 3, 2], [1, 45, 4], [5, 0, 40]];
  const per = (c) => {
    const tp = confusionMatrix[c][c];
    const support = confusionMatrix[c].reduce((a, b) => a + b, 0);
    const predicted = confusionMatrix.reduce((a, r) => a + r[c], 0);
    const precision = tp / predicted, recall = tp / support;
    return { label: labels[c], precision, recall, f1: (2 * precision * recall) / (precision + recall), support };
  };
  const perClass = [0, 1, 2].map(per);
  const avg = (k) => perClass.reduce((a, m) => a + m[k], 0) / 3;
  const sample = (label, predicted, seed) => ({ pixels: drawShape(label, rng(seed)), label, predicted, confidence: 0.5 + seed / 100, index: seed });
  return {
    labels,
    model: { name: 'model.gz', parameters: 1234, layers: [{ type: 'conv', filters: 8, kernel: 3, padding: 'valid' }, { type: 'relu' }, { type: 'maxpool' }, { type: 'dense', units: 3 }] },
    data: { source: 'CSV <test>.csv', count: 150 },
    evaluation: {
      accuracy: 135 / 150, loss: 0.321, count: 150, confusionMatrix, perClass,
      macro: { precision: avg('precision'), recall: avg('recall'), f1: avg('f1') }, weighted: { precision: avg('precision'), recall: avg('recall'), f1: avg('f1') },
    },
    history: {
      epochs: [1, 2, 3].map((e) => ({ epoch: e, loss: 1 / e, accuracy: 0.6 + e / 10, validationLoss: 1.1 / e, validationAccuracy: 0.55 + e / 10, seconds: 1.5, imagesPerSecond: 4000 })),
      trainImages: 900, validationImages: 100, threads: 2, options: { batchSize: 64, learningRate: 0.001 },
    },
    samples: [sample(0, 0, 1), sample(1, 2, 2), sample(2, 2, 3), sample(0, 1, 4)],
    mistakes: [sample(1, 2, 2), sample(0, 1, 4)],
    examples: [[drawShape(0, rng(9))], [drawShape(1, rng(9))], [drawShape(2, rng(9))]],
    distribution: [{ name: 'training set', counts: [300, 300, 300] }, { name: 'test set', counts: [55, 50, 45] }],
    generator: 'garment-wasm 0.0.0',
    command: 'garment-wasm report model.gz',
    ...over,
  };
}

test('one self-contained page: no scripts, no external resources, only data: images', () => {
  const html = renderReport(input());
  assert.match(html, /^<!doctype html>/);
  assert.not.match(html, /<script|<link|<iframe|@import|url\(/i);
  const refs = [...html.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
  assert.ok(refs.length > 0);
  for (const r of refs) assert.ok(r.startsWith('data:image/png;base64,'), r.slice(0, 40));
  // The only URL in the page is the SVG namespace.
  assert.equal([...new Set(html.match(/https?:\/\/[^"'\s)]+/g))], ['http://www.w3.org/2000/svg']);
});

test('every section: learning curves, heatmap, per-class bars and table, samples, distribution, examples', () => {
  const html = renderReport(input());
  for (const label of ['loss', 'accuracy', 'confusion matrix', 'per-class metrics', 'images per class']) assert.match(html, new RegExp(`<svg[^>]*aria-label="${label}"`), label);
  assert.is((html.match(/<svg/g) ?? []).length, 5);
  assert.match(html, /90\.00%<\/b><span>accuracy on 150 images/);
  assert.match(html, /conv 8 3x3 valid · relu · maxpool · dense 3/);
  assert.match(html, /900 training images · 100 held out for validation · batch 64 · learning rate 0.001 · 2 threads · 3 epochs in 4.5 s/);
  // Heatmap cells carry their count and a hover title.
  assert.match(html, /<title>true tee, predicted dress &#38; co: 2 \(3\.6% of tee\)<\/title>/);
  assert.match(html, /<table>.*<td>macro avg<\/td>/s);
  assert.match(html, /training set: 900 images, exactly 300 per class · test set: 150 images, 45 to 55 per class/);
});

test('mistakes are marked; text is escaped', () => {
  const html = renderReport(input());
  assert.is((html.match(/class="card"/g) ?? []).length, 2, 'two right among the samples');
  assert.is((html.match(/class="card bad"/g) ?? []).length, 2 + 2, 'two wrong among the samples, two in the mistakes grid');
  assert.match(html, /4 images picked at random; 2 of them misclassified/);
  assert.match(html, /true: trouser &#60;b&#62;/);
  assert.not.match(html, /trouser <b>/);
  assert.match(html, /trouser &#60;b&#62;/);
  assert.match(html, /CSV &#60;test&#62;\.csv/);
});

test('without a history the page says how to get learning curves; one epoch still draws', () => {
  const none = renderReport(input({ history: undefined, mistakes: [], examples: undefined }));
  assert.match(none, /No training history was given/);
  assert.not.match(none, /aria-label="loss"/);
  assert.not.match(none, /most confident mistakes/);
  const onTest = renderReport(input({ history: { ...input().history, validation: 'test set', validationImages: 10000 } }));
  assert.match(onTest, /<text[^>]*class="legend">test<\/text>/);
  assert.match(onTest, /10,000 test images after each epoch/);
  const one = renderReport(input({ history: { epochs: [{ epoch: 1, loss: 0.5, accuracy: 0.8, seconds: 1, imagesPerSecond: 100 }] } }));
  assert.match(one, /aria-label="loss"/);
  assert.not.match(one, /NaN|Infinity|undefined/);
});

test('images are 28x28 gray PNGs made from the pixels given', () => {
  const px = drawShape(4, rng(1));
  const uri = pngDataUri(px);
  const png = decode(Buffer.from(uri.slice('data:image/png;base64,'.length), 'base64'));
  assert.is(png.width, 28);
  assert.is(png.height, 28);
  assert.is(png.channels, 1);
  assert.equal([...png.data], [...px]);
  assert.is(describeLayers([{ type: 'dropout', rate: 0.3 }, { type: 'gap' }]), 'dropout 0.3 · gap');
});

test('many classes: a heatmap without numbers, still well formed', () => {
  const k = 30;
  const names = Array.from({ length: k }, (_, i) => `class ${i}`);
  const m = names.map((_, t) => names.map((_, p) => (t === p ? 9 : 1)));
  const perClass = names.map((label) => ({ label, precision: 0.5, recall: 0.5, f1: 0.5, support: 10 }));
  const html = renderReport(input({
    labels: names, samples: [], mistakes: [], examples: undefined,
    evaluation: { accuracy: 0.5, loss: 1, count: 300, confusionMatrix: m, perClass, macro: perClass[0], weighted: perClass[0] },
    distribution: [{ name: 'test set', counts: names.map(() => 10) }],
  }));
  assert.is((html.match(/<rect x="[\d.]+" y="[\d.]+" width="\d+" height="\d+" fill="rgb/g) ?? []).length, k * k);
  assert.not.match(html, /NaN/);
});

test.run();
