/// <reference types="node" />
// The bundled model's weight file for Node, Deno and Bun: read from the plain file the package
// ships (dist/pretrained/default.gz), which loads faster than decoding embedded base64. The build
// puts this module in place of default-weights.ts for the node bundles (scripts/build.mjs).
import { readFileSync } from 'node:fs';

const file = readFileSync(new URL('../pretrained/default.gz', import.meta.url));

export default new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
