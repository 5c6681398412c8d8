// Turns what users pass to predict() into 8-bit 28x28 images, checking everything on the way:
// the kernels only ever see well-formed pixels.
import { GarmentError, show } from './errors.ts';
import { IMAGE_PIXELS, IMAGE_SIDE } from './types.ts';
// Photo preprocessing (src/preprocess) loads only when an image that is not 28x28 arrives.
type Preprocess = (img: ImageDataLike, what: string) => Uint8Array;

/** 784 grayscale pixels: bytes 0..255, or floats 0..1 (quantised to 8 bits like the training data). */
export type Pixels = Uint8Array | Uint8ClampedArray | Float32Array | Float64Array | readonly number[];

/**
 * An image like the DOM's ImageData: RGBA, RGB or gray bytes, row-major. 28x28 is used as it is;
 * any other size is preprocessed like Fashion-MNIST (background trimmed, fitted, centred, negated).
 */
export interface ImageDataLike {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
}

/** One image. */
export type ImageInput = Pixels | ImageDataLike;

/** Several images: an array of images, or one flat typed array of `count * 784` pixels. */
export type BatchInput = readonly ImageInput[] | Uint8Array | Uint8ClampedArray | Float32Array;

function isPixelArray(x: unknown): x is Pixels {
  return (
    x instanceof Uint8Array || x instanceof Uint8ClampedArray || x instanceof Float32Array ||
    x instanceof Float64Array || (Array.isArray(x) && (x.length === 0 || typeof x[0] === 'number'))
  );
}

function isImageDataLike(x: unknown): x is ImageDataLike {
  return !!x && typeof x === 'object' && 'data' in x && 'width' in x && 'height' in x;
}

/** Whether `x` is several images (an array of images, or a flat typed array longer than one image). */
export function isBatch(x: unknown): boolean {
  if (Array.isArray(x)) return x.length > 0 && typeof x[0] !== 'number';
  if (ArrayBuffer.isView(x)) return (x as Uint8Array).length !== IMAGE_PIXELS;
  return false;
}

/** Whether `x` is an image of another size than 28x28, which needs preprocessing. */
const isPhoto = (x: unknown): boolean => isImageDataLike(x) && (x.width !== IMAGE_SIDE || x.height !== IMAGE_SIDE);

/** Converts one or many images into `count * 784` bytes. */
export async function toPixels(x: unknown): Promise<{ pixels: Uint8Array; count: number }> {
  const photos = Array.isArray(x) ? x.some(isPhoto) : isPhoto(x);
  const preprocess = photos ? (await import('./preprocess/index.ts')).preprocessImage : undefined;
  return toPixelsWith(x, preprocess);
}

function toPixelsWith(x: unknown, preprocess?: Preprocess): { pixels: Uint8Array; count: number } {
  const onePixels = (img: unknown, what: string) => onePixelsWith(img, what, preprocess);
  if (isBatch(x)) {
    if (Array.isArray(x)) {
      const out = new Uint8Array(x.length * IMAGE_PIXELS);
      x.forEach((img, i) => out.set(onePixels(img, `image ${i}`), i * IMAGE_PIXELS));
      return { pixels: out, count: x.length };
    }
    const arr = x as Pixels;
    if (arr.length === 0) throw new GarmentError('E_EMPTY_BATCH', 'the batch holds no images');
    if (arr.length % IMAGE_PIXELS !== 0) {
      throw new GarmentError('E_INPUT_SHAPE', `a flat batch must hold a multiple of ${IMAGE_PIXELS} pixels (28x28 per image), got ${arr.length}`);
    }
    return { pixels: bytesFrom(arr, 'batch'), count: arr.length / IMAGE_PIXELS };
  }
  if (Array.isArray(x) && x.length === 0) throw new GarmentError('E_EMPTY_BATCH', 'the batch holds no images');
  return { pixels: onePixels(x, 'image'), count: 1 };
}

function onePixelsWith(x: unknown, what: string, preprocess?: Preprocess): Uint8Array {
  if (isPixelArray(x)) {
    if (x.length !== IMAGE_PIXELS) {
      throw new GarmentError('E_INPUT_SHAPE', `${what}: expected ${IMAGE_PIXELS} pixels (28x28 grayscale), got ${x.length}`);
    }
    return bytesFrom(x, what);
  }
  if (isImageDataLike(x)) return fromImageData(x, what, preprocess);
  throw new GarmentError('E_INPUT_SHAPE', `${what}: expected 784 pixels (Uint8Array, Uint8ClampedArray, Float32Array, number[]) or { data, width, height }, got ${describe(x)}`);
}

function bytesFrom(x: Pixels, what: string): Uint8Array {
  if (x instanceof Uint8Array) return x;
  if (x instanceof Uint8ClampedArray) return new Uint8Array(x.buffer, x.byteOffset, x.length);
  const out = new Uint8Array(x.length);
  const isFloat = x instanceof Float32Array || x instanceof Float64Array;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new GarmentError('E_INPUT_VALUE', `${what}: pixel ${i} is ${show(v)}; pixels must be finite numbers`);
    }
    if (isFloat) {
      if (v < 0 || v > 1) throw new GarmentError('E_INPUT_VALUE', `${what}: float pixel ${i} is ${v}; float pixels must be in [0, 1] (divide 0..255 values by 255)`);
      out[i] = Math.round(v * 255);
    } else {
      if (v < 0 || v > 255 || !Number.isInteger(v)) throw new GarmentError('E_INPUT_VALUE', `${what}: pixel ${i} is ${v}; number pixels must be integers in 0..255`);
      out[i] = v;
    }
  }
  return out;
}

function fromImageData(img: ImageDataLike, what: string, preprocess?: Preprocess): Uint8Array {
  const { data, width, height } = img;
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) {
    throw new GarmentError('E_INPUT_SHAPE', `${what}: image data must be a Uint8Array or Uint8ClampedArray`);
  }
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new GarmentError('E_INPUT_SHAPE', `${what}: width and height must be positive integers, got ${show(width)}x${show(height)}`);
  }
  const px = width * height;
  const channels = data.length / px;
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new GarmentError('E_INPUT_SHAPE', `${what}: ${data.length} bytes do not make a ${width}x${height} gray, RGB or RGBA image`);
  }
  // Any other size is a photo: trimmed, fitted, centred and negated like Fashion-MNIST (src/preprocess).
  if (width !== IMAGE_SIDE || height !== IMAGE_SIDE) return preprocess!(img, what);
  if (channels === 1) return new Uint8Array(data.buffer, data.byteOffset, px);
  const out = new Uint8Array(px);
  for (let i = 0; i < px; i++) {
    const o = i * channels;
    // ITU-R BT.601 luma in integers: exact everywhere.
    out[i] = Math.floor((299 * data[o] + 587 * data[o + 1] + 114 * data[o + 2] + 500) / 1000);
  }
  return out;
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array of ${x.length}`;
  if (ArrayBuffer.isView(x)) return `${x.constructor.name} of ${(x as Uint8Array).length}`;
  return typeof x;
}
