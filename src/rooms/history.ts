// A room's history: the frames of its current epoch that a member may still recover, bounded by
// count and age ([ROOM-6.2]). Frames are the exact bytes first sent ([ROOM-2.3]); a bundle holds
// several consecutive offsets and is kept and resent whole.

export interface Recovery {
  /** The frames to resend, oldest first, with the events each holds. */
  readonly frames: readonly { readonly frame: Uint8Array; readonly count: number }[];
  /** Offset of the first event of the first frame. */
  readonly first: number;
  /** 0 current, 1 recovered, 2 lost ([ROOM-6.3]). */
  readonly status: 0 | 1 | 2;
}

export interface Held {
  readonly frame: Uint8Array;
  readonly first: number;
  readonly count: number;
  readonly at: number;
}

export class History {
  #held: Held[] = [];
  /** Offset of the first event held (the next offset when empty). */
  #start = 0;
  #next = 0;

  constructor(
    private readonly maxCount: number,
    private readonly maxAgeMs: number,
  ) {}

  get start(): number {
    return this.#start;
  }

  get next(): number {
    return this.#next;
  }

  /** Frames a room log or shared store held ([ROOM-6.7], [ROOM-11.5]), consecutive from `first`; none: empty at `emptyAt`. */
  restore(frames: readonly Held[], emptyAt = 0): void {
    this.#held = [...frames];
    this.#start = frames[0]?.first ?? emptyAt;
    this.#next = frames.length === 0 ? emptyAt : frames[frames.length - 1]!.first + frames[frames.length - 1]!.count;
  }

  /** Frames held. */
  get size(): number {
    return this.#held.length;
  }

  /** Every frame held, oldest first. */
  frames(): Iterable<Uint8Array> {
    return this.#held.map((h) => h.frame);
  }

  push(frame: Uint8Array, count: number, now: number): void {
    this.#held.push({ frame, first: this.#next, count, at: now });
    this.#next += count;
    this.trim(now);
  }

  /** Drops whole frames past the count cap and older than the age cap. */
  trim(now: number): void {
    let drop = 0;
    const held = this.#held;
    // A frame goes once none of its events is among the last `maxCount` (a bundle is kept whole).
    while (drop < held.length && (this.#next - (held[drop]!.first + held[drop]!.count) >= this.maxCount || now - held[drop]!.at > this.maxAgeMs)) drop++;
    if (drop === 0) return;
    this.#held = held.slice(drop);
    this.#start = this.#held[0]?.first ?? this.#next;
  }

  /**
   * What a Join asks for: `from` undefined = live only, `'all'` = every frame held, else recovery
   * from offset `from` (the caller has already compared epochs).
   * @see [ROOM-6.3]
   */
  recover(from: undefined | 'all' | number): Recovery {
    if (from === undefined) return { frames: [], first: this.#next, status: 0 };
    const since = (i: number): Omit<Recovery, 'status'> => {
      const held = this.#held.slice(i);
      return { frames: held, first: held[0]?.first ?? this.#next };
    };
    if (from === 'all') return { ...since(0), status: 0 };
    if (from < this.#start || from > this.#next) return { ...since(0), status: 2 };
    // The frame holding `from`: a bundle that starts before it is resent whole.
    let i = this.#held.length;
    while (i > 0 && this.#held[i - 1]!.first + this.#held[i - 1]!.count > from) i--;
    const r = since(i);
    return { ...r, status: from === this.#next ? 0 : 1 };
  }
}
