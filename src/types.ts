/** A set of 28x28 grayscale images with their class indices. */
export interface Dataset {
  /** `count * 784` pixels, row-major, 0 (background) to 255 (garment). */
  images: Uint8Array;
  /** One class index per image. */
  labels: Uint8Array;
  count: number;
}

/** The Fashion-MNIST training and test sets. */
export interface FashionMNIST {
  train: Dataset;
  test: Dataset;
}

/** The ten Fashion-MNIST classes, in label order. */
export const FASHION_MNIST_LABELS: readonly string[] = /* @__PURE__ */ Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

export const IMAGE_SIDE = 28;
export const IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE;
