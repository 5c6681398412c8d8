/// <reference types="node" />
// What commands use of the outside world, in one place: output streams, environment, files.
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CliError } from './args.ts';
import type { Terminal } from './progress.ts';

export interface Io {
  /** Results: reports, predictions, JSON. */
  stdout: Terminal;
  /** Progress and notes. */
  stderr: Terminal;
  env: Record<string, string | undefined>;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
}

export const line = (stream: Terminal, text = ''): void => void stream.write(`${text}\n`);

/** Reads a whole file; a missing or unreadable file is one clear error. */
export function readBytes(path: string, what = 'file'): Uint8Array {
  try {
    const b = readFileSync(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (e as Error).message;
    throw new CliError(`cannot read the ${what} ${path}: ${why}`, { cause: e });
  }
}

let tmpCounter = 0;

/** Writes through a temporary file in the same folder and a rename: readers never see half a file. */
export function writeAtomic(path: string, content: Uint8Array | string): void {
  const tmp = `${path}.${process.pid}.${++tmpCounter}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, content);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // never written
    }
    throw new CliError(`cannot write ${path}: ${(e as Error).message}`, { cause: e });
  }
}
