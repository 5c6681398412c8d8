// Adam with optional decoupled weight decay (AdamW, Loshchilov & Hutter 2019), in the form
// PyTorch uses:
//   p = p * (1 - lr * wd)
//   m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2
//   p = p - (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// The bias corrections use exact repeated squaring, so every engine gets the same bits.
// Descriptor of fields at byte offsets (pointers and counts i32, hyper-parameters f32);
// mirrored in src/engine/descriptors.ts. PARAMS, GRADS, M, V: COUNT floats each, no aliasing.
import { powi64 } from './math';

const AD_PARAMS = 0, AD_GRADS = 4, AD_M = 8, AD_V = 12, AD_COUNT = 16, AD_STEP = 20;
const AD_LR = 24, AD_BETA1 = 28, AD_BETA2 = 32, AD_EPS = 36, AD_WD = 40;

/** One Adam(W) step over a flat parameter range. STEP is the 1-based step number t. */
export function adam_step(d: usize): void {
  const params = <usize>load<u32>(d + AD_PARAMS), grads = <usize>load<u32>(d + AD_GRADS);
  const mp = <usize>load<u32>(d + AD_M), vp = <usize>load<u32>(d + AD_V);
  const count = load<i32>(d + AD_COUNT), t = load<i32>(d + AD_STEP);
  const lr = load<f32>(d + AD_LR), b1 = load<f32>(d + AD_BETA1), b2 = load<f32>(d + AD_BETA2);
  const eps = load<f32>(d + AD_EPS), wd = load<f32>(d + AD_WD);
  const bc1 = 1.0 - powi64(<f64>b1, t);
  const bc2 = 1.0 - powi64(<f64>b2, t);
  const stepSize = <f32>(<f64>lr / bc1);
  const invSqrtBc2 = <f32>(1.0 / Math.sqrt(bc2));
  const decay: f32 = 1 - lr * wd;
  const vb1 = f32x4.splat(b1), vb1c = f32x4.splat(1 - b1);
  const vb2 = f32x4.splat(b2), vb2c = f32x4.splat(1 - b2);
  const vstep = f32x4.splat(stepSize), vinv = f32x4.splat(invSqrtBc2);
  const veps = f32x4.splat(eps), vdecay = f32x4.splat(decay);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const o = <usize>i << 2;
    const g = v128.load(grads + o);
    const m = f32x4.add(f32x4.mul(vb1, v128.load(mp + o)), f32x4.mul(vb1c, g));
    const v = f32x4.add(f32x4.mul(vb2, v128.load(vp + o)), f32x4.mul(vb2c, f32x4.mul(g, g)));
    const denom = f32x4.add(f32x4.mul(f32x4.sqrt(v), vinv), veps);
    const p = f32x4.mul(v128.load(params + o), vdecay);
    v128.store(params + o, f32x4.sub(p, f32x4.div(f32x4.mul(vstep, m), denom)));
    v128.store(mp + o, m);
    v128.store(vp + o, v);
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(grads + o);
    const m = b1 * load<f32>(mp + o) + (1 - b1) * g;
    const v = b2 * load<f32>(vp + o) + (1 - b2) * (g * g);
    const denom = Mathf.sqrt(v) * invSqrtBc2 + eps;
    store<f32>(params + o, load<f32>(params + o) * decay - (stepSize * m) / denom);
    store<f32>(mp + o, m);
    store<f32>(vp + o, v);
  }
}
