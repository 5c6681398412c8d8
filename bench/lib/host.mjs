// A contender in its own process, driven over IPC by bench/run.mjs: one process per library and
// thread count, so libraries never share a heap, a thread pool or global settings (onnxruntime-
// web fixes its thread count per process). Timing happens in here; only results cross IPC.
//   node host.mjs <kind> <threads>     kind: garment | tfjs-cpu | tfjs-wasm | ort-node | ort-web
const [kind, threadsArg] = process.argv.slice(2);
const threads = Number(threadsArg);
const family = kind.startsWith('tfjs') ? 'tfjs' : kind.startsWith('ort') ? 'ort' : 'garment';

let contender;
let pool;
const handlers = {
  async init(msg) {
    pool = msg.pool;
    contender = await (await import(`./contenders/${family}.mjs`)).create({ kind, threads });
    return { versions: contender.versions };
  },
  setup: (msg) => contender.setup({ ...msg, pool }),
  run: (msg) => contender.run(msg.steps),
  probabilities: (msg) => contender.probabilities(msg.count),
  teardown: () => contender.teardown(),
  rss: () => process.memoryUsage().rss,
};

process.on('message', async (msg) => {
  try {
    const result = await handlers[msg.cmd](msg);
    process.send({ id: msg.id, ok: true, result });
  } catch (e) {
    process.send({ id: msg.id, ok: false, error: String(e?.stack ?? e) });
  }
});
process.send({ ready: true });
