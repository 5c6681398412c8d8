/// <reference types="node" />
// Which classifier a command runs: the bundled model, a weight file, a preset or a layer list in JSON.
import { existsSync } from 'node:fs';
import { PRESET_NAMES, createClassifier, type Classifier, type LayerSpec, type PresetName } from '../index.ts';
import { CliError, UsageError } from './args.ts';
import { line, readBytes, type Io } from './io.ts';

export interface Loaded {
  clf: Classifier;
  /** How to name the model in output: "the bundled model" or the file. */
  name: string;
}

const warn = (io: Io) => (message: string) => line(io.stderr, `note: ${message}`);

/** A weight file, or the bundled pretrained model when `path` is undefined. */
export async function loadWeights(path: string | undefined, threads: number | 'auto', io: Io): Promise<Loaded> {
  if (path === undefined) {
    return { clf: await createClassifier({ threads, onWarning: warn(io) }), name: 'the bundled model' };
  }
  const weights = readBytes(path, 'weight file');
  return { clf: await createClassifier({ weights, threads, onWarning: warn(io) }), name: path };
}

/** What `--model` names: a preset, or a JSON file holding a layer list or `{ layers, labels }`. */
export function modelSpec(arg: string): { model: PresetName | LayerSpec[]; labels?: string[]; name: string } {
  if ((PRESET_NAMES as readonly string[]).includes(arg)) return { model: arg as PresetName, name: arg };
  if (!existsSync(arg)) {
    throw new UsageError(`--model: '${arg}' is neither a preset (${PRESET_NAMES.join(', ')}) nor a JSON file`);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(readBytes(arg, 'model file')));
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`${arg}: not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (Array.isArray(json)) return { model: json as LayerSpec[], name: arg };
  if (json && typeof json === 'object' && Array.isArray((json as { layers?: unknown }).layers)) {
    const { layers, labels } = json as { layers: LayerSpec[]; labels?: string[] };
    return { model: layers, labels, name: arg };
  }
  throw new CliError(`${arg}: expected a layer list, or an object with "layers" (and optionally "labels")`);
}
