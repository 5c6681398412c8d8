// Models are plain JSON: a list of layers. This file names the layer types, checks a list
// from an untrusted source, and holds the presets.
import { GarmentError, show } from '../errors.ts';

/** How a conv or dense layer's weights start: He-uniform (default) or Glorot-uniform (Keras's default). */
export type WeightInit = 'he' | 'glorot';
/** A 2-D convolution, stride 1, square kernel. */
export interface ConvLayer {
  type: 'conv';
  filters: number;
  kernel: number;
  /** 'same' keeps height and width (odd kernels only); 'valid' shrinks them by kernel - 1. Default 'same'. */
  padding?: 'same' | 'valid';
  /** Whether the layer adds a bias. Default true; set false before batch norm, whose shift replaces it. */
  bias?: boolean;
  /** Initial weights. Default 'he'. */
  init?: WeightInit;
}
/** A fully connected layer; flattens its input (NHWC order) first. */
export interface DenseLayer {
  type: 'dense';
  units: number;
  /** Whether the layer adds a bias. Default true. */
  bias?: boolean;
  /** Initial weights. Default 'he'. */
  init?: WeightInit;
}
export interface ReluLayer {
  type: 'relu';
}
/** 2x2 max pooling, stride 2. */
export interface MaxPoolLayer {
  type: 'maxpool';
  size?: 2;
}
/** Inverted dropout, active only while training. */
export interface DropoutLayer {
  type: 'dropout';
  rate: number;
}
/** Flattening is implicit before a dense layer; this layer exists for readability of specs. */
export interface FlattenLayer {
  type: 'flatten';
}

/**
 * Batch normalisation over channels. Training uses the batch's statistics (over every thread's
 * slice); inference uses running averages and is folded into the conv or dense layer before it.
 */
export interface BatchNormLayer {
  type: 'batchnorm';
  /** Weight of each new batch in the running statistics. Default 0.1 (PyTorch's convention). */
  momentum?: number;
  /** Added to the variance. Default 1e-5. */
  epsilon?: number;
}
/** Global average pooling: one value per channel. */
export interface GlobalAvgPoolLayer {
  type: 'gap';
}

export type LayerSpec =
  | ConvLayer
  | DenseLayer
  | ReluLayer
  | MaxPoolLayer
  | DropoutLayer
  | FlattenLayer
  | BatchNormLayer
  | GlobalAvgPoolLayer;

/** Names of the built-in architectures (their layer lists are in presets.ts, loaded on use). */
export type PresetName = 'mlp' | 'seed-cnn' | 'cnn' | 'default';
export const PRESET_NAMES: readonly PresetName[] = /* @__PURE__ */ Object.freeze(['mlp', 'seed-cnn', 'cnn', 'default']);

const MAX_UNITS = 1 << 16;

function isInt(v: unknown, lo: number, hi: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
}

function initOption(init: unknown, where: string): { init?: 'glorot' } {
  if (init === undefined || init === 'he') return {};
  if (init === 'glorot') return { init };
  throw new GarmentError('E_MODEL_SPEC', `${where}: init must be 'he' or 'glorot', got ${show(init)}`);
}

function biasOption(bias: unknown, where: string): { bias?: false } {
  if (bias === undefined || bias === true) return {};
  if (bias === false) return { bias: false };
  throw new GarmentError('E_MODEL_SPEC', `${where}: bias must be true or false, got ${show(bias)}`);
}

/** Checks a layer list from an untrusted source and returns a clean copy (unknown keys dropped). */
export function validateLayers(layers: unknown): LayerSpec[] {
  if (!Array.isArray(layers) || layers.length === 0) {
    throw new GarmentError('E_MODEL_SPEC', 'a model must be a non-empty array of layers');
  }
  if (layers.length > 256) throw new GarmentError('E_MODEL_SPEC', `a model may have at most 256 layers, got ${layers.length}`);
  return layers.map((raw, i): LayerSpec => {
    const where = `layer ${i}`;
    if (!raw || typeof raw !== 'object') throw new GarmentError('E_MODEL_SPEC', `${where}: expected an object like { type: 'dense', units: 10 }`);
    const l = raw as Record<string, unknown>;
    switch (l.type) {
      case 'conv': {
        if (!isInt(l.filters, 1, 4096)) throw new GarmentError('E_MODEL_SPEC', `${where}: conv filters must be an integer in 1..4096, got ${show(l.filters)}`);
        if (!isInt(l.kernel, 1, 15)) throw new GarmentError('E_MODEL_SPEC', `${where}: conv kernel must be an integer in 1..15, got ${show(l.kernel)}`);
        const padding = l.padding ?? 'same';
        if (padding !== 'same' && padding !== 'valid') throw new GarmentError('E_MODEL_SPEC', `${where}: conv padding must be 'same' or 'valid', got ${show(l.padding)}`);
        if (padding === 'same' && l.kernel % 2 === 0) throw new GarmentError('E_MODEL_SPEC', `${where}: 'same' padding needs an odd kernel, got ${l.kernel}`);
        return { type: 'conv', filters: l.filters, kernel: l.kernel, padding, ...biasOption(l.bias, where), ...initOption(l.init, where) };
      }
      case 'dense':
        if (!isInt(l.units, 1, MAX_UNITS)) throw new GarmentError('E_MODEL_SPEC', `${where}: dense units must be an integer in 1..${MAX_UNITS}, got ${show(l.units)}`);
        return { type: 'dense', units: l.units, ...biasOption(l.bias, where), ...initOption(l.init, where) };
      case 'relu':
        return { type: 'relu' };
      case 'maxpool':
        if (l.size !== undefined && l.size !== 2) throw new GarmentError('E_MODEL_SPEC', `${where}: only 2x2 max pooling is supported, got size ${show(l.size)}`);
        return { type: 'maxpool', size: 2 };
      case 'dropout':
        if (typeof l.rate !== 'number' || !(l.rate >= 0 && l.rate < 1)) throw new GarmentError('E_MODEL_SPEC', `${where}: dropout rate must be in [0, 1), got ${show(l.rate)}`);
        return { type: 'dropout', rate: l.rate };
      case 'flatten':
        return { type: 'flatten' };
      case 'batchnorm': {
        const momentum = l.momentum ?? 0.1;
        const epsilon = l.epsilon ?? 1e-5;
        if (typeof momentum !== 'number' || !(momentum > 0 && momentum <= 1)) throw new GarmentError('E_MODEL_SPEC', `${where}: batchnorm momentum must be in (0, 1], got ${show(l.momentum)}`);
        if (typeof epsilon !== 'number' || !(epsilon > 0 && epsilon < 1)) throw new GarmentError('E_MODEL_SPEC', `${where}: batchnorm epsilon must be in (0, 1), got ${show(l.epsilon)}`);
        return { type: 'batchnorm', momentum, epsilon };
      }
      case 'gap':
        return { type: 'gap' };
      default:
        throw new GarmentError('E_MODEL_SPEC', `${where}: unknown layer type ${show(l.type)}; expected conv, dense, relu, maxpool, dropout, flatten, batchnorm or gap`);
    }
  });
}
