// The built-in architectures (presets). Loaded only when a fresh network is created by name:
// an app that loads saved weights never downloads them.
import { GarmentError, show } from '../errors.ts';
import { type LayerSpec, type PresetName, PRESET_NAMES } from './spec.ts';

/** conv 3x3 (no bias) -> batch norm -> ReLU. */
const convBlock = (filters: number): LayerSpec[] => [
  { type: 'conv', filters, kernel: 3, padding: 'same', bias: false },
  { type: 'batchnorm' },
  { type: 'relu' },
];

const PRESETS: Record<PresetName, (classes: number) => LayerSpec[]> = {
  // The notebooks' multilayer perceptron: 784 -> 128 -> 64 -> classes.
  mlp: (classes) => [
    { type: 'flatten' },
    { type: 'dense', units: 128 },
    { type: 'relu' },
    { type: 'dense', units: 64 },
    { type: 'relu' },
    { type: 'dense', units: classes },
  ],
  // The Keras notebook's small CNN, initialised as Keras does (Glorot-uniform).
  'seed-cnn': (classes) => [
    { type: 'conv', filters: 32, kernel: 3, padding: 'valid', init: 'glorot' },
    { type: 'relu' },
    { type: 'maxpool' },
    { type: 'flatten' },
    { type: 'dense', units: 32, init: 'glorot' },
    { type: 'relu' },
    { type: 'dropout', rate: 0.3 },
    { type: 'dense', units: classes, init: 'glorot' },
  ],
  // Two convolution blocks.
  cnn: (classes) => [
    { type: 'conv', filters: 32, kernel: 3, padding: 'same' },
    { type: 'relu' },
    { type: 'maxpool' },
    { type: 'conv', filters: 64, kernel: 3, padding: 'same' },
    { type: 'relu' },
    { type: 'maxpool' },
    { type: 'flatten' },
    { type: 'dense', units: 128 },
    { type: 'relu' },
    { type: 'dropout', rate: 0.3 },
    { type: 'dense', units: classes },
  ],
  // The bundled model's architecture, built for accuracy per CPU-minute: four 3x3 conv/batch-norm
  // blocks (the 14x14 and 7x7 ones run as Winograd convolutions), ~141K parameters.
  default: (classes) => [
    ...convBlock(32),
    { type: 'maxpool' },
    ...convBlock(64),
    ...convBlock(64),
    { type: 'maxpool' },
    ...convBlock(128),
    { type: 'maxpool' },
    { type: 'flatten' },
    { type: 'dense', units: classes },
  ],
};

export function presetLayers(name: string, classes: number): LayerSpec[] {
  const make = (PRESETS as Record<string, ((classes: number) => LayerSpec[]) | undefined>)[name];
  if (!make || !Object.prototype.hasOwnProperty.call(PRESETS, name)) {
    throw new GarmentError('E_MODEL_UNKNOWN', `unknown model ${show(name)}: expected one of ${PRESET_NAMES.join(', ')}, or a layer list`);
  }
  return make(classes);
}
