// The runtime matrix: packs the package as npm would publish it, installs the tarball into a fresh
// project, and runs one smoke test (test/runtimes/smoke-core.mjs) in every runtime: Node (ESM and
// CommonJS), Deno (npm: specifier, package.json, local paths), Bun, headless Chromium (an esbuild
// bundle, plain ES modules, a Vite build and dev server; with and without cross-origin isolation,
// and under a strict Content-Security-Policy),
// Cloudflare's workerd and Vercel's edge-runtime. Every runtime must print the same text, bit for
// bit. It also typechecks the published types and checks what the tarball holds.
//
//   node scripts/test-runtimes.mjs [--only=name,name] [--keep]
//
// Ends with uvu-style "Total/Passed/Skipped" lines, which .ci/run counts.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { dirname, extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const modules = join(root, 'node_modules');
const argv = process.argv.slice(2);
const only = argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const keep = argv.includes('--keep');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The Content-Security-Policy of the `-csp` rows: own scripts, wasm compilation, workers from blob: URLs. */
const CSP = "script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:";
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const work = join(root, '.tmp', `runtimes-${process.pid}`);
const app = join(work, 'app');
const started = Date.now();
const seconds = (t) => `${((Date.now() - t) / 1000).toFixed(1)} s`;

// ---------------------------------------------------------------------------------------------
// Helpers

/** Runs a command; resolves with its output, rejects on a non-zero exit or after `timeout` ms. */
function exec(cmd, args, { cwd = app, env = {}, timeout = 120_000 } = {}) {
  const what = `${cmd.startsWith(root) ? relative(root, cmd) : cmd} ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what}: no exit after ${timeout / 1000} s\n${stderr.slice(-2000)}`));
    }, timeout);
    child.on('error', (e) => (clearTimeout(timer), reject(e)));
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${what} exited with ${code}\n${(stderr || stdout).slice(-3000)}`));
    });
  });
}

/** A smoke script's stdout: the text to compare, then one "#info {json}" line. */
function parseSmoke(stdout) {
  const at = stdout.lastIndexOf('\n#info ');
  if (at < 0) throw new Error(`no #info line in the output:\n${stdout.slice(-2000)}`);
  return { text: stdout.slice(0, at).trim(), info: JSON.parse(stdout.slice(at + 7)) };
}

const isElf = (file) => {
  try {
    const fd = openSync(file, 'r');
    const b = Buffer.alloc(4);
    readSync(fd, b, 0, 4, 0);
    closeSync(fd);
    return b.toString('latin1') === '\x7fELF' && statSync(file).size > 1e6;
  } catch {
    return false;
  }
};

/**
 * A runtime's binary from its npm package: the launcher its install script puts in place, or the
 * platform package's binary when install scripts did not run (`npm ci --ignore-scripts`).
 */
function binary(name, candidates, scopes) {
  for (const c of candidates) if (isElf(join(modules, c))) return join(modules, c);
  for (const [scope, file] of scopes) {
    const dir = join(modules, scope);
    if (!existsSync(dir)) continue;
    for (const pkg of readdirSync(dir)) if (isElf(join(dir, pkg, file))) return join(dir, pkg, file);
  }
  throw new Error(`${name} is not installed (npm ci installs it as a devDependency)`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.css': 'text/css' };

/**
 * A static file server over `dir`. `isolated`: COOP/COEP headers (SharedArrayBuffer, threads).
 * `wasmType`: the Content-Type for .wasm, to check the fallback when a server sends the wrong one.
 * `csp`: a Content-Security-Policy header.
 */
async function serve(dir, { isolated = false, wasmType = 'application/wasm', csp } = {}) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let file = join(dir, path);
    if (!file.startsWith(dir)) return res.writeHead(403).end();
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) return res.writeHead(404).end('not found');
    const ext = extname(file);
    const headers = { 'Content-Type': ext === '.wasm' ? wasmType : MIME[ext] ?? 'application/octet-stream', 'Cache-Control': 'no-store' };
    if (isolated) Object.assign(headers, { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' });
    if (csp) headers['Content-Security-Policy'] = csp;
    res.writeHead(200, headers).end(readFileSync(file));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

/** A line-by-line diff of two texts, differing lines only. */
function diff(expected, actual) {
  const a = expected.split('\n'), b = actual.split('\n');
  const lines = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] === b[i]) continue;
    if (a[i] !== undefined) lines.push(`    ${String(i + 1).padStart(3)} - ${a[i]}`);
    if (b[i] !== undefined) lines.push(`    ${String(i + 1).padStart(3)} + ${b[i]}`);
  }
  return lines.join('\n');
}

function fnv1a(text) {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(text)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** Bundles for an edge host the way its own tooling would, with a rule for the `.wasm` imports. */
async function bundleEdge(entry, outfile, { conditions, format, wasm }) {
  await esbuild.build({
    absWorkingDir: app,
    entryPoints: [entry],
    outfile,
    bundle: true,
    format,
    platform: 'neutral',
    target: 'es2022',
    conditions,
    mainFields: ['browser', 'module', 'main'],
    logLevel: 'warning',
    plugins: [{
      name: 'wasm-modules',
      setup(b) {
        b.onResolve({ filter: /\.wasm(\?module)?$/ }, async (a) => {
          if (a.pluginData === 'inner') return undefined;
          const r = await b.resolve(a.path.replace(/\?module$/, ''), { resolveDir: a.resolveDir, kind: a.kind, pluginData: 'inner' });
          return r.errors.length ? { errors: r.errors } : wasm(r.path);
        });
        b.onLoad({ filter: /.*/, namespace: 'wasm-binding' }, (a) => ({ contents: `export default globalThis[${JSON.stringify(a.path)}];`, loader: 'js' }));
      },
    }],
  });
}

// ---------------------------------------------------------------------------------------------
// The package, as published, in a fresh project.

async function prepare() {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(app, { recursive: true });
  const { stdout } = await exec('npm', ['pack', '--json', '--pack-destination', work], { cwd: root });
  const packed = JSON.parse(stdout.slice(stdout.indexOf('[')))[0];
  const tarball = join(work, packed.filename);
  cpSync(join(root, 'test', 'runtimes'), app, { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({
    name: 'garment-wasm-matrix-app', private: true, type: 'module',
    dependencies: { 'garment-wasm': `file:../${packed.filename}` },
  }, null, 2));
  // The package has no dependencies, so this needs no network.
  await exec('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock'], { cwd: app });
  // A vendored copy for Deno's local-path import: the tarball unpacked, nothing else.
  mkdirSync(join(app, 'vendor'), { recursive: true });
  await exec('tar', ['-xzf', tarball, '-C', join(app, 'vendor')]);
  cpSync(join(app, 'vendor', 'package'), join(app, 'vendor', 'garment-wasm'), { recursive: true });
  rmSync(join(app, 'vendor', 'package'), { recursive: true });
  return packed;
}

// ---------------------------------------------------------------------------------------------
// The rows. Each resolves with the smoke text and info, or with { checked: '...' } for the rows
// that check something other than the smoke output.

const deno = () => binary('deno', ['deno/deno', 'deno/bin/deno'], [['@deno', 'deno'], ['@deno', 'bin/deno']]);
const bun = () => binary('bun', ['bun/bin/bun.exe', 'bun/bin/bun'], [['@oven', 'bin/bun']]);
const workerd = () => binary('workerd', ['workerd/bin/workerd'], [['@cloudflare', 'bin/workerd']]);
const denoEnv = () => ({ DENO_DIR: join(work, 'deno-cache'), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' });

let browser;
async function chromium() {
  if (!browser) {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
    const { chromium: pw } = await import('playwright-core');
    browser = await pw.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  }
  return browser;
}

/** Opens `path` on a local server and waits for the page's `window.__smoke`. */
async function inChromium(dir, path, serverOptions) {
  const server = await serve(dir, serverOptions);
  try {
    return await inChromiumAt(server.url + path);
  } finally {
    await server.close();
  }
}

async function inChromiumAt(url) {
  const context = await (await chromium()).newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  // Any Content-Security-Policy violation fails the row (only the -csp rows send a policy).
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'}`));
  });
  try {
    await page.goto(url);
    await page.waitForFunction(() => window.__smoke !== undefined, null, { timeout: 90_000 }).catch((e) => {
      throw new Error(`${e.message}\npage errors: ${errors.join('\n') || 'none'}`);
    });
    const result = await page.evaluate(() => window.__smoke);
    if (result.error) throw new Error(result.error);
    const violations = [...(await page.evaluate(() => window.__csp)), ...errors.filter((e) => /Content.Security.Policy|Refused to/i.test(e))];
    if (violations.length) throw new Error(`Content-Security-Policy violations:\n${violations.join('\n')}`);
    result.info.crossOriginIsolated = await page.evaluate(() => self.crossOriginIsolated);
    return result;
  } finally {
    await context.close();
  }
}

let esbuildBundle;
async function esbuildApp() {
  // What a user does with esbuild: bundle the app, and copy the package's .wasm files beside it
  // (esbuild leaves `new URL('./x.wasm', import.meta.url)` alone).
  esbuildBundle ??= (async () => {
    const out = join(app, 'esbuild-out');
    await esbuild.build({
      absWorkingDir: app, entryPoints: ['browser-entry.mjs'], outdir: out, bundle: true, splitting: true,
      format: 'esm', platform: 'browser', target: 'es2022', minify: true, logLevel: 'warning',
    });
    const web = join(app, 'node_modules', 'garment-wasm', 'dist', 'web');
    for (const f of readdirSync(web)) if (f.endsWith('.wasm')) cpSync(join(web, f), join(out, f));
  })();
  return esbuildBundle;
}

let viteBuild;
async function viteApp() {
  viteBuild ??= exec(process.execPath, [join(modules, 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], { cwd: join(app, 'vite-app') });
  return viteBuild;
}

async function edgeRequests(base, fetchFn) {
  const res = await fetchFn(`${base}/smoke`);
  const body = await res.json();
  if (body.error) throw new Error(`GET /smoke: ${body.error}`);
  // The edge function's answer to a posted image must be what the smoke test printed for it.
  const { drawImage } = await import(join(app, 'smoke-core.mjs'));
  const img = drawImage(3, 1003);
  const posted = await (await fetchFn(`${base}/classify`, { method: 'POST', body: img })).json();
  if (posted.error) throw new Error(`POST /classify: ${posted.error}`);
  const line = body.text.split('\n').find((l) => l.startsWith('image  3: '));
  const expected = `image  3: ${posted.index} ${posted.label} | ${posted.probabilities}`;
  if (line !== expected) throw new Error(`POST /classify answered\n  ${expected}\nbut the smoke test printed\n  ${line}`);
  body.info.posted = posted.label;
  return body;
}

const rows = [
  { name: 'node-esm', threads: 'many', run: async () => parseSmoke((await exec(process.execPath, ['smoke.mjs'])).stdout) },
  { name: 'node-cjs', threads: 'many', run: async () => parseSmoke((await exec(process.execPath, ['smoke.cjs'])).stdout) },
  { name: 'deno-npm-specifier', threads: 'many', run: async () => parseSmoke((await exec(deno(), ['run', '-A', 'deno-npm.mjs'], { env: denoEnv() })).stdout) },
  { name: 'deno-package-json', threads: 'many', run: async () => parseSmoke((await exec(deno(), ['run', '-A', 'smoke.mjs'], { env: denoEnv() })).stdout) },
  { name: 'deno-path-node-build', threads: 'many', run: async () => parseSmoke((await exec(deno(), ['run', '-A', 'deno-path.mjs', 'node'], { env: denoEnv() })).stdout) },
  { name: 'deno-path-deno-build', threads: 'many', run: async () => parseSmoke((await exec(deno(), ['run', '-A', 'deno-path.mjs', 'deno'], { env: denoEnv() })).stdout) },
  { name: 'deno-path-web-build', threads: 'many', run: async () => parseSmoke((await exec(deno(), ['run', '-A', 'deno-path.mjs', 'web'], { env: denoEnv() })).stdout) },
  { name: 'bun-esm', threads: 'many', run: async () => parseSmoke((await exec(bun(), ['--no-install', 'smoke.mjs'])).stdout) },
  { name: 'bun-cjs', threads: 'many', run: async () => parseSmoke((await exec(bun(), ['--no-install', 'smoke.cjs'])).stdout) },
  { name: 'chromium-esbuild-isolated', threads: 'many', run: async () => (await esbuildApp(), inChromium(app, '/esbuild.html', { isolated: true })) },
  { name: 'chromium-esbuild', threads: 'one', run: async () => (await esbuildApp(), inChromium(app, '/esbuild.html')) },
  { name: 'chromium-plain-esm-isolated', threads: 'many', run: () => inChromium(app, '/plain.html', { isolated: true }) },
  // Under a strict Content-Security-Policy (no inline script, no eval; wasm and blob: workers allowed).
  { name: 'chromium-plain-esm-csp', threads: 'many', run: () => inChromium(app, '/plain.html', { isolated: true, csp: CSP }) },
  { name: 'chromium-esbuild-csp', threads: 'many', run: async () => (await esbuildApp(), inChromium(app, '/esbuild.html', { isolated: true, csp: CSP })) },
  // Also the server that sends .wasm with the wrong MIME type: streaming compilation fails, the byte path takes over.
  { name: 'chromium-plain-esm-wrong-mime', threads: 'one', run: () => inChromium(app, '/plain.html', { wasmType: 'application/octet-stream' }) },
  { name: 'chromium-vite-isolated', threads: 'many', run: async () => (await viteApp(), inChromium(join(app, 'vite-app', 'dist'), '/', { isolated: true })) },
  {
    name: 'chromium-vite-dev-server', threads: 'many', run: async () => {
      const port = await freePort();
      const child = spawn(process.execPath, [join(modules, 'vite', 'bin', 'vite.js'), '--port', String(port), '--strictPort', '--host', '127.0.0.1'], { cwd: join(app, 'vite-app'), stdio: ['ignore', 'pipe', 'pipe'] });
      let log = '';
      child.stdout.on('data', (d) => (log += d));
      child.stderr.on('data', (d) => (log += d));
      try {
        for (let i = 0; !log.includes('ready in'); i++) {
          if (i > 300 || child.exitCode !== null) throw new Error(`the Vite dev server did not start:\n${log}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        return await inChromiumAt(`http://127.0.0.1:${port}/`);
      } finally {
        child.kill();
      }
    },
  },
  {
    name: 'workerd', threads: 'one', run: async () => {
      // wrangler's default rule: a `.wasm` import is a CompiledWasm module, uploaded beside the script.
      const dir = join(app, 'workerd');
      const wasm = new Map();
      await bundleEdge('edge-worker.mjs', join(dir, 'worker.js'), {
        conditions: ['workerd', 'worker', 'browser'], format: 'esm',
        wasm: (file) => {
          const name = `wasm-${wasm.size}-${file.split('/').pop()}`;
          wasm.set(name, file);
          return { path: `./${name}`, external: true };
        },
      });
      const modulesList = [`(name = "worker.js", esModule = embed "worker.js")`];
      for (const [name, file] of wasm) {
        cpSync(file, join(dir, name));
        modulesList.push(`(name = "${name}", wasm = embed "${name}")`);
      }
      const port = await freePort();
      writeFileSync(join(dir, 'config.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [${modulesList.join(', ')}],
  compatibilityDate = "2025-06-01",
);
`);
      const child = spawn(workerd(), ['serve', 'config.capnp'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let log = '';
      child.stdout.on('data', (d) => (log += d));
      child.stderr.on('data', (d) => (log += d));
      try {
        const base = `http://127.0.0.1:${port}`;
        for (let i = 0; ; i++) {
          try {
            await fetch(base);
            break;
          } catch {
            if (i > 100 || child.exitCode !== null) throw new Error(`workerd did not start:\n${log}`);
            await new Promise((r) => setTimeout(r, 100));
          }
        }
        return await edgeRequests(base, fetch);
      } catch (e) {
        e.message += log ? `\nworkerd said:\n${log}` : '';
        throw e;
      } finally {
        child.kill();
      }
    },
  },
  {
    name: 'vercel-edge-runtime', threads: 'one', run: async () => {
      // How Vercel and Next.js run an edge function: its `.wasm?module` imports are compiled by the
      // host and handed in as bindings; the function's own code may not compile wasm.
      const file = join(app, 'edge-runtime', 'function.js');
      const bindings = {};
      await bundleEdge('edge-function.mjs', file, {
        conditions: ['edge-light', 'worker', 'browser'], format: 'iife',
        wasm: (path) => {
          const name = `wasm_${Object.keys(bindings).length}`;
          bindings[name] = new WebAssembly.Module(readFileSync(path));
          return { path: name, namespace: 'wasm-binding' };
        },
      });
      const { EdgeRuntime } = await import('edge-runtime');
      const runtime = new EdgeRuntime({
        initialCode: readFileSync(file, 'utf8'),
        codeGeneration: { strings: false, wasm: false },
        extend: (context) => Object.assign(context, bindings),
      });
      const compileBlocked = await runtime.evaluate('WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])).then(() => false, () => true)');
      if (!compileBlocked) throw new Error('edge-runtime allowed WebAssembly.compile: the row would not prove anything');
      return edgeRequests('http://edge.local', (url, init) => runtime.dispatchFetch(url, init));
    },
  },
  {
    name: 'types', run: async () => {
      // The published .d.ts files as TypeScript users see them: ES module and CommonJS consumers
      // with node16 resolution (a Node project: @types/node, skipLibCheck as `tsc --init` sets
      // it), and every declaration file checked strictly (skipLibCheck off, with the DOM lib for
      // the WebAssembly namespace, which @types/node 20 lacks).
      const tsc = join(modules, 'typescript', 'bin', 'tsc');
      const node = { module: 'node16', moduleResolution: 'node16', lib: ['es2022'], types: ['node'], typeRoots: [join(modules, '@types')], skipLibCheck: true };
      const strict = { lib: ['es2022', 'dom'], types: [], skipLibCheck: false };
      const configs = {
        'esm-node': { ...node, files: ['consumer.mts'] },
        'cjs-node': { ...node, files: ['consumer.cts'] },
        'esm-strict': { ...node, ...strict, files: ['consumer.mts'] },
        'cjs-strict': { ...node, ...strict, files: ['consumer.cts'] },
        'bundler-strict': { module: 'esnext', moduleResolution: 'bundler', ...strict, files: ['consumer.ts'] },
      };
      for (const [name, { files, ...options }] of Object.entries(configs)) {
        const config = join(app, 'types', `tsconfig.${name}.json`);
        writeFileSync(config, JSON.stringify({ compilerOptions: { strict: true, noEmit: true, target: 'es2022', ...options }, files }));
        await exec(process.execPath, [tsc, '-p', config]).catch((e) => {
          throw new Error(`${name}: ${e.message}`);
        });
      }
      return { checked: `consumers typecheck: ${Object.keys(configs).join(', ')}` };
    },
  },
];

// ---------------------------------------------------------------------------------------------

/** What the published package must and must not hold. */
function checkPackage(packed) {
  const files = packed.files.map((f) => f.path);
  const problems = [];
  const must = ['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json', 'dist/types/index.d.ts', 'dist/types/cjs/index.d.ts', 'dist/types/cjs/package.json',
    'dist/node/index.js', 'dist/node/index.cjs', 'dist/web/index.js', 'dist/edge/index.js', 'dist/pretrained/default.gz',
    'dist/pretrained/default-weights.js', 'dist/web/garment-simd.wasm', 'dist/web/garment-simd-threads.wasm', 'dist/edge/garment-simd.wasm'];
  for (const f of must) if (!files.includes(f)) problems.push(`missing ${f}`);
  for (const f of files) {
    if (/(^|\/)(test|tests|fixtures|bench|src|\.tmp|node_modules)\//.test(f) || /\.(map|wat|tgz|test\.mjs)$/.test(f) || /internal\.(js|d\.ts)$/.test(f)) {
      problems.push(`should not be published: ${f}`);
    }
  }
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const targets = [];
  const walk = (v) => (typeof v === 'string' ? targets.push(v) : Object.values(v).forEach(walk));
  walk(manifest.exports);
  for (const t of targets) {
    const re = new RegExp(`^${t.replace(/^\.\//, '').replace(/[.]/g, '\\.').replace('*', '[^/]+')}$`);
    if (!files.some((f) => re.test(f))) problems.push(`exports points at ${t}, which is not in the package`);
  }
  if (problems.length) throw new Error(problems.join('\n'));
  return `${files.length} files, ${(packed.size / 1024).toFixed(0)} KB packed, ${(packed.unpackedSize / 1024).toFixed(0)} KB unpacked`;
}

const results = [];
const say = (s) => process.stdout.write(`${s}\n`);
say(`runtime matrix (${root})`);
let packed;
try {
  const t = Date.now();
  packed = await prepare();
  const summary = checkPackage(packed);
  results.push({ name: 'package', ok: true });
  say(`  ✓ package                        ${packed.filename}: ${summary} (${seconds(t)})`);
} catch (e) {
  results.push({ name: 'package', ok: false });
  say(`  ✘ package                        ${e.message.replace(/\n/g, '\n      ')}`);
}

let reference;
if (packed) {
  for (const row of rows) {
    if (only && !only.includes(row.name) && !(row.name === 'node-esm')) continue;
    const t = Date.now();
    let r;
    try {
      r = await row.run();
    } catch (e) {
      results.push({ name: row.name, ok: false });
      say(`  ✘ ${row.name.padEnd(30)} ${String(e?.stack ?? e).replace(/\n/g, '\n      ')}`);
      continue;
    }
    if (r.checked) {
      results.push({ name: row.name, ok: true });
      say(`  ✓ ${row.name.padEnd(30)} ${r.checked} (${seconds(t)})`);
      continue;
    }
    const problems = [];
    reference ??= { name: row.name, text: r.text };
    if (r.text !== reference.text) problems.push(`output differs from ${reference.name}:\n${diff(reference.text, r.text)}`);
    if (/DIFFERENT|no error/.test(r.text)) problems.push('the smoke test reports a difference (see DIFFERENT above)');
    if (row.threads === 'many' && !(r.info.threads > 1)) problems.push(`expected threads > 1 after a batch, got ${r.info.threads} (${r.info.warnings.join('; ')})`);
    if (row.threads === 'one' && r.info.threads !== 1) problems.push(`expected one thread, got ${r.info.threads}`);
    const ok = problems.length === 0;
    results.push({ name: row.name, ok, text: r.text });
    const extra = r.info.posted ? `, POST /classify: ${r.info.posted}` : '';
    say(`  ${ok ? '✓' : '✘'} ${row.name.padEnd(30)} output fnv1a ${fnv1a(r.text)}, threads ${r.info.threads}${extra} (${seconds(t)})`);
    if (!ok) say(`      ${problems.join('\n').replace(/\n/g, '\n      ')}`);
  }
}
await browser?.close();

const ref = results.find((r) => r.text);
if (ref) {
  const weights = ref.text.split('\n').find((l) => l.startsWith('weights: '));
  say(`\n  the same in every runtime above marked ✓: ${weights}`);
}
const passed = results.filter((r) => r.ok).length;
say(`\n  Total:     ${results.length}\n  Passed:    ${passed}\n  Skipped:   0\n  Duration:  ${seconds(started)}`);
if (!keep) rmSync(work, { recursive: true, force: true });
else say(`  kept ${work}`);
process.exit(passed === results.length ? 0 : 1);
