// The browser demo and the runtime matrix's plain-ES-module page under a strict
// Content-Security-Policy: scripts only from the page's own origin, wasm compilation allowed
// ('wasm-unsafe-eval'), workers from the origin and blob: URLs. Both must work (classify, train on
// worker threads; the smoke page prints exactly what Node prints) with no CSP violation reported.
// A control run without 'wasm-unsafe-eval' proves violations are seen when they happen.
// Uses Debian's /usr/bin/chromium through playwright-core (never a downloaded browser); skipped
// without it, unless GARMENT_REQUIRE_BROWSER=1 makes that a failure.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { encode } from 'fast-png';
import * as lib from 'garment-wasm';
import { runSmoke } from './runtimes/smoke-core.mjs';

const CHROMIUM = process.env.GARMENT_CHROMIUM ?? '/usr/bin/chromium';
const have = existsSync(CHROMIUM);
if (!have && process.env.GARMENT_REQUIRE_BROWSER === '1') throw new Error(`a browser is required (GARMENT_REQUIRE_BROWSER=1) but ${CHROMIUM} is missing: apt-get install -y chromium`);
if (!have) console.log(`  (CSP tests skipped: ${CHROMIUM} not found; install Debian's chromium to run them)`);
const maybe = have ? test : test.skip;

export const CSP = "script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:";
const root = fileURLToPath(new URL('..', import.meta.url));
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };

/**
 * The runtime matrix's app folder without packing: test/runtimes/ at the root and this checkout
 * as node_modules/garment-wasm, cross-origin isolated, with the given CSP.
 */
function serveRuntimes(csp) {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (path === '/favicon.ico') return res.writeHead(204).end();
    const pkg = '/node_modules/garment-wasm/';
    const file = path.startsWith(pkg) ? join(root, path.slice(pkg.length)) : join(root, 'test', 'runtimes', path);
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) return res.writeHead(404).end();
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store',
      'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Content-Security-Policy': csp,
    }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` })));
}

let browser;
test.before(async () => {
  if (!have) return;
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});
test.after(async () => browser?.close());

/** A new page that records CSP violations (events and console reports), page errors and console errors. */
async function watchedPage() {
  const page = await browser.newPage();
  const seen = { violations: [], errors: [] };
  await page.addInitScript(() => {
    globalThis.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => globalThis.__csp.push(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'}`));
  });
  page.on('pageerror', (e) => seen.errors.push(`page error: ${e.message}`));
  page.on('response', (r) => r.status() >= 400 && seen.errors.push(`${r.status()} for ${r.url()}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    (/Content.Security.Policy|Refused to/i.test(m.text()) ? seen.violations : seen.errors).push(m.text());
  });
  const report = async () => [...seen.violations, ...(await page.evaluate(() => globalThis.__csp))];
  return { page, seen, report };
}

/** Products photo: navy trousers on cream, 300x400 RGB PNG. */
function trouserPhoto() {
  const W = 300, H = 400;
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const inWaist = y >= 40 && y < 80 && x >= 90 && x < 210;
      const inLegs = y >= 80 && y < 370 && ((x >= 90 + (y - 80) / 20 && x < 146) || (x >= 154 && x < 210 - (y - 80) / 20));
      data.set(inWaist || inLegs ? [40, 55, 100] : [242, 236, 224], (y * W + x) * 3);
    }
  }
  return Buffer.from(encode({ width: W, height: H, data, channels: 3, depth: 8 }));
}

maybe('the demo under the CSP: loads, classifies a photo, trains on worker threads; no violation', async () => {
  if (!existsSync(join(root, 'examples/web/dist/app.js'))) throw new Error('examples/web/dist is missing: run npm run build');
  const { serve } = await import('../examples/web/serve.mjs');
  const { server, url } = await serve({ port: 0, headers: { 'Content-Security-Policy': CSP } });
  const { page, seen, report } = await watchedPage();
  try {
    await page.goto(url);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
    await page.setInputFiles('#file', { name: 'trousers.png', mimeType: 'image/png', buffer: trouserPhoto() });
    await page.waitForSelector('body[data-classified="1"]', { timeout: 15_000 });
    assert.match(await page.textContent('#top3 li'), /^Trouser/);
    await page.fill('#count', '300');
    await page.fill('#epochs', '1');
    await page.selectOption('#model', 'mlp');
    await page.click('#start');
    await page.waitForSelector('body[data-trained="1"]', { timeout: 60_000 });
    const status = await page.textContent('#train-status');
    const threads = Number(/threads in use: (\d+)/.exec(status)?.[1]);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    assert.ok(cores > 1 ? threads > 1 : threads === 1, `${threads} threads on ${cores} cores: ${status}`);
    console.log(`  csp demo: classified, trained on ${threads} threads, ${(await report()).length} violations`);
    assert.equal(await report(), [], 'CSP violations');
    assert.equal(seen.errors, [], 'page errors');
  } finally {
    await page.close();
    server.close();
  }
});

maybe("the runtime matrix's plain-ES-module page under the CSP: bit-identical to Node, threads in workers, no violation", async () => {
  const wasm = pathToFileURL(join(root, 'dist/web/garment-simd.wasm'));
  const [node, { server, url }] = await Promise.all([runSmoke(lib, { threads: 2, wasm }), serveRuntimes(CSP)]);
  const { page, seen, report } = await watchedPage();
  try {
    await page.goto(`${url}/plain.html`);
    await page.waitForFunction(() => globalThis.__smoke !== undefined, null, { timeout: 90_000 });
    const result = await page.evaluate(() => globalThis.__smoke);
    assert.is(result.error, undefined, result.error);
    assert.is(result.text, node.text, 'the page prints what Node prints');
    assert.ok(result.info.threads > 1, `the pooled batch ran on ${result.info.threads} thread(s): ${JSON.stringify(result.info.warnings)}`);
    console.log(`  csp smoke page: identical to Node, ${result.info.threads} threads, ${(await report()).length} violations`);
    assert.equal(await report(), [], 'CSP violations');
    assert.equal(seen.errors, [], 'page errors');
  } finally {
    await page.close();
    server.close();
  }
});

maybe("control: without 'wasm-unsafe-eval' the page fails and the violation is seen", async () => {
  const { server, url } = await serveRuntimes("script-src 'self'; worker-src 'self' blob:");
  const { page, report } = await watchedPage();
  try {
    await page.goto(`${url}/plain.html`);
    await page.waitForFunction(() => globalThis.__smoke !== undefined, null, { timeout: 30_000 });
    const result = await page.evaluate(() => globalThis.__smoke);
    assert.ok(result.error, 'the smoke test failed');
    const violations = await report();
    assert.ok(violations.some((v) => /wasm|eval/i.test(v)), `a wasm-eval violation was reported: ${JSON.stringify(violations)}`);
  } finally {
    await page.close();
    server.close();
  }
});

test.run();
