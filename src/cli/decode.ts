// PNG and JPEG files to { data, width, height } (gray, RGB or RGBA bytes). The decoders are small
// pure-JS packages bundled into the CLI only; the library itself never decodes files (browsers use
// their own decoders).
import { convertIndexedToRgb, decode as decodePng } from 'fast-png';
import decodeJpeg from 'jpeg-js/lib/decoder.js';
import { CliError } from './args.ts';

export interface DecodedImage {
  data: Uint8Array;
  width: number;
  height: number;
}

const isPng = (b: Uint8Array) => b.length > 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
const isJpeg = (b: Uint8Array) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/** Decodes a PNG or JPEG (recognised by content, not by name). */
export function decodeImage(bytes: Uint8Array, name: string): DecodedImage {
  if (!isPng(bytes) && !isJpeg(bytes)) throw new CliError(`${name}: not a PNG or JPEG file`);
  try {
    return isPng(bytes) ? fromPng(bytes) : fromJpeg(bytes);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`${name}: cannot decode the image (${(e as Error).message})`, { cause: e });
  }
}

function fromPng(bytes: Uint8Array): DecodedImage {
  const png = decodePng(bytes);
  const { width, height } = png;
  const n = width * height;
  if (png.palette) {
    const rgb = convertIndexedToRgb(png);
    return { data: rgb, width, height };
  }
  let channels = png.channels;
  let data: Uint8Array;
  if (png.depth === 16) {
    data = new Uint8Array(n * channels);
    for (let i = 0; i < data.length; i++) data[i] = (png.data as Uint16Array)[i] >> 8;
  } else if (png.depth < 8) {
    data = unpackBits(png.data as Uint8Array, width, height, png.depth);
  } else {
    data = png.data instanceof Uint8Array ? png.data : new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length);
  }
  if (channels === 2) {
    // gray + alpha: expand to RGBA
    const out = new Uint8Array(n * 4);
    for (let i = 0; i < n; i++) {
      out[i * 4] = out[i * 4 + 1] = out[i * 4 + 2] = data[i * 2];
      out[i * 4 + 3] = data[i * 2 + 1];
    }
    data = out;
    channels = 4;
  }
  return { data, width, height };
}

/** Gray at 1, 2 or 4 bits per pixel (rows padded to whole bytes) to 0..255. */
function unpackBits(packed: Uint8Array, width: number, height: number, depth: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const max = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const byte = packed[y * rowBytes + (bit >> 3)];
      const v = (byte >> (8 - depth - (bit & 7))) & max;
      out[y * width + x] = Math.floor((v * 255) / max);
    }
  }
  return out;
}

function fromJpeg(bytes: Uint8Array): DecodedImage {
  const img = decodeJpeg(bytes, { useTArray: true, formatAsRGBA: false });
  return orient({ data: img.data, width: img.width, height: img.height }, exifOrientation(img.exifBuffer));
}

/** The EXIF orientation tag (1..8), or 1. `exif` is the APP1 payload after "Exif\0". */
export function exifOrientation(exif: Uint8Array | undefined): number {
  if (!exif) return 1;
  const start = exif[0] === 0 ? 1 : 0; // jpeg-js keeps the pad byte of "Exif\0\0"
  const view = new DataView(exif.buffer, exif.byteOffset + start, exif.length - start);
  if (view.byteLength < 8) return 1;
  const order = view.getUint16(0);
  if (order !== 0x4949 && order !== 0x4d4d) return 1;
  const le = order === 0x4949;
  const ifd = view.getUint32(4, le);
  if (ifd + 2 > view.byteLength) return 1;
  const count = view.getUint16(ifd, le);
  for (let i = 0; i < count; i++) {
    const at = ifd + 2 + i * 12;
    if (at + 12 > view.byteLength) return 1;
    if (view.getUint16(at, le) === 0x0112) {
      const v = view.getUint16(at + 8, le);
      return v >= 1 && v <= 8 ? v : 1;
    }
  }
  return 1;
}

/** Turns an RGB image upright according to its EXIF orientation. */
export function orient(img: DecodedImage, orientation: number): DecodedImage {
  if (orientation === 1) return img;
  const { width: w, height: h, data } = img;
  const swap = orientation >= 5;
  const ow = swap ? h : w;
  const oh = swap ? w : h;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let sx: number, sy: number;
      switch (orientation) {
        case 2: sx = w - 1 - x; sy = y; break;
        case 3: sx = w - 1 - x; sy = h - 1 - y; break;
        case 4: sx = x; sy = h - 1 - y; break;
        case 5: sx = y; sy = x; break;
        case 6: sx = y; sy = h - 1 - x; break;
        case 7: sx = w - 1 - y; sy = h - 1 - x; break;
        default: sx = w - 1 - y; sy = x; break; // 8
      }
      const o = (y * ow + x) * 3;
      const s = (sy * w + sx) * 3;
      out[o] = data[s];
      out[o + 1] = data[s + 1];
      out[o + 2] = data[s + 2];
    }
  }
  return { data: out, width: ow, height: oh };
}
