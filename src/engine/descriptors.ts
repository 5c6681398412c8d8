// Byte layouts of the kernel descriptors, mirroring the constants at the top of
// assembly/gemm.ts, assembly/conv2d_desc.ts, assembly/dense.ts and assembly/adam.ts.
// A descriptor is a small struct in wasm memory, written once when a model is planned.

export const GEMM_DESC = { bytes: 48, M: 0, N: 4, K: 8, A: 12, SAI: 16, SAK: 20, B: 24, LDB: 28, C: 32, LDC: 36, BIAS: 40, FLAGS: 44 } as const;
export const GEMM_ACCUMULATE = 1;
export const GEMM_RELU = 2;

export const CONV_DESC = {
  bytes: 80, N: 0, H: 4, W: 8, C: 12, F: 16, K: 20, PAD: 24, HO: 28, WO: 32, X: 36, WGT: 40, BIAS: 44, Y: 48,
  DY: 52, DX: 56, DW: 60, DB: 64, SCRATCH: 68, SCRATCH_BYTES: 72, FLAGS: 76,
} as const;
export const CONV_RELU = 1;
export const CONV_ACCUMULATE = 2;

export const DENSE_DESC = {
  bytes: 52, N: 0, IN: 4, OUT: 8, X: 12, WGT: 16, BIAS: 20, Y: 24, DY: 28, DX: 32, DW: 36, DB: 40, SCRATCH: 44, FLAGS: 48,
} as const;
export const DENSE_RELU = 1;
export const DENSE_ACCUMULATE = 2;

export const ADAM_DESC = {
  bytes: 44, PARAMS: 0, GRADS: 4, M: 8, V: 12, COUNT: 16, STEP: 20, LR: 24, BETA1: 28, BETA2: 32, EPS: 36, WD: 40,
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
