// Seals what the rooms queue, once per tick of the event loop: statements alone, room events alone
// when a tick holds one, else under one signed Merkle root (spec/rooms.md §5). Frames leave in the
// order they were queued, whatever kind of key signs.
import type { AsyncSigningKey, SigningKey } from '../keys/keys.js';
import { finish, signWith, type Unsigned } from './seal.js';
import { sealBatch } from './batch.js';

interface Item {
  /** What to sign, or `frame`: an already sealed frame that only keeps its place in the order. */
  readonly u?: Unsigned;
  readonly frame?: Uint8Array;
  readonly batchable: boolean;
  readonly deliver: (frame: Uint8Array) => void;
}

const schedule: (fn: () => void) => void = typeof setImmediate === 'function' ? (fn) => setImmediate(fn) : (fn) => setTimeout(fn, 0);

export class TickSigner {
  #queue: Item[] = [];
  #scheduled = false;
  /** The previous tick's asynchronous signatures: frames never overtake each other. */
  #chain: Promise<void> | undefined;
  signatures = 0;
  #batchId = 0;

  constructor(
    private readonly key: SigningKey | AsyncSigningKey,
    private readonly kid: Uint8Array,
    private readonly onError: (err: unknown) => void,
  ) {}

  event(u: Unsigned, deliver: (frame: Uint8Array) => void): void {
    this.#push({ u, batchable: true, deliver });
  }

  statement(u: Unsigned, deliver: (frame: Uint8Array) => void): void {
    this.#push({ u, batchable: false, deliver });
  }

  /** A frame sealed earlier, sent in its place in this tick's order. */
  ready(frame: Uint8Array, deliver: (frame: Uint8Array) => void): void {
    this.#push({ frame, batchable: false, deliver });
  }

  #push(item: Item): void {
    this.#queue.push(item);
    if (this.#scheduled) return;
    this.#scheduled = true;
    schedule(() => this.#flush());
  }

  /** @see [ROOM-5.3] */
  #flush(): void {
    this.#scheduled = false;
    const items = this.#queue;
    this.#queue = [];
    const events = items.filter((i) => i.batchable);
    const frames = new Map<Item, Uint8Array | Promise<Uint8Array>>();
    try {
      if (events.length > 1) {
        for (const [i, f] of sealBatch(
          this.key,
          this.kid,
          this.#batchId++,
          events.map((e) => e.u!),
        ).entries())
          frames.set(events[i]!, f);
        this.signatures += Math.ceil(events.length / 1024);
      }
      for (const item of items) {
        if (frames.has(item)) continue;
        const u = item.u;
        if (u === undefined) {
          frames.set(item, item.frame!);
          continue;
        }
        const sig = signWith(this.key, u.toBeSigned);
        this.signatures++;
        frames.set(item, sig instanceof Promise ? sig.then((s) => finish(u, s)) : finish(u, sig));
      }
    } catch (err) {
      this.onError(err);
      return;
    }
    const sync = [...frames.values()].every((f) => !(f instanceof Promise));
    if (sync && this.#chain === undefined) {
      for (const item of items) item.deliver(frames.get(item) as Uint8Array);
      return;
    }
    const run = (): Promise<void> => Promise.all(items.map((i) => Promise.resolve(frames.get(i)!))).then((out) => out.forEach((f, i) => items[i]!.deliver(f)));
    const chained = (this.#chain ?? Promise.resolve()).then(run).catch((err: unknown) => this.onError(err));
    this.#chain = chained;
    void chained.then(() => {
      if (this.#chain === chained) this.#chain = undefined;
    });
  }
}
