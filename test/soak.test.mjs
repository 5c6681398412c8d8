// A short, fixed slice of the leak soak (scripts/soak.mjs; `npm run soak` runs 100,000 predicts and
// 200 create/train/dispose cycles): memory flat after warm-up, no worker thread left after
// dispose(), and a process that used the library (workers included) ends on its own.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

test('5,000 predicts and 10 create/train/dispose cycles on two threads: flat memory, no thread left, the process exits by itself', () => {
  const r = spawnSync(process.execPath, ['--expose-gc', 'scripts/soak.mjs', '--predicts', '5000', '--cycles', '10', '--json'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8', timeout: 90_000,
  });
  assert.is(r.signal, null, `the soak process did not exit on its own within 90 s:\n${r.stdout}\n${r.stderr}`);
  const line = r.stdout.split('\n').find((l) => l.startsWith('#soak '));
  assert.ok(line, `no result line:\n${r.stdout}\n${r.stderr}`);
  const s = JSON.parse(line.slice(6));
  const p = s.predict, c = s.cycles;
  console.log(`  soak: predict RSS ${p.before.rss.toFixed(1)} -> ${p.after.rss.toFixed(1)} MB, heap ${p.before.heap.toFixed(1)} -> ${p.after.heap.toFixed(1)} MB; ` +
    `cycles RSS ${c.before.rss.toFixed(1)} -> ${c.after.rss.toFixed(1)} MB, OS threads ${c.before.threads} -> ${c.after.threads} (max ${c.maxThreads})`);
  assert.equal(s.problems, []);
  assert.is(r.status, 0, r.stderr);
});

test.run();
