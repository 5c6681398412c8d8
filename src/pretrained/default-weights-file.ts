/// <reference types="node" />
// The bundled model's weight file for Node, Deno and Bun: read from the plain file the package
// ships (dist/pretrained/default.gz), which loads faster than decoding embedded base64. The build
// puts this module in place of default-weights.ts for the node bundles (scripts/build.mjs).
// node:fs through require, as in src/platform/node.ts: an ESM import of it loads node:stream.
import { createRequire } from 'node:module';

const { readFileSync } = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
const file = readFileSync(new URL('../pretrained/default.gz', import.meta.url));

export default new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
