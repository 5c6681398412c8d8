// ONNX export, a separate entry point (`garment-wasm/onnx`): it reads a model only through its
// public weight file, so the core never carries the exporter and needs nothing private.
import type { Classifier } from '../classifier.ts';
import { GarmentError } from '../errors.ts';
import { decodeWeights } from '../io/weights.ts';
import { buildGraph } from './graph.ts';
import { encodeModel } from './schema.ts';

/** Options of {@link toONNX} and {@link weightsToONNX}. */
export interface OnnxExportOptions {
  /** Add a second output, `probabilities` (Softmax of the logits). Default true. */
  probabilities?: boolean;
}

const NOT_A_MODEL = 'toONNX: expected a classifier or the bytes of a weight file';

function checkOptions(options: unknown): Required<OnnxExportOptions> {
  if (options === undefined) return { probabilities: true };
  if (options === null || typeof options !== 'object') {
    throw new GarmentError('E_OPTION', 'toONNX: options must be an object');
  }
  const { probabilities = true } = options as OnnxExportOptions;
  if (typeof probabilities !== 'boolean') throw new GarmentError('E_OPTION', 'toONNX: probabilities must be a boolean');
  return { probabilities };
}

/**
 * Converts a weight file (the bytes of `classifier.save()`) to an ONNX model (opset 13).
 *
 * The graph's input `pixels` is float32 `[N, 28, 28, 1]` (NHWC) of raw pixel values 0..255, as
 * the library takes them; the model's normalisation is inside the graph. Outputs: `logits`
 * `[N, classes]` and (by default) `probabilities`. Class names are in the model's metadata
 * (`labels`, JSON). Layers that ONNX export cannot map fail with an `E_MODEL_SPEC` GarmentError.
 */
export function weightsToONNX(weights: Uint8Array | ArrayBuffer, options?: OnnxExportOptions): Uint8Array {
  const opts = checkOptions(options);
  const bytes = weights instanceof ArrayBuffer ? new Uint8Array(weights) : weights;
  if (!(bytes instanceof Uint8Array)) throw new GarmentError('E_OPTION', NOT_A_MODEL);
  return encodeModel(buildGraph(decodeWeights(bytes), opts));
}

/**
 * Converts a classifier (its f32 weights, exactly) or a weight file to an ONNX model; see
 * {@link weightsToONNX} for the graph's inputs and outputs.
 */
export async function toONNX(
  source: Classifier | Uint8Array | ArrayBuffer, options?: OnnxExportOptions,
): Promise<Uint8Array> {
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) return weightsToONNX(source, options);
  // Duck-typed, so this entry does not import (and bundle) the classifier.
  const save = (source as { save?: unknown } | null)?.save;
  if (typeof save !== 'function') throw new GarmentError('E_OPTION', NOT_A_MODEL);
  checkOptions(options);
  return weightsToONNX(await (source as Classifier).save({ dtype: 'f32' }), options);
}
