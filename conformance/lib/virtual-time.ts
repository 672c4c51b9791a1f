// Virtual time for the driver's session ops: one clock and one timer queue, both moved only by
// `advance`. A vector can then pin a timer's boundary to the millisecond (fired at `timeout`, not at
// `timeout - 1`), which real timers, late by a scheduler's whim, cannot.
import type { Timers } from '../../src/session/timers.js';

interface Timer {
  readonly at: number;
  /** Arming order: timers due at the same time fire in it, as the platform's do. */
  readonly order: number;
  readonly fn: () => void;
}

export class VirtualTime {
  #now: number;
  #armed = 0;
  readonly #queue = new Set<Timer>();

  constructor(start: number) {
    this.#now = start;
  }

  /** The clock, for the server's `clock` option. */
  readonly now = (): number => this.#now;

  /** Timers on this clock, for the server's `timers` option. */
  readonly timers: Timers = {
    // A negative or fractional delay counts as 0 ms: due at the next advance, even of 0 ms.
    setTimeout: (fn, ms) => {
      const timer: Timer = { at: this.#now + Math.max(0, Math.floor(ms)), order: this.#armed++, fn };
      this.#queue.add(timer);
      return timer;
    },
    clearTimeout: (handle) => {
      this.#queue.delete(handle as Timer);
    },
  };

  /**
   * Moves the clock by exactly `ms`, firing every timer due by then in due order, each at its own
   * time; after each, `settle` lets the promises it started run (they may arm or clear timers).
   */
  async advance(ms: number, settle: () => Promise<void>): Promise<void> {
    const end = this.#now + ms;
    for (let next = this.#due(end); next !== undefined; next = this.#due(end)) {
      this.#queue.delete(next);
      this.#now = next.at;
      next.fn();
      await settle();
    }
    this.#now = end;
  }

  /** The first timer due at or before `end`, if any. */
  #due(end: number): Timer | undefined {
    let first: Timer | undefined;
    for (const t of this.#queue) {
      if (t.at > end) continue;
      if (first === undefined || t.at < first.at || (t.at === first.at && t.order < first.order)) first = t;
    }
    return first;
  }
}
