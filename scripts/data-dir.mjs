// Where the project's own scripts and tests look for Fashion-MNIST: $GARMENT_DATA, then a
// `shared/data/fashion-mnist` folder beside the checkout. The library itself only knows
// GARMENT_DATA and its download cache.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function findDataDir() {
  const candidates = [process.env.GARMENT_DATA, resolve(root, '..', 'shared', 'data', 'fashion-mnist')].filter(Boolean);
  return candidates.find((d) => existsSync(join(d, 'train-labels-idx1-ubyte.gz')) || existsSync(join(d, 'train-labels-idx1-ubyte')));
}
