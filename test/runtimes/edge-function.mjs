// A Vercel Edge Function, bundled the way Vercel and Next.js bundle one: `garment-wasm` resolves
// through the `edge-light` condition and the `.wasm?module` import becomes a binding to a module
// compiled by the host. Served by `edge-runtime` with wasm code generation switched off, as in
// production. GET /smoke runs the smoke test; POST /classify classifies the 784 bytes in the body.
import * as lib from 'garment-wasm';
import wasm from 'garment-wasm/garment-simd.wasm?module';
import { classifyBytes, runSmoke } from './smoke-core.mjs';

let classifier;

async function handle(request) {
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
}

addEventListener('fetch', (event) => event.respondWith(handle(event.request)));
