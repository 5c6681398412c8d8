// Float64 references for the convolution kernels (NHWC, weights KxKxCxF), each with the sum of
// |terms| per element for rounding bounds. Shared by the im2col and Winograd kernel suites.

export const xAt = (s, n, h, w, c) => ((n * s.H + h) * s.W + w) * s.C + c;
export const yAt = (s, n, h, w, f) => ((n * s.Ho + h) * s.Wo + w) * s.F + f;
export const wAt = (s, kh, kw, c, f) => ((kh * s.K + kw) * s.C + c) * s.F + f;

export function forwardRef(s, X, Wt, b) {
  const val = new Float64Array(s.N * s.Ho * s.Wo * s.F), abs = new Float64Array(val.length);
  for (let n = 0; n < s.N; n++)
    for (let oh = 0; oh < s.Ho; oh++)
      for (let ow = 0; ow < s.Wo; ow++)
        for (let f = 0; f < s.F; f++) {
          let v = b ? b[f] : 0, a = Math.abs(v);
          for (let kh = 0; kh < s.K; kh++) {
            const ih = oh + kh - s.pad;
            if (ih < 0 || ih >= s.H) continue;
            for (let kw = 0; kw < s.K; kw++) {
              const iw = ow + kw - s.pad;
              if (iw < 0 || iw >= s.W) continue;
              for (let c = 0; c < s.C; c++) {
                const t = X[xAt(s, n, ih, iw, c)] * Wt[wAt(s, kh, kw, c, f)];
                v += t;
                a += Math.abs(t);
              }
            }
          }
          val[yAt(s, n, oh, ow, f)] = v;
          abs[yAt(s, n, oh, ow, f)] = a;
        }
  return { val, abs };
}

/** The adjoint of the forward pass: every product scattered back to the input pixel it read. */
export function backwardInputRef(s, DY, Wt) {
  const val = new Float64Array(s.N * s.H * s.W * s.C), abs = new Float64Array(val.length);
  for (let n = 0; n < s.N; n++)
    for (let oh = 0; oh < s.Ho; oh++)
      for (let ow = 0; ow < s.Wo; ow++)
        for (let kh = 0; kh < s.K; kh++) {
          const ih = oh + kh - s.pad;
          if (ih < 0 || ih >= s.H) continue;
          for (let kw = 0; kw < s.K; kw++) {
            const iw = ow + kw - s.pad;
            if (iw < 0 || iw >= s.W) continue;
            for (let c = 0; c < s.C; c++)
              for (let f = 0; f < s.F; f++) {
                const t = DY[yAt(s, n, oh, ow, f)] * Wt[wAt(s, kh, kw, c, f)];
                val[xAt(s, n, ih, iw, c)] += t;
                abs[xAt(s, n, ih, iw, c)] += Math.abs(t);
              }
          }
        }
  return { val, abs };
}

export function backwardFilterRef(s, X, DY) {
  const dw = new Float64Array(s.K * s.K * s.C * s.F), dwAbs = new Float64Array(dw.length);
  const db = new Float64Array(s.F), dbAbs = new Float64Array(s.F);
  for (let n = 0; n < s.N; n++)
    for (let oh = 0; oh < s.Ho; oh++)
      for (let ow = 0; ow < s.Wo; ow++)
        for (let f = 0; f < s.F; f++) {
          const g = DY[yAt(s, n, oh, ow, f)];
          db[f] += g;
          dbAbs[f] += Math.abs(g);
          for (let kh = 0; kh < s.K; kh++) {
            const ih = oh + kh - s.pad;
            if (ih < 0 || ih >= s.H) continue;
            for (let kw = 0; kw < s.K; kw++) {
              const iw = ow + kw - s.pad;
              if (iw < 0 || iw >= s.W) continue;
              for (let c = 0; c < s.C; c++) {
                const t = X[xAt(s, n, ih, iw, c)] * g;
                dw[wAt(s, kh, kw, c, f)] += t;
                dwAbs[wAt(s, kh, kw, c, f)] += Math.abs(t);
              }
            }
          }
        }
  return { dw, dwAbs, db, dbAbs };
}

