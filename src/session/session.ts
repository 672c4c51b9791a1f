// The data phase both ends share (spec/handshake.md §6): every transport message is one envelope
// bound to session id || direction, opened on the inbound path and sealed on the outbound one.
// Server and client differ only in their handshake and in what they do with a verified payload.
// Coordinates transport.ts, inbound.ts, outbound.ts and receipts.ts, which do the work.
import { ProtocolError, isProtocolError } from '../errors.js';
import { toHex } from '../bytes.js';
import type { Opened } from '../envelope/open.js';
import type { Receiver } from '../envelope/receiver.js';
import type { Sender } from '../envelope/sender.js';
import { receiptFromOpened } from '../delivery/verify.js';
import type { AsyncSigningKey, SigningKey } from '../keys/keys.js';
import type { MessageCharge } from '../policy/rate-limit.js';
import type { SessionDelivery } from './delivery.js';
import { Emitter, reportListenerError } from './emitter.js';
import type { SessionEvents } from './events.js';
import { Inbound, type RecordHold } from './inbound.js';
import { Outbound } from './outbound.js';
import { Receipts } from './receipts.js';
import type { Timers } from './timers.js';
import {
  assertTransport,
  binding,
  bufferedOf,
  DIRECTION_CLIENT_TO_SERVER,
  DIRECTION_SERVER_TO_CLIENT,
  errorFromClose,
  type CloseInfo,
  type Transport,
} from './transport.js';

export type { SessionEvents, SessionMessage } from './events.js';
export type SessionState = 'handshake' | 'open' | 'closed';

export abstract class Session extends Emitter<SessionEvents> {
  #state: SessionState = 'handshake';
  readonly #transport: Transport;
  readonly #inbound: Inbound;
  readonly #outbound: Outbound;
  readonly #receipts: Receipts;
  #closeInfo: CloseInfo | undefined;
  readonly #closed: Promise<CloseInfo>;
  #resolveClosed!: (info: CloseInfo) => void;
  protected maxMessageSize: number;
  protected readonly timers: Timers; // see timers.ts

  // Set when the handshake completes.
  protected sessionIdBytes: Uint8Array | undefined;
  #sessionIdOf: Uint8Array | undefined;
  #sessionIdHex: string | undefined;
  protected receiver: Receiver | undefined;
  protected peerKid: Uint8Array | undefined;
  protected sessionStartedAt = 0;
  #delivery: SessionDelivery | undefined;
  #resumed = false;

  protected constructor(transport: Transport, maxMessageSize: number, timers: Timers) {
    super();
    assertTransport(transport);
    this.#transport = transport;
    this.timers = timers;
    const isOpen = (): boolean => this.#state === 'open';
    const fail = (err: unknown): void => this.fail(err);
    this.#outbound = new Outbound(
      {
        isOpen,
        fail,
        lost: () => this.finish({ code: 1006, reason: 'transport send failed' }, true),
        drain: () => this.emit('drain', undefined),
        delivered: (seqs) => this.emit('delivered', seqs),
      },
      transport,
    );
    const outbound = this.#outbound;
    this.#receipts = new Receipts({
      isOpen,
      send: (bytes) => outbound.write(bytes),
      afterSigned: (sealing, then) => outbound.afterSigned(sealing, then),
      timers,
    });
    this.#inbound = new Inbound(
      {
        isOpen,
        refuse: (err) => this.reject(err),
        refused: (err) => {
          if (isProtocolError(err)) this.onRejected(err);
          this.fail(err);
        },
        // The subclass's own method, bound: an envelope goes from the inbound path straight to it.
        payload: this.onPayload.bind(this),
        authorityEnded: () => this.authorityEnded,
        evidence: (envelope, bind) => {
          if (this.listenerCount('evidence') === 0) return;
          const record = `{"envelope":"${toHex(envelope)}","binding":"${toHex(bind)}"}`;
          this.emit('evidence', { envelope: envelope.slice(), binding: bind.slice(), record });
        },
        receipt: (opened) => {
          if (this.#state === 'open') this.#delivery!.ack(receiptFromOpened(opened));
          outbound.pump();
        },
      },
      transport,
    );
    this.maxMessageSize = maxMessageSize;
    this.#closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  get state(): SessionState {
    return this.#state;
  }

  /** Cap on waiting envelope bytes where the transport cannot pause ([POL-8.6]). */
  protected get maxPendingBytes(): number {
    return this.#inbound.inbox.maxPendingBytes;
  }
  protected set maxPendingBytes(bytes: number) {
    this.#inbound.inbox.maxPendingBytes = bytes;
  }

  /** Hard cap on the transport's buffered bytes ([POL-8]). */
  protected get maxBufferedAmount(): number {
    return this.#outbound.maxBufferedAmount;
  }
  protected set maxBufferedAmount(bytes: number) {
    this.#outbound.maxBufferedAmount = bytes;
  }

  /** When this end acknowledges: every `every` envelopes, or `delayMs` after the first unacknowledged one. */
  protected receiptPolicy(every: number, delayMs: number): void {
    this.#receipts.every = every;
    this.#receipts.delayMs = delayMs;
  }

  /** The 32-byte session id (lowercase hex) once the handshake completed. */
  get sessionId(): string | undefined {
    const bytes = this.sessionIdBytes;
    if (bytes === undefined) return undefined;
    // Security events name the session on every message: the hex is built once per id.
    if (this.#sessionIdOf !== bytes) {
      this.#sessionIdOf = bytes;
      this.#sessionIdHex = toHex(bytes);
    }
    return this.#sessionIdHex;
  }

  /** Resolves once, when the session has closed for any reason. */
  get closed(): Promise<CloseInfo> {
    return this.#closed;
  }

  /** Bytes the transport holds that have not reached the network (0 when it cannot tell). */
  get bufferedAmount(): number {
    return bufferedOf(this.#transport);
  }

  /**
   * False when the outbox is full ([RCP-6.2]): sending now is refused with `ERR_OUTBOX_FULL` until
   * receipts free room (the `drain` event), or when the session is not open.
   */
  get writable(): boolean {
    return this.#outbound.writable;
  }

  /** Envelopes sent on this end's data stream that no receipt has acknowledged yet. */
  get unacknowledged(): number {
    return this.#delivery?.outbox.size ?? 0;
  }

  /** Whether this session resumed an earlier one ([HS-7.2]). */
  get resumed(): boolean {
    return this.#resumed;
  }

  /** @internal The peer's receipt stream: fresh in every session ([HS-6.7]), forgotten with it ([RPL-6.7]). */
  get peerReceiptStream(): Uint8Array | undefined {
    return this.#inbound.peerReceiptStream;
  }

  /** This end's data stream (16 bytes): constant across resumed sessions. */
  get stream(): Uint8Array | undefined {
    return this.#delivery?.sender.stream.slice();
  }

  /**
   * Feeds one transport message. Never throws for hostile input: a bad message closes the session
   * with its error's close code.
   */
  receive(bytes: Uint8Array): void {
    if (this.#state === 'closed') return;
    if (!(bytes instanceof Uint8Array)) {
      this.reject(new ProtocolError('ERR_MALFORMED', 'transport delivered a non-binary message'));
      return;
    }
    // Size before anything else ([POL-1.1]); the transport's own frame limit should have hit first.
    if (bytes.length > this.maxMessageSize) {
      this.reject(new ProtocolError('ERR_TOO_LARGE', `message exceeds ${this.maxMessageSize} bytes`));
      return;
    }
    if (this.#state === 'handshake') {
      // An owned, plain copy: Node Buffers' slice() is a view, and adapters may reuse their buffers.
      const copy = Uint8Array.prototype.slice.call(bytes);
      this.guard(() => this.onHandshakeMessage(copy));
      return;
    }
    // [HS-1.4]: a handshake message (a CBOR array) after the Welcome is out of order, not a
    // malformed envelope; the first byte tells them apart.
    if ((bytes[0]! & 0xe0) === 0x80) {
      this.reject(new ProtocolError('ERR_UNEXPECTED_MESSAGE', 'handshake message in the data phase'));
      return;
    }
    this.#inbound.inbox.push(bytes);
  }

  /** The adapter reports that the transport's buffer drained ([POL-8.1]): paused data goes out. */
  transportDrained(): void {
    this.#outbound.pump();
  }

  /** Runs a handshake step and turns anything it throws or rejects into a deliberate close. */
  protected guard(step: () => void | Promise<void>): void {
    try {
      const r = step();
      if (r !== undefined) r.catch((err: unknown) => this.fail(err));
    } catch (err) {
      this.fail(err);
    }
  }

  protected abstract onHandshakeMessage(bytes: Uint8Array): void | Promise<void>;

  /** Called for each verified envelope, in order; `hold` defers its acknowledgement (a Post). */
  protected abstract onPayload(opened: Opened, hold: RecordHold): void | Promise<void>;

  /** A data-phase message was refused (the session closes right after). */
  protected onRejected(_error: ProtocolError): void {}

  /** Subclasses report security decisions here. */
  protected abstract onClosed(info: CloseInfo): void;

  /**
   * True once the session closed because the peer's authority ended (revoked key, expired
   * credential). Envelopes the replay window already committed still reach the application after
   * any other close: the peer will not resend them, so dropping them would lose them ([HS-7.6]).
   */
  protected get authorityEnded(): boolean {
    const code = this.#closeInfo?.error?.code;
    return code === 'ERR_KEY_REVOKED' || code === 'ERR_CREDENTIAL_EXPIRED';
  }

  /** The data stream's state, for resume. */
  protected get delivery(): SessionDelivery | undefined {
    return this.#delivery;
  }

  /** Our data stream's sender (its next seq names the next envelope). */
  protected get sender(): Sender | undefined {
    return this.#delivery?.sender;
  }

  /** Enters the data phase with the keys the handshake established. */
  protected establish(
    sessionId: Uint8Array,
    o: {
      key: SigningKey | AsyncSigningKey;
      delivery: SessionDelivery;
      receiver: Receiver;
      resumed: boolean;
      clock: () => number;
      charge?: MessageCharge; // [POL-1.2], a server's
    },
    side: 'client' | 'server',
    now: number,
  ): void {
    this.sessionIdBytes = sessionId;
    this.receiver = o.receiver;
    this.peerKid = o.delivery.peerKid;
    this.sessionStartedAt = now;
    this.#delivery = o.delivery;
    this.#resumed = o.resumed;
    const client = side === 'client';
    const out = binding(sessionId, client ? DIRECTION_CLIENT_TO_SERVER : DIRECTION_SERVER_TO_CLIENT);
    const inn = binding(sessionId, client ? DIRECTION_SERVER_TO_CLIENT : DIRECTION_CLIENT_TO_SERVER);
    this.#outbound.start(o.key, o.clock, o.delivery, out);
    // [RCP-2.3]: receipts travel on a stream of their own, fresh for every session.
    this.#receipts.start(o.key, o.clock, o.delivery, out);
    this.#inbound.start({
      receiver: o.receiver,
      delivery: o.delivery,
      receipts: this.#receipts,
      binding: inn,
      startedAt: now,
      resumed: o.resumed,
      holdFirstBurst: client,
      charge: o.charge,
    });
    this.#state = 'open';
  }

  /**
   * Starts sending data, once the peer can know the session ([HS-7.5]): on resume, first a receipt
   * for the peer's continued stream, then every unacknowledged envelope of ours, re-sealed for this
   * session with its old seq, in seq order ([RCP-6.5]).
   */
  protected startDelivery(): void {
    if (this.#state !== 'open') return;
    if (!this.#resumed) {
      this.#outbound.pump();
      return;
    }
    this.#receipts.send(true);
    this.#outbound.resend();
  }

  /**
   * Seals a payload for the peer on our data stream and queues it. Returns its sequence number.
   *
   * @throws {ProtocolError} `ERR_SESSION_CLOSED` when the session is not open; `ERR_OUTBOX_FULL`
   *   when the peer has not acknowledged enough ([RCP-6.2]): wait for `drain`.
   */
  protected sendPayload(payload: Uint8Array): number {
    return this.#outbound.send(payload);
  }

  protected rawSend(bytes: Uint8Array): void {
    this.#outbound.write(bytes);
  }

  /**
   * Refuses one incoming message and ends the session for it: on an established session the
   * refusal is reported as a rejected message first ([POL-7.1]), like a refused envelope.
   * Adapters call this for frames their transport cut (oversized) before the session saw them.
   */
  reject(error: ProtocolError): void {
    if (this.#state === 'open') this.onRejected(error);
    this.fail(error);
  }

  /** Ends the session because of `err`: a ProtocolError keeps its code, anything else is internal. */
  fail(err: unknown): void {
    if (this.#state === 'closed') return;
    let error: ProtocolError;
    if (isProtocolError(err)) error = err;
    else {
      reportListenerError(err);
      error = new ProtocolError('ERR_INTERNAL', 'internal error', { cause: err });
    }
    // The reason carries the code only: messages may name internals, codes are documented API.
    this.finish({ code: error.closeCode, reason: error.code, error }, true);
  }

  /**
   * Closes the session deliberately with a normal closure, after a last receipt for what the peer
   * sent ([RCP-5.4]).
   *
   * @example
   * ```ts
   * session.close()
   * ```
   */
  close(code = 1000, reason = ''): void {
    if (code !== 1000 && (code < 4000 || code > 4999)) throw new RangeError(`"code" expected 1000 or 4000–4999, got ${code}`);
    if (this.#state === 'open' && code === 1000 && !this.#outbound.closing) {
      this.#receipts.send(false);
      if (this.#outbound.signing) {
        // An AsyncSigningKey: the last receipt, and data sent before, leave before the close.
        this.#outbound.closeAfterSigned(() => this.finish({ code, reason }, true));
        return;
      }
    }
    this.finish({ code, reason }, true);
  }

  /** The adapter reports that the transport closed (from the peer or the network). */
  transportClosed(code = 1006, reason = ''): void {
    const error = errorFromClose(code, reason);
    this.finish(error === undefined ? { code, reason } : { code, reason, error }, false);
  }

  protected finish(info: CloseInfo, closeTransport: boolean): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#closeInfo = info;
    this.#receipts.stop();
    this.#outbound.stop();
    this.#inbound.stop();
    if (closeTransport) {
      try {
        this.#transport.close(info.code, info.reason);
      } catch {
        // Already closed underneath us: nothing more to do.
      }
    }
    this.onClosed(info);
    this.emit('close', info);
    this.#resolveClosed(info);
  }

  get closeInfo(): CloseInfo | undefined {
    return this.#closeInfo;
  }
}
