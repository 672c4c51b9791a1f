// `sealwire/pool/web`: the verification pool on Web Workers (browsers; any runtime with module
// workers). Same scheduler, batch protocol and worker module as the Node pool; no `node:` import.
import type { WorkerResult, WorkerConfig } from './protocol.js';
import { PoolScheduler, type VerifyPoolOptions, type WorkerEvents, type WorkerLink } from './scheduler.js';

export { DEFAULT_MAX_BATCH, DEFAULT_MAX_QUEUE, type VerifyPoolOptions } from './scheduler.js';

export interface WebVerifyPoolOptions extends VerifyPoolOptions {
  /**
   * Where the worker module is: sealwire's `dist/pool/worker.js`, or your bundle of it. Default
   * `new URL('./worker.js', import.meta.url)`, which works unbundled and with bundlers that
   * understand that pattern (Vite, webpack 5, Parcel).
   */
  workerUrl?: string | URL;
}

interface WebWorker {
  onmessage: ((e: { data: unknown }) => void) | null;
  onerror: ((e: { message?: string; preventDefault(): void }) => void) | null;
  onmessageerror: ((e: unknown) => void) | null;
  postMessage(value: unknown, transfer?: ArrayBuffer[]): void;
  terminate(): void;
}

type WorkerConstructor = new (url: string | URL, options: { type: 'module'; name?: string }) => WebWorker;

/**
 * A pool of Web Workers that verify Ed25519 signatures under the strict rule of
 * spec/verification.md, with the same contract as `VerifyPool` from `sealwire/pool`: plug
 * the pool into a `Receiver` (`verify: pool`); a worker that fails rejects the requests it held (refused,
 * never accepted) and is replaced; a worker module that cannot load makes every request reject
 * after three tries instead of hanging. In a browser the workers verify with the noble backend.
 *
 * @throws {RangeError} from the constructor on an invalid option (named).
 * @throws {TypeError} from the constructor when the runtime has no `Worker`.
 * @example
 * ```ts
 * import { VerifyPool } from 'sealwire/pool/web'
 * const pool = new VerifyPool({ workerUrl: '/assets/sealwire-worker.js' })
 * const receiver = new Receiver({ keys: ring, verify: pool })
 * ```
 */
export class VerifyPool extends PoolScheduler {
  readonly #url: string | URL;
  readonly #Worker: WorkerConstructor;

  constructor(options: WebVerifyPoolOptions = {}) {
    const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
    super(options, nav?.hardwareConcurrency ?? 1);
    const ctor = (globalThis as { Worker?: WorkerConstructor }).Worker;
    if (typeof ctor !== 'function') throw new TypeError('this runtime has no Worker: use sealwire/pool in Node');
    const url = options.workerUrl ?? new URL('./worker.js', import.meta.url);
    if (typeof url !== 'string' && !(url instanceof URL)) throw new TypeError('"workerUrl" expected string or URL');
    this.#Worker = ctor;
    this.#url = url;
    this.start();
  }

  protected spawn(config: WorkerConfig, events: WorkerEvents): WorkerLink {
    const worker = new this.#Worker(this.#url, { type: 'module', name: 'sealwire-verify' });
    let stopped = false;
    // A Web Worker has no exit event; the worker module catches everything it can, so an error
    // event means it failed to load or broke: stop it and report it as gone.
    const stop = (err: unknown): void => {
      if (stopped) return;
      stopped = true;
      worker.terminate();
      events.error(err);
      events.exit();
    };
    worker.onmessage = (e) => events.message(e.data as WorkerResult);
    worker.onerror = (e) => {
      e.preventDefault();
      stop(new Error(e.message || 'verification worker failed to load'));
    };
    worker.onmessageerror = () => stop(new Error('verification worker sent a message that could not be read'));
    // The first message configures the worker (worker.ts), as workerData does in Node.
    worker.postMessage(config);
    return {
      post: (batch, transfer) => worker.postMessage(batch, transfer),
      busy: () => {}, // a page is not kept alive by its workers
      terminate: () => {
        stopped = true;
        worker.terminate();
      },
    };
  }
}
