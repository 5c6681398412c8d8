import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
const t0=performance.now();
await tf.setBackend('wasm'); await tf.ready();
console.log('backend', tf.getBackend(), performance.now()-t0);
const x = tf.randomNormal([4,28,28,1]); const w = tf.randomNormal([3,3,1,8]);
console.log(tf.conv2d(x,w,1,'same').shape);
try { const g = tf.grad((w)=>tf.conv2d(x,w,1,'same').sum())(w); console.log(g.shape);} catch(e){console.log('ERR', e.message);}
