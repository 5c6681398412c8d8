// Figures this bench cannot measure, quoted from issue 6 for comparison: native PyTorch 1.13
// (oneDNN, AVX2, OpenBLAS) on the same kind of 2-core machine, training at batch 64. They were
// measured at another time, so ratios against them are indicative only.
export const PYTORCH_TRAINING = [
  { preset: 'seed-cnn', threads: 1, imagesPerSecond: 2600, layout: 'default' },
  { preset: 'seed-cnn', threads: 2, imagesPerSecond: 3700, layout: 'default' },
  { preset: 'cnn', threads: 1, imagesPerSecond: 1500, layout: 'default' },
  { preset: 'cnn', threads: 2, imagesPerSecond: 2500, layout: 'default' },
  { preset: 'cnn', threads: 1, imagesPerSecond: 2070, layout: 'channels-last' },
  { preset: 'cnn', threads: 2, imagesPerSecond: 3780, layout: 'channels-last' },
];

/** Issue 6's targets, checked against this run's figures by the report. */
export const TARGETS = {
  trainVsPyTorch: { 'seed-cnn': 1.5, cnn: 1.0 },
  trainVsTfjsCpu: 100,
  inferVsOrtWeb: 1.5,
  inferVsTfjsWasm: 1.5,
  latencyVsOrtNode: 1.0, // on mlp and seed-cnn
  latencyVsOrtWeb: 0.5, // on every preset
  gemmFraction: 0.7,
  convFraction: 0.5,
  coldStartMs: 30,
  trainingRssMB: 200,
};
