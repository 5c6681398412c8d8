// Checks datasets before anything reaches wasm: sizes, lengths and label ranges.
import { GarmentError, show } from '../errors.ts';
import { IMAGE_PIXELS, type Dataset } from '../types.ts';

export function checkDataset(ds: unknown, classes: number, what: string): Dataset {
  if (!ds || typeof ds !== 'object') throw new GarmentError('E_OPTION', `${what}: expected { images, labels, count }, got ${ds === null ? 'null' : typeof ds}`);
  const { images, labels, count } = ds as Partial<Dataset>;
  if (!(images instanceof Uint8Array)) throw new GarmentError('E_OPTION', `${what}: images must be a Uint8Array of count * 784 pixels`);
  if (!(labels instanceof Uint8Array)) throw new GarmentError('E_OPTION', `${what}: labels must be a Uint8Array with one class index per image`);
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    throw new GarmentError('E_OPTION', `${what}: count must be a non-negative integer, got ${show(count)}`);
  }
  if (count === 0) throw new GarmentError('E_EMPTY_BATCH', `${what}: the dataset holds no images`);
  if (images.length !== count * IMAGE_PIXELS) {
    throw new GarmentError('E_INPUT_SHAPE', `${what}: ${count} images need ${count * IMAGE_PIXELS} pixels (784 each), got ${images.length}`);
  }
  if (labels.length !== count) throw new GarmentError('E_INPUT_SHAPE', `${what}: ${count} images need ${count} labels, got ${labels.length}`);
  for (let i = 0; i < count; i++) {
    if (labels[i] >= classes) {
      throw new GarmentError('E_LABEL_RANGE', `${what}: label ${labels[i]} of image ${i} is outside 0..${classes - 1} (${classes} classes)`);
    }
  }
  return { images, labels, count };
}
