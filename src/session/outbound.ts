// One session's sending side (spec/receipts.md §6, spec/policy.md §8): seal once on our data
// stream, keep the sealed bytes in the outbox until a receipt acknowledges them, and hand them to
// the transport while its buffer has room. Envelopes an AsyncSigningKey signs leave in the order
// they were sealed ([HS-7.5]).
import { ProtocolError, isProtocolError } from '../errors.js';
import { seal, sealAsync } from '../envelope/seal.js';
import { isAsyncSigningKey, type AsyncSigningKey, type SigningKey } from '../keys/keys.js';
import { decodeEnvelope } from '../wire/envelope.js';
import type { SessionDelivery } from './delivery.js';
import { MESSAGE_CONTENT_TYPE } from './messages.js';
import { signingFailed } from './signing.js';
import { bufferedOf, DEFAULT_MAX_BUFFERED_AMOUNT, type Transport } from './transport.js';

/** What the sending side asks of its session. */
export interface OutboundHost {
  isOpen(): boolean;
  /** Ends the session for `err`. */
  fail(err: unknown): void;
  /** The transport is gone: the session ends as lost (1006). */
  lost(): void;
  /** A caller told there was no room may send again. */
  drain(): void;
  /** Seqs of our data stream a receipt newly acknowledged. */
  delivered(seqs: readonly number[]): void;
}

// Largest envelope framing around a payload: protected header (at most 512), signature, CBOR heads.
const ENVELOPE_OVERHEAD = 600;
const EMPTY = new Uint8Array(0);
const RESOLVED = Promise.resolve();

interface Started {
  readonly key: SigningKey | AsyncSigningKey;
  readonly async: boolean;
  readonly delivery: SessionDelivery;
  readonly binding: Uint8Array;
  readonly clock: () => number;
}

export class Outbound {
  /** Hard cap on the transport's buffered bytes ([POL-8]). */
  maxBufferedAmount = DEFAULT_MAX_BUFFERED_AMOUNT;
  /** close() waits for envelopes still being signed; nothing new may be sent meanwhile. */
  closing = false;
  readonly #host: OutboundHost;
  readonly #transport: Transport;
  #s: Started | undefined;
  /** `writable` said no, or a send was refused for room: see #roomMaybe. */
  #blocked = false;
  /** Sealed data envelopes (in the outbox) not yet handed to the transport: paused by backpressure. */
  #unsent: Uint8Array[] = [];
  /** Bytes waiting for the shared resume store to hold what they state. */
  #held: Uint8Array[] = [];

  constructor(host: OutboundHost, transport: Transport) {
    this.#host = host;
    this.#transport = transport;
  }

  /** The data phase began: our envelopes are bound to `binding`, and receipts reach us through `delivery`. */
  start(key: SigningKey | AsyncSigningKey, clock: () => number, delivery: SessionDelivery, binding: Uint8Array): void {
    this.#s = { key, async: isAsyncSigningKey(key), delivery, binding, clock };
    delivery.owner = {
      delivered: (seqs) => {
        this.#host.delivered(seqs);
        // After the outbox's own `drained`, if it comes: one `drain` per wait.
        if (this.#blocked) void RESOLVED.then(() => this.#roomMaybe());
      },
      drained: () => {
        this.#blocked = false;
        this.#host.drain();
      },
      failed: (err) => this.#host.fail(err),
    };
  }

  get open(): boolean {
    return this.#host.isOpen() && !this.closing;
  }

  /** [RCP-6.2]: false when the outbox has no room for a whole envelope; a `drain` is then owed. */
  get writable(): boolean {
    if (!this.open) return false;
    if (this.#hasRoom(ENVELOPE_OVERHEAD)) return true;
    this.#blocked = true;
    return false;
  }

  /**
   * A `drain` is owed to a caller told there was no room. The outbox says when it was full and is
   * not any more; room can also open while it never was full in its own terms (envelopes still
   * being signed count here, and `writable` asks for room for a whole envelope).
   */
  #roomMaybe(): void {
    if (this.#blocked && this.#host.isOpen() && this.#hasRoom(ENVELOPE_OVERHEAD)) {
      this.#blocked = false;
      this.#host.drain();
    }
  }

  /** [RCP-6.2]: whether the outbox takes one more envelope of `size` bytes, counting those still being signed. */
  #hasRoom(size: number): boolean {
    const d = this.#s!.delivery;
    const o = d.outbox;
    const signing = d.signing;
    if (signing.data === 0) return o.writable(size);
    return o.size + signing.data < o.capacity && o.bytes + signing.bytes + size <= o.maxBytes;
  }

  /**
   * With an AsyncSigningKey: `then` gets the envelope once it and every envelope sealed before it
   * (by this session or the one it resumed) are signed, so they leave in that order ([HS-7.5]). A
   * signature that fails ends the session with `ERR_INTERNAL`: its number would be a gap.
   */
  afterSigned(sealing: Promise<Uint8Array>, then: (envelope: Uint8Array) => void): void {
    const d = this.#s!.delivery;
    d.signing.add(
      sealing,
      then,
      (err) => {
        const error = signingFailed(err);
        this.#host.fail(error);
        // A session that resumed this state meanwhile cannot go on either.
        d.owner?.failed(error);
      },
      (err) => this.#host.fail(err),
    );
  }

  /** Whether envelopes are still being signed: the close waits for them ([RCP-5.4]). */
  get signing(): boolean {
    return this.#s !== undefined && this.#s.delivery.signing.length > 0;
  }

  /** Runs `then` once everything sealed so far is signed and handed on; nothing new is sent meanwhile. */
  closeAfterSigned(then: () => void): void {
    this.closing = true;
    this.afterSigned(Promise.resolve(EMPTY), then);
  }

  /**
   * Seals a payload on our data stream and queues it: sealed once, the outbox and the transport
   * get the same bytes. Returns its sequence number.
   *
   * @throws {ProtocolError} `ERR_SESSION_CLOSED`, `ERR_OUTBOX_FULL` ([RCP-6.2]).
   */
  send(payload: Uint8Array): number {
    if (!this.open) throw new ProtocolError('ERR_SESSION_CLOSED', 'the session is not open');
    const s = this.#s!;
    const d = s.delivery;
    const size = payload.length + ENVELOPE_OVERHEAD;
    // [RCP-6.2]: room is checked before sealing: a sealed envelope never sent leaves a gap.
    if (!this.#hasRoom(size)) {
      this.#blocked = true;
      throw new ProtocolError('ERR_OUTBOX_FULL', 'outbox full: the peer has not acknowledged enough');
    }
    const seq = d.sender.nextSeq;
    const ctx = { binding: s.binding, contentType: MESSAGE_CONTENT_TYPE } as const;
    if (s.async) {
      const sealing = d.sender.sealAsync(payload, ctx);
      d.signing.data++;
      d.signing.bytes += size;
      this.afterSigned(sealing, (envelope) => {
        d.signing.data--;
        d.signing.bytes -= size;
        // Held for a resume even when this session closed meanwhile ([RCP-6.1]).
        d.outbox.pushSealed(envelope, seq);
        d.journal?.sent(seq, payload);
        if (this.#host.isOpen()) {
          this.#unsent.push(envelope);
          this.pump();
        }
      });
      return seq;
    }
    const envelope = d.sender.seal(payload, ctx);
    d.outbox.pushSealed(envelope, seq);
    d.journal?.sent(seq, payload);
    this.#unsent.push(envelope);
    this.pump();
    return seq;
  }

  /** [POL-8.2]: data goes to the transport while its buffer is below half the cap (or empty). */
  pump(): void {
    while (this.#unsent.length > 0 && this.#host.isOpen()) {
      const next = this.#unsent[0]!;
      const buffered = bufferedOf(this.#transport);
      if (buffered > 0 && buffered + next.length > this.maxBufferedAmount / 2) return;
      this.#unsent.shift();
      this.write(next);
    }
  }

  /**
   * Hands bytes to the transport, once the shared resume store holds what they state (§7.1): in
   * the order they came, behind any that wait.
   */
  write(bytes: Uint8Array): void {
    const gate = this.#held.length > 0 ? undefined : this.#s?.delivery.journal?.gate();
    if (gate === undefined && this.#held.length === 0) return this.#write(bytes);
    this.#held.push(bytes);
    if (gate !== undefined)
      void gate.then(
        () => this.#release(),
        (err: unknown) => this.#host.fail(err),
      );
  }

  /** Sends what waited for the store, and waits again when something was stored meanwhile. */
  #release(): void {
    const gate = this.#s?.delivery.journal?.gate();
    if (gate !== undefined) {
      void gate.then(
        () => this.#release(),
        (err: unknown) => this.#host.fail(err),
      );
      return;
    }
    const held = this.#held;
    this.#held = [];
    for (const bytes of held) if (this.#host.isOpen()) this.#write(bytes);
  }

  /** Hands bytes to the transport, within the hard cap on its buffer ([POL-8.4]). */
  #write(bytes: Uint8Array): void {
    const buffered = bufferedOf(this.#transport);
    if (buffered > 0 && buffered + bytes.length > this.maxBufferedAmount) {
      this.#host.fail(new ProtocolError('ERR_BACKPRESSURE', 'the peer does not read: send buffer full'));
      return;
    }
    try {
      this.#transport.send(bytes);
    } catch (err) {
      // A transport refusing for backpressure says so with a ProtocolError; any other failure means
      // it is gone: its close callback will follow, or we close it now.
      if (isProtocolError(err)) this.#host.fail(err);
      else this.#host.lost();
    }
  }

  /** Nothing more leaves: the session closed. */
  stop(): void {
    this.#unsent = [];
    this.#held = [];
  }

  /**
   * On resume, every unacknowledged envelope of ours, re-sealed for this session with its old seq,
   * in seq order ([RCP-6.5]); then what is sent next.
   */
  resend(): void {
    const { key, delivery: d, binding, clock } = this.#s!;
    const resealOptions = (envelope: Uint8Array, seq: number) => {
      const { header, payload } = decodeEnvelope(envelope);
      return { payload, options: { seq, stream: header.stream, ts: clock(), contentType: header.contentType, binding } };
    };
    if (!isAsyncSigningKey(key)) {
      d.outbox.reseal((envelope, seq) => {
        const { payload, options } = resealOptions(envelope, seq);
        return seal(key, payload, options);
      });
      this.#unsent = d.outbox.unacked();
      this.pump();
      return;
    }
    // Signed in the background; they leave after the receipt before and ahead of any new data.
    // What to re-seal is read once everything queued before (the predecessor's last envelopes,
    // still being signed when it ended) is in the outbox.
    const bySeq = new Map<number, Uint8Array>();
    const resealed = d.signing.signed().then(async () => {
      const seqs = d.outbox.pendingSeqs();
      const all = await Promise.all(
        d.outbox.unacked().map((envelope, i) => {
          const { payload, options } = resealOptions(envelope, seqs[i]!);
          return sealAsync(key, payload, options);
        }),
      );
      all.forEach((envelope, i) => bySeq.set(seqs[i]!, envelope));
      return EMPTY;
    });
    this.afterSigned(resealed, () => {
      // A receipt may have acknowledged some meanwhile: only what is still pending is replaced.
      d.outbox.reseal((_envelope, seq) => bySeq.get(seq)!);
      if (this.#host.isOpen()) {
        this.#unsent = d.outbox.unacked();
        this.pump();
      }
    });
  }
}
