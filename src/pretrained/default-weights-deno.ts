// The bundled model's weight file for Deno: read from the plain file the package ships
// (dist/pretrained/default.gz) through Deno's own API, as default-weights-file.ts does through
// node:fs for Node and Bun. The build puts this module in place of default-weights.ts for the
// deno bundle (scripts/build.mjs).
const { Deno } = globalThis as unknown as { Deno: { readFileSync(url: URL): Uint8Array } };

export default Deno.readFileSync(new URL('../pretrained/default.gz', import.meta.url));
