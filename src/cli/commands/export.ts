// garment-wasm export: a weight file (or the bundled model) as ONNX, for onnxruntime and friends,
// or again as a weight file in another precision (int8, f16, or a per-tensor mix).
import { isWeightDtype, type WeightDtype } from '../../io/weights-format.ts';
import { dtype as dtypeOption, flag, parse, str, UsageError } from '../args.ts';
import { line, writeAtomic, type Io } from '../io.ts';
import { loadWeights } from '../model.ts';

export const HELP = `Usage: garment-wasm export [WEIGHTS] [--onnx FILE] [--weights FILE [--dtype D] [--tensor-dtype NAME=D,...]]

Writes a model as ONNX (opset 13): input 'pixels', float32 [N, 28, 28, 1] holding raw 0..255
gray values (light garment on black, as Fashion-MNIST); outputs 'logits' and 'probabilities'.
Batch norm is folded, dropout left out; the class names are in the model's metadata.
Or writes it again as a weight file in another precision, for example int8 with the most
sensitive layers kept in f16 (tensor names: '0.weight' is the weights of layer 0).

  WEIGHTS                  a weight file from 'garment-wasm train' (default: the bundled model)
  --onnx FILE              where to write the .onnx file
  --weights FILE           where to write the weight file
  --dtype f32|f16|int8     precision of --weights                                  (default: f32)
  --tensor-dtype LIST      per-tensor exceptions to --dtype, as NAME=DTYPE pairs separated by commas
  -h, --help               show this help
`;

const OPTIONS = { onnx: { type: 'string' }, weights: { type: 'string' }, dtype: { type: 'string' }, 'tensor-dtype': { type: 'string' } } as const;

function tensorDtypes(list: string | undefined): Record<string, WeightDtype> | undefined {
  if (list === undefined) return undefined;
  const out: Record<string, WeightDtype> = {};
  for (const pair of list.split(',')) {
    const eq = pair.lastIndexOf('=');
    const name = pair.slice(0, eq);
    const dtype = pair.slice(eq + 1);
    if (eq < 1 || !isWeightDtype(dtype)) throw new UsageError(`--tensor-dtype: expected NAME=f32|f16|int8, got '${pair}'`);
    out[name] = dtype;
  }
  return out;
}

export async function run(args: string[], io: Io): Promise<number> {
  const p = parse('export', args, OPTIONS, true);
  if (flag(p, 'help')) {
    io.stdout.write(HELP);
    return 0;
  }
  if (p.positionals.length > 1) throw new UsageError(`export: expected at most one weight file, got ${p.positionals.length} arguments`);
  const onnx = str(p, 'onnx');
  const weights = str(p, 'weights');
  if (!onnx && !weights) throw new UsageError('export: --onnx FILE or --weights FILE is required');
  const dtype = dtypeOption(p);
  if (!weights && (str(p, 'dtype') || str(p, 'tensor-dtype'))) throw new UsageError('export: --dtype and --tensor-dtype go with --weights FILE');
  const dtypes = tensorDtypes(str(p, 'tensor-dtype'));
  const { clf, name } = await loadWeights(p.positionals[0], 1, io);
  try {
    // Both outputs are built before either is written, so a bad --tensor-dtype leaves no file.
    const saved = weights ? await clf.save({ dtype, dtypes }) : undefined;
    const model = onnx ? await clf.toONNX() : undefined;
    if (onnx && model) {
      writeAtomic(onnx, model);
      line(io.stdout, `${name} -> ${onnx} (${model.length} bytes, ONNX opset 13)`);
    }
    if (weights && saved) {
      writeAtomic(weights, saved);
      const mix = dtypes ? `, ${Object.entries(dtypes).map(([n, d]) => `${n} ${d}`).join(', ')}` : '';
      line(io.stdout, `${name} -> ${weights} (${saved.length} bytes, ${dtype}${mix})`);
    }
    return 0;
  } finally {
    clf.dispose();
  }
}
