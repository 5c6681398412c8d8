// Byte layouts of the kernel descriptors, mirroring the constants at the top of
// assembly/gemm.ts, assembly/conv2d_desc.ts, assembly/dense.ts and assembly/adam.ts.
// A descriptor is a small struct in wasm memory, written once when a model is planned.

export const GEMM_DESC = { bytes: 48, M: 0, N: 4, K: 8, A: 12, SAI: 16, SAK: 20, B: 24, LDB: 28, C: 32, LDC: 36, BIAS: 40, FLAGS: 44 } as const;
export const GEMM_ACCUMULATE = 1;
export const GEMM_RELU = 2;

export const CONV_DESC = {
  bytes: 84, N: 0, H: 4, W: 8, C: 12, F: 16, K: 20, PAD: 24, HO: 28, WO: 32, X: 36, WGT: 40, BIAS: 44, Y: 48,
  DY: 52, DX: 56, DW: 60, DB: 64, SCRATCH: 68, SCRATCH_BYTES: 72, FLAGS: 76, U: 80,
} as const;
export const CONV_RELU = 1;
export const CONV_ACCUMULATE = 2;
export const CONV_PRETRANSFORMED = 4;

export const DENSE_DESC = {
  bytes: 52, N: 0, IN: 4, OUT: 8, X: 12, WGT: 16, BIAS: 20, Y: 24, DY: 28, DX: 32, DW: 36, DB: 40, SCRATCH: 44, FLAGS: 48,
} as const;
export const DENSE_RELU = 1;
export const DENSE_ACCUMULATE = 2;
/** Forward may skip zero inputs' weight rows outside 4-row tiles; SCRATCH holds IN i32. Finite weights only. */
export const DENSE_SPARSE_X = 4;

export const ADAM_DESC = {
  bytes: 44, PARAMS: 0, GRADS: 4, M: 8, V: 12, COUNT: 16, STEP: 20, LR: 24, BETA1: 28, BETA2: 32, EPS: 36, WD: 40,
} as const;

export const BN_DESC = {
  bytes: 92, ROWS: 0, C: 4, X: 8, Y: 12, DY: 16, DX: 20, GAMMA: 24, BETA: 28, DGAMMA: 32, DBETA: 36,
  RMEAN: 40, RVAR: 44, MEAN: 48, INVSTD: 52, PART: 56, PART0: 60, PART_STRIDE: 64, PARTS: 68, EPS: 72,
  MOMENTUM: 76, FLAGS: 80, OUTPUT: 84, BACK: 88,
} as const;
export const BN_RELU = 1;
export const BN_UPDATE_RUNNING = 2;

export const SGD_DESC = { bytes: 32, PARAMS: 0, GRADS: 4, VELOCITY: 8, COUNT: 12, NESTEROV: 16, LR: 20, MOMENTUM: 24, WD: 28 } as const;

export const AUG_DESC = {
  bytes: 40, PIXELS: 0, TMP: 4, N: 8, FIRST: 12, SEED: 16, PAD: 20, FLIP: 24, ERASE_P: 28, ERASE_MIN: 32, ERASE_MAX: 36,
} as const;

/** Writes descriptor fields: integers as i32, keys listed in `floats` as f32. */
export function writeDesc(
  mem: ArrayBuffer, at: number, layout: Record<string, number>, values: Record<string, number>,
  floats: readonly string[] = [],
): void {
  const dv = new DataView(mem);
  for (const [key, value] of Object.entries(values)) {
    const off = layout[key];
    if (off === undefined || key === 'bytes') throw new Error(`unknown descriptor field ${key}`);
    if (floats.includes(key)) dv.setFloat32(at + off, value, true);
    else dv.setInt32(at + off, value, true);
  }
}
