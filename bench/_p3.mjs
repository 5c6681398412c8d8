import { bestPeak, hasRelaxedSimd, peakRunner } from './lib/simd-peak.mjs';
console.log('relaxed', hasRelaxedSimd());
const b = bestPeak('mul+add');
console.log(b.runner.chains, b.byChains);
if (hasRelaxedSimd()) { const f = bestPeak('fma'); console.log('fma', f.runner.chains, f.byChains); }
