// garment-wasm export: a weight file (or the bundled model) as ONNX, for onnxruntime and friends.
import { writeFile } from 'node:fs/promises';
import { weightsToONNX } from '../../onnx/index.ts';
import { flag, parse, str, UsageError } from '../args.ts';
import { line, type Io } from '../io.ts';
import { loadWeights } from '../model.ts';

export const HELP = `Usage: garment-wasm export [WEIGHTS] --onnx FILE

Writes a model as ONNX (opset 13): input 'pixels', float32 [N, 28, 28, 1] holding raw 0..255
gray values (light garment on black, as Fashion-MNIST); outputs 'logits' and 'probabilities'.
Batch norm is folded, dropout left out; the class names are in the model's metadata.

  WEIGHTS                  a weight file from 'garment-wasm train' (default: the bundled model)
  --onnx FILE              where to write the .onnx file
  -h, --help               show this help
`;

const OPTIONS = { onnx: { type: 'string' } } as const;

export async function run(args: string[], io: Io): Promise<number> {
  const p = parse('export', args, OPTIONS, true);
  if (flag(p, 'help')) {
    io.stdout.write(HELP);
    return 0;
  }
  if (p.positionals.length > 1) throw new UsageError(`export: expected at most one weight file, got ${p.positionals.length} arguments`);
  const out = str(p, 'onnx');
  if (!out) throw new UsageError('export: --onnx FILE is required');
  const { clf, name } = await loadWeights(p.positionals[0], 1, io);
  try {
    const bytes = weightsToONNX(await clf.save());
    await writeFile(out, bytes);
    line(io.stdout, `${name} -> ${out} (${bytes.length} bytes, ONNX opset 13)`);
    return 0;
  } finally {
    clf.dispose();
  }
}
