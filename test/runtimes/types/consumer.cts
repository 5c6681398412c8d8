// A TypeScript user of the CommonJS build: `import x = require()` compiles to require('garment-wasm').
import garment = require('garment-wasm');

async function main(): Promise<string> {
  const clf = await garment.createClassifier({ threads: 1 });
  const p: garment.Prediction = await garment.predict(clf, new Uint8Array(784));
  clf.dispose();
  return p.label;
}
main().then(console.log);
