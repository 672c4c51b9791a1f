// Events handed to a shared room store and not yet appended or refused, so that a caller can wait
// for every event queued so far: a node stores a session's acknowledgement record only once the
// room events of the envelopes it covers are in the stream (spec/handshake.md [HS-7.13]), so a node
// that takes the session over never skips a post that was never appended.
import type { PublishThen } from './shared-sync.js';

export class Appending {
  #next = 0;
  /** Every id below this one is settled. */
  #lowest = 0;
  readonly #open = new Set<number>();
  #waiters: { readonly limit: number; readonly resolve: () => void }[] = [];

  /** `then`, told also to this tracker when its event settles or is dropped as a resent duplicate (once). */
  wrap(then: PublishThen | undefined): PublishThen {
    const id = this.#next++;
    this.#open.add(id);
    const done = (): void => {
      if (this.#open.delete(id)) this.#advance();
    };
    return {
      ...then,
      settled: (code) => {
        done();
        then?.settled?.(code);
      },
      dropped: () => {
        done();
        then?.dropped?.();
      },
    };
  }

  /** Undefined when nothing is in flight; else resolves once every event queued until now settled. */
  settled(): Promise<void> | undefined {
    if (this.#lowest === this.#next) return undefined;
    const limit = this.#next;
    return new Promise((resolve) => this.#waiters.push({ limit, resolve }));
  }

  #advance(): void {
    while (this.#lowest < this.#next && !this.#open.has(this.#lowest)) this.#lowest++;
    if (this.#waiters.length === 0) return;
    const still = this.#waiters.filter((w) => w.limit > this.#lowest);
    for (const w of this.#waiters) if (w.limit <= this.#lowest) w.resolve();
    this.#waiters = still;
  }
}
