#!/usr/bin/env node
// Serves the built demo (examples/web/dist) on 127.0.0.1 with the headers that make the page
// cross-origin isolated (COOP/COEP), so the library can use worker threads over shared memory.
//
//   npm run build && node examples/web/serve.mjs [port]      then open http://127.0.0.1:8080/
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.png': 'image/png', '.json': 'application/json' };

/**
 * Starts the server; resolves with it and its URL once it listens. `port` 0 picks a free one;
 * `headers` go on every response (e.g. a Content-Security-Policy, as test/csp.test.mjs sends).
 */
export function serve({ root = fileURLToPath(new URL('./dist/', import.meta.url)), port = 8080, host = '127.0.0.1', headers: extra = {} } = {}) {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^([/\\])+/, '');
    const file = join(root, path === '' || path.endsWith(sep) ? join(path, 'index.html') : path);
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cache-Control': 'no-store',
      ...extra,
    };
    if (!file.startsWith(root)) {
      res.writeHead(403, headers).end('forbidden');
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404, headers).end('not found');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve({ server, url: `http://${host}:${server.address().port}/` }));
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { url } = await serve({ port: Number(process.argv[2] ?? 8080) });
  console.log(`garment-wasm demo on ${url} (cross-origin isolated; Ctrl-C to stop)`);
}
