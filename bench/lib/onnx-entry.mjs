// The ONNX exporter: the built entry of the measured build (lib/dist.mjs) once the build emits
// one, else its source bundled on the spot (esbuild is a devDependency).
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

export async function loadOnnxExporter() {
  const built = new URL('node/onnx.js', (await import('./dist.mjs')).distUrl);
  if (existsSync(built)) return import(built.href);
  const { build } = await import('esbuild');
  const dir = fileURLToPath(new URL(`../../.tmp/bench-onnx-${process.pid}/`, import.meta.url));
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: [fileURLToPath(new URL('../../src/onnx/index.ts', import.meta.url))],
    outfile: `${dir}onnx.js`, bundle: true, format: 'esm', platform: 'node', target: 'es2022', logLevel: 'warning',
  });
  try {
    return await import(pathToFileURL(`${dir}onnx.js`).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
