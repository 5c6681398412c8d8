// A contender in its own process, driven over IPC by bench/run.mjs: one process per library and
// thread count, so libraries never share a heap, a thread pool or global settings (onnxruntime-
// web fixes its thread count per process). Timing happens in here; only results cross IPC.
//   node host.mjs <kind> <threads> [precision]   kind: garment | tfjs-cpu | tfjs-wasm | ort-node | ort-web | torch | torch-cl
const [kind, threadsArg, precision = 'exact'] = process.argv.slice(2);
const threads = Number(threadsArg);
const family = kind.startsWith('tfjs') ? 'tfjs' : kind.startsWith('ort') ? 'ort' : kind.startsWith('torch') ? 'torch' : 'garment';

let contender;
let pool;
const handlers = {
  async init(msg) {
    pool = msg.pool;
    contender = await (await import(`./contenders/${family}.mjs`)).create({ kind, threads, precision });
    return { versions: contender.versions };
  },
  setup: (msg) => contender.setup({ ...msg, pool }),
  // Wall time (what users see) and this process's CPU time, which a busy machine cannot inflate
  // by descheduling it (it counts every thread of the process, so it is a check for 1-thread runs).
  async run(msg) {
    const cpu0 = process.cpuUsage();
    const timed = await contender.run(msg.steps);
    // A contender working in a child process of its own (PyTorch) reports that process's times.
    if (typeof timed === 'object') return timed;
    const cpu = process.cpuUsage(cpu0);
    return { seconds: timed, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
  },
  probabilities: (msg) => contender.probabilities(msg.count),
  teardown: () => contender.teardown(),
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
