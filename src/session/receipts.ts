// When a session acknowledges the peer's data stream (spec/receipts.md §5): after `every` accepted
// envelopes, `delayMs` after the first one not yet covered, and on demand (resume, a resent
// duplicate, the close). Receipts travel on a sender of their own, fresh per session ([RCP-2.3]).
import { RECEIPT_CONTENT_TYPE } from '../delivery/receipt.js';
import { Sender } from '../envelope/sender.js';
import { isAsyncSigningKey, type AsyncSigningKey, type SigningKey } from '../keys/keys.js';
import type { Timers } from './timers.js';
import { DEFAULT_RECEIPT_DELAY_MS, DEFAULT_RECEIPT_EVERY, type SessionDelivery } from './delivery.js';

/** What the receipt schedule asks of its session. */
export interface ReceiptsHost {
  isOpen(): boolean;
  /** Hands a sealed receipt to the transport. */
  send(bytes: Uint8Array): void;
  /** Hands on an envelope an AsyncSigningKey signs, in the order it was sealed ([HS-7.5]). */
  afterSigned(sealing: Promise<Uint8Array>, then: (envelope: Uint8Array) => void): void;
  /** Where the delay timer runs. */
  readonly timers: Timers;
}

interface Started {
  readonly sender: Sender;
  readonly delivery: SessionDelivery;
  readonly binding: Uint8Array;
  readonly async: boolean;
}

export class Receipts {
  every = DEFAULT_RECEIPT_EVERY;
  delayMs = DEFAULT_RECEIPT_DELAY_MS;
  readonly #host: ReceiptsHost;
  #started: Started | undefined;
  #since = 0;
  #timer: unknown;

  constructor(host: ReceiptsHost) {
    this.#host = host;
  }

  /** The data phase began: receipts are bound to `binding` ([RCP-2.5]). */
  start(key: SigningKey | AsyncSigningKey, clock: () => number, delivery: SessionDelivery, binding: Uint8Array): void {
    this.#started = { sender: new Sender(key, { clock }), delivery, binding, async: isAsyncSigningKey(key) };
  }

  /** One more envelope of the peer's data stream was accepted. */
  due(): void {
    if (++this.#since >= this.every) {
      this.send(false);
      return;
    }
    this.#timer ??= this.#host.timers.setTimeout(() => {
      this.#timer = undefined;
      this.send(false);
    }, this.delayMs);
  }

  /** Sends a receipt for the peer's data stream: when something is new, or `always` (resume, duplicates). */
  send(always: boolean): void {
    this.stop();
    const s = this.#started;
    const d = s?.delivery;
    const stream = d?.peerStream;
    if (!this.#host.isOpen() || s === undefined || d === undefined || stream === undefined) return;
    if (!always && !d.builder.hasNew(d.peerKid, stream)) return;
    const payload = d.builder.payload(d.peerKid, stream);
    if (payload === undefined) return;
    // Stored before it leaves: a node taking the session over acknowledges no less (§7.1).
    d.journal?.recorded();
    const ctx = { binding: s.binding, contentType: RECEIPT_CONTENT_TYPE } as const;
    if (!s.async) {
      this.#host.send(s.sender.seal(payload, ctx));
      return;
    }
    this.#host.afterSigned(s.sender.sealAsync(payload, ctx), (envelope) => {
      if (this.#host.isOpen()) this.#host.send(envelope);
    });
  }

  /** No receipt is pending any more (sent, or the session closed). */
  stop(): void {
    this.#host.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#since = 0;
  }
}
