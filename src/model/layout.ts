// Shape inference and parameter layout: what every layer sees and which tensors it owns.
// Pure functions of the layer list, so the main thread and every worker derive the same layout.
import { GarmentError } from '../errors.ts';
import type { LayerSpec } from './spec.ts';

/** Per-image tensor shape, NHWC without the N. Dense outputs are 1 x 1 x units. */
export interface Shape {
  h: number;
  w: number;
  c: number;
}

/** How a tensor starts: He-uniform or Glorot-uniform (weights), zeros or ones. */
export type InitKind = 'he' | 'glorot' | 'zeros' | 'ones';

export interface ParamInfo {
  /** `<layer index>.<role>`: weight, bias, gamma, beta, running_mean, running_var. */
  name: string;
  shape: number[];
  size: number;
  /** Offset in floats within the flat parameter vector. */
  offset: number;
  init: InitKind;
  /** Fan-in and fan-out of a weight (Keras's convention: a conv's fan-out is kernel area x filters). */
  fanIn: number;
  fanOut: number;
}

export interface LayerInfo {
  spec: LayerSpec;
  index: number;
  input: Shape;
  output: Shape;
  weight?: ParamInfo;
  bias?: ParamInfo;
  gamma?: ParamInfo;
  beta?: ParamInfo;
  runningMean?: ParamInfo;
  runningVar?: ParamInfo;
}

/**
 * The parameter vector has three segments: weights (trained, with weight decay), then biases and
 * batch-norm scales/shifts (trained, no decay), then batch-norm running statistics (state, not
 * trained). Optimizers touch [0, trainableCount); decay applies to [0, decayCount).
 */
export interface Layout {
  input: Shape;
  layers: LayerInfo[];
  params: ParamInfo[];
  paramCount: number;
  trainableCount: number;
  decayCount: number;
  classes: number;
}

const MAX_PARAMS = 64 * 1024 * 1024;
const MAX_ACTIVATION = 16 * 1024 * 1024;

export const size = (s: Shape): number => s.h * s.w * s.c;

export function inferLayout(layers: LayerSpec[], input: Shape, classes: number): Layout {
  const infos: LayerInfo[] = [];
  const weights: ParamInfo[] = [];
  const free: ParamInfo[] = [];
  const state: ParamInfo[] = [];
  let shape = input;
  layers.forEach((spec, index) => {
    const where = `layer ${index} (${spec.type})`;
    const info: LayerInfo = { spec, index, input: shape, output: shape };
    switch (spec.type) {
      case 'conv': {
        const pad = spec.padding === 'valid' ? 0 : (spec.kernel - 1) / 2;
        const h = shape.h + 2 * pad - spec.kernel + 1;
        const w = shape.w + 2 * pad - spec.kernel + 1;
        if (h < 1 || w < 1) throw new GarmentError('E_MODEL_SPEC', `${where}: a ${spec.kernel}x${spec.kernel} kernel does not fit a ${shape.h}x${shape.w} input`);
        info.output = { h, w, c: spec.filters };
        const fanIn = spec.kernel * spec.kernel * shape.c;
        const fanOut = spec.kernel * spec.kernel * spec.filters;
        weights.push((info.weight = param(`${index}.weight`, [spec.kernel, spec.kernel, shape.c, spec.filters], spec.init ?? 'he', fanIn, fanOut)));
        if (spec.bias !== false) free.push((info.bias = param(`${index}.bias`, [spec.filters], 'zeros')));
        break;
      }
      case 'dense': {
        const fanIn = size(shape);
        info.output = { h: 1, w: 1, c: spec.units };
        weights.push((info.weight = param(`${index}.weight`, [fanIn, spec.units], spec.init ?? 'he', fanIn, spec.units)));
        if (spec.bias !== false) free.push((info.bias = param(`${index}.bias`, [spec.units], 'zeros')));
        break;
      }
      case 'batchnorm': {
        const c = shape.c;
        free.push((info.gamma = param(`${index}.gamma`, [c], 'ones')));
        free.push((info.beta = param(`${index}.beta`, [c], 'zeros')));
        state.push((info.runningMean = param(`${index}.running_mean`, [c], 'zeros')));
        state.push((info.runningVar = param(`${index}.running_var`, [c], 'ones')));
        break;
      }
      case 'maxpool':
        if (shape.h < 2 || shape.w < 2) throw new GarmentError('E_MODEL_SPEC', `${where}: 2x2 pooling needs an input of at least 2x2, got ${shape.h}x${shape.w}`);
        info.output = { h: shape.h >> 1, w: shape.w >> 1, c: shape.c };
        break;
      case 'gap':
        info.output = { h: 1, w: 1, c: shape.c };
        break;
      case 'flatten':
        info.output = { h: 1, w: 1, c: size(shape) };
        break;
    }
    if (size(info.output) > MAX_ACTIVATION) throw new GarmentError('E_MODEL_SPEC', `${where}: output of ${size(info.output)} values per image is too large`);
    infos.push(info);
    shape = info.output;
  });
  if (size(shape) !== classes) {
    throw new GarmentError('E_MODEL_SPEC', `the model ends with ${size(shape)} outputs per image but there are ${classes} classes; end it with { type: 'dense', units: ${classes} }`);
  }
  if (weights.length === 0) throw new GarmentError('E_MODEL_SPEC', 'the model has no trainable layer (conv or dense)');
  let offset = 0;
  const all = [...weights, ...free, ...state];
  for (const p of all) {
    p.offset = offset;
    offset += p.size;
  }
  if (offset > MAX_PARAMS) throw new GarmentError('E_MODEL_SPEC', `the model has ${offset} parameters, more than the ${MAX_PARAMS} supported`);
  const decayCount = weights.reduce((s, p) => s + p.size, 0);
  const trainableCount = decayCount + free.reduce((s, p) => s + p.size, 0);
  return { input, layers: infos, params: all, paramCount: offset, trainableCount, decayCount, classes };
}

function param(name: string, shape: number[], init: InitKind, fanIn = 0, fanOut = 0): ParamInfo {
  return { name, shape, size: shape.reduce((a, b) => a * b, 1), offset: 0, init, fanIn, fanOut };
}
