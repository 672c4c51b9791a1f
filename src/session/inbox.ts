// A session's receive queue (spec/policy.md §8): data-phase messages wait here in arrival order and
// take their turn one at a time. It bounds what may wait ([POL-8.5], [POL-8.6]), pauses a transport
// that can pause, lets envelopes start their checks and signature ahead of their turn when the
// verifier answers later, and holds its turns for the client's first burst ([HS-7.5]) and for a
// predecessor still processing what it received ([HS-7.10]). What a turn does is the session's.
import { ProtocolError } from '../errors.js';
import type { SessionDelivery } from './delivery.js';

/** The reading controls of a transport, when it has them (see `Transport` in transport.ts). */
export interface ReadControl {
  pauseReading?(): void;
  resumeReading?(): void;
}

/** What the inbox asks of its session. */
export interface InboxHost<E> {
  /** Starts the checks and the signature of a message at arrival; its turn comes later. */
  start(bytes: Uint8Array): E;
  /** A message's turn, in arrival order: a promise (never rejecting) when a step answers later. */
  turn(item: Uint8Array | E): Promise<void> | undefined;
  /** Ends the session: the peer sent more than may wait. */
  refuse(error: ProtocolError): void;
  /** Whether the session is open (reading resumes only then). */
  isOpen(): boolean;
}

/**
 * Messages received faster than they can be verified: reading pauses at PAUSE_AT where the
 * transport can pause, and resumes at RESUME_AT. MAX_PENDING is the hard cap, above what an honest
 * peer can have in flight (its outbox holds at most a replay window, 1,024 at most, plus receipts),
 * so only a peer that ignores acknowledgements reaches it ([POL-8.5]).
 */
const PAUSE_AT = 64;
const RESUME_AT = 16;
const MAX_PENDING = 1024 + 64;
/**
 * At most this many messages of one session verify ahead of their turn ([POL-8.5]): enough to
 * keep a verification pool busy, few enough that one flooding peer cannot fill a shared pool's
 * queue and get honest sessions refused. The rest wait and are checked in their turn.
 */
const MAX_EARLY = 32;
/**
 * Default cap on the bytes of messages waiting for verification where the transport cannot pause
 * ([POL-8.6]): four times the default outbox bytes, which bound an honest peer's waiting data.
 */
export const DEFAULT_MAX_PENDING_BYTES = 4 << 20;

const EMPTY = new Uint8Array(0);
const RESOLVED = Promise.resolve();

/**
 * A received message copied into a shared chunk: an ArrayBuffer per message costs more than the
 * copy itself (~0.3 us for 150 bytes), a view of a chunk a fraction of that. A view keeps its chunk
 * alive, so only bytes let go of soon live there: a message waits for its turn, and afterwards
 * only the receipt builder keeps the highest one per stream, until the next receipt
 * (receiptDelayMs at most) or the session's end hashes it. Larger messages get their own buffer.
 */
const CHUNK_SIZE = 64 * 1024;
const MAX_CHUNKED = 4096;
let chunk = new ArrayBuffer(CHUNK_SIZE);
let chunkUsed = 0;

function ownedCopy(bytes: Uint8Array): Uint8Array {
  const n = bytes.length;
  if (n > MAX_CHUNKED) return Uint8Array.prototype.slice.call(bytes);
  if (chunkUsed + n > CHUNK_SIZE) {
    chunk = new ArrayBuffer(CHUNK_SIZE);
    chunkUsed = 0;
  }
  const out = new Uint8Array(chunk, chunkUsed, n);
  out.set(bytes);
  // 8-byte aligned starts, as allocators give.
  chunkUsed += (n + 7) & ~7;
  return out;
}

export class Inbox<E extends { readonly bytes: Uint8Array }> {
  /** Cap on waiting bytes where the transport cannot pause ([POL-8.6]). */
  maxPendingBytes = DEFAULT_MAX_PENDING_BYTES;
  /** Messages start their checks and signature at arrival ([POL-8.5]): set with a pool verifier. */
  verifyAhead = false;
  /** The data stream's state, once the session has one: its `settling` orders resumed sessions. */
  delivery: SessionDelivery | undefined;
  readonly #host: InboxHost<E>;
  readonly #reading: ReadControl;
  /** Messages whose turn has not come, in arrival order, from #head. */
  readonly #items: (Uint8Array | E)[] = [];
  #head = 0;
  #draining = false;
  /** Set from the Welcome until the next task: see holdFirstBurst. */
  #holding = false;
  /** Messages waiting for their turn, and their bytes. */
  #pending = 0;
  #pendingBytes = 0;
  #readingPaused = false;
  /** Messages received whose turn has not finished. */
  #busy = 0;
  #early = 0;
  /** Messages waiting for their turn without having started (past the cap, or no pool). */
  #unstarted = 0;

  constructor(host: InboxHost<E>, reading: ReadControl) {
    this.#host = host;
    this.#reading = reading;
  }

  /** Messages received whose turn has not finished: a message started now must wait for them. */
  get busy(): number {
    return this.#busy;
  }

  /** Takes one data-phase message (the caller keeps its buffer); refuses the session past the caps. */
  push(bytes: Uint8Array): void {
    if (++this.#pending > MAX_PENDING) {
      this.#host.refuse(new ProtocolError('ERR_RATE_LIMITED', 'too many messages awaiting verification'));
      return;
    }
    this.#pendingBytes += bytes.length;
    const reading = this.#reading;
    if (this.#pendingBytes > this.maxPendingBytes && reading.pauseReading === undefined) {
      this.#host.refuse(new ProtocolError('ERR_RATE_LIMITED', 'too many bytes awaiting verification'));
      return;
    }
    const copy = ownedCopy(bytes);
    if (this.#pending >= PAUSE_AT && !this.#readingPaused && reading.pauseReading !== undefined) {
      this.#readingPaused = true;
      reading.pauseReading();
    }
    // [POL-8.5]: with a synchronous replay store and a verifier that may answer later (a pool), the
    // checks up to the signature and the signature itself start now, so the pool can work on
    // several messages of this session at once; each is committed only once every earlier one was
    // fully processed. A synchronous verifier gains nothing from starting early: its messages are
    // checked in their turn, with no promise per message. Nothing starts ahead of a message that
    // waits unstarted (past the cap): its commit would queue behind the later one's on their
    // stream, and the later one's gate behind it.
    let item: Uint8Array | E = copy;
    if (this.verifyAhead && this.#early < MAX_EARLY && this.#unstarted === 0) {
      item = this.#host.start(copy);
      this.#early++;
    } else {
      this.#unstarted++;
    }
    this.#busy++;
    this.#items.push(item);
    // One microtask per burst takes every turn, in arrival order. (Node's queueMicrotask makes an
    // AsyncResource per call; a resolved promise's then() does not.)
    if (!this.#draining && !this.#holding) {
      this.#draining = true;
      void RESOLVED.then(this.#drainTask);
    }
  }

  /**
   * A resumed server resends at once what was not acknowledged, often in the same read as the
   * Welcome. The application attaches its listeners when `connect()` resolves, some microtasks
   * later: what arrives with the Welcome waits for the next task, so none of it is emitted first.
   */
  holdFirstBurst(): void {
    this.#holding = true;
    setTimeout(() => {
      this.#holding = false;
      if (!this.#draining && this.#head < this.#items.length) {
        this.#draining = true;
        this.#drain();
      }
    }, 0);
  }

  readonly #drainTask = (): void => this.#drain();

  /** Takes the turns in arrival order; waits only for a turn that answers later. */
  #drain(): void {
    const d = this.delivery;
    const settling = d?.settling;
    if (settling !== undefined && settling.by !== this) {
      // [HS-7.10]: the session this one took over still processes what it received: wait for it.
      // (#draining stays set, so nothing else starts a drain meanwhile.)
      void settling.done.then(this.#drainTask);
      return;
    }
    const items = this.#items;
    while (this.#head < items.length) {
      const item = items[this.#head]!;
      items[this.#head++] = EMPTY;
      this.#pending--;
      this.#pendingBytes -= item instanceof Uint8Array ? item.length : item.bytes.length;
      if (this.#readingPaused && this.#pending <= RESUME_AT && this.#host.isOpen()) {
        this.#readingPaused = false;
        this.#reading.resumeReading?.();
      }
      const rest = this.#host.turn(item);
      if (rest !== undefined) {
        if (d !== undefined && d.settling === undefined) {
          let resolve!: () => void;
          const done = new Promise<void>((r) => (resolve = r));
          d.settling = { by: this, done, resolve };
        }
        void rest.then(() => {
          this.#finished(item);
          this.#drain();
        });
        return;
      }
      this.#finished(item);
    }
    items.length = 0;
    this.#head = 0;
    this.#draining = false;
    if (d !== undefined && d.settling !== undefined && d.settling.by === this) {
      const done = d.settling;
      d.settling = undefined;
      done.resolve();
    }
  }

  #finished(item: Uint8Array | E): void {
    this.#busy--;
    if (item instanceof Uint8Array) this.#unstarted--;
    else this.#early--;
  }
}
