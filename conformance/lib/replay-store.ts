// The driver's model of a shared replay store (spec/replay.md §5, §7.2, §9): one MemoryReplayStore
// that several receivers ("nodes") commit to, which a vector can make unreachable (`store.fail`),
// lose while the nodes run (`store.lose`), and whose commits can be snapshotted and restored after a
// restart. Lives in the driver because the library has no network or snapshotting store; the
// receivers under test are the real ones.
import { MemoryReplayStore, type MemoryReplayStoreOptions } from '../../src/replay/memory.js';
import type { ReplayRequest, ReplayStore, ReplayVerdict } from '../../src/replay/store.js';
import type { ReceiverOptions } from '../../src/envelope/receiver.js';
import { optBool, optUint, type Request } from './fields.js';

/** Which store calls fail while the store is down. */
export type FailPhase = 'check' | 'commit' | 'both';

export class SharedStore {
  #inner: MemoryReplayStore;
  readonly #options: MemoryReplayStoreOptions;
  // Every commit that reached the state, in order: replaying a prefix on an empty store rebuilds
  // the state exactly as it was then (commits are the only calls that change it).
  #journal: ReplayRequest[];
  #down: FailPhase | undefined;
  #snapshot: number | undefined;
  // Set by `store.lose`: the state is gone, its marker (startedAt) with it ([RPL-9.5]).
  #lost = false;

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

  /** What one node holds: the store, and the marker (startedAt) it connected with. */
  view(): ReplayStore {
    return new NodeView(this);
  }

  /** `store.fail`: from now on `phase` calls throw, as an unreachable network store does. */
  fail(phase: FailPhase): void {
    this.#down = phase;
  }

  /** `store.recover`: the store answers again, with the state it had. */
  recover(): void {
    this.#down = undefined;
  }

  /** `store.lose`: the state and its marker vanish while the nodes run (a restart without persistence). */
  lose(): void {
    this.#lost = true;
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

  /**
   * One call of a node holding `marker`. A lost state is started again at the call's `now`, as the
   * reference Redis store does; a call whose marker is not the state's is refused ([RPL-9.5]): it
   * would answer from a state that lost acceptances as if it had them. Returns the state's marker.
   */
  call(phase: 'check' | 'commit', marker: number, req: ReplayRequest): { startedAt: number; verdict?: ReplayVerdict } {
    if (this.#down === phase || this.#down === 'both') throw new Error('replay store unreachable');
    if (this.#lost) {
      this.#lost = false;
      this.#journal = [];
      this.#inner = new MemoryReplayStore({ ...this.#options, startedAt: req.now });
    }
    if (marker !== this.startedAt) return { startedAt: this.startedAt };
    return { startedAt: marker, verdict: phase === 'check' ? this.#inner.check(req) : this.#apply(req) };
  }

  #apply(req: ReplayRequest): ReplayVerdict {
    this.#journal.push({ ...req, kid: req.kid.slice(), stream: req.stream.slice() });
    return this.#inner.commit(req);
  }
}

class NodeView implements ReplayStore {
  readonly synchronous = true;
  #marker: number;

  constructor(readonly shared: SharedStore) {
    this.#marker = shared.startedAt;
  }

  get window(): number {
    return this.shared.window;
  }
  get strict(): boolean {
    return this.shared.strict;
  }
  get maxStreams(): number {
    return this.shared.maxStreams;
  }
  get startedAt(): number {
    return this.#marker;
  }

  check(req: ReplayRequest): ReplayVerdict {
    return this.#call('check', req);
  }

  commit(req: ReplayRequest): ReplayVerdict {
    return this.#call('commit', req);
  }

  #call(phase: 'check' | 'commit', req: ReplayRequest): ReplayVerdict {
    const { startedAt, verdict } = this.shared.call(phase, this.#marker, req);
    if (verdict !== undefined) return verdict;
    this.#marker = startedAt; // the node takes the new start, so the restart bound covers what was lost
    throw new Error('the shared replay state was lost and started again; this call is refused');
  }
}

export type ReceiverSettings = Pick<ReceiverOptions, 'window' | 'strict' | 'maxFutureSkewMs' | 'maxAgeMs' | 'maxStreams'>;

export function newStore(o: ReceiverSettings, startedAt: number): SharedStore {
  return new SharedStore({
    startedAt,
    ...(o.window !== undefined ? { window: o.window } : {}),
    ...(o.strict !== undefined ? { strict: o.strict } : {}),
    ...(o.maxStreams !== undefined ? { maxStreams: o.maxStreams } : {}),
  });
}

/** Receiver options a `reset` may carry; absent ones keep the library's defaults. */
export function receiverSettings(req: Request): ReceiverSettings {
  const out: ReceiverSettings = {};
  const window = optUint(req, 'window');
  if (window !== undefined) out.window = window;
  const skew = optUint(req, 'maxFutureSkewMs');
  if (skew !== undefined) out.maxFutureSkewMs = skew;
  const age = optUint(req, 'maxAgeMs');
  if (age !== undefined) out.maxAgeMs = age;
  const streams = optUint(req, 'maxStreams');
  if (streams !== undefined) out.maxStreams = streams;
  const strict = optBool(req, 'strict');
  if (strict !== undefined) out.strict = strict;
  return out;
}
