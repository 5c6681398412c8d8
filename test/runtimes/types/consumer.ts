// A TypeScript user of a bundler (bundler resolution): the published types must check.
import { createClassifier, predict, train, GarmentError, isGarmentError, type Prediction, type ClassifierOptions } from 'garment-wasm';

const options: ClassifierOptions = { threads: 1, onWarning: (m: string) => console.warn(m) };
const clf = await createClassifier(options);
const one: Prediction = await predict(clf, new Uint8Array(784));
const many: Prediction[] = await clf.predict([new Uint8Array(784), new Float32Array(784)]);
const label: string = one.label;
const probabilities: Float32Array = many[0].probabilities;
await train(clf, { images: new Uint8Array(784), labels: new Uint8Array(1), count: 1 }, { epochs: 1 });
const bytes: Uint8Array = await clf.save({ dtype: 'int8' });
try {
  await createClassifier({ weights: bytes, wasm: new URL('https://example.com/garment-simd.wasm') });
} catch (e) {
  if (isGarmentError(e) || e instanceof GarmentError) console.log(e.code satisfies string);
}
console.log(label, probabilities.length);
