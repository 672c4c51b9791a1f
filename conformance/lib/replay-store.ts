// The driver's model of a shared replay store (spec/replay.md §5, §7.2, §9): one MemoryReplayStore
// that several receivers ("nodes") commit to, which a vector can make unreachable (`store.fail`)
// and whose commits can be snapshotted and restored after a restart. Lives in the driver because
// the library has no network or snapshotting store; the receivers under test are the real ones.
import { MemoryReplayStore, type MemoryReplayStoreOptions } from '../../src/replay/memory.js';
import type { ReplayRequest, ReplayStore, ReplayVerdict } from '../../src/replay/store.js';

/** Which store calls fail while the store is down. */
export type FailPhase = 'check' | 'commit' | 'both';

export class SharedStore implements ReplayStore {
  readonly synchronous = true;
  readonly #inner: MemoryReplayStore;
  readonly #options: MemoryReplayStoreOptions;
  // Every commit that reached the state, in order: replaying a prefix on an empty store rebuilds
  // the state exactly as it was then (commits are the only calls that change it).
  readonly #journal: ReplayRequest[];
  #down: FailPhase | undefined;
  #snapshot: number | undefined;

  constructor(options: MemoryReplayStoreOptions & { startedAt: number }, journal: ReplayRequest[] = []) {
    this.#options = options;
    this.#inner = new MemoryReplayStore(options);
    this.#journal = [];
    for (const req of journal) this.#apply(req);
  }

  get window(): number {
    return this.#inner.window;
  }
  get strict(): boolean {
    return this.#inner.strict;
  }
  get maxStreams(): number {
    return this.#inner.maxStreams;
  }
  get startedAt(): number {
    return this.#inner.startedAt;
  }

  /** `store.fail`: from now on `phase` calls throw, as an unreachable network store does. */
  fail(phase: FailPhase): void {
    this.#down = phase;
  }

  /** `store.recover`: the store answers again, with the state it had. */
  recover(): void {
    this.#down = undefined;
  }

  /** `store.snapshot`: remembers the state as of now; later commits are not in it. */
  snapshot(): void {
    this.#snapshot = this.#journal.length;
  }

  /**
   * The store a restart from the last snapshot comes back with: the snapshot's state, and
   * `startedAt` = the restart time, since acceptances after the snapshot are lost ([RPL-7.2]).
   */
  restored(now: number): SharedStore {
    if (this.#snapshot === undefined) throw new RangeError('restart with "snapshot" needs a {"op":"store.snapshot"} first');
    return new SharedStore({ ...this.#options, startedAt: now }, this.#journal.slice(0, this.#snapshot));
  }

  check(req: ReplayRequest): ReplayVerdict {
    if (this.#down === 'check' || this.#down === 'both') throw new Error('replay store unreachable');
    return this.#inner.check(req);
  }

  commit(req: ReplayRequest): ReplayVerdict {
    if (this.#down === 'commit' || this.#down === 'both') throw new Error('replay store unreachable');
    return this.#apply(req);
  }

  #apply(req: ReplayRequest): ReplayVerdict {
    this.#journal.push({ ...req, kid: req.kid.slice(), stream: req.stream.slice() });
    return this.#inner.commit(req);
  }
}
