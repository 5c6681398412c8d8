// A live loss/accuracy chart in SVG, appended to as training reports progress.
const NS = 'http://www.w3.org/2000/svg';

export class LiveChart {
  readonly #svg: SVGSVGElement;
  readonly #loss: SVGPolylineElement;
  readonly #acc: SVGPolylineElement;
  readonly #marks: SVGGElement;
  readonly #points: { x: number; loss: number; acc: number }[] = [];
  readonly #w = 460;
  readonly #h = 200;
  #xmax = 1;

  constructor(host: HTMLElement) {
    const el = <K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string>) => {
      const e = document.createElementNS(NS, name);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
      return e;
    };
    this.#svg = el('svg', { viewBox: `0 0 ${this.#w} ${this.#h + 24}`, class: 'chart', role: 'img', 'aria-label': 'training loss and accuracy' });
    for (const y of [0, 0.25, 0.5, 0.75, 1]) {
      this.#svg.append(el('line', { x1: '0', x2: String(this.#w), y1: String(this.#y(y)), y2: String(this.#y(y)), class: 'gridline' }));
    }
    this.#marks = el('g', {});
    this.#loss = el('polyline', { class: 'loss', fill: 'none' });
    this.#acc = el('polyline', { class: 'acc', fill: 'none' });
    const legend = el('text', { x: '4', y: String(this.#h + 18), class: 'legend' });
    legend.innerHTML = '<tspan class="loss-key">━ loss (scaled to its maximum)</tspan>  <tspan class="acc-key">━ accuracy (0 to 100%)</tspan>';
    this.#svg.append(this.#marks, this.#loss, this.#acc, legend);
    host.replaceChildren(this.#svg);
  }

  #y(v: number): number {
    return 4 + (1 - v) * (this.#h - 8);
  }

  /** Sets the x range: total images the run will see. */
  reset(xmax: number): void {
    this.#points.length = 0;
    this.#xmax = Math.max(1, xmax);
    this.#marks.replaceChildren();
    this.#draw();
  }

  add(x: number, loss: number, acc: number): void {
    this.#points.push({ x, loss, acc });
    this.#draw();
  }

  /** A vertical line at an epoch's end. */
  mark(x: number): void {
    const px = String((x / this.#xmax) * this.#w);
    const line = document.createElementNS(NS, 'line');
    for (const [k, v] of Object.entries({ x1: px, x2: px, y1: '0', y2: String(this.#h), class: 'epochline' })) line.setAttribute(k, v);
    this.#marks.append(line);
  }

  #draw(): void {
    const maxLoss = Math.max(1e-6, ...this.#points.map((p) => p.loss));
    const X = (x: number) => ((x / this.#xmax) * this.#w).toFixed(1);
    this.#loss.setAttribute('points', this.#points.map((p) => `${X(p.x)},${this.#y(p.loss / maxLoss).toFixed(1)}`).join(' '));
    this.#acc.setAttribute('points', this.#points.map((p) => `${X(p.x)},${this.#y(p.acc).toFixed(1)}`).join(' '));
  }
}
