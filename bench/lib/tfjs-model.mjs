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
        add(tf.layers.conv2d({ ...inputShape(), filters: spec.filters, kernelSize: spec.kernel, padding: spec.padding ?? 'same', useBias: true }), index);
        break;
      case 'dense':
        if (!flat) add(tf.layers.flatten(inputShape()));
        flat = true;
        first = false;
        add(tf.layers.dense({ units: spec.units, useBias: true }), index);
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
      default:
        throw new Error(`TF.js model: no mapping for layer type ${spec.type}`);
    }
    first = false;
  });
  for (const [layer, index] of pending) {
    const w = byName.get(`${index}.weight`), b = byName.get(`${index}.bias`);
    layer.setWeights([tf.tensor(w.data, w.shape), tf.tensor(b.data, b.shape)]);
  }
  return model;
}

/** Pixels (bytes) to the network's input, as garment-wasm normalises them: pixel * scale + shift. */
export function normalise(images, { scale, shift }) {
  const out = new Float32Array(images.length);
  for (let i = 0; i < images.length; i++) out[i] = Math.fround(Math.fround(images[i] * scale) + shift);
  return out;
}
