// A Cloudflare Worker (module syntax), bundled the way wrangler bundles it: `garment-wasm`
// resolves through the `workerd` condition, and the .wasm import becomes a compiled module.
// GET /smoke runs the smoke test; POST /classify classifies the 784 bytes in the body.
import * as lib from 'garment-wasm';
import wasm from 'garment-wasm/garment-simd.wasm';
import { classifyBytes, runSmoke } from './smoke-core.mjs';

let classifier;

export default {
  async fetch(request) {
    const { pathname } = new URL(request.url);
    try {
      if (pathname === '/smoke') return Response.json(await runSmoke(lib, { threads: 2, wasm }));
      if (pathname === '/classify' && request.method === 'POST') {
        classifier ??= await lib.createClassifier({ threads: 1 });
        return Response.json(await classifyBytes(lib, classifier, new Uint8Array(await request.arrayBuffer())));
      }
      return new Response('not found', { status: 404 });
    } catch (e) {
      return Response.json({ error: String(e?.stack ?? e), code: e?.code }, { status: 500 });
    }
  },
};
