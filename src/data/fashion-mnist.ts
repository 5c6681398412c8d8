// Finds, downloads and parses the four Fashion-MNIST IDX files. Checksums are of the decompressed
// content: mirrors re-compress the same bytes differently, so a .gz checksum would reject good copies.
import { platform } from '#platform';
import { GarmentError } from '../errors.ts';
import { isGzip } from '../io/gunzip-magic.ts';
import { inflateCapped } from '../io/inflate.ts';
import { IMAGE_PIXELS, type Dataset, type FashionMNIST } from '../types.ts';
import { downloadFile, sha256Hex, type DownloadProgress } from './download.ts';
import { IDX_MAX_BYTES, parseIdxImages, parseIdxLabels } from './idx.ts';

/** The role of each of the four files. */
export type FashionMNISTFileKey = 'trainImages' | 'trainLabels' | 'testImages' | 'testLabels';

/** One data file: its name, the SHA-256 of its decompressed content and that content's size. */
export interface DataFile {
  name: string;
  sha256: string;
  size?: number;
}

/** The canonical Fashion-MNIST files (Xiao, Rasul, Vollgraf 2017, MIT license). */
export const FASHION_MNIST_FILES: Readonly<Record<FashionMNISTFileKey, Readonly<DataFile>>> = /* @__PURE__ */ Object.freeze({
  trainImages: /* @__PURE__ */ Object.freeze({
    name: 'train-images-idx3-ubyte.gz',
    sha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
    size: 47040016,
  }),
  trainLabels: /* @__PURE__ */ Object.freeze({
    name: 'train-labels-idx1-ubyte.gz',
    sha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
    size: 60008,
  }),
  testImages: /* @__PURE__ */ Object.freeze({
    name: 't10k-images-idx3-ubyte.gz',
    sha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
    size: 7840016,
  }),
  testLabels: /* @__PURE__ */ Object.freeze({
    name: 't10k-labels-idx1-ubyte.gz',
    sha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
    size: 10008,
  }),
});

/** Public copies of the files, tried in order. */
export const FASHION_MNIST_MIRRORS: readonly string[] = /* @__PURE__ */ Object.freeze([
  'https://storage.googleapis.com/tensorflow/tf-keras-datasets/',
  'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
  // S3 website endpoints serve plain HTTP only, so this one comes last.
  'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
]);

/** Options for {@link loadFashionMNIST}. */
export interface LoadFashionMNISTOptions {
  /** A folder (a base URL in browsers) with the four files, gzipped or not; no other place is searched. */
  dir?: string;
  /** Download missing files into the cache (or into memory where there is no cache). Default false. */
  download?: boolean;
  /** Where downloads are kept. Default: `fashion-mnist` in the platform's cache folder. */
  cacheDir?: string;
  /** Base URLs to download from, tried in order. Default {@link FASHION_MNIST_MIRRORS}. */
  mirrors?: readonly string[];
  /** Other names or checksums per file; a changed name or checksum drops the default size. */
  files?: Partial<Record<FashionMNISTFileKey, Partial<DataFile>>>;
  /** Check the SHA-256 of files found on disk too (downloads are always checked). Default false. */
  verify?: boolean;
  /** The fetch to download with. Default the global one. */
  fetch?: typeof fetch;
  /** Give up on a mirror after this long without data. Default 30 000 ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
}

const KEYS: readonly FashionMNISTFileKey[] = ['trainImages', 'trainLabels', 'testImages', 'testLabels'];
const CLASSES = 10;

type Files = Record<FashionMNISTFileKey, DataFile>;
type Found = { paths: Partial<Record<FashionMNISTFileKey, string>>; missing: string[] };

/**
 * Loads Fashion-MNIST. Without `dir`, it looks in the folder named by the GARMENT_DATA environment
 * variable, then in the cache, then (with `download: true`) downloads the missing files into the cache.
 */
export async function loadFashionMNIST(options: LoadFashionMNISTOptions = {}): Promise<FashionMNIST> {
  const files = resolveFiles(options);
  for (const key of ['dir', 'cacheDir'] as const) {
    const v = options[key];
    if (v !== undefined && (typeof v !== 'string' || v === '')) {
      throw new GarmentError('E_OPTION', `loadFashionMNIST: ${key} must be a non-empty string`);
    }
  }
  const verify = options.verify ?? false;

  if (options.dir !== undefined) {
    const found = await findFiles(options.dir, files);
    if (found.missing.length > 0) throw notFound([place(options.dir, 'the dir option', found)], files);
    return load(await readFiles(found, files), files, verify);
  }

  const looked: string[] = [];
  const envDir = platform.env('GARMENT_DATA');
  if (envDir) {
    const found = await findFiles(envDir, files);
    if (found.missing.length === 0) return load(await readFiles(found, files), files, verify);
    looked.push(place(envDir, 'GARMENT_DATA', found));
  } else {
    looked.push('GARMENT_DATA is not set');
  }

  const root = platform.defaultCacheDir();
  const defaultCache = root === undefined ? undefined : platform.joinPath(root, 'fashion-mnist');
  const cacheDir = options.cacheDir ?? defaultCache;
  let cached: Found = { paths: {}, missing: KEYS.map((k) => files[k].name) };
  if (cacheDir !== undefined) {
    cached = await findFiles(cacheDir, files);
    if (cached.missing.length === 0) return load(await readFiles(cached, files), files, verify);
    looked.push(place(cacheDir, 'the cache', cached));
  } else {
    looked.push('no cache folder on this platform');
  }
  if (!options.download) throw notFound(looked, files);

  // Download what the cache lacks, all at once; wait for every download to settle before failing so
  // that nothing is still writing into the cache once the promise has rejected.
  const mirrors = options.mirrors ?? FASHION_MNIST_MIRRORS;
  const results = await Promise.allSettled(
    KEYS.map(async (key) => {
      const path = cached.paths[key];
      if (path !== undefined) return platform.readFile(path);
      const file = files[key];
      const got = await downloadFile({
        name: file.name,
        mirrors,
        sha256: file.sha256,
        size: file.size,
        dest: cacheDir === undefined ? undefined : platform.joinPath(cacheDir, file.name),
        fetch: options.fetch,
        timeoutMs: options.timeoutMs,
        signal: options.signal,
        onProgress: options.onProgress,
      });
      return got.content;
    }),
  );
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  const contents = results.map((r) => (r as PromiseFulfilledResult<Uint8Array>).value);
  return load(contents, files, verify);
}

function resolveFiles(options: LoadFashionMNISTOptions): Files {
  const out = {} as Files;
  for (const key of KEYS) {
    const base = FASHION_MNIST_FILES[key];
    const o = options.files?.[key] ?? {};
    const changed = o.name !== undefined || o.sha256 !== undefined;
    const file: DataFile = { name: o.name ?? base.name, sha256: o.sha256 ?? base.sha256 };
    const size = o.size ?? (changed ? undefined : base.size);
    if (size !== undefined) file.size = size;
    if (typeof file.name !== 'string' || file.name === '' || /[\\/]/.test(file.name)) {
      throw new GarmentError('E_OPTION', `loadFashionMNIST: files.${key}.name must be a plain file name`);
    }
    if (typeof file.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(file.sha256)) {
      throw new GarmentError('E_OPTION', `loadFashionMNIST: files.${key}.sha256 must be 64 hex digits`);
    }
    out[key] = file;
  }
  return out;
}

// The gzipped name and the plain one are both accepted, whichever the folder holds.
function candidates(name: string): string[] {
  return name.endsWith('.gz') ? [name, name.slice(0, -3)] : [name, `${name}.gz`];
}

async function findFiles(dir: string, files: Files): Promise<Found> {
  const found: Found = { paths: {}, missing: [] };
  for (const key of KEYS) {
    let hit: string | undefined;
    for (const name of candidates(files[key].name)) {
      const path = platform.joinPath(dir, name);
      if (await platform.fileExists(path)) {
        hit = path;
        break;
      }
    }
    if (hit !== undefined) found.paths[key] = hit;
    else found.missing.push(files[key].name);
  }
  return found;
}

function readFiles(found: Found, files: Files): Promise<Uint8Array[]> {
  return Promise.all(KEYS.map((key) => platform.readFile(found.paths[key] ?? files[key].name)));
}

function place(dir: string, source: string, found: Found): string {
  const none = found.missing.length === KEYS.length;
  return `${dir} (${source}): ${none ? 'none of the four files' : `missing ${found.missing.join(', ')}`}`;
}

function notFound(looked: string[], files: Files): GarmentError {
  const names = KEYS.map((k) => files[k].name).join(', ');
  return new GarmentError(
    'E_DATA_NOT_FOUND',
    `Fashion-MNIST data not found. Looked in:\n${looked.map((l) => `  - ${l}\n`).join('')}` +
      `To get the data, set GARMENT_DATA to a folder holding ${names} (gzipped or not), ` +
      'pass { dir } to loadFashionMNIST, or pass { download: true } to download them into the cache.',
  );
}

// `contents` are the four files in KEYS order, gzipped or not.
async function load(contents: Uint8Array[], files: Files, verify: boolean): Promise<FashionMNIST> {
  const raw = await Promise.all(contents.map((bytes, i) => {
    const file = files[KEYS[i]];
    if (!isGzip(bytes)) return bytes;
    return inflateCapped(bytes, Math.max(IDX_MAX_BYTES, file.size ?? 0), 'E_IDX_FORMAT', file.name).then((r) => r.bytes);
  }));
  if (verify) {
    for (let i = 0; i < KEYS.length; i++) {
      const file = files[KEYS[i]];
      if (file.size !== undefined && raw[i].length !== file.size) {
        const message = `${file.name}: expected ${file.size} bytes of content, found ${raw[i].length}`;
        throw new GarmentError('E_CHECKSUM', message);
      }
      const actual = await sha256Hex(raw[i]);
      if (actual !== file.sha256.toLowerCase()) {
        throw new GarmentError('E_CHECKSUM', `${file.name}: sha256 ${actual}, expected ${file.sha256}`);
      }
    }
  }
  return {
    train: dataset(raw[0], raw[1], files.trainImages.name, files.trainLabels.name),
    test: dataset(raw[2], raw[3], files.testImages.name, files.testLabels.name),
  };
}

function dataset(imageFile: Uint8Array, labelFile: Uint8Array, imageName: string, labelName: string) {
  const images = parseIdxImages(imageFile, imageName);
  const labels = parseIdxLabels(labelFile, labelName);
  const count = labels.length;
  if (images.length !== count * IMAGE_PIXELS) {
    const found = `${images.length / IMAGE_PIXELS} images but ${labelName} holds ${count} labels`;
    throw new GarmentError('E_IDX_FORMAT', `${imageName} holds ${found}; expected as many images as labels`);
  }
  for (let i = 0; i < count; i++) {
    if (labels[i] >= CLASSES) {
      const message = `${labelName}: label ${labels[i]} at index ${i} is outside 0..${CLASSES - 1}`;
      throw new GarmentError('E_LABEL_RANGE', message);
    }
  }
  return { images, labels, count } satisfies Dataset;
}
