// 28x28 gray images as PNG data URIs, made at run time from the user's own data.
import { encode } from 'fast-png';

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** A gray image (`width * height` bytes) as a `data:image/png;base64,...` URI. */
export function pngDataUri(pixels: Uint8Array, width = 28, height = 28): string {
  return `data:image/png;base64,${base64(encode({ width, height, data: pixels, channels: 1, depth: 8 }))}`;
}
