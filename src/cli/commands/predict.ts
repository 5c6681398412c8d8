/// <reference types="node" />
// garment-wasm predict: photos in, top-k classes out.
import { basename, join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { preprocessImage } from '../../preprocess/index.ts';
import { flag, int, parse, str, threads, THREADS_OPTION, UsageError } from '../args.ts';
import { decodeImage, type DecodedImage } from '../decode.ts';
import { line, readBytes, writeAtomic, type Io } from '../io.ts';
import { loadWeights } from '../model.ts';

export const HELP = `Usage: garment-wasm predict FILE... [options]

Classifies photos: PNG or JPEG, any size, colour or gray, on a light or dark background. Each one
is turned into a 28x28 the way Fashion-MNIST was made (background trimmed, longest edge fitted to
28, centred, negated so the garment is light on black, contrast stretched); 28x28 images are used
as they are. Prints the top classes with their confidence.

  FILE...                  PNG or JPEG files
  --weights FILE           a weight file (default: the bundled model)
  --top N                  how many classes to show                               (default: 3)
  --json                   print JSON: [{ file, width, height, predictions: [{ label, index,
                           confidence }] }], or { file, error } for a file that failed
  --preprocessed DIR       also write each 28x28 the model saw, as PNG, into DIR
  --threads N|auto         worker threads                                         (default: auto)
  -h, --help               show this help
`;

const OPTIONS = {
  weights: { type: 'string' },
  top: { type: 'string' },
  json: { type: 'boolean' },
  preprocessed: { type: 'string' },
  ...THREADS_OPTION,
} as const;

/** What the model sees: a 28x28 as it is (gray by BT.601 luma, like the library), anything else preprocessed. */
export function modelPixels(img: DecodedImage, what: string): Uint8Array {
  if (img.width !== 28 || img.height !== 28) return preprocessImage(img, what);
  const channels = img.data.length / 784;
  if (channels === 1) return img.data;
  const out = new Uint8Array(784);
  for (let i = 0; i < 784; i++) {
    const o = i * channels;
    out[i] = Math.floor((299 * img.data[o] + 587 * img.data[o + 1] + 114 * img.data[o + 2] + 500) / 1000);
  }
  return out;
}

export async function run(args: string[], io: Io): Promise<number> {
  const p = parse('predict', args, OPTIONS, true);
  if (flag(p, 'help')) {
    io.stdout.write(HELP);
    return 0;
  }
  if (p.positionals.length === 0) throw new UsageError('predict: name at least one PNG or JPEG file');
  const top = int(p, 'top', 3, 1, 65536);
  const json = flag(p, 'json');
  const saveDir = str(p, 'preprocessed');

  type Ok = { file: string; width: number; height: number; pixels: Uint8Array };
  const ok: Ok[] = [];
  const failed: { file: string; error: { code: string; message: string } }[] = [];
  for (const file of p.positionals) {
    try {
      const img = decodeImage(readBytes(file, 'image'), file);
      ok.push({ file, width: img.width, height: img.height, pixels: modelPixels(img, file) });
    } catch (e) {
      const code = (e as { code?: string }).code ?? 'E_INPUT';
      failed.push({ file, error: { code, message: (e as Error).message } });
      if (!json) line(io.stderr, `garment-wasm: ${(e as Error).message}`);
    }
  }
  if (saveDir !== undefined) {
    for (const r of ok) {
      const name = `${basename(r.file).replace(/\.[^.]*$/, '')}.28x28.png`;
      writeAtomic(join(saveDir, name), encodePng({ width: 28, height: 28, data: r.pixels, channels: 1, depth: 8 }));
    }
  }
  const results: unknown[] = [];
  if (ok.length > 0) {
    const { clf } = await loadWeights(str(p, 'weights'), threads(p), io);
    try {
      const flat = new Uint8Array(ok.length * 784);
      ok.forEach((r, i) => flat.set(r.pixels, i * 784));
      const preds = await clf.predict(flat);
      const list = Array.isArray(preds) ? preds : [preds];
      const width = Math.max(...ok.map((r) => r.file.length));
      list.forEach((pred, i) => {
        const ranked = [...pred.probabilities.keys()].sort((a, b) => pred.probabilities[b] - pred.probabilities[a] || a - b).slice(0, top);
        const predictions = ranked.map((k) => ({ label: clf.labels[k], index: k, confidence: pred.probabilities[k] }));
        const r = ok[i];
        results.push({ file: r.file, width: r.width, height: r.height, predictions });
        if (!json) {
          const text = predictions.map((q) => `${q.label} ${(q.confidence * 100).toFixed(1)}%`).join('  ');
          line(io.stdout, `${r.file.padEnd(width)}  ${text}`);
        }
      });
    } finally {
      clf.dispose();
    }
  }
  if (json) {
    const all = p.positionals.map((file) => results.find((r) => (r as Ok).file === file) ?? failed.find((f) => f.file === file));
    line(io.stdout, JSON.stringify(all, null, 2));
  }
  return failed.length > 0 ? 1 : 0;
}
