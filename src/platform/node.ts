/// <reference types="node" />
// Node, Deno and Bun: files through node:fs, wasm read from beside the bundle.
import { readFile as fsReadFile, writeFile, rename, mkdir, stat, unlink } from 'node:fs/promises';
import { availableParallelism, cpus, homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GarmentError } from '../errors.ts';
import type { Platform } from './types.ts';

async function readFile(path: string): Promise<Uint8Array> {
  try {
    const buf = await fsReadFile(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') {
      throw new GarmentError('E_DATA_NOT_FOUND', `file not found: ${path}`, { cause: e });
    }
    throw e;
  }
}

let tmpCounter = 0;

export const platform: Platform = {
  async loadWasm(fileName) {
    const bytes = await readFile(fileURLToPath(new URL(`./${fileName}`, import.meta.url)));
    return WebAssembly.compile(bytes as BufferSource);
  },
  readFile,
  async fileExists(path) {
    try {
      return (await stat(path)).isFile();
    } catch {
      return false;
    }
  },
  async writeFileAtomic(path, bytes) {
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.${++tmpCounter}.tmp`;
    try {
      await writeFile(tmp, bytes);
      await rename(tmp, path);
    } catch (e) {
      await unlink(tmp).catch(() => {});
      throw e;
    }
  },
  joinPath: (...parts) => join(...parts),
  defaultCacheDir() {
    const xdg = process.env.XDG_CACHE_HOME;
    return join(xdg || join(homedir(), '.cache'), 'garment-wasm');
  },
  env: (name) => process.env[name],
  cores: () => (typeof availableParallelism === 'function' ? availableParallelism() : cpus().length),
};
