// A room's history: the frames of its current epoch that a member may still recover, bounded by
// count and age ([ROOM-6.2]). Frames are the exact bytes first sent ([ROOM-2.3]).

export interface Recovery {
  /** The frames to resend, oldest first. */
  readonly frames: readonly Uint8Array[];
  /** Offset of the first frame. */
  readonly first: number;
  /** 0 current, 1 recovered, 2 lost ([ROOM-6.3]). */
  readonly status: 0 | 1 | 2;
}

export class History {
  #frames: Uint8Array[] = [];
  #times: number[] = [];
  /** Offset of `#frames[0]`. */
  #start = 0;
  /** Bytes held, for the memory figure. */
  bytes = 0;

  constructor(
    private readonly maxCount: number,
    private readonly maxAgeMs: number,
  ) {}

  /** The offset of the oldest frame held (the next offset when empty). */
  get start(): number {
    return this.#start;
  }

  get next(): number {
    return this.#start + this.#frames.length;
  }

  push(frame: Uint8Array, now: number): void {
    this.#frames.push(frame);
    this.#times.push(now);
    this.bytes += frame.length;
    this.trim(now);
  }

  /** Drops frames past the count cap and older than the age cap. */
  trim(now: number): void {
    let drop = Math.max(0, this.#frames.length - this.maxCount);
    while (drop < this.#times.length && now - this.#times[drop]! > this.maxAgeMs) drop++;
    if (drop === 0) return;
    for (let i = 0; i < drop; i++) this.bytes -= this.#frames[i]!.length;
    this.#frames = this.#frames.slice(drop);
    this.#times = this.#times.slice(drop);
    this.#start += drop;
  }

  /**
   * What a Join asks for: `from` undefined = live only, `'all'` = every frame held, else recovery
   * from offset `next` (the caller has already compared epochs).
   * @see [ROOM-6.3]
   */
  recover(from: undefined | 'all' | number): Recovery {
    const all = { frames: this.#frames.slice(), first: this.#start };
    if (from === undefined) return { frames: [], first: this.next, status: 0 };
    if (from === 'all') return { ...all, status: 0 };
    if (from < this.#start || from > this.next) return { ...all, status: 2 };
    const frames = this.#frames.slice(from - this.#start);
    return { frames, first: from, status: frames.length === 0 ? 0 : 1 };
  }
}
