// Internal modules, bundled for the project's own tests and scripts. Not part of the public API
// and not published.
export { GarmentError } from './errors.ts';
export { gunzipCapped, isGzip } from './io/gunzip.ts';
export { storedGunzip } from './io/gunzip-stored.ts';
export { readWeightFile } from './io/weights-read.ts';
export { parseIdx, parseIdxImages, parseIdxLabels, encodeIdx, IDX_MAX_BYTES } from './data/idx.ts';
export { parseCsv } from './data/csv.ts';
export { downloadFile, sha256Hex } from './data/download.ts';
export { loadFashionMNIST, FASHION_MNIST_FILES, FASHION_MNIST_MIRRORS } from './data/fashion-mnist.ts';
export {
  decodeWeights,
  encodeWeights,
  MAX_PAYLOAD_BYTES,
  WEIGHTS_VERSION,
  type EncodeWeightsOptions,
  type WeightDtype,
  type WeightFile,
  type WeightInput,
  type WeightTensor,
} from './io/weights.ts';
export { crc32 } from './io/crc32.ts';
export { float16ToFloat32, float32ToFloat16, fromFloat16Bits, toFloat16Bits } from './io/float16.ts';
export { channelCount, dequantizeInt8, quantizeInt8, roundHalfEven, type QuantizedInt8 } from './io/quantize.ts';
export {
  buildReport,
  confusionMatrix,
  formatReport,
  type AveragedMetrics,
  type ClassMetrics,
  type EvaluationReport,
} from './train/metrics.ts';
export { Engine, WASM_ABI } from './engine/engine.ts';
export { loadModule } from './engine/module.ts';
export { CONV_DESC, DENSE_DESC, GEMM_DESC, ADAM_DESC, writeDesc } from './engine/descriptors.ts';
export { Network } from './model/network.ts';
export { inferLayout } from './model/layout.ts';
export { validateLayers } from './model/spec.ts';
export { presetLayers } from './model/presets.ts';
export { Rng, mix32 } from './model/random.ts';
export { toPixels } from './input.ts';
export { networkOf } from './classifier.ts';
export { learningRateAt, checkSchedule } from './train/schedule.ts';
export { foldBatchNorm } from './model/fold.ts';
export { enableTraining, trainBatch, restoreSnapshot } from './train/batch.ts';
export { crashWorker } from './threads/fault.ts';
