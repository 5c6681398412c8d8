import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCsv } from '../dist/node/internal.js';

const HEADER = ['label', ...Array.from({ length: 784 }, (_, i) => `pixel${i + 1}`)].join(',');

// Synthetic rows from a fixed LCG: no real dataset bytes in the repository.
function rows(count, seed = 1) {
  const labels = new Uint8Array(count);
  const images = new Uint8Array(count * 784);
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24;
  for (let i = 0; i < count; i++) {
    labels[i] = next() % 10;
    for (let j = 0; j < 784; j++) images[i * 784 + j] = next();
  }
  return { labels, images, count };
}

function toCsv(data, { header = true, eol = '\n', trailing = true } = {}) {
  const lines = [];
  if (header) lines.push(HEADER);
  for (let i = 0; i < data.count; i++) {
    lines.push(`${data.labels[i]},${data.images.subarray(i * 784, (i + 1) * 784).join(',')}`);
  }
  return lines.join(eol) + (trailing ? eol : '');
}

function throwsCode(fn, code, pattern) {
  try {
    fn();
  } catch (e) {
    assert.is(e.name, 'GarmentError', `expected a GarmentError, got ${e}`);
    assert.is(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return e;
  }
  assert.unreachable(`expected ${code}`);
}

const zeros = (label = 0) => `${label},${new Array(784).fill(0).join(',')}`;

function same(parsed, data) {
  assert.is(parsed.count, data.count);
  assert.equal(parsed.labels, data.labels);
  assert.equal(parsed.images, data.images);
}

test('with and without header, LF and CRLF, with and without a trailing newline', () => {
  const data = rows(5);
  for (const header of [true, false]) {
    for (const eol of ['\n', '\r\n']) {
      for (const trailing of [true, false]) same(parseCsv(toCsv(data, { header, eol, trailing })), data);
    }
  }
});

test('strings and bytes give the same result; a UTF-8 BOM is skipped', () => {
  const data = rows(3, 9);
  const text = toCsv(data);
  same(parseCsv(new TextEncoder().encode(text)), data);
  same(parseCsv(`\ufeff${text}`), data);
});

test('blank lines at the end, spaces around cells', () => {
  const text = `${HEADER}\n${zeros(3)}\n ${zeros(4).replace(/,/g, ' , ')} \n\n\r\n`;
  const parsed = parseCsv(text);
  assert.is(parsed.count, 2);
  assert.equal([...parsed.labels], [3, 4]);
  assert.is(parsed.images.length, 2 * 784);
});

test('wrong column count names the line', () => {
  const short = `${HEADER}\n${zeros()}\n${zeros().slice(0, -2)}\n`;
  throwsCode(() => parseCsv(short), 'E_CSV_FORMAT', /^CSV line 3: expected 785 columns .*found 784$/);
  const long = `${zeros()}\n${zeros()}\n${zeros()},7\n`;
  throwsCode(() => parseCsv(long), 'E_CSV_FORMAT', /^CSV line 3: expected 785 columns .*found 786$/);
  throwsCode(() => parseCsv(`label,pixel1\n${zeros()}`), 'E_CSV_FORMAT',
    /line 1: the header has 2 columns, expected 785/);
  throwsCode(() => parseCsv(`${zeros()},\n`), 'E_CSV_FORMAT', /line 1: expected 785 columns/);
});

test('bad cells name the line and the column', () => {
  const bad = (cell, at = 10) => {
    const cells = zeros().split(',');
    cells[at] = cell;
    return `${HEADER}\r\n${zeros()}\r\n${cells.join(',')}\r\n`;
  };
  throwsCode(() => parseCsv(bad('256')), 'E_CSV_FORMAT',
    /^CSV line 3: pixel 10 is "256", expected an integer in 0\.\.255$/);
  throwsCode(() => parseCsv(bad('-1')), 'E_CSV_FORMAT', /line 3: pixel 10 is "-1"/);
  throwsCode(() => parseCsv(bad('1.5')), 'E_CSV_FORMAT', /line 3: pixel 10 is "1\.5"/);
  throwsCode(() => parseCsv(bad('abc', 784)), 'E_CSV_FORMAT', /line 3: pixel 784 is "abc"/);
  throwsCode(() => parseCsv(bad('')), 'E_CSV_FORMAT', /line 3: pixel 10 is ""/);
  throwsCode(() => parseCsv(bad('x', 0)), 'E_CSV_FORMAT', /line 3: the label is "x"/);
  throwsCode(() => parseCsv(`${zeros()}\r${zeros()}\n`), 'E_CSV_FORMAT', /line 1: pixel 784/);
});

test('labels outside 0..classes-1', () => {
  throwsCode(() => parseCsv(`${zeros(9)}\n${zeros(10)}\n`), 'E_LABEL_RANGE',
    /^CSV line 2: label 10 is outside 0\.\.9$/);
  throwsCode(() => parseCsv(`${zeros(3)}\n`, { classes: 3 }), 'E_LABEL_RANGE', /label 3 is outside 0\.\.2/);
  assert.is(parseCsv(`${zeros(11)}\n`, { classes: 12 }).labels[0], 11);
  throwsCode(() => parseCsv(zeros(), { classes: 0 }), 'E_OPTION');
});

test('empty input and a header without rows', () => {
  throwsCode(() => parseCsv(''), 'E_CSV_FORMAT', /empty/);
  throwsCode(() => parseCsv(new Uint8Array(0)), 'E_CSV_FORMAT', /empty/);
  throwsCode(() => parseCsv('\n\r\n'), 'E_CSV_FORMAT', /empty/);
  throwsCode(() => parseCsv(`${HEADER}\n`), 'E_EMPTY_BATCH', /header but no rows/);
  throwsCode(() => parseCsv(42), 'E_OPTION');
});

// Speed is a benchmark's business (the machine's speed drifts): this checks a full-size file
// parses correctly and reports the time.
test('60,000 rows parse (time reported, not asserted)', () => {
  const data = rows(60000, 3);
  const bytes = new TextEncoder().encode(toCsv(data));
  const t0 = performance.now();
  const parsed = parseCsv(bytes);
  const ms = performance.now() - t0;
  console.log(`  parseCsv: 60,000 rows (${(bytes.length / 1e6).toFixed(0)} MB) in ${ms.toFixed(0)} ms`);
  same(parsed, data);
});

test.run();
