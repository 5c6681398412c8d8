// Argument parsing on node:util's parseArgs, with the CLI's two kinds of failure: a usage error
// (exit 2, points at --help) and any other error (exit 1). Both print one line.
import { parseArgs } from 'node:util';
import { isWeightDtype, type WeightDtype } from '../io/weights-format.ts';

/** Wrong or missing arguments: exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure the CLI explains itself (a file it cannot read, data it cannot find): exit code 1. */
export class CliError extends Error {
  /** The process's exit status. */
  readonly exitCode: number;
  constructor(message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = options?.exitCode ?? 1;
  }
}

type OptionSpec = { type: 'string' | 'boolean'; short?: string; multiple?: boolean; default?: string | boolean };

/** Options every command takes. */
const COMMON: Record<string, OptionSpec> = { help: { type: 'boolean', short: 'h' } };

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** Parses a command's arguments; unknown options and missing values are usage errors. */
export function parse(command: string, args: string[], options: Record<string, OptionSpec>, positionals = false): Parsed {
  try {
    const r = parseArgs({ args, options: { ...COMMON, ...options }, allowPositionals: positionals, strict: true });
    return { values: r.values as Parsed['values'], positionals: r.positionals };
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    if (code.startsWith('ERR_PARSE_ARGS')) throw new UsageError(`${command}: ${(e as Error).message.split('. ')[0]}`);
    throw e;
  }
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function flag(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

/** An integer option in [min, max]. */
export function int(p: Parsed, name: string, def: number, min: number, max: number): number;
export function int(p: Parsed, name: string, def: number | undefined, min: number, max: number): number | undefined;
export function int(p: Parsed, name: string, def: number | undefined, min: number, max: number): number | undefined {
  const s = str(p, name);
  if (s === undefined) return def;
  const v = Number(s.replace(/_/g, ''));
  if (!/^\s*[-+]?[\d_]+\s*$/.test(s) || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got '${s}'`);
  }
  return v;
}

/** A number option accepted by `ok`. */
export function num(p: Parsed, name: string, def: number, ok: (x: number) => boolean, expect: string): number {
  const s = str(p, name);
  if (s === undefined) return def;
  const v = Number(s);
  if (s.trim() === '' || !Number.isFinite(v) || !ok(v)) throw new UsageError(`--${name} must be ${expect}, got '${s}'`);
  return v;
}

/** `--threads auto` or a count. */
export function threads(p: Parsed): number | 'auto' {
  const s = str(p, 'threads');
  if (s === undefined || s === 'auto') return 'auto';
  return int(p, 'threads', 1, 1, 64);
}

/** `--dtype f32|f16|int8` (default f32). */
export function dtype(p: Parsed): WeightDtype {
  const d = str(p, 'dtype') ?? 'f32';
  if (!isWeightDtype(d)) throw new UsageError(`--dtype must be f32, f16 or int8, got '${d}'`);
  return d;
}

export const THREADS_OPTION = { threads: { type: 'string' } } as const satisfies Record<string, OptionSpec>;
