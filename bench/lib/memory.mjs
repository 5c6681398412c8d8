// Peak memory of training, in a fresh process: `node memory.mjs <model> <batch> <threads> <steps>`
// prints the resident set size after the import and the process's peak (maxRSS) after training.
import { syntheticDataset } from '../../test/helpers/synthetic.mjs';

const [model, batch, threads, steps] = process.argv.slice(2).map((v, i) => (i ? Number(v) : v));
const { createClassifier } = await (await import('./dist.mjs')).importGarment();
const afterImport = process.memoryUsage().rss;
const data = syntheticDataset(batch * steps, { seed: 3 });
const clf = await createClassifier({ model, seed: 1, threads });
await clf.train(data, { epochs: 1, batchSize: batch });
const MB = 1024 * 1024;
process.stdout.write(`${JSON.stringify({
  model, batch, threads: clf.threads, steps,
  rssAfterImportMB: afterImport / MB, rssAfterTrainingMB: process.memoryUsage().rss / MB,
  peakRssMB: (process.resourceUsage().maxRSS * 1024) / MB,
})}\n`);
clf.dispose();
process.exit(0);
