import * as ort from 'onnxruntime-web';
console.log(ort.env.versions, ort.env.wasm.numThreads, typeof ort.InferenceSession);
import * as ortn from 'onnxruntime-node';
console.log(ortn.env.versions);
