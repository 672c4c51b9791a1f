// Messages waiting for their chain's key distribution (spec/e2ee.md [E2E-6.1]): at most MAX_HELD,
// each for at most `holdMs`; the oldest goes first when the bound is reached.
import { equalBytes } from '../bytes.js';
import type { SessionMessage } from '../session/events.js';
import type { Timers } from '../session/timers.js';
import type { DecodedMessage } from './encrypt0.js';
import { MAX_HELD } from './suite.js';

export interface Held {
  readonly m: SessionMessage;
  readonly d: DecodedMessage;
}

interface Entry extends Held {
  readonly timer: unknown;
}

export class HeldMessages {
  readonly #held: Entry[] = [];

  constructor(
    private readonly holdMs: number,
    private readonly timers: Timers,
    /** Called with a message given up on: its time ran out, or the bound pushed it out. */
    private readonly expired: (h: Held) => void,
  ) {}

  hold(m: SessionMessage, d: DecodedMessage): void {
    if (this.#held.length >= MAX_HELD) this.#expire(this.#held[0]!);
    const e: Entry = { m, d, timer: this.timers.setTimeout(() => this.#expire(e), this.holdMs) };
    this.#held.push(e);
  }

  /** The messages of `sender`'s `chain`, in arrival order, no longer held. */
  take(sender: string, chain: Uint8Array): Held[] {
    const out = this.#held.filter((x) => x.m.keyId === sender && equalBytes(x.d.chain, chain));
    for (const e of out) this.#remove(e);
    return out;
  }

  clear(): void {
    for (const e of [...this.#held]) this.#remove(e);
  }

  #remove(e: Entry): void {
    this.timers.clearTimeout(e.timer);
    const i = this.#held.indexOf(e);
    if (i >= 0) this.#held.splice(i, 1);
  }

  #expire(e: Entry): void {
    this.#remove(e);
    this.expired(e);
  }
}
