// Shape inference and parameter layout: what every layer sees and which weights it owns.
// Pure functions of the layer list, so the main thread and every worker derive the same layout.
import { GarmentError } from '../errors.ts';
import type { LayerSpec } from './spec.ts';

/** Per-image tensor shape, NHWC without the N. Dense outputs are 1 x 1 x units. */
export interface Shape {
  h: number;
  w: number;
  c: number;
}

export interface ParamInfo {
  /** `<layer index>.weight` or `<layer index>.bias`. */
  name: string;
  shape: number[];
  size: number;
  /** Offset in floats within the flat parameter vector. */
  offset: number;
  /** Weight decay applies to weights, never to biases. */
  decay: boolean;
  /** He-uniform fan-in, 0 for parameters initialised to zero. */
  fanIn: number;
}

export interface LayerInfo {
  spec: LayerSpec;
  index: number;
  input: Shape;
  output: Shape;
  weight?: ParamInfo;
  bias?: ParamInfo;
  /** A conv or dense layer that also applies the ReLU that follows it. */
  fusedRelu: boolean;
  /** A ReLU already applied by the layer before it. */
  fusedAway: boolean;
}

export interface Layout {
  input: Shape;
  layers: LayerInfo[];
  params: ParamInfo[];
  paramCount: number;
  /** Parameters [0, decayCount) take weight decay; the rest (biases) do not. */
  decayCount: number;
  classes: number;
}

const MAX_PARAMS = 64 * 1024 * 1024;
const MAX_ACTIVATION = 16 * 1024 * 1024;

export const size = (s: Shape): number => s.h * s.w * s.c;

export function inferLayout(layers: LayerSpec[], input: Shape, classes: number): Layout {
  const infos: LayerInfo[] = [];
  const weights: ParamInfo[] = [];
  const biases: ParamInfo[] = [];
  let shape = input;
  layers.forEach((spec, index) => {
    const where = `layer ${index} (${spec.type})`;
    let output: Shape;
    let weight: ParamInfo | undefined;
    let bias: ParamInfo | undefined;
    switch (spec.type) {
      case 'conv': {
        const pad = spec.padding === 'valid' ? 0 : (spec.kernel - 1) / 2;
        const h = shape.h + 2 * pad - spec.kernel + 1;
        const w = shape.w + 2 * pad - spec.kernel + 1;
        if (h < 1 || w < 1) throw new GarmentError('E_MODEL_SPEC', `${where}: a ${spec.kernel}x${spec.kernel} kernel does not fit a ${shape.h}x${shape.w} input`);
        output = { h, w, c: spec.filters };
        const fanIn = spec.kernel * spec.kernel * shape.c;
        weight = param(`${index}.weight`, [spec.kernel, spec.kernel, shape.c, spec.filters], true, fanIn);
        bias = param(`${index}.bias`, [spec.filters], false, 0);
        break;
      }
      case 'dense': {
        const fanIn = size(shape);
        output = { h: 1, w: 1, c: spec.units };
        weight = param(`${index}.weight`, [fanIn, spec.units], true, fanIn);
        bias = param(`${index}.bias`, [spec.units], false, 0);
        break;
      }
      case 'maxpool':
        if (shape.h < 2 || shape.w < 2) throw new GarmentError('E_MODEL_SPEC', `${where}: 2x2 pooling needs an input of at least 2x2, got ${shape.h}x${shape.w}`);
        output = { h: shape.h >> 1, w: shape.w >> 1, c: shape.c };
        break;
      case 'flatten':
        output = { h: 1, w: 1, c: size(shape) };
        break;
      default:
        output = shape;
    }
    if (size(output) > MAX_ACTIVATION) throw new GarmentError('E_MODEL_SPEC', `${where}: output of ${size(output)} values per image is too large`);
    if (weight) weights.push(weight);
    if (bias) biases.push(bias);
    infos.push({ spec, index, input: shape, output, weight, bias, fusedRelu: false, fusedAway: false });
    shape = output;
  });
  if (size(shape) !== classes) {
    throw new GarmentError('E_MODEL_SPEC', `the model ends with ${size(shape)} outputs per image but there are ${classes} classes; end it with { type: 'dense', units: ${classes} }`);
  }
  if (weights.length === 0) throw new GarmentError('E_MODEL_SPEC', 'the model has no trainable layer (conv or dense)');
  // Fuse a ReLU into the conv or dense layer right before it.
  for (let i = 1; i < infos.length; i++) {
    const prev = infos[i - 1];
    if (infos[i].spec.type === 'relu' && (prev.spec.type === 'conv' || prev.spec.type === 'dense')) {
      prev.fusedRelu = true;
      infos[i].fusedAway = true;
    }
  }
  let offset = 0;
  for (const p of [...weights, ...biases]) {
    p.offset = offset;
    offset += p.size;
  }
  if (offset > MAX_PARAMS) throw new GarmentError('E_MODEL_SPEC', `the model has ${offset} parameters, more than the ${MAX_PARAMS} supported`);
  const decayCount = weights.reduce((s, p) => s + p.size, 0);
  return { input, layers: infos, params: [...weights, ...biases], paramCount: offset, decayCount, classes };
}

function param(name: string, shape: number[], decay: boolean, fanIn: number): ParamInfo {
  return { name, shape, size: shape.reduce((a, b) => a * b, 1), offset: 0, decay, fanIn };
}
