// SGD with momentum (optionally Nesterov) and decoupled weight decay, in PyTorch's form:
//   p = p * (1 - lr * wd);  b = momentum * b + g;  p = p - lr * (nesterov ? g + momentum * b : b)
// Descriptor (byte offsets; pointers and counts i32, hyper-parameters f32); mirrored in
// src/engine/descriptors.ts. PARAMS, GRADS, VELOCITY: COUNT floats each, no aliasing.
const SG_PARAMS = 0, SG_GRADS = 4, SG_VELOCITY = 8, SG_COUNT = 12, SG_NESTEROV = 16;
const SG_LR = 20, SG_MOMENTUM = 24, SG_WD = 28;

/** One SGD step over a flat parameter range. */
export function sgd_step(d: usize): void {
  const params = <usize>load<u32>(d + SG_PARAMS), grads = <usize>load<u32>(d + SG_GRADS);
  const vel = <usize>load<u32>(d + SG_VELOCITY), count = load<i32>(d + SG_COUNT);
  const nesterov = load<i32>(d + SG_NESTEROV) != 0;
  const lr = load<f32>(d + SG_LR), mom = load<f32>(d + SG_MOMENTUM), wd = load<f32>(d + SG_WD);
  const decay: f32 = 1 - lr * wd;
  const vlr = f32x4.splat(lr), vmom = f32x4.splat(mom), vdecay = f32x4.splat(decay);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const o = <usize>i << 2;
    const g = v128.load(grads + o);
    const b = f32x4.add(f32x4.mul(vmom, v128.load(vel + o)), g);
    const step = nesterov ? f32x4.add(g, f32x4.mul(vmom, b)) : b;
    v128.store(params + o, f32x4.sub(f32x4.mul(v128.load(params + o), vdecay), f32x4.mul(vlr, step)));
    v128.store(vel + o, b);
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(grads + o);
    const b = mom * load<f32>(vel + o) + g;
    const step = nesterov ? g + mom * b : b;
    store<f32>(params + o, load<f32>(params + o) * decay - lr * step);
    store<f32>(vel + o, b);
  }
}
