// A compiled model living in wasm memory: its layout, its parameters and optimizer state, and
// the workspace that runs it. Everything above this (training loop, evaluation, prediction)
// talks to the kernels only through here.
import { Arena } from '../engine/arena.ts';
import { Engine } from '../engine/engine.ts';
import { type Layout, inferLayout } from './layout.ts';
import { type ParamRegion, Workspace, allocParams } from './plan.ts';
import type { LayerSpec } from './spec.ts';
import { IMAGE_SIDE } from '../types.ts';

/** First byte the arena uses; address 0 stays free so 0 can mean "no pointer". */
const ARENA_START = 1024;

/** Pixel normalisation: input = pixel * scale + shift. */
export interface InputNorm {
  scale: number;
  shift: number;
}

export const DEFAULT_NORM: InputNorm = { scale: Math.fround(1 / 255), shift: 0 };

export class Network {
  readonly engine: Engine;
  readonly layout: Layout;
  readonly layers: LayerSpec[];
  readonly region: ParamRegion;
  readonly norm: InputNorm;
  /** Adam's step counter t, 1-based after the first step. */
  optimizerStep = 0;
  private readonly arena: Arena;
  private readonly workspaceMark: number;
  private ws: Workspace | undefined;
  private wsTraining = false;

  private constructor(engine: Engine, layers: LayerSpec[], layout: Layout, arena: Arena, region: ParamRegion, norm: InputNorm) {
    this.engine = engine;
    this.layers = layers;
    this.layout = layout;
    this.arena = arena;
    this.region = region;
    this.norm = norm;
    this.workspaceMark = arena.mark();
  }

  static async create(module: WebAssembly.Module, layers: LayerSpec[], classes: number, norm: InputNorm = DEFAULT_NORM): Promise<Network> {
    const layout = inferLayout(layers, { h: IMAGE_SIDE, w: IMAGE_SIDE, c: 1 }, classes);
    const arena = new Arena(ARENA_START);
    const region = allocParams(arena, layout);
    const engine = await Engine.create(module, arena.size);
    // Fresh memory is zeroed: gradients and Adam moments start at 0.
    return new Network(engine, layers, layout, arena, region, norm);
  }

  /** The parameters as a live view into wasm memory (invalid after the memory grows). */
  params(): Float32Array {
    return this.engine.f32.subarray(this.region.params >> 2, (this.region.params >> 2) + this.layout.paramCount);
  }

  /** Adam's first and second moments, live views. */
  moments(): [Float32Array, Float32Array] {
    const f = this.engine.f32, n = this.layout.paramCount;
    return [f.subarray(this.region.m >> 2, (this.region.m >> 2) + n), f.subarray(this.region.v >> 2, (this.region.v >> 2) + n)];
  }

  /**
   * A workspace for at least `capacity` images; a training workspace also holds gradients.
   * Reused while big enough, otherwise laid out again (activations only; parameters stay put).
   */
  workspace(capacity: number, training: boolean): Workspace {
    const ws = this.ws;
    if (ws && ws.capacity >= capacity && (this.wsTraining || !training)) return ws;
    const cap = Math.max(capacity, ws ? ws.capacity : 0);
    this.arena.reset(this.workspaceMark);
    const fresh = new Workspace(this.engine, this.layout, this.region, this.region.grads, this.arena, cap, training || this.wsTraining);
    this.ws = fresh;
    this.wsTraining = training || this.wsTraining;
    return fresh;
  }

  /** Copies `count` images of 784 bytes, starting at image `from` of `pixels`, into the workspace input. */
  loadPixels(ws: Workspace, pixels: Uint8Array, from: number, count: number): void {
    const px = IMAGE_SIDE * IMAGE_SIDE;
    this.engine.u8.set(pixels.subarray(from * px, (from + count) * px), ws.pixels);
    ws.normalize(count, this.norm.scale, this.norm.shift);
  }

  /** Copies the images `order[from..from+count)` of a dataset into the workspace input. */
  gatherPixels(ws: Workspace, images: Uint8Array, order: Uint32Array, from: number, count: number): void {
    const px = IMAGE_SIDE * IMAGE_SIDE;
    const u8 = this.engine.u8;
    for (let i = 0; i < count; i++) {
      const src = order[from + i] * px;
      u8.set(images.subarray(src, src + px), ws.pixels + i * px);
    }
    ws.normalize(count, this.norm.scale, this.norm.shift);
  }
}
