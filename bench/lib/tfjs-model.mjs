// The same network in TF.js, with the same weights: garment-wasm's layouts are TF.js's (NHWC
// activations, conv kernels HWIO [K, K, C, F], dense kernels [in, out], flatten in NHWC order),
// so every tensor is copied as is.

/** Builds a tf.Sequential from a decoded weight file ({ model: { layers }, tensors, input }). */
export function buildModel(tf, file) {
  const layers = file.model.layers;
  const byName = new Map(file.tensors.map((t) => [t.name, t]));
  const { height, width, channels } = file.input;
  const model = tf.sequential();
  let first = true;
  let flat = false;
  const pending = [];
  const add = (layer, index) => {
    model.add(layer);
    if (index !== undefined) pending.push([layer, index]);
  };
  const inputShape = () => (first ? { inputShape: [height, width, channels] } : {});
  layers.forEach((spec, index) => {
    switch (spec.type) {
      case 'conv':
        add(tf.layers.conv2d({
          ...inputShape(), filters: spec.filters, kernelSize: spec.kernel, padding: spec.padding ?? 'same', useBias: spec.bias !== false,
        }), index);
        break;
      case 'dense':
        if (!flat) add(tf.layers.flatten(inputShape()));
        flat = true;
        first = false;
        add(tf.layers.dense({ units: spec.units, useBias: spec.bias !== false }), index);
        break;
      case 'relu':
        add(tf.layers.reLU(inputShape()));
        break;
      case 'maxpool':
        add(tf.layers.maxPooling2d({ ...inputShape(), poolSize: 2, strides: 2, padding: 'valid' }));
        break;
      case 'dropout':
        add(tf.layers.dropout({ ...inputShape(), rate: spec.rate }));
        break;
      case 'flatten':
        add(tf.layers.flatten(inputShape()));
        flat = true;
        break;
      case 'batchnorm':
        // TF.js's momentum is the weight of the old average; garment-wasm's (PyTorch's) the new batch's.
        add(tf.layers.batchNormalization({
          ...inputShape(), axis: -1, epsilon: spec.epsilon ?? 1e-5, momentum: 1 - (spec.momentum ?? 0.1),
        }), index);
        break;
      case 'gap':
        add(tf.layers.globalAveragePooling2d(inputShape()));
        flat = true;
        break;
      default:
        throw new Error(`TF.js model: no mapping for layer type ${spec.type}`);
    }
    first = false;
  });
  const names = {
    conv: ['weight', 'bias'], dense: ['weight', 'bias'], batchnorm: ['gamma', 'beta', 'running_mean', 'running_var'],
  };
  for (const [layer, index] of pending) {
    const ts = names[layers[index].type].map((n) => byName.get(`${index}.${n}`)).filter(Boolean);
    layer.setWeights(ts.map((t) => tf.tensor(t.data, t.shape)));
  }
  return model;
}

/** Pixels (bytes) to the network's input, as garment-wasm normalises them: pixel * scale + shift. */
export function normalise(images, { scale, shift }) {
  const out = new Float32Array(images.length);
  for (let i = 0; i < images.length; i++) out[i] = Math.fround(Math.fround(images[i] * scale) + shift);
  return out;
}
