// `sealwire/pool`: signature checks spread over worker threads. Node-only (worker_threads), kept
// out of the core's import graph; the scheduler, the batch protocol and the worker are
// runtime-neutral, and `sealwire/pool/web` starts the same worker as a Web Worker.
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { WorkerResult, WorkerConfig } from './protocol.js';
import { PoolScheduler, type VerifyPoolOptions, type WorkerEvents, type WorkerLink } from './scheduler.js';

export { DEFAULT_MAX_BATCH, DEFAULT_MAX_QUEUE, type VerifyPoolOptions } from './scheduler.js';

// From dist the worker is worker.js beside this file. Under tsx or vitest this module is the .ts
// source: Node 20 does not apply `--import tsx` hooks to a worker's entry module, so a two-line
// bootstrap registers tsx in the worker and then imports worker.ts.
function startWorker(workerData: WorkerConfig): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), { workerData });
  // tsx's CommonJS API cannot register ESM hooks from here; its ESM twin sits beside it.
  const tsx = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const entry = new URL('./worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); })
  .catch((e) => setImmediate(() => { throw e; }));`;
  return new Worker(code, { eval: true, workerData });
}

/**
 * A pool of worker threads that verify Ed25519 signatures under the strict rule of
 * spec/verification.md (each worker re-imports keys under rules K1–K4 and runs `verifyStrict`).
 * Plug the pool into a `Receiver` (`verify: pool`): its `open()` keeps per-stream order and commits replay
 * state only after the pool says a signature is valid. Requests travel in batches of up to
 * `maxBatch` (one postMessage each): a full batch leaves as soon as it is queued, an idle worker
 * gets what is waiting at once, and while a worker is busy new requests wait for its answer, so
 * batches grow with the load.
 *
 * If a worker dies, the requests it held reject (the envelopes are refused, never accepted) and a
 * new worker takes its place. Call `close()` when done; idle workers never keep the process alive.
 *
 * @throws {RangeError} from the constructor on an invalid option (named).
 * @example
 * ```ts
 * import { VerifyPool } from 'sealwire/pool'
 * const pool = new VerifyPool()
 * const receiver = new Receiver({ keys: ring, verify: pool })
 * const { payload } = await receiver.open(envelope)
 * await pool.close()
 * ```
 */
export class VerifyPool extends PoolScheduler {
  constructor(options: VerifyPoolOptions = {}) {
    super(options, availableParallelism());
    this.start();
  }

  protected spawn(config: WorkerConfig, events: WorkerEvents): WorkerLink {
    const worker = startWorker(config);
    worker.on('message', (msg: WorkerResult) => events.message(msg));
    worker.on('error', (err) => events.error(err));
    worker.on('exit', () => events.exit());
    // After the listeners: adding a 'message' listener refs the worker's port again.
    worker.unref();
    return {
      post: (batch, transfer) => worker.postMessage(batch, transfer),
      // Work in flight keeps the process alive; an idle pool never does.
      busy: (yes) => (yes ? worker.ref() : worker.unref()),
      terminate: () => worker.terminate(),
    };
  }
}
