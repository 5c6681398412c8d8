// The one seeded generator behind initialisation and shuffling: sfc32 (Chris Doty-Humphrey's
// Small Fast Counter), integer arithmetic only, so every engine produces the same sequence.
// see: https://pracrand.sourceforge.net/RNG_engines.txt

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream = 0) {
    this.a = 0x9e3779b9;
    this.b = seed | 0;
    this.c = (seed / 4294967296) | 0; // the high bits of seeds up to 2^53
    this.d = (stream | 0) ^ 0x6a09e667;
    for (let i = 0; i < 15; i++) this.u32();
  }

  /** The next 32 random bits as an unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 24 random bits: exact in f32. */
  float(): number {
    return (this.u32() >>> 8) / 16777216;
  }

  /** Uniform integer in [0, n), n <= 2^32. */
  int(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }

  /** Shuffles `arr` in place (Fisher-Yates). */
  shuffle(arr: Uint32Array | number[]): void {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = arr[i];
      arr[i] = arr[j];
      arr[j] = t;
    }
  }

  get state(): [number, number, number, number] {
    return [this.a, this.b, this.c, this.d];
  }

  set state(s: [number, number, number, number]) {
    [this.a, this.b, this.c, this.d] = s.map((v) => v | 0) as [number, number, number, number];
  }
}

/** Mixes two 32-bit values into one (a murmur3-style finaliser): per-step seeds. */
export function mix32(a: number, b: number): number {
  let h = (a ^ Math.imul(b, 0x9e3779b1)) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
