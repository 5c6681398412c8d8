// The browser demo (examples/web) in headless Chromium: served cross-origin isolated from
// 127.0.0.1, it classifies a generated photo and a drawing, trains for a few steps, and renders.
// Uses Debian's /usr/bin/chromium through playwright-core (never a downloaded browser); skipped
// without it, unless GARMENT_REQUIRE_BROWSER=1 (CI) makes that a failure.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { encode } from 'fast-png';

const CHROMIUM = process.env.GARMENT_CHROMIUM ?? '/usr/bin/chromium';
const have = existsSync(CHROMIUM);
if (!have && process.env.GARMENT_REQUIRE_BROWSER === '1') throw new Error(`a browser is required (GARMENT_REQUIRE_BROWSER=1) but ${CHROMIUM} is missing: apt-get install -y chromium`);
if (!have) console.log(`  (demo tests skipped: ${CHROMIUM} not found; install Debian's chromium to run them)`);
const maybe = have ? test : test.skip;

if (have && !existsSync(new URL('../examples/web/dist/app.js', import.meta.url))) throw new Error('examples/web/dist is missing: run npm run build');

/** A made-up product photo: navy trousers on a cream background, 300x400 RGB. */
function trouserPhoto() {
  const W = 300, H = 400;
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 3;
      const inWaist = y >= 40 && y < 80 && x >= 90 && x < 210;
      const inLegs = y >= 80 && y < 370 && ((x >= 90 + (y - 80) / 20 && x < 146) || (x >= 154 && x < 210 - (y - 80) / 20));
      const c = inWaist || inLegs ? [40, 55, 100] : [242, 236, 224];
      data.set(c, o);
    }
  }
  return Buffer.from(encode({ width: W, height: H, data, channels: 3, depth: 8 }));
}

let server, browser, page, url;
const problems = [];

test.before(async () => {
  if (!have) return;
  const { serve } = await import('../examples/web/serve.mjs');
  ({ server, url } = await serve({ port: 0 }));
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
});

test.after(async () => {
  await browser?.close();
  server?.close();
});

maybe('the page loads cross-origin isolated, with the bundled model', async () => {
  assert.is(await page.evaluate(() => globalThis.crossOriginIsolated), true, 'COOP/COEP headers make SharedArrayBuffer available');
  const env = await page.textContent('#env');
  assert.match(env, /cross-origin isolated: yes/);
  assert.match(env, /bundled model ready \(\d[\d,]* parameters\)/);
});

maybe('a dropped photo is preprocessed to 28x28 and classified: top 3 as bars', async () => {
  await page.setInputFiles('#file', { name: 'trousers.png', mimeType: 'image/png', buffer: trouserPhoto() });
  await page.waitForSelector('body[data-classified="1"]', { timeout: 10_000 });
  const rows = await page.$$eval('#top3 li', (lis) => lis.map((li) => li.textContent));
  assert.is(rows.length, 3);
  assert.match(rows[0], /^Trouser\s*\d+(\.\d)?%$/, `top class: ${rows[0]}`);
  const lit = await page.$eval('#pre', (c) => {
    const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
  });
  assert.ok(lit > 100 && lit < 784, `${lit} lit pixels in the 28x28`);
  assert.match(await page.textContent('#timing'), /300x400 image/);
});

maybe('a drawing is classified when the pen lifts', async () => {
  const box = await page.locator('#pad').boundingBox();
  const at = (x, y) => [box.x + (x / 280) * box.width, box.y + (y / 280) * box.height];
  await page.mouse.move(...at(90, 40));
  await page.mouse.down();
  for (const [x, y] of [[190, 40], [190, 250], [150, 250], [140, 110], [130, 250], [90, 250], [90, 40]]) await page.mouse.move(...at(x, y), { steps: 4 });
  await page.mouse.up();
  await page.waitForSelector('body[data-classified="2"]', { timeout: 10_000 });
  assert.is((await page.$$('#top3 li')).length, 3);
});

maybe('training in the page: live status with the thread count, a chart, and a page that stays responsive', async () => {
  await page.fill('#count', '600');
  await page.fill('#epochs', '2');
  await page.selectOption('#model', 'mlp');
  await page.click('#start');
  await page.waitForSelector('body[data-trained="1"]', { timeout: 60_000 });
  const status = await page.textContent('#train-status');
  const result = await page.textContent('#train-result');
  console.log(`  demo: ${status}\n  demo: ${result}`);
  assert.match(status, /epoch 2\/2 · step \d+\/\d+ · loss [\d.]+ · accuracy [\d.]+% · [\d,]+ images\/s · threads in use: \d+/);
  const threads = Number(/threads in use: (\d+)/.exec(status)[1]);
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  assert.ok(cores > 1 ? threads > 1 : threads === 1, `${threads} threads on ${cores} cores`);
  assert.match(result, /validation accuracy [\d.]+% on 120 held-out images/);
  const pause = Number(/Longest pause of the page while training: (\d+) ms/.exec(result)[1]);
  assert.ok(pause < 1000, `the page did not respond for ${pause} ms`);
  const points = await page.$eval('#chart polyline.acc', (p) => p.getAttribute('points').trim().split(' ').length);
  assert.ok(points >= 2, `${points} chart points`);
  // The trained model (5 generated classes) now classifies the last image.
  assert.is(await page.locator('#model-choice input').count(), 2);
});

maybe('a screenshot of the whole page', async () => {
  const png = await page.screenshot({ fullPage: true });
  mkdirSync(new URL('../.tmp/', import.meta.url), { recursive: true });
  writeFileSync(new URL('../.tmp/demo.png', import.meta.url), png);
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  console.log(`  demo screenshot: ${width}x${height}, ${png.length} bytes (.tmp/demo.png)`);
  assert.is(width, 1100);
  assert.ok(height >= 900, `height ${height}`);
  assert.ok(png.length > 30_000, `${png.length} bytes: the page rendered something`);
  assert.equal(problems, []);
});

test.run();
