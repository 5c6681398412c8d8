// garment-wasm: the command line. One command per file in commands/; this file dispatches and
// turns every failure into one line on stderr and a non-zero exit status.
import { CliError, UsageError } from './args.ts';
import * as download from './commands/download.ts';
import * as evaluate from './commands/eval.ts';
import * as exporter from './commands/export.ts';
import * as predict from './commands/predict.ts';
import * as report from './commands/report.ts';
import * as train from './commands/train.ts';
import { line, type Io } from './io.ts';

declare const __GARMENT_VERSION__: string;

const HELP = `Usage: garment-wasm <command> [options]

Train and run Fashion-MNIST clothing classifiers on the CPU (WebAssembly SIMD, worker threads).

Commands
  download   download Fashion-MNIST into the cache, checksums verified
  train      train a model with live progress, a checkpoint per epoch and a training history
  eval       print the classification report and confusion matrix of a model
  predict    classify PNG or JPEG photos of clothes: top 3 classes with confidence
  report     write a self-contained HTML report: learning curves, confusion heatmap, samples
  export     write a model as ONNX (for onnxruntime and other ONNX tools)

Wherever no weight file is given, the bundled pretrained model is used.
Run 'garment-wasm <command> --help' for a command's options.

Examples
  garment-wasm download
  garment-wasm train --model seed-cnn --epochs 10 --out model.gz
  garment-wasm report model.gz --out report.html
  garment-wasm predict photo.jpg shoe.png
`;

type Command = { run: (args: string[], io: Io, argv: string[]) => Promise<number>; HELP: string };
const COMMANDS: Record<string, Command> = { download, train, eval: evaluate, predict, report, export: exporter };

/** A message on one line: multi-line library messages (lists of places, mirrors) are joined. */
export function oneLine(message: string): string {
  return message
    .split('\n')
    .map((l) => l.trim().replace(/^- /, ''))
    .filter(Boolean)
    .reduce((a, l) => (a === '' ? l : a.endsWith(':') ? `${a} ${l}` : `${a}; ${l}`), '');
}

/** Runs the CLI with `argv` (without node and the script) and resolves with the exit status. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? args[0] : undefined;
    io.stdout.write(topic && COMMANDS[topic] ? COMMANDS[topic].HELP : HELP);
    return 0;
  }
  if (name === '--version' || name === '-v') {
    line(io.stdout, typeof __GARMENT_VERSION__ === 'string' ? __GARMENT_VERSION__ : 'dev');
    return 0;
  }
  const command = COMMANDS[name];
  try {
    if (!command) throw new UsageError(`unknown command '${name}'; the commands are ${Object.keys(COMMANDS).join(', ')}`);
    return await command.run(args, io, argv);
  } catch (e) {
    const where = command ? `garment-wasm ${name} --help` : 'garment-wasm --help';
    if (e instanceof UsageError) {
      line(io.stderr, `garment-wasm: ${e.message} (see '${where}')`);
      return 2;
    }
    if (e instanceof CliError) {
      line(io.stderr, `garment-wasm: ${oneLine(e.message)}`);
      return e.exitCode;
    }
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('E_')) {
      // A GarmentError: the library's message already says what is wrong and what to do.
      line(io.stderr, `garment-wasm: ${oneLine((e as Error).message)} [${code}]`);
      return code === 'E_ABORTED' ? 130 : 1;
    }
    line(io.stderr, `garment-wasm: unexpected error: ${oneLine(String((e as Error)?.message ?? e))}`);
    if (io.env.GARMENT_DEBUG) line(io.stderr, String((e as Error)?.stack));
    return 1;
  }
}
