// The parent side of bench/lib/host.mjs: start a contender process, call it, stop it.
import { fork } from 'node:child_process';

const HOST = new URL('./host.mjs', import.meta.url);

export class Host {
  /** `name` is how tables show it, e.g. 'ort-web-2'. */
  constructor(kind, threads, name, { precision = 'exact', execArgv = [] } = {}) {
    this.kind = kind;
    this.threads = threads;
    this.name = name;
    this.precision = precision;
    this.execArgv = execArgv;
    this.stderr = '';
    this.pending = new Map();
    this.nextId = 1;
  }

  async start(pool) {
    this.child = fork(HOST, [this.kind, String(this.threads), this.precision], {
      execArgv: [...process.execArgv, ...this.execArgv],
      serialization: 'advanced', // typed arrays cross as typed arrays
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child.stderr.on('data', (d) => {
      this.stderr = (this.stderr + d).slice(-4000);
    });
    this.exited = new Promise((resolve) => this.child.on('exit', resolve));
    this.exited.then((code) => {
      for (const { reject } of this.pending.values()) reject(new Error(`${this.name} exited (${code}): ${this.stderr.trim()}`));
      this.pending.clear();
    });
    await new Promise((resolve, reject) => {
      this.child.once('message', (m) => (m.ready ? resolve() : reject(new Error('bad hello'))));
      this.child.once('exit', (code) => reject(new Error(`${this.name} failed to start (${code}): ${this.stderr.trim()}`)));
    });
    this.child.on('message', (m) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`${this.name}: ${m.error}`));
    });
    this.versions = (await this.call('init', { pool })).versions;
    return this;
  }

  /** Calls the contender; past `timeoutMs` the process is stopped and the call fails. */
  call(cmd, args = {}, timeoutMs = 0) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      let timer;
      const done = (f) => (v) => {
        clearTimeout(timer);
        f(v);
      };
      this.pending.set(id, { resolve: done(resolve), reject: done(reject) });
      if (timeoutMs) {
        timer = setTimeout(() => {
          this.pending.delete(id);
          this.child.kill();
          reject(new Error(`no answer in ${timeoutMs / 1000} s: stopped`));
        }, timeoutMs);
      }
      this.child.send({ id, cmd, ...args });
    });
  }

  get alive() {
    return this.child?.exitCode === null && this.child?.signalCode === null;
  }

  async stop() {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill();
    await this.exited;
  }
}
