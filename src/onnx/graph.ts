// Turns a decoded weight file into an ONNX inference graph.
//
// Input `pixels`: float32 [N, H, W, C] (NHWC, like the library) holding raw pixel values 0..255;
// the file's normalisation (pixel * scale + shift) is the first node, so the graph carries
// everything it needs and computes the same input the library does (multiply, then add).
// ONNX's Conv and MaxPool are NCHW: the graph transposes to NCHW before the first one, and back
// to NHWC before flattening, so dense weights ([in, out], rows in NHWC order) apply unchanged.
// Conv weights are stored HWIO ([K, K, C, F]) and become OIHW ([F, C, K, K]). Dropout is the
// identity at inference and is left out. Batch norm is a BatchNormalization node with the running
// statistics (onnxruntime folds it into the conv before it, as the library does); global
// average pooling is GlobalAveragePool. Outputs: `logits` [N, classes] and, unless turned off,
// `probabilities` (Softmax over the classes).
import { GarmentError } from '../errors.ts';
import type { WeightFile } from '../io/weights.ts';
import { type Layout, type ParamInfo, inferLayout } from '../model/layout.ts';
import { type LayerSpec, validateLayers } from '../model/spec.ts';
import type { Initializer, Model, Node } from './schema.ts';

/** ONNX operator set 13: supported by every onnxruntime since 1.7 and by TF.js/ONNX converters. */
export const OPSET = 13;
/** The IR version that goes with opset 13. */
export const IR_VERSION = 7;

const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

type Format = 'nhwc' | 'nchw' | 'flat';

export interface GraphOptions {
  probabilities: boolean;
}

function unsupported(spec: LayerSpec, index: number): never {
  throw new GarmentError(
    'E_MODEL_SPEC',
    `ONNX export: layer ${index} has type "${(spec as { type: string }).type}", which the exporter cannot map to ONNX yet`,
  );
}

/** HWIO [K, K, C, F] -> OIHW [F, C, K, K]. */
function hwioToOihw(w: Float32Array, k: number, c: number, f: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let kh = 0; kh < k; kh++) {
    for (let kw = 0; kw < k; kw++) {
      for (let ci = 0; ci < c; ci++) {
        const src = ((kh * k + kw) * c + ci) * f;
        for (let fo = 0; fo < f; fo++) out[((fo * c + ci) * k + kh) * k + kw] = w[src + fo];
      }
    }
  }
  return out;
}

/** Checks the file's tensors against the layout its layer list implies; returns them by name. */
function tensorsFor(file: WeightFile, layout: Layout): Map<string, Float32Array> {
  const byName = new Map(file.tensors.map((t) => [t.name, t]));
  const out = new Map<string, Float32Array>();
  for (const p of layout.params) {
    const t = byName.get(p.name);
    if (!t) throw new GarmentError('E_WEIGHTS_MISMATCH', `ONNX export: tensor ${p.name} is missing`);
    if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) {
      const why = `ONNX export: tensor ${p.name} has shape [${t.shape}], the model needs [${p.shape}]`;
      throw new GarmentError('E_WEIGHTS_MISMATCH', why);
    }
    out.set(p.name, t.data);
  }
  return out;
}

export function buildGraph(file: WeightFile, options: GraphOptions): Model {
  const spec = file.model as { layers?: unknown } | null;
  const layers = validateLayers(spec && typeof spec === 'object' ? spec.layers : undefined);
  const { height, width, channels, scale, shift } = file.input;
  const layout = inferLayout(layers, { h: height, w: width, c: channels }, file.labels.length);
  const params = tensorsFor(file, layout);

  const nodes: Node[] = [];
  const initializers: Initializer[] = [];
  let x = 'pixels';
  let format: Format = 'nhwc';
  const emit = (op: string, name: string, inputs: string[], attributes?: Node['attributes']): void => {
    const out = `${name}.out`;
    nodes.push({ op, name, inputs, outputs: [out], attributes });
    x = out;
  };
  const constant = (name: string, dims: number[], data: Float32Array): string => {
    initializers.push({ name, dims, data });
    return name;
  };
  const toNchw = (at: string): void => {
    if (format === 'nhwc') emit('Transpose', `${at}.to_nchw`, [x], { perm: TO_NCHW });
    format = 'nchw';
  };
  const toFlat = (at: string): void => {
    if (format === 'flat') return;
    if (format === 'nchw') emit('Transpose', `${at}.to_nhwc`, [x], { perm: TO_NHWC });
    emit('Flatten', `${at}.flatten`, [x], { axis: 1 });
    format = 'flat';
  };

  emit('Mul', 'input.scale', [x, constant('input.scale', [], Float32Array.of(scale))]);
  if (shift !== 0) emit('Add', 'input.shift', [x, constant('input.shift', [], Float32Array.of(shift))]);

  for (const info of layout.layers) {
    const s = info.spec;
    const at = String(info.index);
    switch (s.type) {
      case 'conv': {
        toNchw(at);
        const { c } = info.input;
        const w = hwioToOihw(params.get(info.weight!.name)!, s.kernel, c, s.filters);
        const pad = s.padding === 'valid' ? 0 : (s.kernel - 1) / 2;
        const inputs = [x, constant(info.weight!.name, [s.filters, c, s.kernel, s.kernel], w)];
        if (info.bias) inputs.push(constant(info.bias.name, [s.filters], params.get(info.bias.name)!));
        emit('Conv', `${at}.conv`, inputs, {
          kernel_shape: [s.kernel, s.kernel], pads: [pad, pad, pad, pad], strides: [1, 1], dilations: [1, 1], group: 1,
        });
        break;
      }
      case 'dense': {
        toFlat(at);
        const inputs = [x, constant(info.weight!.name, info.weight!.shape, params.get(info.weight!.name)!)];
        if (info.bias) inputs.push(constant(info.bias.name, info.bias.shape, params.get(info.bias.name)!));
        emit('Gemm', `${at}.dense`, inputs, { alpha: { float: 1 }, beta: { float: 1 }, transA: 0, transB: 0 });
        break;
      }
      case 'batchnorm': {
        // Channels are axis 1 both in NCHW and in a flat [N, features] tensor.
        if (format === 'nhwc') toNchw(at);
        const c = info.input.c;
        const p = (t: ParamInfo | undefined) => constant(t!.name, [c], params.get(t!.name)!);
        const inputs = [x, p(info.gamma), p(info.beta), p(info.runningMean), p(info.runningVar)];
        // ONNX's momentum weighs the old running average; the library's (PyTorch's) the new batch.
        emit('BatchNormalization', `${at}.batchnorm`, inputs, {
          epsilon: { float: s.epsilon ?? 1e-5 }, momentum: { float: 1 - (s.momentum ?? 0.1) },
        });
        break;
      }
      case 'gap':
        toNchw(at);
        emit('GlobalAveragePool', `${at}.gap`, [x]);
        break;
      case 'relu':
        emit('Relu', `${at}.relu`, [x]);
        break;
      case 'maxpool':
        toNchw(at);
        emit('MaxPool', `${at}.maxpool`, [x], { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], ceil_mode: 0 });
        break;
      case 'flatten':
        toFlat(at);
        break;
      case 'dropout':
        break; // the identity at inference
      default:
        unsupported(s, info.index);
    }
  }
  toFlat('output');
  // The last node's output is the graph's logits.
  nodes[nodes.length - 1].outputs[0] = 'logits';
  const outputs = [{ name: 'logits', dims: ['N', layout.classes] }];
  if (options.probabilities) {
    nodes.push({
      op: 'Softmax', name: 'probabilities', inputs: ['logits'], outputs: ['probabilities'], attributes: { axis: 1 },
    });
    outputs.push({ name: 'probabilities', dims: ['N', layout.classes] });
  }

  return {
    irVersion: IR_VERSION,
    opset: OPSET,
    producerName: 'garment-wasm',
    graphName: 'garment',
    docString:
      `Input "pixels": float32 [N, ${height}, ${width}, ${channels}] (NHWC), raw pixel values 0..255 ` +
      '(the graph normalises them). Output "logits": [N, classes]' +
      (options.probabilities ? '; "probabilities": their softmax.' : '.'),
    nodes,
    initializers,
    inputs: [{ name: 'pixels', dims: ['N', height, width, channels] }],
    outputs,
    metadata: { labels: JSON.stringify(file.labels), layers: JSON.stringify(layers) },
  };
}
