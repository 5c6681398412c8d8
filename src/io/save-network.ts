// A network's weights as a weight file: what `Classifier.save()` runs. Loaded on first use, so
// an app that only classifies never downloads it (nor fflate's compressor behind it).
import type { Network } from '../model/network.ts';
import { IMAGE_SIDE } from '../types.ts';
import { encodeWeights } from './weights-encode.ts';
import type { WeightDtype, WeightFile } from './weights-format.ts';

/** Options of `save()`. */
export interface SaveOptions {
  /** Storage precision: 'f32' (exact, default), 'f16' or 'int8' (per-channel). */
  dtype?: WeightDtype;
  /**
   * Per-tensor exceptions to `dtype`, by tensor name (`'0.weight'`: the weights of layer 0), for
   * mixed precision: `{ dtype: 'int8', dtypes: { '0.weight': 'f16' } }`.
   */
  dtypes?: Readonly<Record<string, WeightDtype>>;
}

export function saveNetwork(
  net: Network, labels: readonly string[], metadata: Record<string, unknown>, options: SaveOptions | undefined,
): Uint8Array {
  const params = net.params();
  const file: WeightFile = {
    model: { layers: net.layers },
    labels: [...labels],
    input: { height: IMAGE_SIDE, width: IMAGE_SIDE, channels: 1, ...net.norm },
    tensors: net.layout.params.map((p) => ({ name: p.name, shape: p.shape, data: params.slice(p.offset, p.offset + p.size) })),
    metadata,
  };
  // encodeWeights checks the options (E_OPTION).
  return encodeWeights(file, { dtype: options?.dtype, dtypes: options?.dtypes });
}
