// Seals what the rooms queue, once per tick of the event loop: statements alone; the events of a
// room alone when the tick holds one of them, else together in one bundle under one signature
// (spec/rooms.md §5). Frames leave in the order they were queued within each room, statements
// before events, whatever kind of key signs.
import type { AsyncSigningKey, SigningKey } from '../keys/keys.js';
import { BundleSealer } from './batch.js';
import { sealWithKey, type Unsigned } from './seal.js';

/** What an event's frame is handed to: the frame, and how many events it carries. */
export type Deliver = (frame: Uint8Array, count: number) => void;

interface Single {
  readonly u: Unsigned;
  readonly deliver: Deliver;
}

interface Group {
  readonly events: Unsigned[];
  readonly deliver: Deliver;
}

const schedule: (fn: () => void) => void = typeof setImmediate === 'function' ? (fn) => setImmediate(fn) : (fn) => setTimeout(fn, 0);

export class TickSigner {
  #singles: Single[] = [];
  #groups = new Map<object, Group>();
  #scheduled = false;
  /** The previous tick's asynchronous signatures: frames never overtake each other. */
  #chain: Promise<void> | undefined;
  readonly #bundles: BundleSealer;
  signatures = 0;

  constructor(
    private readonly key: SigningKey | AsyncSigningKey,
    kid: Uint8Array,
    private readonly clock: () => number,
    private readonly onError: (err: unknown) => void,
    maxFrameSize: number,
  ) {
    this.#bundles = new BundleSealer(key, kid, maxFrameSize);
  }

  /** A room event; events queued under the same `room` in one tick share a bundle. */
  event(room: object, u: Unsigned, deliver: Deliver): void {
    let g = this.#groups.get(room);
    if (g === undefined) this.#groups.set(room, (g = { events: [], deliver }));
    g.events.push(u);
    this.#schedule();
  }

  statement(u: Unsigned, deliver: (frame: Uint8Array) => void): void {
    this.#singles.push({ u, deliver });
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    schedule(() => this.#flush());
  }

  /** @see [ROOM-5.3] */
  #flush(): void {
    this.#scheduled = false;
    const out: { frame: Uint8Array | Promise<Uint8Array>; count: number; deliver: Deliver }[] = [];
    try {
      for (const s of this.#singles) out.push({ frame: this.#sign(s.u), count: 0, deliver: s.deliver });
      for (const g of this.#groups.values()) {
        if (g.events.length === 1) {
          out.push({ frame: this.#sign(g.events[0]!), count: 1, deliver: g.deliver });
          continue;
        }
        const sealed = this.#bundles.seal(g.events, this.clock());
        this.signatures += sealed.length; // one per bundle, or per event sent alone
        for (const b of sealed) out.push({ ...b, deliver: g.deliver });
      }
    } catch (err) {
      this.onError(err);
      return;
    } finally {
      this.#singles = [];
      this.#groups = new Map();
    }
    if (this.#chain === undefined && out.every((o) => !(o.frame instanceof Promise))) {
      for (const o of out) o.deliver(o.frame as Uint8Array, o.count);
      return;
    }
    const run = (): Promise<void> =>
      Promise.all(out.map((o) => Promise.resolve(o.frame))).then((frames) => frames.forEach((f, i) => out[i]!.deliver(f, out[i]!.count)));
    const chained = (this.#chain ?? Promise.resolve()).then(run).catch((err: unknown) => this.onError(err));
    this.#chain = chained;
    void chained.then(() => {
      if (this.#chain === chained) this.#chain = undefined;
    });
  }

  #sign(u: Unsigned): Uint8Array | Promise<Uint8Array> {
    this.signatures++;
    return sealWithKey(this.key, u);
  }
}
