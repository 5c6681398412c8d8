// The live status line: one line on a terminal, redrawn at most ten times a second, or nothing at
// all when the output is piped or CI is set (then commands print plain lines only).

/** The part of a stream the status line needs. */
export interface Terminal {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Redraws at most this often (ms): a redraw costs microseconds, so this keeps the bar free. */
export const REDRAW_MS = 100;

/** Whether to draw live progress: a terminal, not CI, not TERM=dumb; `force` overrides. */
export function wantsLive(stream: Terminal, env: Record<string, string | undefined>, force?: boolean): boolean {
  if (force !== undefined) return force;
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
  return stream.isTTY === true && !ci && env.TERM !== 'dumb';
}

export class StatusLine {
  readonly live: boolean;
  readonly #stream: Terminal;
  #shown = false;
  #last = -Infinity;

  constructor(stream: Terminal, live: boolean) {
    this.#stream = stream;
    this.live = live;
  }

  /** Shows `text` in place of the previous status; skipped if the last redraw was under REDRAW_MS ago. */
  draw(text: string, force = false): void {
    if (!this.live) return;
    const t = performance.now();
    if (!force && t - this.#last < REDRAW_MS) return;
    this.#last = t;
    const width = Math.max(20, (this.#stream.columns || 100) - 1);
    this.#stream.write(`\r${text.length > width ? text.slice(0, width) : text}\x1b[K`);
    this.#shown = true;
  }

  /** Removes the status line, so a permanent line can be printed in its place. */
  clear(): void {
    if (!this.#shown) return;
    this.#stream.write('\r\x1b[K');
    this.#shown = false;
  }
}

/** A bar of `width` cells, `fraction` of them full. */
export function bar(fraction: number, width = 24): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.floor(f * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

/** 75 -> "1:15", 3725 -> "1:02:05". */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** 12345 -> "12,345". */
export function count(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export const percent = (x: number, digits = 2): string => `${(x * 100).toFixed(digits)}%`;

/** 1536 -> "1.5 KB", 30_000_000 -> "28.6 MB". */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
