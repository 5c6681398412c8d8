// Kaggle-style Fashion-MNIST CSV: `label,pixel1,...,pixel784` per line, an optional header line.
// A single pass of a byte scanner writes straight into the output arrays: a 60,000-row file is
// 130 MB of text, too much for split() and a string per cell.
import { GarmentError, show } from '../errors.ts';
import { IMAGE_PIXELS, type Dataset } from '../types.ts';

/** Options for {@link parseCsv}. */
export interface CsvOptions {
  /** Number of classes; labels must lie in `0..classes-1`. Default 10. */
  classes?: number;
}

const COLUMNS = 1 + IMAGE_PIXELS;
// COLUMNS spelled out: a plain literal, which bundlers drop from apps that never parse CSV.
const COLUMNS_TEXT = '785 columns (label + 784 pixels)';
const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const COMMA = 44;
const ZERO = 48;
const NINE = 57;
const PLUS = 43;
const MINUS = 45;
const DOT = 46;

const isBlank = (c: number) => c === SPACE || c === TAB;

/**
 * Parses a Kaggle-style Fashion-MNIST CSV file (`label,pixel1,...,pixel784` per line; header line
 * optional; LF or CRLF line ends). Errors name the line they were found on.
 */
export function parseCsv(input: string | Uint8Array, options: CsvOptions = {}): Dataset {
  // `options?.`: null is taken as no options rather than failing with a TypeError.
  const classes = options?.classes ?? 10;
  if (!Number.isInteger(classes) || classes < 1 || classes > 256) {
    throw new GarmentError('E_OPTION', `parseCsv: classes must be an integer in 1..256, found ${show(classes)}`);
  }
  let bytes: Uint8Array;
  if (typeof input === 'string') bytes = new TextEncoder().encode(input);
  else if (input instanceof Uint8Array) bytes = input;
  else throw new GarmentError('E_OPTION', 'parseCsv: expected a string or a Uint8Array');

  const n = bytes.length;
  let p = n >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0; // UTF-8 BOM
  // At most one row per line break, plus a last line without one.
  let maxRows = 1;
  for (let i = bytes.indexOf(LF, p); i !== -1; i = bytes.indexOf(LF, i + 1)) maxRows++;
  const labels = new Uint8Array(maxRows);
  const images = new Uint8Array(maxRows * IMAGE_PIXELS);

  let line = 0;
  let row = 0;
  let header = false;
  while (p < n) {
    line++;
    const start = p;
    // Empty lines (a trailing newline, blank lines at the end) carry nothing.
    if (bytes[p] === LF || (bytes[p] === CR && p + 1 < n && bytes[p + 1] === LF)) {
      p += bytes[p] === CR ? 2 : 1;
      continue;
    }
    if (row === 0 && !header && isHeader(bytes, p)) {
      header = true;
      const cols = columnsAt(bytes, p);
      if (cols !== COLUMNS) {
        throw error('E_CSV_FORMAT', line, `the header has ${cols} columns, expected ${COLUMNS_TEXT}`);
      }
      while (p < n && bytes[p] !== LF) p++;
      p++;
      continue;
    }
    const base = row * IMAGE_PIXELS - 1;
    let col = 0;
    for (;;) {
      while (p < n && isBlank(bytes[p])) p++;
      const cellStart = p;
      let v = 0;
      while (p < n) {
        const c = bytes[p];
        if (c < ZERO || c > NINE) break;
        v = v * 10 + (c - ZERO);
        p++;
      }
      const digits = p - cellStart;
      while (p < n && isBlank(bytes[p])) p++;
      let c = p < n ? bytes[p] : LF;
      // A CR counts as a line end only before an LF or at the end of the input.
      if (c === CR && p + 1 < n && bytes[p + 1] !== LF) c = CR + 256;
      if (digits === 0 || v > 255 || (c !== COMMA && c !== LF && c !== CR)) {
        const cell = cellAt(bytes, cellStart);
        const what = col === 0 ? 'the label' : `pixel ${col}`;
        throw error('E_CSV_FORMAT', line, `${what} is "${cell}", expected an integer in 0..255`);
      }
      if (col === 0) {
        if (v >= classes) throw error('E_LABEL_RANGE', line, `label ${v} is outside 0..${classes - 1}`);
        labels[row] = v;
      } else {
        images[base + col] = v;
      }
      col++;
      if (c === COMMA) {
        if (col === COLUMNS) {
          throw error('E_CSV_FORMAT', line, `expected ${COLUMNS_TEXT}, found ${columnsAt(bytes, start)}`);
        }
        p++;
        continue;
      }
      if (col !== COLUMNS) {
        throw error('E_CSV_FORMAT', line, `expected ${COLUMNS_TEXT}, found ${col}`);
      }
      p += c === CR ? 2 : 1;
      break;
    }
    row++;
  }
  if (row === 0) {
    if (header) throw new GarmentError('E_EMPTY_BATCH', 'CSV: the file has a header but no rows');
    throw new GarmentError('E_CSV_FORMAT', 'CSV: the file is empty');
  }
  return { images: images.subarray(0, row * IMAGE_PIXELS), labels: labels.subarray(0, row), count: row };
}

// A header starts with something other than a number, e.g. `label` or `"label"`.
function isHeader(bytes: Uint8Array, p: number): boolean {
  while (p < bytes.length && isBlank(bytes[p])) p++;
  if (p >= bytes.length) return false;
  const c = bytes[p];
  const numeric = (c >= ZERO && c <= NINE) || c === PLUS || c === MINUS || c === DOT;
  return !numeric && c !== COMMA && c !== CR && c !== LF;
}

const error = (code: 'E_CSV_FORMAT' | 'E_LABEL_RANGE', line: number, message: string) =>
  new GarmentError(code, `CSV line ${line}: ${message}`);

// Columns on the line starting at `start`, counted only when reporting an error.
function columnsAt(bytes: Uint8Array, start: number): number {
  let cols = 1;
  for (let i = start; i < bytes.length && bytes[i] !== LF; i++) if (bytes[i] === COMMA) cols++;
  return cols;
}

// The text of the cell starting at `start`, shortened, for error messages.
function cellAt(bytes: Uint8Array, start: number): string {
  let end = start;
  while (end < bytes.length && bytes[end] !== COMMA && bytes[end] !== LF && bytes[end] !== CR) end++;
  const text = new TextDecoder().decode(bytes.subarray(start, Math.min(end, start + 24))).trim();
  return end - start > 24 ? `${text}...` : text;
}
