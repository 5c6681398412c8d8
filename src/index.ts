// The public API, and nothing else.
export { createClassifier, train, predict, Classifier } from './classifier.ts';
export type { ClassifierOptions, Prediction, SaveOptions } from './classifier.ts';
export { GarmentError, isGarmentError } from './errors.ts';
export type { GarmentErrorCode } from './errors.ts';
export { loadFashionMNIST } from './data/fashion-mnist.ts';
export { parseIdx } from './data/idx.ts';
export { parseCsv } from './data/csv.ts';
export { formatReport } from './train/metrics.ts';
export type { EvaluationReport } from './train/metrics.ts';
export type { TrainOptions, TrainProgress, TrainHistory, EpochSummary } from './train/train.ts';
export type { LayerSpec, PresetName } from './model/spec.ts';
export { PRESET_NAMES } from './model/spec.ts';
export type { ImageInput, BatchInput, Pixels, ImageDataLike } from './input.ts';
export type { WasmSource } from './engine/module.ts';
export { FASHION_MNIST_LABELS } from './types.ts';
export type { Dataset, FashionMNIST } from './types.ts';
