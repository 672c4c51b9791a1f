// An asynchronous ReplayStore over the in-memory one: the reference shape for shared stores
// (Redis and the like) and the test double that proves the receiver's async path.
import { MemoryReplayStore, type MemoryReplayStoreOptions } from './memory.js';
import type { ReplayRequest, ReplayStore, ReplayVerdict } from './store.js';

export interface AsyncMemoryReplayStoreOptions extends MemoryReplayStoreOptions {
  /** Delay before each answer in ms, or a function of the call: simulates network latency. Default 0. */
  delay?: number | ((op: 'check' | 'commit', request: ReplayRequest) => number);
}

/**
 * Answers through promises after a (possibly varying) delay, like a network store. Each commit
 * still checks and records in one synchronous step when it runs, which is what a Redis Lua
 * script gives a shared store.
 *
 * @throws {RangeError} or {TypeError} from the constructor for an invalid option, named in the
 *   message. Verdicts are results, not throws: a replay resolves to a `ReplayVerdict`.
 * @example
 * ```ts
 * const receiver = new Receiver({ keys: ring, store: new AsyncMemoryReplayStore({ delay: 1 }) })
 * await receiver.open(envelope)
 * ```
 */
export class AsyncMemoryReplayStore implements ReplayStore {
  /** The synchronous state underneath, for inspection. */
  readonly inner: MemoryReplayStore;
  readonly synchronous = false;
  readonly #delay: AsyncMemoryReplayStoreOptions['delay'];

  constructor(options: AsyncMemoryReplayStoreOptions = {}) {
    const { delay, ...rest } = options;
    if (delay !== undefined && typeof delay !== 'function' && !(typeof delay === 'number' && delay >= 0)) {
      throw new RangeError('"delay" expected a non-negative number or a function');
    }
    this.inner = new MemoryReplayStore(rest);
    this.#delay = delay;
  }

  get window(): number {
    return this.inner.window;
  }
  get strict(): boolean {
    return this.inner.strict;
  }
  get maxStreams(): number {
    return this.inner.maxStreams;
  }
  get startedAt(): number {
    return this.inner.startedAt;
  }
  get maxAgeMs(): number | undefined {
    return this.inner.maxAgeMs;
  }
  get maxFutureSkewMs(): number | undefined {
    return this.inner.maxFutureSkewMs;
  }

  check(request: ReplayRequest): Promise<ReplayVerdict> {
    return this.#later('check', request, (req) => this.inner.check(req));
  }

  commit(request: ReplayRequest): Promise<ReplayVerdict> {
    return this.#later('commit', request, (req) => this.inner.commit(req));
  }

  forget(kid: Uint8Array, stream: Uint8Array): Promise<void> {
    const k = kid.slice();
    const s = stream.slice();
    return new Promise((resolve) => setTimeout(() => resolve(this.inner.forget(k, s)), 0));
  }

  #later(op: 'check' | 'commit', request: ReplayRequest, run: (req: ReplayRequest) => ReplayVerdict): Promise<ReplayVerdict> {
    // Copy before waiting: the caller may reuse its buffers.
    const req: ReplayRequest = { ...request, kid: request.kid.slice(), stream: request.stream.slice() };
    const d = typeof this.#delay === 'function' ? this.#delay(op, req) : (this.#delay ?? 0);
    return new Promise((resolve, reject) => {
      setTimeout(() => {
        try {
          resolve(run(req));
        } catch (err) {
          reject(err);
        }
      }, d);
    });
  }
}
