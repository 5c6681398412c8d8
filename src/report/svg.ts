// Small SVG charts as strings: line chart, heatmap, grouped bars. No scripts, no external fonts or
// styles beyond the page's own CSS, so a report opens anywhere without a network. Hover titles
// (<title>) carry the exact numbers.

/** Escapes text for HTML and SVG content and attributes. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const f = (x: number) => (Math.round(x * 10) / 10).toString();

/** Colours of the report (colour-blind safe, after Tableau 10). */
export const COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** About five round tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Math.round(t / step) * step);
  return out;
}

export interface Series {
  name: string;
  colour: string;
  /** One value per x; undefined leaves a gap. */
  values: (number | undefined)[];
  dashed?: boolean;
}

export interface LineChartOptions {
  title: string;
  xs: number[];
  xLabel: string;
  series: Series[];
  format: (y: number) => string;
  width?: number;
  height?: number;
}

/** A line chart with points, grid, axis labels and a legend. */
export function lineChart(o: LineChartOptions): string {
  const W = o.width ?? 460;
  const H = o.height ?? 280;
  const m = { l: 56, r: 16, t: 34, b: 44 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const ys = o.series.flatMap((s) => s.values.filter((v): v is number => v !== undefined && Number.isFinite(v)));
  let lo = Math.min(...ys);
  let hi = Math.max(...ys);
  if (!ys.length) [lo, hi] = [0, 1];
  const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.05 || 0.05;
  lo -= pad;
  hi += pad;
  const x0 = o.xs[0] ?? 0;
  const x1 = o.xs[o.xs.length - 1] ?? 1;
  const X = (x: number) => m.l + (x1 === x0 ? pw / 2 : ((x - x0) / (x1 - x0)) * pw);
  const Y = (y: number) => m.t + ph - ((y - lo) / (hi - lo)) * ph;
  const parts: string[] = [];
  parts.push(`<text x="${m.l}" y="20" class="chart-title">${esc(o.title)}</text>`);
  for (const t of ticks(lo, hi)) {
    parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${f(Y(t))}" y2="${f(Y(t))}" class="grid"/>`);
    parts.push(`<text x="${m.l - 6}" y="${f(Y(t) + 4)}" class="tick" text-anchor="end">${esc(o.format(t))}</text>`);
  }
  const xt = o.xs.length <= 12 ? o.xs : ticks(x0, x1, 8).filter((t) => Number.isInteger(t));
  for (const t of xt) parts.push(`<text x="${f(X(t))}" y="${m.t + ph + 16}" class="tick" text-anchor="middle">${t}</text>`);
  parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${m.t + ph}" y2="${m.t + ph}" class="axis"/>`);
  parts.push(`<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + ph}" class="axis"/>`);
  parts.push(`<text x="${m.l + pw / 2}" y="${H - 8}" class="label" text-anchor="middle">${esc(o.xLabel)}</text>`);
  for (const s of o.series) {
    const pts = o.xs.map((x, i) => [x, s.values[i]] as const).filter((p): p is readonly [number, number] => p[1] !== undefined);
    if (pts.length > 1) {
      const d = pts.map(([x, y], i) => `${i ? 'L' : 'M'}${f(X(x))},${f(Y(y))}`).join('');
      parts.push(`<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    }
    for (const [x, y] of pts) {
      parts.push(`<circle cx="${f(X(x))}" cy="${f(Y(y))}" r="3.5" fill="${s.colour}"><title>${esc(`${s.name}, ${o.xLabel} ${x}: ${o.format(y)}`)}</title></circle>`);
    }
  }
  let lx = m.l + pw;
  o.series.slice().reverse().forEach((s) => {
    const w = 26 + s.name.length * 6.5;
    lx -= w;
    parts.push(`<line x1="${f(lx)}" x2="${f(lx + 18)}" y1="16" y2="16" stroke="${s.colour}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    parts.push(`<text x="${f(lx + 22)}" y="20" class="legend">${esc(s.name)}</text>`);
  });
  return svg(W, H, o.title, parts);
}

/** Light to dark blue, t in [0, 1]. */
function blue(t: number): string {
  const a = [247, 251, 255];
  const b = [8, 48, 107];
  const c = a.map((v, i) => Math.round(v + (b[i] - v) * Math.max(0, Math.min(1, t))));
  return `rgb(${c.join(',')})`;
}

/**
 * The confusion matrix as a heatmap: rows true class, columns predicted, colour the share of the
 * row (so each row reads as that class's recall and where its errors went), the count written in.
 */
export function heatmap(matrix: number[][], labels: readonly string[]): string {
  const k = labels.length;
  const cell = k <= 12 ? 44 : Math.max(14, Math.floor(528 / k));
  const longest = Math.max(...labels.map((l) => l.length));
  const left = Math.min(180, 24 + longest * 7);
  const top = Math.min(150, 30 + longest * 5.2);
  // Column labels lean right, past the last column; the note below needs about 470 px.
  const W = Math.max(left + k * cell + Math.min(130, 12 + longest * 5.5), left + 470);
  const H = top + k * cell + 34;
  const parts: string[] = [];
  parts.push(`<text x="${left + (k * cell) / 2}" y="14" class="label" text-anchor="middle">predicted class</text>`);
  parts.push(`<text x="12" y="${top + (k * cell) / 2}" class="label" text-anchor="middle" transform="rotate(-90 12 ${top + (k * cell) / 2})">true class</text>`);
  labels.forEach((l, i) => {
    const cx = left + i * cell + cell / 2;
    parts.push(`<text x="${f(cx)}" y="${top - 6}" class="tick" transform="rotate(-40 ${f(cx)} ${top - 6})">${esc(l)}</text>`);
    parts.push(`<text x="${left - 6}" y="${f(top + i * cell + cell / 2 + 4)}" class="tick" text-anchor="end">${esc(l)}</text>`);
  });
  const small = k > 12;
  matrix.forEach((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((n, p) => {
      const share = total ? n / total : 0;
      const x = left + p * cell;
      const y = top + t * cell;
      const title = `true ${labels[t]}, predicted ${labels[p]}: ${n} (${(share * 100).toFixed(1)}% of ${labels[t]})`;
      const diag = t === p ? ' class="diag"' : '';
      parts.push(`<g><title>${esc(title)}</title><rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${blue(Math.sqrt(share))}"${diag}/>`);
      if (!small && n > 0) parts.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" class="cell" fill="${share > 0.3 ? '#fff' : '#222'}">${n}</text>`);
      parts.push('</g>');
    });
  });
  parts.push(`<rect x="${left}" y="${top}" width="${k * cell}" height="${k * cell}" fill="none" class="axis"/>`);
  parts.push(`<text x="${left}" y="${H - 10}" class="note">colour: share of the true class's images (square-root scale); hover a cell for details</text>`);
  return svg(W, H, 'confusion matrix', parts);
}

export interface BarGroup {
  label: string;
  values: number[];
}

/**
 * Horizontal grouped bars: one group per row (e.g. a class), one bar per series (e.g. precision,
 * recall, F1), each labelled with its value.
 */
export function groupedBars(o: { title: string; series: string[]; groups: BarGroup[]; max?: number; format: (x: number) => string; width?: number }): string {
  const W = o.width ?? 560;
  const barH = 9;
  const gap = 10;
  const n = o.series.length;
  const longest = Math.max(...o.groups.map((g) => g.label.length));
  const left = Math.min(180, 16 + longest * 7);
  const right = 56;
  const top = 40;
  const groupH = n * barH + gap;
  const H = top + o.groups.length * groupH + 28;
  const max = o.max ?? Math.max(1e-9, ...o.groups.flatMap((g) => g.values));
  const pw = W - left - right;
  const X = (v: number) => left + (v / max) * pw;
  const parts: string[] = [];
  parts.push(`<text x="${left}" y="16" class="chart-title">${esc(o.title)}</text>`);
  let lx = left;
  o.series.forEach((s, i) => {
    parts.push(`<rect x="${lx}" y="24" width="12" height="9" fill="${COLOURS[i % COLOURS.length]}"/><text x="${lx + 16}" y="33" class="legend">${esc(s)}</text>`);
    lx += 28 + s.length * 7;
  });
  for (const t of ticks(0, max, 5)) {
    parts.push(`<line x1="${f(X(t))}" x2="${f(X(t))}" y1="${top}" y2="${H - 24}" class="grid"/>`);
    parts.push(`<text x="${f(X(t))}" y="${H - 10}" class="tick" text-anchor="middle">${esc(o.format(t))}</text>`);
  }
  o.groups.forEach((g, gi) => {
    const y0 = top + gi * groupH + gap / 2;
    parts.push(`<text x="${left - 6}" y="${f(y0 + (n * barH) / 2 + 4)}" class="tick" text-anchor="end">${esc(g.label)}</text>`);
    g.values.forEach((v, i) => {
      const y = y0 + i * barH;
      const title = `${g.label}, ${o.series[i]}: ${o.format(v)}`;
      parts.push(`<rect x="${left}" y="${y}" width="${f(Math.max(0, X(v) - left))}" height="${barH - 1}" fill="${COLOURS[i % COLOURS.length]}"><title>${esc(title)}</title></rect>`);
      parts.push(`<text x="${f(X(v) + 4)}" y="${y + barH - 1}" class="value">${esc(o.format(v))}</text>`);
    });
  });
  parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${H - 24}" class="axis"/>`);
  return svg(W, H, o.title, parts);
}

function svg(w: number, h: number, label: string, parts: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${f(w)} ${f(h)}" width="${f(w)}" height="${f(h)}" role="img" aria-label="${esc(label)}">${parts.join('')}</svg>`;
}
