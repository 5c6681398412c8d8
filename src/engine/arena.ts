/**
 * Lays out buffers in wasm linear memory once: a bump allocator over byte offsets. Nothing is
 * ever freed; a new layout (a bigger batch) starts again from a mark.
 */
export class Arena {
  private top: number;
  constructor(start: number) {
    this.top = start;
  }
  /** Reserves `bytes`, aligned to 64 bytes (a cache line; v128 needs 16). */
  alloc(bytes: number): number {
    const at = Math.ceil(this.top / 64) * 64;
    this.top = at + Math.max(0, bytes);
    return at;
  }
  /** Reserves `count` f32 values. */
  f32(count: number): number {
    return this.alloc(count * 4);
  }
  get size(): number {
    return this.top;
  }
  mark(): number {
    return this.top;
  }
  reset(mark: number): void {
    this.top = mark;
  }
}
