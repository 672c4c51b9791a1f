// Sender side of spec/receipts.md §6: the envelopes of one stream that no receipt has acknowledged
// yet, bounded, and the rules a receipt must pass before it changes anything.
import { sha256 } from '../crypto/sha256.js';
import { ProtocolError } from '../errors.js';
import { assertBytes, equalBytes } from '../bytes.js';
import { decodeEnvelope, STREAM_ID_LENGTH } from '../wire/envelope.js';
import { acknowledges, highestAcked, MAX_SACK_BITS, type Receipt } from './receipt.js';
import type { VerifiedReceipt } from './verify.js';

/** `pending`: sent, not acknowledged. `delivered`: a verified receipt acknowledged it. `unsent`: no such seq yet. */
export type DeliveryStatus = 'pending' | 'delivered' | 'unsent';

export const DEFAULT_OUTBOX_CAPACITY = 256;
export const DEFAULT_OUTBOX_MAX_BYTES = 8 * 1024 * 1024;

export interface OutboxOptions {
  /** This sender's key id: receipts must acknowledge it. */
  kid: Uint8Array;
  /** The stream this outbox holds (16 bytes). Its seqs start at 0 with no gap (spec/receipts.md §6.1). */
  stream: Uint8Array;
  /** Key id that must have signed every receipt; unset = any key the caller verified with. */
  receiver?: Uint8Array;
  /** Most unacknowledged envelopes. Default 256; at most 1,024 (the selective-ack range, §6.2). */
  capacity?: number;
  /** Most bytes of unacknowledged envelopes. Default 8 MiB. */
  maxBytes?: number;
  /** Called with the seqs (ascending) that a receipt newly acknowledged. */
  onDelivered?: (seqs: readonly number[]) => void;
  /** Called when an outbox that was full can take an envelope again. */
  onDrain?: () => void;
}

export interface AckResult {
  /** Seqs this receipt newly acknowledged, ascending. */
  readonly delivered: readonly number[];
  /** The receipt is older than one already applied and changed nothing (§6.4). */
  readonly stale: boolean;
}

interface Entry {
  envelope: Uint8Array;
  /** SHA-256 of `envelope`, computed only if a receipt names this seq as its highest. */
  hash: Uint8Array | undefined;
  /** SHA-256 of versions replaced by {@link Outbox.reseal}: hashes, not bytes, to stay bounded. */
  readonly earlier: Uint8Array[];
}

/**
 * The sender's record of what is in flight on one stream. Push every envelope right after sealing
 * it; apply each verified receipt with {@link Outbox.ack}; after a reconnect, resend
 * {@link Outbox.unacked}. Overflow policy: when `capacity` envelopes or `maxBytes` bytes are
 * unacknowledged, {@link Outbox.push} refuses with `ERR_OUTBOX_FULL` — check
 * {@link Outbox.writable} before sealing (a refused envelope has used its seq, which leaves a gap
 * no receipt can close), and wait for `onDrain`.
 *
 * @example
 * ```ts
 * const outbox = new Outbox({ kid: key.kid, stream, onDelivered: (seqs) => markDelivered(seqs) })
 * if (!outbox.writable) return waitForDrain()
 * const env = seal(key, payload, { seq: outbox.nextSeq, stream })
 * outbox.push(env); socket.send(env)
 * // on a receipt: outbox.ack(receiptFromOpened(receiver.open(bytes)))
 * // after reconnect: for (const env of outbox.unacked()) socket.send(env)
 * ```
 */
export class Outbox {
  readonly kid: Uint8Array;
  readonly stream: Uint8Array;
  readonly capacity: number;
  readonly maxBytes: number;
  readonly #receiver: Uint8Array | undefined;
  readonly #onDelivered: ((seqs: readonly number[]) => void) | undefined;
  readonly #onDrain: (() => void) | undefined;
  // Insertion order is seq order: pushes are strictly sequential, deletions leave order intact.
  readonly #pending = new Map<number, Entry>();
  #bytes = 0;
  #nextSeq = 0;
  #resealsSinceReceipt = 0;
  /** Every seq below this is delivered: the largest `next` applied. */
  #floor = 0;
  /** Highest delivered seq and the hash a verified receipt gave for it. */
  #highest = -1;
  #highestHash: Uint8Array | undefined;
  /** The receipt stream and seq of the last receipt applied, to recognise stale ones (§6.4). */
  #lastReceipt: { kid: Uint8Array; stream: Uint8Array; seq: number } | undefined;

  constructor(options: OutboxOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('"options" expected object');
    assertBytes(options.kid, 'kid');
    assertBytes(options.stream, 'stream', STREAM_ID_LENGTH);
    if (options.receiver !== undefined) assertBytes(options.receiver, 'receiver');
    const capacity = options.capacity === undefined ? DEFAULT_OUTBOX_CAPACITY : options.capacity;
    if (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > MAX_SACK_BITS) {
      throw new RangeError(`"capacity" expected an integer from 1 to ${MAX_SACK_BITS}, got ${String(capacity)}`);
    }
    const maxBytes = options.maxBytes === undefined ? DEFAULT_OUTBOX_MAX_BYTES : options.maxBytes;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError(`"maxBytes" expected a positive integer, got ${String(maxBytes)}`);
    for (const name of ['onDelivered', 'onDrain'] as const) {
      if (options[name] !== undefined && typeof options[name] !== 'function') throw new TypeError(`"${name}" expected function`);
    }
    this.kid = options.kid.slice();
    this.stream = options.stream.slice();
    this.#receiver = options.receiver?.slice();
    this.capacity = capacity;
    this.maxBytes = maxBytes;
    this.#onDelivered = options.onDelivered;
    this.#onDrain = options.onDrain;
  }

  /** The seq the next pushed envelope must carry. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** Unacknowledged envelopes held. */
  get size(): number {
    return this.#pending.size;
  }

  /** Bytes of unacknowledged envelopes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** False when {@link push} would refuse an envelope of `size` bytes (default: any envelope). */
  writable(size = 1): boolean {
    return this.#pending.size < this.capacity && this.#bytes + size <= this.maxBytes;
  }

  /**
   * Holds a freshly sealed envelope of this outbox's stream until a receipt acknowledges it.
   *
   * @returns the envelope's seq.
   * @throws {ProtocolError} `ERR_OUTBOX_FULL` when the capacity or byte bound is reached.
   * @throws {RangeError} when the envelope is not this stream's next one (kid, stream, seq).
   * @example
   * ```ts
   * outbox.push(seal(key, payload, { seq: outbox.nextSeq, stream }))
   * ```
   */
  push(envelope: Uint8Array): number {
    assertBytes(envelope, 'envelope');
    if (envelope.length > this.maxBytes) throw new RangeError(`"envelope" is larger than maxBytes (${this.maxBytes})`);
    const h = decodeEnvelope(envelope).header;
    if (!equalBytes(h.kid, this.kid) || !equalBytes(h.stream, this.stream)) {
      throw new RangeError('"envelope" belongs to another key or stream');
    }
    if (h.seq !== this.#nextSeq) throw new RangeError(`"envelope" has seq ${h.seq}, expected ${this.#nextSeq}`);
    if (!this.writable(envelope.length)) throw new ProtocolError('ERR_OUTBOX_FULL', 'too many unacknowledged envelopes');
    const copy = envelope.slice();
    this.#pending.set(h.seq, { envelope: copy, hash: undefined, earlier: [] });
    this.#bytes += copy.length;
    this.#nextSeq++;
    return h.seq;
  }

  /**
   * @internal {@link push} for the sender that just sealed `envelope` on this outbox's stream as
   * `seq` (a session): nothing to decode, its kid and stream are this outbox's by construction.
   */
  pushSealed(envelope: Uint8Array, seq: number): void {
    if (seq !== this.#nextSeq) throw new RangeError(`"envelope" has seq ${seq}, expected ${this.#nextSeq}`);
    if (!this.writable(envelope.length)) throw new ProtocolError('ERR_OUTBOX_FULL', 'too many unacknowledged envelopes');
    const copy = envelope.slice();
    this.#pending.set(seq, { envelope: copy, hash: undefined, earlier: [] });
    this.#bytes += copy.length;
    this.#nextSeq++;
  }

  /** Delivery state of one seq of this stream. */
  state(seq: number): DeliveryStatus {
    if (!Number.isSafeInteger(seq) || seq < 0 || seq >= this.#nextSeq) return 'unsent';
    return this.#pending.has(seq) ? 'pending' : 'delivered';
  }

  /** The unacknowledged envelopes, ascending by seq: what to resend after a reconnect. */
  unacked(): Uint8Array[] {
    return [...this.#pending.values()].map((e) => e.envelope.slice());
  }

  /**
   * Times {@link reseal} replaced pending envelopes since a receipt was last applied. Each time
   * keeps one more hash per pending envelope, so a peer that never acknowledges anything must not
   * be resumed without bound (spec/handshake.md [HS-7.9]).
   */
  get resealsSinceReceipt(): number {
    return this.#resealsSinceReceipt;
  }

  /** Unacknowledged seqs, ascending. */
  pendingSeqs(): number[] {
    return [...this.#pending.keys()];
  }

  /**
   * Replaces the bytes of every pending envelope with `fn`'s re-sealed version (same kid, stream,
   * seq) — e.g. bound to a new session after resume. Hashes of earlier versions are kept: the
   * receiver may have accepted one of them, and its receipt then names that one.
   *
   * @throws {RangeError} when `fn` returns an envelope with another kid, stream or seq.
   */
  reseal(fn: (envelope: Uint8Array, seq: number) => Uint8Array): void {
    if (typeof fn !== 'function') throw new TypeError('"fn" expected function');
    if (this.#pending.size > 0) this.#resealsSinceReceipt++;
    for (const [seq, entry] of this.#pending) {
      const next = fn(entry.envelope.slice(), seq);
      assertBytes(next, 'resealed envelope');
      const h = decodeEnvelope(next).header;
      if (h.seq !== seq || !equalBytes(h.kid, this.kid) || !equalBytes(h.stream, this.stream)) {
        throw new RangeError(`resealed envelope for seq ${seq} has another kid, stream or seq`);
      }
      const copy = next.slice();
      entry.earlier.push(entry.hash ?? sha256(entry.envelope));
      this.#bytes += copy.length - entry.envelope.length;
      entry.envelope = copy;
      entry.hash = undefined;
    }
  }

  /**
   * Applies a verified receipt (spec/receipts.md §6.3). Checks run before anything changes, so a
   * refused receipt leaves the outbox as it was.
   *
   * @throws {ProtocolError} `ERR_RECEIPT_UNSENT` (another stream or key, or a seq never sent),
   *   `ERR_UNKNOWN_KEY` (signed by a key other than `receiver`), `ERR_RECEIPT_REGRESSED` (it
   *   un-acknowledges a seq), `ERR_RECEIPT_HASH` (its hash is not of the envelope sent).
   * @example
   * ```ts
   * const { delivered } = outbox.ack(verifyReceipt(bytes, { keys: serverKey }))
   * ```
   */
  ack(verified: VerifiedReceipt): AckResult {
    if (verified === null || typeof verified !== 'object' || verified.receipt === undefined) {
      throw new TypeError('"verified" expected the result of verifyReceipt() or receiptFromOpened()');
    }
    const r = verified.receipt;
    if (!equalBytes(r.kid, this.kid) || !equalBytes(r.stream, this.stream)) {
      throw new ProtocolError('ERR_RECEIPT_UNSENT', 'receipt acknowledges another key or stream');
    }
    if (this.#receiver !== undefined && !equalBytes(verified.kid, this.#receiver)) {
      throw new ProtocolError('ERR_UNKNOWN_KEY', 'receipt is not signed by the receiver of this stream');
    }
    const highest = highestAcked(r);
    if (highest >= this.#nextSeq) throw new ProtocolError('ERR_RECEIPT_UNSENT', 'receipt acknowledges a seq never sent');

    const last = this.#lastReceipt;
    // Compared as bytes: kids stay bytes inside, hex only at the API edge.
    const sameStream = last !== undefined && equalBytes(last.kid, verified.kid) && equalBytes(last.stream, verified.stream);
    if (sameStream && verified.seq <= last.seq) {
      // Older than a receipt already applied: it may only say less (§6.4).
      if (!this.#coveredBy(r)) throw new ProtocolError('ERR_RECEIPT_REGRESSED', 'a later receipt un-acknowledged a seq');
      return { delivered: [], stale: true };
    }
    this.#checkSuperset(r);
    this.#checkHash(r, highest);

    const wasFull = !this.writable();
    const delivered: number[] = [];
    for (const [seq, entry] of this.#pending) {
      if (seq > highest) break;
      if (acknowledges(r, seq)) {
        delivered.push(seq);
        this.#bytes -= entry.envelope.length;
        this.#pending.delete(seq);
      }
    }
    this.#floor = r.next;
    if (highest > this.#highest) {
      this.#highest = highest;
      this.#highestHash = r.hash.slice();
    }
    // Copies: the verified receipt's fields may be views into a buffer that is reused.
    if (sameStream) last.seq = verified.seq;
    else this.#lastReceipt = { kid: verified.kid.slice(), stream: verified.stream.slice(), seq: verified.seq };
    this.#resealsSinceReceipt = 0;
    if (delivered.length > 0) this.#onDelivered?.(delivered);
    if (wasFull && this.writable()) this.#onDrain?.();
    return { delivered, stale: false };
  }

  /** Everything `r` acknowledges is already delivered here. */
  #coveredBy(r: Receipt): boolean {
    for (const seq of this.#pending.keys()) {
      if (acknowledges(r, seq)) return false;
    }
    return true;
  }

  /** `r` acknowledges every seq delivered so far (§6.3 step 4): a receipt never un-acknowledges. */
  #checkSuperset(r: Receipt): void {
    const regressed = (): ProtocolError => new ProtocolError('ERR_RECEIPT_REGRESSED', 'receipt un-acknowledges a seq');
    if (r.next < this.#floor) throw regressed();
    for (let seq = r.next; seq <= this.#highest; seq++) {
      if (!this.#pending.has(seq) && !acknowledges(r, seq)) throw regressed();
    }
  }

  /** The hash names the envelope this sender sent with the highest acknowledged seq (§6.3 step 5). */
  #checkHash(r: Receipt, highest: number): void {
    let ok: boolean;
    if (highest === this.#highest) {
      ok = this.#highestHash !== undefined && equalBytes(this.#highestHash, r.hash);
    } else {
      // highest > #highest here (the superset check passed), so the envelope is still pending.
      const entry = this.#pending.get(highest);
      if (entry === undefined) {
        ok = false;
      } else {
        entry.hash ??= sha256(entry.envelope);
        ok = equalBytes(entry.hash, r.hash) || entry.earlier.some((h) => equalBytes(h, r.hash));
      }
    }
    if (!ok) throw new ProtocolError('ERR_RECEIPT_HASH', 'receipt hash does not match the envelope sent');
  }
}
