// A forked server or client of the socket benchmarks: one command at a time over IPC, each with a
// time limit; a process that overruns it, or dies, fails the suite instead of hanging it.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export class Proc<Cmd, Reply extends { op: string }> {
  readonly #child: ChildProcess;
  #waiter: { resolve(r: Reply): void; reject(e: Error): void } | undefined;
  #early: Reply[] = [];
  #dead: Error | undefined;

  private constructor(child: ChildProcess, readonly name: string) {
    this.#child = child;
    child.on('message', (m: Reply) => {
      const w = this.#waiter;
      this.#waiter = undefined;
      if (w === undefined) this.#early.push(m);
      else if (m.op === 'error') w.reject(new Error(`${name}: ${(m as unknown as { message: string }).message}`));
      else w.resolve(m);
    });
    child.on('exit', (code, signal) => {
      this.#dead = new Error(`${name} exited (${code ?? signal})`);
      this.#waiter?.reject(this.#dead);
      this.#waiter = undefined;
    });
  }

  /** Forks `file` (relative to bench/e2e) under tsx and waits for its first message. */
  static async start<C, R extends { op: string }>(file: string, args: string[], flags: string[] = [], timeoutMs = 30_000): Promise<{ proc: Proc<C, R>; first: R }> {
    const child = fork(fileURLToPath(new URL(file, import.meta.url)), args, {
      cwd: ROOT,
      execArgv: ['--import', 'tsx', ...flags],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const proc = new Proc<C, R>(child, `${file} ${args.join(' ')}`);
    const first = await proc.#next(timeoutMs);
    return { proc, first };
  }

  #next(timeoutMs: number): Promise<Reply> {
    const early = this.#early.shift();
    if (early !== undefined) return Promise.resolve(early);
    if (this.#dead) return Promise.reject(this.#dead);
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        this.kill();
        reject(new Error(`${this.name}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiter = {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  /** Sends a command and waits for its answer. */
  call(cmd: Cmd, timeoutMs = 60_000): Promise<Reply> {
    if (this.#dead) return Promise.reject(this.#dead);
    const answer = this.#next(timeoutMs);
    this.#child.send(cmd as object);
    return answer;
  }

  /** Waits up to `timeoutMs` for the process to end by itself, then kills it. */
  async end(timeoutMs = 3000): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.kill();
  }

  kill(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
  }
}
