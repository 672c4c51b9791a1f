// The sealing side of one stream: a sequence number that never repeats for (kid, stream), across
// restarts too (spec/replay.md §8).
import { ProtocolError } from '../errors.js';
import { assertBytes, randomBytes } from '../bytes.js';
import { isAnySigningKey, isAsyncSigningKey, type AsyncSigningKey, type SigningKey } from '../keys/keys.js';
import { DEFAULT_CONTENT_TYPE, MAX_UINT, STREAM_ID_LENGTH, type ContentType } from '../wire/envelope.js';
import { seal, sealAsync, type SealOptions } from './seal.js';

/** One past the largest sequence number: a reservation bound of 2^53 means the stream is used up. */
export const SEQ_LIMIT = MAX_UINT + 1;

/**
 * Persistence hook (OSCORE, RFC 8613 appendix B.1.1): before the Sender uses any number of a new
 * block, it calls `persist(stream, upTo)`, which must store `upTo` durably before returning. After
 * a restart, continue the stream with `new Sender(key, { stream, seq: upTo, reserve })`: numbers
 * reserved but not used are skipped, none is reused.
 */
export interface SeqReservation {
  /** Numbers reserved per call, K ≥ 1. Larger K: fewer writes, more numbers skipped per restart. */
  blockSize: number;
  /** Durably records that numbers below `upTo` may have been used on `stream`. Throwing aborts the seal. */
  persist: (stream: Uint8Array, upTo: number) => void;
}

export interface SenderOptions {
  /**
   * Continue this 16-byte stream. Default: a new random stream id, which makes restarts safe with
   * no storage (§8.1). Give a stream only with `reserve`, or when it is new (e.g. from a session).
   */
  stream?: Uint8Array;
  /** First sequence number, e.g. the last persisted reservation bound. Default 0. */
  seq?: number;
  /** Default content type of sealed envelopes. Default 42 (application/octet-stream). */
  contentType?: ContentType;
  /** Clock for `ts`, ms. Default `Date.now`. */
  clock?: () => number;
  /** Persist reservations of sequence numbers, to continue `stream` across restarts (§8.2). */
  reserve?: SeqReservation;
}

/**
 * Seals envelopes for one stream with increasing sequence numbers 0, 1, 2, … Every Sender starts
 * a new random stream unless told to continue one, so a restarted process never reuses
 * (kid, stream, seq). Sequence numbers end at 2^53 − 1; then `seal` throws `ERR_SEQ_EXHAUSTED`
 * and the application starts a new Sender (a new stream).
 *
 * @throws {TypeError|RangeError} from the constructor on an invalid option (named).
 * @example
 * ```ts
 * const sender = new Sender(importSigningKey(secretKey))
 * ws.send(sender.seal(new TextEncoder().encode('hello'), { binding }))
 * ```
 */
export class Sender {
  readonly stream: Uint8Array;
  readonly kid: Uint8Array;
  readonly #key: SigningKey | AsyncSigningKey;
  readonly #contentType: ContentType;
  readonly #clock: () => number;
  readonly #reserve: SeqReservation | undefined;
  #seq: number;
  // Numbers below this are covered by a persisted reservation.
  #reservedUpTo: number;

  constructor(key: SigningKey | AsyncSigningKey, options: SenderOptions = {}) {
    if (!isAnySigningKey(key)) {
      throw new TypeError('"key" expected a SigningKey from importSigningKey() or an AsyncSigningKey');
    }
    if (options === null || typeof options !== 'object') throw new TypeError('"options" expected object');
    if (options.stream !== undefined) assertBytes(options.stream, 'stream', STREAM_ID_LENGTH);
    const seq = options.seq === undefined ? 0 : options.seq;
    if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 0 || seq > SEQ_LIMIT) {
      throw new RangeError(`"seq" expected an integer from 0 to 2^53, got ${String(seq)}`);
    }
    if (options.clock !== undefined && typeof options.clock !== 'function') throw new TypeError('"clock" expected function');
    const ct = options.contentType;
    if (ct !== undefined && typeof ct !== 'number' && typeof ct !== 'string') {
      throw new TypeError('"contentType" expected a content format number or a media type');
    }
    const r = options.reserve;
    if (r !== undefined) {
      if (r === null || typeof r !== 'object' || typeof r.persist !== 'function') {
        throw new TypeError('"reserve" expected { blockSize, persist }');
      }
      if (!Number.isSafeInteger(r.blockSize) || r.blockSize < 1) {
        throw new RangeError(`"reserve.blockSize" expected a positive integer, got ${String(r.blockSize)}`);
      }
    }
    this.#key = key;
    this.kid = key.kid;
    this.stream = options.stream?.slice() ?? randomBytes(STREAM_ID_LENGTH);
    this.#contentType = options.contentType ?? DEFAULT_CONTENT_TYPE;
    this.#clock = options.clock ?? Date.now;
    this.#reserve = r === undefined ? undefined : { blockSize: r.blockSize, persist: r.persist };
    this.#seq = seq;
    this.#reservedUpTo = seq;
  }

  /** The sequence number the next `seal` uses (2^53 once exhausted). */
  get nextSeq(): number {
    return this.#seq;
  }

  /**
   * Seals `payload` (bytes, or a string as UTF-8) with the next sequence number and the clock's time.
   *
   * @throws {ProtocolError} `ERR_SEQ_EXHAUSTED` once 2^53 − 1 has been used.
   * @throws {TypeError|RangeError} on a bad argument, as `seal()`, or when the key signs
   *   asynchronously (use {@link Sender.sealAsync}); whatever `reserve.persist` throws.
   * @example
   * ```ts
   * const envelope = sender.seal(payload, { aad: roomId })
   * ```
   */
  seal(payload: Uint8Array | string, ctx: SealContext = {}): Uint8Array {
    const key = this.#key;
    if (isAsyncSigningKey(key)) throw new TypeError("this Sender's key signs asynchronously: use sealAsync()");
    const seq = this.#take(ctx);
    const envelope = seal(key, payload, this.#options(seq, ctx));
    // Consumed only once an envelope exists; a rejected argument does not burn a number.
    this.#seq = seq + 1;
    return envelope;
  }

  /**
   * {@link Sender.seal} for any key, the signature possibly finishing later. The sequence number
   * is taken when this returns, so envelopes carry the numbers in call order whatever order their
   * signatures finish in; a signature that fails leaves its number unused (a gap).
   *
   * @throws {ProtocolError|TypeError|RangeError} synchronously, as {@link Sender.seal}.
   * @example
   * ```ts
   * const envelope = await sender.sealAsync(payload)
   * ```
   */
  sealAsync(payload: Uint8Array | string, ctx: SealContext = {}): Promise<Uint8Array> {
    const key = this.#key;
    const seq = this.#take(ctx);
    const options = this.#options(seq, ctx);
    const envelope = isAsyncSigningKey(key) ? sealAsync(key, payload, options) : Promise.resolve(seal(key, payload, options));
    this.#seq = seq + 1;
    return envelope;
  }

  // The next number, after persisting a new reservation block when one is due.
  #take(ctx: SealContext): number {
    if (ctx === null || typeof ctx !== 'object') throw new TypeError('"ctx" expected object');
    const seq = this.#seq;
    if (seq > MAX_UINT) throw new ProtocolError('ERR_SEQ_EXHAUSTED', 'sequence numbers of this stream are used up');
    const reserve = this.#reserve;
    if (reserve !== undefined && seq >= this.#reservedUpTo) {
      // Persist before use: a crash after this point skips numbers, never repeats them.
      const upTo = Math.min(seq + reserve.blockSize, SEQ_LIMIT);
      reserve.persist(this.stream.slice(), upTo);
      this.#reservedUpTo = upTo;
    }
    return seq;
  }

  #options(seq: number, ctx: SealContext): SealOptions {
    return {
      seq,
      stream: this.stream,
      ts: this.#clock(),
      contentType: ctx.contentType ?? this.#contentType,
      ...(ctx.aad !== undefined ? { aad: ctx.aad } : {}),
      ...(ctx.binding !== undefined ? { binding: ctx.binding } : {}),
    };
  }
}

/** Per-envelope context of {@link Sender.seal}. */
export interface SealContext {
  aad?: Uint8Array;
  binding?: Uint8Array;
  contentType?: ContentType;
}
