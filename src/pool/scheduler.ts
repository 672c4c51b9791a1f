// The verification pool's scheduler: queueing, batching and fail-closed bookkeeping, with no
// runtime import. The Node launcher (index.ts, worker_threads) and the browser launcher (web.ts,
// Web Workers) only say how a worker starts and how its messages arrive.
import { isPublicKey, type PublicKey } from '../keys/keys.js';
import type { Verifier } from '../envelope/receiver.js';
import { KEY_BYTES, recordLength, SIG_BYTES, WORKER_KIND, writeRecord, type WorkerBatch, type WorkerResult, type WorkerConfig } from './protocol.js';

export interface VerifyPoolOptions {
  /** Workers. Default: the cores the runtime reports (Node: `os.availableParallelism()`, browsers: `navigator.hardwareConcurrency`). 1 to 256. */
  threads?: number;
  /** Backend the workers verify with. Default: the workers' default (sodium → node → noble). */
  backend?: 'sodium' | 'node' | 'noble';
  /** Most requests in one postMessage. Default 64. 1 to 4,096. */
  maxBatch?: number;
  /** Most requests waiting for a worker; beyond it `verify()` rejects. Default 65,536. */
  maxQueue?: number;
}

/** Defaults of {@link VerifyPoolOptions}, documented in README "Limits and defaults". */
export const DEFAULT_MAX_BATCH = 64;
export const DEFAULT_MAX_QUEUE = 65_536;
// At most two batches in flight per worker: one being verified and, when a full batch waits
// (see #pump), one queued behind it, so a loaded worker never idles while its reply crosses to
// the main thread and the next batch comes back.
const BATCHES_IN_FLIGHT = 2;
// A worker that dies before answering anything this many times in a row means the pool cannot run.
const MAX_START_FAILURES = 3;

/** What a launcher reports about one worker it started. */
export interface WorkerEvents {
  message(msg: WorkerResult): void;
  /** The worker failed; an `exit()` follows (launchers that cannot see an exit call it themselves). */
  error(err: unknown): void;
  exit(): void;
}

/** One started worker, as the scheduler drives it. */
export interface WorkerLink {
  post(batch: WorkerBatch, transfer: ArrayBuffer[]): void;
  /** Work in flight (true) or none (false); Node uses it to keep the process alive only while busy. */
  busy(yes: boolean): void;
  terminate(): Promise<unknown> | void;
}

// A request's promise settles through these two, kept side by side in flat arrays (resolve at
// 2i, reject at 2i + 1): no object per request.
type Settle = ((ok: boolean) => void) | ((err: Error) => void);

// Requests are packed into the batch format as they are queued (protocol.ts), in one staging
// buffer: a batch is then one copy of a byte range, and a request costs no copies of its own.
const STAGE_INITIAL = 64 * 1024;
// A microtask through a settled promise: Node's queueMicrotask makes an AsyncResource per call.
const RESOLVED = Promise.resolve();

interface Slot {
  readonly link: WorkerLink;
  readonly batches: Map<number, Settle[]>;
  items: number;
  answered: boolean;
  error: unknown;
}

function assertInt(value: unknown, name: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`"${name}" expected an integer from ${min} to ${max}, got ${String(value)}`);
  }
}

/**
 * The runtime-neutral part of a verification pool. Use `VerifyPool` from `sealwire/pool` (Node
 * worker threads) or `sealwire/pool/web` (Web Workers); both extend this class.
 */
export abstract class PoolScheduler implements Verifier {
  readonly threads: number;
  readonly maxBatch: number;
  readonly maxQueue: number;
  readonly #config: WorkerConfig;
  readonly #slots: Slot[] = [];
  // Waiting requests: #offsets has one entry per request, #queue two (its Settle pair); the first
  // #head requests have been handed out. Request i is packed at #offsets[i] in #stage; #stageEnd
  // is the end of the last.
  #queue: Settle[] = [];
  #head = 0;
  #stage = new Uint8Array(STAGE_INITIAL);
  #stageView = new DataView(this.#stage.buffer);
  #stageEnd = 0;
  #offsets: number[] = [];
  #nextId = 1;
  #scheduled = false;
  #closed = false;
  #broken: Error | undefined;
  #startFailures = 0;
  #drained: (() => void) | undefined;

  /** @param defaultThreads what `threads` means when the option is absent (the launcher's core count). */
  protected constructor(options: VerifyPoolOptions, defaultThreads: number) {
    if (options === null || typeof options !== 'object') throw new TypeError('"options" expected object');
    this.threads = options.threads ?? Math.max(1, defaultThreads);
    assertInt(this.threads, 'threads', 1, 256);
    this.maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
    assertInt(this.maxBatch, 'maxBatch', 1, 4096);
    this.maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE;
    assertInt(this.maxQueue, 'maxQueue', 1, 2 ** 24);
    const b = options.backend;
    if (b !== undefined && b !== 'sodium' && b !== 'node' && b !== 'noble') {
      throw new RangeError(`"backend" expected 'sodium', 'node' or 'noble', got ${String(b)}`);
    }
    this.#config = { kind: WORKER_KIND, backend: b };
  }

  /** Starts one worker with `config`; its messages, errors and exit go to `events`. */
  protected abstract spawn(config: WorkerConfig, events: WorkerEvents): WorkerLink;

  /** Starts the workers; the launcher's constructor calls it once its own fields are set. */
  protected start(): void {
    for (let i = 0; i < this.threads; i++) this.#slots.push(this.#spawn());
  }

  /** Requests waiting for a worker plus requests being verified. */
  get pending(): number {
    let n = this.#offsets.length - this.#head;
    for (const s of this.#slots) n += s.items;
    return n;
  }

  /**
   * Inputs are copied into the batch buffer before {@link verify} returns: a Receiver given the
   * pool (`verify: pool`) lends it reused buffers instead of copies.
   */
  readonly copiesInputs = true;

  /**
   * Verifies one signature on a worker; resolves `true` only for a valid one. Bound to the pool;
   * pass the pool itself as a `Receiver`'s `verify` option (a {@link Verifier}).
   *
   * @throws {TypeError} (synchronously) when an argument is not what it should be.
   * Rejects with an Error when the pool is closed, its queue is full, or the worker verifying
   * the request stopped.
   */
  readonly verify = (key: PublicKey, message: Uint8Array, signature: Uint8Array): Promise<boolean> => {
    if (!isPublicKey(key)) {
      throw new TypeError('"key" expected a PublicKey from importPublicKey()');
    }
    if (!(message instanceof Uint8Array)) throw new TypeError('"message" expected Uint8Array');
    if (!(signature instanceof Uint8Array)) throw new TypeError('"signature" expected Uint8Array');
    if (this.#broken) return Promise.reject(this.#broken);
    if (this.#closed) return Promise.reject(new Error('verification pool is closed'));
    if (signature.length !== SIG_BYTES) return Promise.resolve(false); // rule V1, no worker needed
    if (this.#offsets.length - this.#head >= this.maxQueue) {
      return Promise.reject(new Error('verification pool queue is full'));
    }
    // The caller's buffers are copied here, before this returns (key.bytes is the PublicKey's own).
    const keyBytes = key.bytes;
    if (keyBytes.length !== KEY_BYTES) return Promise.resolve(false); // rule K1: no such key verifies
    const need = recordLength(message.length);
    if (this.#stageEnd + need > this.#stage.length) this.#grow(need);
    this.#offsets.push(this.#stageEnd);
    this.#stageEnd = writeRecord(this.#stage, this.#stageView, this.#stageEnd, keyBytes, signature, message);
    const p = new Promise<boolean>(this.#capture);
    this.#queue.push(this.#resolve!, this.#reject!);
    if ((this.#offsets.length - this.#head) % this.maxBatch === 0) {
      // A full batch leaves now if a worker has room: a caller that queues a long run of requests
      // in one go would otherwise keep every worker idle until the whole run is staged.
      this.#pump();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      void RESOLVED.then(this.#pumpTask);
    }
    return p;
  };

  // One executor for every request's promise, instead of a closure per request.
  #resolve: ((ok: boolean) => void) | undefined;
  #reject: ((err: Error) => void) | undefined;
  readonly #capture = (resolve: (ok: boolean) => void, reject: (err: Error) => void): void => {
    this.#resolve = resolve;
    this.#reject = reject;
  };

  readonly #pumpTask = (): void => {
    this.#scheduled = false;
    this.#pump();
  };

  #grow(need: number): void {
    let size = this.#stage.length * 2;
    while (size < this.#stageEnd + need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#stage.subarray(0, this.#stageEnd));
    this.#stage = next;
    this.#stageView = new DataView(next.buffer);
  }

  // Drops the requests before #head from the queue and the staging buffer.
  #compact(): void {
    const head = this.#head;
    if (head === 0) return;
    const from = head < this.#offsets.length ? this.#offsets[head]! : this.#stageEnd;
    this.#stage.copyWithin(0, from, this.#stageEnd);
    this.#stageEnd -= from;
    this.#offsets = this.#offsets.slice(head).map((o) => o - from);
    this.#queue = this.#queue.slice(2 * head);
    this.#head = 0;
  }

  /**
   * Stops taking requests, lets every pending one finish, then stops the workers.
   * @example
   * ```ts
   * await pool.close()
   * ```
   */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.pending > 0 && !this.#broken) {
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
      });
    }
    await Promise.all(this.#slots.map((s) => Promise.resolve(s.link.terminate())));
  }

  /** Stops the workers now; every pending request rejects. */
  async destroy(): Promise<void> {
    this.#closed = true;
    const err = new Error('verification pool was destroyed');
    this.#failQueue(err);
    const slots = this.#slots.splice(0);
    for (const s of slots) this.#failSlot(s, err);
    await Promise.all(slots.map((s) => Promise.resolve(s.link.terminate())));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #spawn(): Slot {
    // The events only fire after spawn() returns, so they may close over `slot` before it is set.
    const link = this.spawn(this.#config, {
      message: (msg) => this.#onResult(slot, msg),
      error: (err) => {
        slot.error = err;
      },
      exit: () => this.#onExit(slot),
    });
    const slot: Slot = { link, batches: new Map(), items: 0, answered: false, error: undefined };
    return slot;
  }

  // Hands waiting requests to workers. An idle worker gets what is waiting at once (shared with
  // the other idle ones); a worker still busy with a batch gets a second one only when a full batch
  // is waiting, and otherwise requests wait for its answer (or for the batch to fill). So under a
  // trickle of requests batches grow with the load instead of costing a round trip per signature,
  // and no idle worker is ever kept waiting.
  #pump(): void {
    while (this.#head < this.#offsets.length) {
      let inFlight = 0;
      let best: Slot | undefined;
      for (const s of this.#slots) {
        inFlight += s.items;
        if (s.batches.size >= BATCHES_IN_FLIGHT) continue;
        if (best === undefined || s.items < best.items) best = s;
      }
      const waiting = this.#offsets.length - this.#head;
      let n: number;
      if (best === undefined) {
        n = 0;
      } else if (best.items === 0) {
        // Its share of all outstanding work, so that when requests stop coming (the end of a
        // burst) the workers finish together instead of one idling while another works through
        // a full batch.
        const share = Math.ceil((waiting + inFlight) / this.#slots.length);
        n = Math.max(1, Math.min(this.maxBatch, waiting, share));
      } else {
        n = waiting >= this.maxBatch ? this.maxBatch : 0;
      }
      if (n === 0) {
        // Resumes when a worker answers; meanwhile keep the consumed prefix from piling up.
        if (this.#head > 4096) this.#compact();
        return;
      }
      this.#send(best!, n);
    }
    // Everything was handed out: drop the consumed prefix.
    this.#queue = [];
    this.#head = 0;
    this.#offsets = [];
    this.#stageEnd = 0;
  }

  #send(slot: Slot, n: number): void {
    const head = this.#head;
    const start = this.#offsets[head]!;
    const end = head + n < this.#offsets.length ? this.#offsets[head + n]! : this.#stageEnd;
    const batch = this.#queue.slice(2 * head, 2 * (head + n));
    this.#head += n;
    const id = this.#nextId++;
    const buffer = this.#stage.slice(start, end).buffer;
    slot.batches.set(id, batch);
    slot.items += n;
    if (slot.items === n) slot.link.busy(true);
    slot.link.post({ id, count: n, buffer }, [buffer]);
  }

  #onResult(slot: Slot, msg: WorkerResult): void {
    const batch = slot.batches.get(msg.id);
    if (batch === undefined) return;
    slot.batches.delete(msg.id);
    const n = batch.length >> 1;
    slot.items -= n;
    slot.answered = true;
    this.#startFailures = 0;
    if (slot.items === 0) slot.link.busy(false);
    // The next batch first: the worker waits for it, while the results only queue callbacks.
    this.#pump();
    const results = msg.results;
    for (let i = 0; i < n; i++) (batch[2 * i] as (ok: boolean) => void)(results[i] === 1);
    this.#checkDrained();
  }

  #onExit(slot: Slot): void {
    const at = this.#slots.indexOf(slot);
    if (at === -1) return; // destroyed or already replaced
    const reason = slot.error instanceof Error ? `: ${slot.error.message}` : '';
    this.#failSlot(slot, new Error(`verification worker stopped${reason}`, { cause: slot.error }));
    if (!slot.answered) this.#startFailures++;
    if (this.#startFailures >= MAX_START_FAILURES) {
      // Workers cannot start here (e.g. the worker file is missing): fail loudly, never hang.
      this.#broken = new Error(`verification pool cannot start workers${reason}`, { cause: slot.error });
      this.#slots.splice(at, 1);
      this.#failQueue(this.#broken);
      for (const s of this.#slots.splice(0)) void s.link.terminate();
      this.#checkDrained();
      return;
    }
    if (this.#closed && this.#offsets.length === this.#head) {
      this.#slots.splice(at, 1);
    } else {
      this.#slots[at] = this.#spawn();
      this.#pump();
    }
    this.#checkDrained();
  }

  #failSlot(slot: Slot, err: Error): void {
    for (const batch of slot.batches.values()) for (let i = 1; i < batch.length; i += 2) (batch[i] as (err: Error) => void)(err);
    slot.batches.clear();
    slot.items = 0;
  }

  #failQueue(err: Error): void {
    for (let i = 2 * this.#head + 1; i < this.#queue.length; i += 2) (this.#queue[i] as (err: Error) => void)(err);
    this.#queue = [];
    this.#head = 0;
    this.#offsets = [];
    this.#stageEnd = 0;
  }

  #checkDrained(): void {
    if (this.#drained !== undefined && this.pending === 0) {
      const done = this.#drained;
      this.#drained = undefined;
      done();
    }
  }
}
