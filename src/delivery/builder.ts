// Receiver side of spec/receipts.md §5: what was accepted per (sender kid, stream), and the
// receipts that say so.
import { sha256 } from '../crypto/sha256.js';
import { ProtocolError } from '../errors.js';
import { assertBytes, assertSafeUint } from '../bytes.js';
import { MAX_KID_LENGTH, STREAM_ID_LENGTH } from '../wire/envelope.js';
import { encodeReceipt, MAX_SACK_BITS, RECEIPT_CONTENT_TYPE, type Receipt } from './receipt.js';

/**
 * Seals a receipt payload with the acknowledging side's key, on its receipt stream, with the next
 * seq of that stream and (in a session) its binding — e.g. a `Sender` for a dedicated stream, or
 * `(p, ct) => seal(key, p, { seq: n++, stream: receiptStream, contentType: ct })`.
 */
export type ReceiptSealer = (payload: Uint8Array, contentType: typeof RECEIPT_CONTENT_TYPE) => Uint8Array;

/** Which envelope was accepted: the fields of `open()`'s result that name it. */
export interface AcceptedRef {
  readonly kid: Uint8Array;
  readonly stream: Uint8Array;
  readonly seq: number;
}

export interface ReceiptBuilderOptions {
  /** Signs receipts for {@link ReceiptBuilder.receipt}; without it only payloads are built. */
  seal?: ReceiptSealer;
  /** Most (kid, stream) pairs tracked at once; one more is refused with `ERR_STREAM_LIMIT`. Default 1,024. */
  maxStreams?: number;
}

export const DEFAULT_MAX_RECEIPT_STREAMS = 1024;

interface Track {
  readonly kid: Uint8Array;
  readonly stream: Uint8Array;
  next: number;
  /** Accepted seqs above `next`; never more than MAX_SACK_BITS of them (§5.2). */
  readonly above: Set<number>;
  highest: number;
  hash: Uint8Array;
  /** A copy of the highest accepted envelope whose hash no receipt needed yet (small ones only). */
  unhashed: Uint8Array | undefined;
  dirty: boolean;
}

// A receipt names only the highest envelope at the time it is built (every 32 envelopes by
// default), so a small envelope is copied and hashed when a receipt needs it: one SHA-256 per
// receipt instead of one per envelope. Larger ones are hashed at once, bounding what a track holds.
const LAZY_HASH_MAX = 4096;

// The bytes themselves as a one-byte-per-char string, the kid's length first so no two pairs share
// a key: checked and recorded on every data envelope, and cheaper than two hex strings.
function keyOf(kid: Uint8Array, stream: Uint8Array): string {
  return String.fromCharCode(kid.length, ...kid, ...stream);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hashHighest(t: Track): void {
  if (t.unhashed !== undefined) {
    t.hash = sha256(t.unhashed);
    t.unhashed = undefined;
  }
}

function checkRef(ref: AcceptedRef): void {
  if (ref === null || typeof ref !== 'object') throw new TypeError('"accepted" expected { kid, stream, seq }');
  assertBytes(ref.kid, 'kid');
  if (ref.kid.length === 0 || ref.kid.length > MAX_KID_LENGTH) {
    throw new RangeError(`"kid" expected 1 to ${MAX_KID_LENGTH} bytes, got length=${ref.kid.length}`);
  }
  assertBytes(ref.stream, 'stream', STREAM_ID_LENGTH);
  assertSafeUint(ref.seq, 'seq');
}

/**
 * Tracks the envelopes a receiver accepted and builds the receipts that acknowledge them: highest
 * contiguous seq, a selective-ack bitmap above it, and the hash of the highest accepted envelope.
 * Record an envelope only after the replay window committed it (spec/receipts.md §5.1): a receipt
 * is a signed statement, and must never cover an envelope the receiver may still refuse.
 *
 * @example
 * ```ts
 * const receipts = new ReceiptBuilder({
 *   seal: (payload, contentType) => seal(myKey, payload, { seq: receiptSeq++, stream: myReceiptStream, contentType }),
 * })
 * const opened = receiver.open(bytes)
 * receipts.record(opened, bytes)
 * socket.send(receipts.receipt(opened.kid, opened.stream))
 * ```
 */
export class ReceiptBuilder {
  readonly maxStreams: number;
  readonly #seal: ReceiptSealer | undefined;
  readonly #tracks = new Map<string, Track>();
  // The track asked for last: the check and the record of one envelope, and a session's envelopes
  // in a row, name the same stream, and comparing 48 bytes is cheaper than building a key.
  #last: Track | undefined;

  constructor(options: ReceiptBuilderOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('"options" expected object');
    if (options.seal !== undefined && typeof options.seal !== 'function') throw new TypeError('"seal" expected function');
    const max = options.maxStreams === undefined ? DEFAULT_MAX_RECEIPT_STREAMS : options.maxStreams;
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`"maxStreams" expected a positive integer, got ${String(max)}`);
    this.maxStreams = max;
    this.#seal = options.seal;
  }

  /** Number of (kid, stream) pairs tracked. */
  get size(): number {
    return this.#tracks.size;
  }

  /**
   * Throws when {@link record} would refuse `ref`, without changing anything: call it before the
   * replay window commits, so an envelope is never accepted and then left unacknowledgeable.
   *
   * @throws {ProtocolError} `ERR_ACK_RANGE` when `seq` is more than {@link MAX_SACK_BITS} above
   *   the highest contiguous seq (the sender broke its outbox bound, spec/receipts.md §6.2);
   *   `ERR_STREAM_LIMIT` when a new pair would exceed `maxStreams`.
   * @throws {RangeError} when `seq` was already recorded (the replay window should have refused it).
   */
  check(ref: AcceptedRef): void {
    checkRef(ref);
    this.#check(this.#track(ref.kid, ref.stream), ref.seq);
  }

  #track(kid: Uint8Array, stream: Uint8Array): Track | undefined {
    const last = this.#last;
    if (last !== undefined && sameBytes(last.stream, stream) && sameBytes(last.kid, kid)) return last;
    const track = this.#tracks.get(keyOf(kid, stream));
    if (track !== undefined) this.#last = track;
    return track;
  }

  #check(track: Track | undefined, seq: number): void {
    const next = track?.next ?? 0;
    if (track === undefined && this.#tracks.size >= this.maxStreams) {
      throw new ProtocolError('ERR_STREAM_LIMIT', 'too many acknowledged streams');
    }
    if (seq < next || track?.above.has(seq)) throw new RangeError(`seq ${seq} was already recorded for this stream`);
    if (seq > next + MAX_SACK_BITS) throw new ProtocolError('ERR_ACK_RANGE', 'seq is beyond the acknowledgement range');
  }

  /**
   * Records an accepted envelope. `envelope` must be the exact bytes that were verified: their
   * SHA-256 is what a receipt commits to.
   *
   * @throws {ProtocolError} `ERR_ACK_RANGE`, `ERR_STREAM_LIMIT` (see {@link check}); nothing is recorded then.
   * @example
   * ```ts
   * receipts.record(receiver.open(bytes), bytes)
   * ```
   */
  record(ref: AcceptedRef, envelope: Uint8Array): void {
    this.#record(ref, envelope, false);
  }

  /**
   * @internal {@link ReceiptBuilder.record} for a caller that owns `envelope` and never changes it
   * (a session's received copy): the builder keeps it instead of a copy of its own.
   */
  recordOwned(ref: AcceptedRef, envelope: Uint8Array): void {
    this.#record(ref, envelope, true);
  }

  /** @internal Hashes the stream's highest envelope now if it is still held, so the builder holds it no more. */
  release(kid: Uint8Array, stream: Uint8Array): void {
    const t = this.#track(kid, stream);
    if (t !== undefined) hashHighest(t);
  }

  #record(ref: AcceptedRef, envelope: Uint8Array, owned: boolean): void {
    checkRef(ref);
    assertBytes(envelope, 'envelope');
    let track = this.#track(ref.kid, ref.stream);
    this.#check(track, ref.seq);
    const { seq } = ref;
    if (track === undefined) {
      track = {
        kid: ref.kid.slice(),
        stream: ref.stream.slice(),
        next: 0,
        above: new Set(),
        highest: -1,
        hash: new Uint8Array(0),
        unhashed: undefined,
        dirty: false,
      };
      this.#tracks.set(keyOf(ref.kid, ref.stream), track);
      this.#last = track;
    }
    if (seq === track.next) {
      track.next++;
      while (track.above.delete(track.next)) track.next++;
    } else {
      track.above.add(seq);
    }
    // Only the highest accepted envelope is hashed (§3.4), and only when a receipt needs it.
    if (seq > track.highest) {
      track.highest = seq;
      if (envelope.length <= LAZY_HASH_MAX) {
        // An owned copy: a Node Buffer's slice() would be a view of the caller's bytes.
        track.unhashed = owned ? envelope : Uint8Array.prototype.slice.call(envelope);
      } else {
        track.unhashed = undefined;
        track.hash = sha256(envelope);
      }
    }
    track.dirty = true;
  }

  /** What a receipt for this stream would say now, or `undefined` when nothing was recorded. */
  state(kid: Uint8Array, stream: Uint8Array): Receipt | undefined {
    assertBytes(kid, 'kid');
    assertBytes(stream, 'stream');
    const t = this.#track(kid, stream);
    if (t === undefined) return undefined;
    hashHighest(t);
    let sack = new Uint8Array(0);
    if (t.above.size > 0) {
      sack = new Uint8Array(((t.highest - t.next - 1) >> 3) + 1);
      for (const s of t.above) {
        const i = s - t.next - 1;
        sack[i >> 3]! |= 1 << (i & 7);
      }
    }
    return { kid: t.kid.slice(), stream: t.stream.slice(), next: t.next, sack, hash: t.hash.slice() };
  }

  /** True when this builder holds an acknowledgement record for the stream. */
  has(kid: Uint8Array, stream: Uint8Array): boolean {
    assertBytes(kid, 'kid');
    assertBytes(stream, 'stream');
    return this.#track(kid, stream) !== undefined;
  }

  /** True when something was recorded for this stream since its last receipt was built. */
  hasNew(kid: Uint8Array, stream: Uint8Array): boolean {
    return this.#track(kid, stream)?.dirty ?? false;
  }

  /** The receipt payload (deterministic CBOR) for this stream, or `undefined` when nothing was recorded. */
  payload(kid: Uint8Array, stream: Uint8Array): Uint8Array | undefined {
    const r = this.state(kid, stream);
    if (r === undefined) return undefined;
    this.#track(kid, stream)!.dirty = false;
    return encodeReceipt(r);
  }

  /**
   * A signed receipt envelope for this stream, through the `seal` function given at construction.
   *
   * @throws {TypeError} when no `seal` was given. @throws {RangeError} when nothing was recorded.
   * @example
   * ```ts
   * if (receipts.hasNew(kid, stream)) socket.send(receipts.receipt(kid, stream))
   * ```
   */
  receipt(kid: Uint8Array, stream: Uint8Array): Uint8Array {
    if (this.#seal === undefined) throw new TypeError('"seal" was not given to the ReceiptBuilder');
    const payload = this.payload(kid, stream);
    if (payload === undefined) throw new RangeError('nothing was recorded for this stream');
    return this.#seal(payload, RECEIPT_CONTENT_TYPE);
  }

  /** True when `seq` of this stream was recorded: an envelope carrying it again is a duplicate. */
  holds(kid: Uint8Array, stream: Uint8Array, seq: number): boolean {
    const t = this.#track(kid, stream);
    return t !== undefined && (seq < t.next || t.above.has(seq));
  }

  /**
   * @internal Takes over a record another process kept, as {@link state} gave it (a session state
   * moving between nodes): what it acknowledged stays acknowledged, byte for byte.
   * @throws {ProtocolError} `ERR_STREAM_LIMIT` when a new pair would exceed `maxStreams`.
   */
  restore(r: Receipt): void {
    const existing = this.#track(r.kid, r.stream);
    if (existing === undefined && this.#tracks.size >= this.maxStreams) {
      throw new ProtocolError('ERR_STREAM_LIMIT', 'too many acknowledged streams');
    }
    const above = new Set<number>();
    for (let i = 0; i < r.sack.length * 8; i++) if ((r.sack[i >> 3]! >> (i & 7)) & 1) above.add(r.next + 1 + i);
    const highest = above.size > 0 ? Math.max(...above) : r.next - 1;
    const track: Track = {
      kid: r.kid.slice(),
      stream: r.stream.slice(),
      next: r.next,
      above,
      highest,
      hash: r.hash.slice(),
      unhashed: undefined,
      dirty: false,
    };
    this.#tracks.set(keyOf(r.kid, r.stream), track);
    this.#last = track;
  }

  /** Stops tracking a stream (e.g. when its replay state is forgotten). Returns whether it was tracked. */
  forget(kid: Uint8Array, stream: Uint8Array): boolean {
    if (this.#track(kid, stream) === this.#last) this.#last = undefined;
    return this.#tracks.delete(keyOf(kid, stream));
  }
}
