// The data phase both ends share (spec/handshake.md §6): every transport message is one envelope
// bound to session id || direction, opened by a Receiver and sealed by a Sender. Server and client
// differ only in their handshake and in what they do with a verified payload.
import { ERROR_CODES, ProtocolError, SIGNATURE_FAILED, isProtocolError, type ErrorCode } from '../errors.js';
import { equalBytes, toHex } from '../bytes.js';
import type { Opened } from '../envelope/open.js';
import { GateClosed, openGated, openNow, verifiesLater, type OpenContext, type Receiver } from '../envelope/receiver.js';
import { seal, sealAsync } from '../envelope/seal.js';
import { Sender } from '../envelope/sender.js';
import { RECEIPT_CONTENT_TYPE } from '../delivery/receipt.js';
import { receiptFromOpened } from '../delivery/verify.js';
import { recordOwned, releaseEnvelope } from '../delivery/builder.js';
import { isAsyncSigningKey, type AsyncSigningKey, type SigningKey } from '../keys/keys.js';
import { decodeEnvelope, type EnvelopeHeader } from '../wire/envelope.js';
import { DEFAULT_RECEIPT_DELAY_MS, DEFAULT_RECEIPT_EVERY, type DeliveryState } from './delivery.js';
import { signingFailed } from './signing.js';
import { Emitter, reportListenerError } from './emitter.js';
import { MESSAGE_CONTENT_TYPE } from './messages.js';
import { Inbox } from './inbox.js';

/**
 * Any ordered, reliable, message-oriented duplex channel. The adapter feeds every received message
 * to {@link SecureChannel.receive} and reports the transport closing with
 * {@link SecureChannel.transportClosed}.
 */
export interface Transport {
  send(bytes: Uint8Array): void;
  /** Close with a WebSocket-style code (1000, or 4000–4999 from {@link ERROR_CODES}) and a short reason. */
  close(code: number, reason: string): void;
  /**
   * Bytes handed to `send` that have not reached the network yet. Adapters that can tell provide
   * it, and call {@link SecureChannel.transportDrained} when the buffer drains (spec/policy.md §8).
   * Without it, only the outbox bounds what a session queues.
   */
  bufferedAmount?(): number;
  /**
   * Stop and restart reading from the peer. Adapters that can provide them let a session hold a
   * fast honest peer back by TCP flow control instead of closing it when verification lags
   * ([POL-8.5]).
   */
  pauseReading?(): void;
  resumeReading?(): void;
}

/** A verified message, the same shape on both ends. */
export interface ChannelMessage {
  /** The sender's identity as the server verified it. */
  readonly identity: string;
  readonly roles: readonly string[];
  /** The sender's key id, lowercase hex. */
  readonly keyId: string;
  /** The room, or null for a custom action naming none. */
  readonly channel: string | null;
  /** `"send"` for room messages, else the custom action name. */
  readonly action: string;
  /** The sender's envelope sequence number and timestamp (ms). */
  readonly seq: number;
  readonly ts: number;
  readonly payload: Uint8Array;
}

export interface CloseInfo {
  /** The close code on the wire (1000 normal, 1006 transport lost, 4000–4999 protocol). */
  readonly code: number;
  readonly reason: string;
  /** The protocol error behind the close, when there was one (either side). */
  readonly error?: ProtocolError;
}

export interface ChannelEvents extends Record<string, unknown> {
  /** The handshake completed: the peer is authenticated. */
  open: void;
  message: ChannelMessage;
  /** A request of ours the peer refused without ending the session. */
  refused: { readonly seq: number; readonly code: ErrorCode };
  /** Seqs of our data stream that a verified receipt newly acknowledged, ascending ([RCP-6.3]). */
  delivered: readonly number[];
  /** The outbox was full and has room again: sending is possible ([RCP-6.2]). */
  drain: void;
  close: CloseInfo;
}

/** One received data-phase envelope whose checks and signature started at arrival. */
interface Envelope {
  readonly bytes: Uint8Array;
  isReceipt: boolean;
  opened: Promise<Opened>;
  /** Lets its commit proceed (true) or stops it (false); absent when the commit never waited. */
  admit: ((go: boolean) => void) | undefined;
}

function noop(): void {}

const EMPTY = new Uint8Array(0);
const RESOLVED = Promise.resolve();

export const DIRECTION_CLIENT_TO_SERVER = 0x01;
export const DIRECTION_SERVER_TO_CLIENT = 0x02;
/** Default hard cap on a transport's buffered bytes per session (spec/policy.md [POL-8.4]). */
export const DEFAULT_MAX_BUFFERED_AMOUNT = 1 << 20;
// Largest envelope framing around a payload: protected header (at most 512), signature, CBOR heads.
const ENVELOPE_OVERHEAD = 600;

export type ChannelState = 'handshake' | 'open' | 'closed';

const CODE_BY_CLOSE = new Map<number, ErrorCode>(Object.entries(ERROR_CODES).map(([k, v]) => [v, k as ErrorCode]));

/** The protocol error a received close code names, if any. */
export function errorFromClose(code: number, reason: string): ProtocolError | undefined {
  // RFC 6455 1009 "message too big": WebSocket servers refuse an oversized frame with it.
  if (code === 1009) return new ProtocolError('ERR_TOO_LARGE', reason || 'message too big');
  const name = CODE_BY_CLOSE.get(code);
  if (name === undefined) return undefined;
  // [ERR-1.4]: a signature failure has one message, whoever reports it.
  return new ProtocolError(name, name === 'ERR_BAD_SIGNATURE' ? SIGNATURE_FAILED : reason || name);
}

export function binding(sessionId: Uint8Array, direction: number): Uint8Array {
  const out = new Uint8Array(33);
  out.set(sessionId);
  out[32] = direction;
  return out;
}

export abstract class SecureChannel extends Emitter<ChannelEvents> {
  #state: ChannelState = 'handshake';
  #transport: Transport;
  /** Data-phase envelopes waiting for their turn ([POL-8.5]). */
  readonly #inbox: Inbox<Envelope>;
  #closeInfo: CloseInfo | undefined;
  readonly #closed: Promise<CloseInfo>;
  #resolveClosed!: (info: CloseInfo) => void;
  protected maxMessageSize: number;
  /** Hard cap on the transport's buffered bytes ([POL-8]). */
  protected maxBufferedAmount = DEFAULT_MAX_BUFFERED_AMOUNT;
  protected receiptEvery = DEFAULT_RECEIPT_EVERY;
  protected receiptDelayMs = DEFAULT_RECEIPT_DELAY_MS;

  // Set when the handshake completes.
  protected sessionIdBytes: Uint8Array | undefined;
  #sessionIdOf: Uint8Array | undefined;
  #sessionIdHex: string | undefined;
  protected receiver: Receiver | undefined;
  protected peerKid: Uint8Array | undefined;
  protected sessionStartedAt = 0;
  #key: SigningKey | AsyncSigningKey | undefined;
  /** `writable` said no, or a send was refused for room: see #roomMaybe. */
  #blocked = false;
  /** close() waits for envelopes still being signed; nothing new may be sent meanwhile. */
  #closing = false;
  #clock: () => number = Date.now;
  #delivery: DeliveryState | undefined;
  #resumed = false;
  #receiptSender: Sender | undefined;
  #peerReceiptStream: Uint8Array | undefined;
  #sendBinding: Uint8Array | undefined;
  #recvBinding: Uint8Array | undefined;
  /** Sealed data envelopes (in the outbox) not yet handed to the transport: paused by backpressure. */
  #unsent: Uint8Array[] = [];
  #sinceReceipt = 0;
  #receiptTimer: ReturnType<typeof setTimeout> | undefined;
  /** Gates of started envelopes still waiting for their turn: all close when the session does. */
  readonly #gates = new Set<(go: boolean) => void>();
  /** Streams pinned by envelopes still in process, before {@link DeliveryState.peerStream} is set. */
  #pinnedDataStream: Uint8Array | undefined;
  #pinnedReceiptStream: Uint8Array | undefined;
  /** The receiver context of envelopes opened in their turn, built once per session. */
  #nowContext: OpenContext | undefined;
  readonly #nowKind = { isReceipt: false };

  protected constructor(transport: Transport, maxMessageSize: number) {
    super();
    if (transport === null || typeof transport !== 'object' || typeof transport.send !== 'function' || typeof transport.close !== 'function') {
      throw new TypeError('"transport" expected { send(bytes), close(code, reason) }');
    }
    if (transport.bufferedAmount !== undefined && typeof transport.bufferedAmount !== 'function') {
      throw new TypeError('"transport.bufferedAmount" expected function');
    }
    this.#transport = transport;
    this.#inbox = new Inbox<Envelope>(
      {
        start: (bytes) => this.#startEnvelope(bytes),
        turn: (item) => this.#process(item),
        refuse: (err) => this.reject(err),
        isOpen: () => this.#state === 'open',
      },
      transport,
    );
    this.maxMessageSize = maxMessageSize;
    this.#closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  get state(): ChannelState {
    return this.#state;
  }

  /** Cap on waiting envelope bytes where the transport cannot pause ([POL-8.6]). */
  protected get maxPendingBytes(): number {
    return this.#inbox.maxPendingBytes;
  }
  protected set maxPendingBytes(bytes: number) {
    this.#inbox.maxPendingBytes = bytes;
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

  /** Resolves once, when the channel has closed for any reason. */
  get closed(): Promise<CloseInfo> {
    return this.#closed;
  }

  /** Bytes the transport holds that have not reached the network (0 when it cannot tell). */
  get bufferedAmount(): number {
    try {
      const n = this.#transport.bufferedAmount?.();
      return typeof n === 'number' && n > 0 ? n : 0;
    } catch {
      return 0;
    }
  }

  /**
   * False when the outbox is full ([RCP-6.2]): sending now is refused with `ERR_OUTBOX_FULL` until
   * receipts free room (the `drain` event), or when the session is not open.
   */
  get writable(): boolean {
    if (this.#state !== 'open' || this.#closing) return false;
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
    if (this.#blocked && this.#state === 'open' && this.#hasRoom(ENVELOPE_OVERHEAD)) {
      this.#blocked = false;
      this.emit('drain', undefined);
    }
  }

  /** [RCP-6.2]: whether the outbox takes one more envelope of `size` bytes, counting those still being signed. */
  #hasRoom(size: number): boolean {
    const d = this.#delivery!;
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
  #afterSigned(sealing: Promise<Uint8Array>, then: (envelope: Uint8Array) => void): void {
    const d = this.#delivery!;
    d.signing.add(
      sealing,
      then,
      (err) => {
        const error = signingFailed(err);
        this.fail(error);
        // A session that resumed this state meanwhile cannot go on either.
        d.owner?.failed(error);
      },
      (err) => this.fail(err),
    );
  }

  /** Envelopes sent on this end's data stream that no receipt has acknowledged yet. */
  get unacknowledged(): number {
    return this.#delivery?.outbox.size ?? 0;
  }

  /** This end's data stream (16 bytes): constant across resumed sessions. */
  get stream(): Uint8Array | undefined {
    return this.#delivery?.sender.stream.slice();
  }

  /**
   * Feeds one transport message. Never throws for hostile input: a bad message closes the channel
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
    this.#inbox.push(bytes);
  }

  /** One envelope's turn; a promise (never rejecting) when a step answers later. */
  #process(item: Uint8Array | Envelope): Promise<void> | undefined {
    if (!(item instanceof Uint8Array)) return this.#finishEnvelope(item);
    if (this.#state !== 'open') return undefined;
    if (this.receiver!.store.synchronous) return this.#processNow(item);
    return this.processEnvelope(item).then(undefined, (err: unknown) => this.#refusedLate(err));
  }

  /** The steps of #finishEnvelope for an envelope opened in its turn; a promise when a step answers later (never rejects). */
  #processNow(bytes: Uint8Array): Promise<void> | undefined {
    const kind = this.#nowKind;
    kind.isReceipt = false;
    let opened: Opened | Promise<Opened>;
    try {
      try {
        opened = openNow(this.receiver!, bytes, this.#contextNow());
      } catch (err) {
        const dup = this.#resentDuplicate(err, bytes);
        if (dup === undefined) throw err;
        // [HS-7.6]: a resent envelope the replay state already accepted; the receipt tells the peer.
        // [POL-3.1]: it still costs its token (refused before the hook that charges it).
        this.beforeSignature(dup);
        this.#sendReceipt(true);
        return undefined;
      }
      // A verifier that answers later (a pool): the envelope finishes as one started at arrival.
      if (opened instanceof Promise) return this.#finishEnvelope({ bytes, isReceipt: kind.isReceipt, opened, admit: undefined });
      const r = this.#accepted(opened, bytes, kind.isReceipt);
      if (r !== undefined) return r.then(undefined, (err: unknown) => this.#refusedLate(err));
    } catch (err) {
      this.#refusedLate(err);
    }
    return undefined;
  }

  #refusedLate(err: unknown): void {
    if (isProtocolError(err)) this.onRejected(err);
    this.fail(err);
  }

  #contextNow(): OpenContext {
    let ctx = this.#nowContext;
    if (ctx === undefined) ctx = this.#nowContext = this.#openContext(this.#nowKind);
    // The store's start may move (a restored snapshot): as #openContext computes it.
    (ctx as { sessionStartedAt: number }).sessionStartedAt = Math.max(this.sessionStartedAt, this.receiver!.store.startedAt + 1);
    return ctx;
  }

  /** The adapter reports that the transport's buffer drained ([POL-8.1]): paused data goes out. */
  transportDrained(): void {
    this.#pump();
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

  /** Called for each verified envelope, in order. */
  protected abstract onPayload(opened: Opened): void | Promise<void>;

  /** Charged after the cheap checks and before the signature ([POL-1.2]); throw to refuse. */
  protected beforeSignature(_header: EnvelopeHeader): void {}

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
  protected get delivery(): DeliveryState | undefined {
    return this.#delivery;
  }

  /** Our data stream's sender (its next seq names the next envelope). */
  protected get sender(): Sender | undefined {
    return this.#delivery?.sender;
  }

  /** Enters the data phase with the keys the handshake established. */
  protected establish(
    sessionId: Uint8Array,
    o: { key: SigningKey | AsyncSigningKey; delivery: DeliveryState; receiver: Receiver; resumed: boolean; clock: () => number },
    side: 'client' | 'server',
    now: number,
  ): void {
    this.sessionIdBytes = sessionId;
    this.receiver = o.receiver;
    this.#inbox.verifyAhead = o.receiver.store.synchronous && verifiesLater(o.receiver);
    this.#inbox.delivery = o.delivery;
    this.peerKid = o.delivery.peerKid;
    this.sessionStartedAt = now;
    this.#key = o.key;
    this.#clock = o.clock;
    this.#delivery = o.delivery;
    this.#resumed = o.resumed;
    // [RCP-2.3]: receipts travel on a stream of their own, fresh for every session.
    this.#receiptSender = new Sender(o.key, { clock: o.clock });
    o.delivery.owner = {
      delivered: (seqs) => {
        this.emit('delivered', seqs);
        // After the outbox's own `drained`, if it comes: one `drain` per wait.
        if (this.#blocked) void RESOLVED.then(() => this.#roomMaybe());
      },
      drained: () => {
        this.#blocked = false;
        this.emit('drain', undefined);
      },
      failed: (err) => this.fail(err),
    };
    if (side === 'client') this.#inbox.holdFirstBurst();
    const out = side === 'client' ? DIRECTION_CLIENT_TO_SERVER : DIRECTION_SERVER_TO_CLIENT;
    const inn = side === 'client' ? DIRECTION_SERVER_TO_CLIENT : DIRECTION_CLIENT_TO_SERVER;
    this.#sendBinding = binding(sessionId, out);
    this.#recvBinding = binding(sessionId, inn);
    this.#state = 'open';
  }

  /**
   * Starts sending data, once the peer can know the session ([HS-7.5]): on resume, first a receipt
   * for the peer's continued stream, then every unacknowledged envelope of ours, re-sealed for this
   * session with its old seq, in seq order ([RCP-6.5]).
   */
  protected startDelivery(): void {
    if (this.#state !== 'open') return;
    const d = this.#delivery!;
    if (this.#resumed) {
      this.#sendReceipt(true);
      const key = this.#key!;
      const bindingOut = this.#sendBinding!;
      const resealOptions = (envelope: Uint8Array, seq: number) => {
        const { header, payload } = decodeEnvelope(envelope);
        return { payload, options: { seq, stream: header.stream, ts: this.#clock(), contentType: header.contentType, binding: bindingOut } };
      };
      if (isAsyncSigningKey(key)) {
        // Signed in the background; they leave after the receipt above and before any new data.
        // What to re-seal is read once everything queued before (the predecessor's last
        // envelopes, still being signed when it ended) is in the outbox.
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
        this.#afterSigned(
          resealed,
          () => {
            // A receipt may have acknowledged some meanwhile: only what is still pending is replaced.
            d.outbox.reseal((_envelope, seq) => bySeq.get(seq)!);
            if (this.#state === 'open') {
              this.#unsent = d.outbox.unacked();
              this.#pump();
            }
          },
        );
        return;
      }
      d.outbox.reseal((envelope, seq) => {
        const { payload, options } = resealOptions(envelope, seq);
        return seal(key, payload, options);
      });
      this.#unsent = d.outbox.unacked();
    }
    this.#pump();
  }

  /** The Receiver context of one received envelope; the hook records whether it is a receipt. */
  #openContext(e: { isReceipt: boolean }): OpenContext {
    const d = this.#delivery!;
    return {
      binding: this.#recvBinding!,
      // Envelopes bound to this fresh session id cannot have been accepted before it existed, so
      // the receiver's restart bound never applies; the session is at least 1 ms younger than the
      // store in the receiver's millisecond terms, even when both began within one millisecond.
      sessionStartedAt: Math.max(this.sessionStartedAt, this.receiver!.store.startedAt + 1),
      beforeSignature: ({ header }) => {
        // [HS-6.4]: another key the receiver knows is still not this session's peer.
        if (!equalBytes(header.kid, this.peerKid!)) {
          throw new ProtocolError('ERR_SESSION_KEY', 'envelope key is not the session key');
        }
        // [HS-6.7], [HS-6.8]: one data stream and one receipt stream per peer and session. The
        // first envelope of each pins it for the envelopes behind it; any refusal ends the session,
        // so a pin taken by an envelope that is then refused never outlives it.
        const isReceipt = header.contentType === RECEIPT_CONTENT_TYPE;
        e.isReceipt = isReceipt;
        const pinned = isReceipt ? (this.#peerReceiptStream ?? this.#pinnedReceiptStream) : (d.peerStream ?? this.#pinnedDataStream);
        if (pinned === undefined) {
          if (isReceipt) {
            this.#pinnedReceiptStream = header.stream.slice();
          } else {
            // [HS-6.11]: a data stream new to this session starts at 0 on a stream of its own, so
            // no forgotten or foreign acknowledgement record is continued (a repeated seq 0 was
            // already refused by the replay pre-check).
            if (header.seq !== 0 || d.builder.has(header.kid, header.stream)) {
              throw new ProtocolError('ERR_WRONG_STREAM', 'a new data stream must start at seq 0 on a stream of its own');
            }
            this.#pinnedDataStream = header.stream.slice();
          }
        } else if (!equalBytes(pinned, header.stream)) {
          throw new ProtocolError('ERR_WRONG_STREAM', 'envelope on a stream this session does not use');
        }
        this.beforeSignature(header);
        // [RCP-5.2]: never accept what no receipt could acknowledge.
        if (!isReceipt) d.builder.check(header);
      },
    };
  }

  /** Starts the checks and the signature of one received envelope; its commit waits for its gate. */
  #startEnvelope(bytes: Uint8Array): Envelope {
    const e: Envelope = { bytes, isReceipt: false, opened: undefined!, admit: undefined };
    let gate: Promise<boolean> | undefined;
    // With nothing of this session in process, the commit need not wait.
    if (this.#inbox.busy > 0) {
      gate = new Promise<boolean>((resolve) => (e.admit = resolve));
      this.#gates.add(e.admit!);
    }
    e.opened = openGated(this.receiver!, bytes, this.#openContext(e), gate);
    // Awaited in its turn; until then a refusal must not count as unhandled.
    e.opened.catch(noop);
    return e;
  }

  /** The turn of a started envelope, in arrival order: everything before it was processed. */
  async #finishEnvelope(e: Envelope): Promise<void> {
    if (e.admit !== undefined) {
      this.#gates.delete(e.admit);
      e.admit(this.#state === 'open');
    }
    if (this.#state !== 'open') {
      // Not processed, like an envelope whose turn comes after the close, unless the window
      // committed it before the close: then it must still reach the application ([HS-7.7]).
      let opened: Opened;
      try {
        opened = await e.opened;
      } catch {
        return;
      }
      try {
        await this.#accepted(opened, e.bytes, e.isReceipt);
      } catch (err) {
        if (isProtocolError(err)) this.onRejected(err);
        this.fail(err);
      }
      return;
    }
    try {
      let opened: Opened;
      try {
        opened = await e.opened;
      } catch (err) {
        const dup = this.#resentDuplicate(err, e.bytes);
        if (dup !== undefined) {
          // [HS-7.6]: a resent envelope the replay state already accepted; the receipt tells the peer.
          // [POL-3.1]: it still costs its token (refused before the hook that charges it).
          this.beforeSignature(dup);
          this.#sendReceipt(true);
          return;
        }
        throw err;
      }
      await this.#accepted(opened, e.bytes, e.isReceipt);
    } catch (err) {
      if (err instanceof GateClosed) return;
      if (isProtocolError(err)) this.onRejected(err);
      this.fail(err);
    }
  }

  private async processEnvelope(bytes: Uint8Array): Promise<void> {
    const e = { isReceipt: false };
    let opened: Opened;
    try {
      opened = await this.receiver!.open(bytes, this.#openContext(e));
    } catch (err) {
      const dup = this.#resentDuplicate(err, bytes);
      if (dup !== undefined) {
        // [HS-7.6]: a resent envelope the replay state already accepted; the receipt tells the peer.
        // [POL-3.1]: it still costs its token (refused before the hook that charges it).
        this.beforeSignature(dup);
        this.#sendReceipt(true);
        return;
      }
      throw err;
    }
    await this.#accepted(opened, bytes, e.isReceipt);
  }

  /** An envelope the replay window committed: receipts go to the outbox, data to the application. */
  #accepted(opened: Opened, bytes: Uint8Array, isReceipt: boolean): void | Promise<void> {
    const d = this.#delivery!;
    if (isReceipt) {
      this.#peerReceiptStream ??= opened.stream.slice();
      // [RCP-4.2]: opened by the replay-protected receiver, so a replayed receipt never gets here.
      if (this.#state === 'open') d.outbox.ack(receiptFromOpened(opened));
      this.#pump();
      return;
    }
    d.peerStream ??= opened.stream.slice();
    // [RCP-5.1]: recorded once the window committed it, with the exact bytes verified. While the
    // session is open the builder keeps our copy as it is: a receipt within receiptDelayMs, or the
    // close, hashes it and lets it go. After the close it takes a copy of its own.
    if (this.#state === 'open') recordOwned(d.builder, opened, bytes);
    else d.builder.record(opened, bytes);
    this.#receiptDue();
    if (this.#state !== 'open' && this.authorityEnded) return;
    return this.onPayload(opened);
  }

  /** The header of a resent duplicate ([HS-7.6]), or undefined when `err` ends the session. */
  #resentDuplicate(err: unknown, bytes: Uint8Array): EnvelopeHeader | undefined {
    if (!this.#resumed || !(isProtocolError(err, 'ERR_REPLAY') || isProtocolError(err, 'ERR_TOO_OLD'))) return undefined;
    const stream = this.#delivery!.peerStream;
    if (stream === undefined) return undefined;
    try {
      const h = decodeEnvelope(bytes).header;
      return h.contentType !== RECEIPT_CONTENT_TYPE && equalBytes(h.kid, this.peerKid!) && equalBytes(h.stream, stream) ? h : undefined;
    } catch {
      return undefined;
    }
  }

  #receiptDue(): void {
    if (++this.#sinceReceipt >= this.receiptEvery) {
      this.#sendReceipt(false);
      return;
    }
    this.#receiptTimer ??= setTimeout(() => {
      this.#receiptTimer = undefined;
      this.#sendReceipt(false);
    }, this.receiptDelayMs);
  }

  /** Sends a receipt for the peer's data stream: when something is new, or `always` (resume, duplicates). */
  #sendReceipt(always: boolean): void {
    clearTimeout(this.#receiptTimer);
    this.#receiptTimer = undefined;
    this.#sinceReceipt = 0;
    const d = this.#delivery;
    const stream = d?.peerStream;
    if (this.#state !== 'open' || d === undefined || stream === undefined) return;
    if (!always && !d.builder.hasNew(d.peerKid, stream)) return;
    const payload = d.builder.payload(d.peerKid, stream);
    if (payload === undefined) return;
    // [RCP-2.5]: bound to this session and direction like every envelope we send.
    const ctx = { binding: this.#sendBinding!, contentType: RECEIPT_CONTENT_TYPE } as const;
    if (!isAsyncSigningKey(this.#key)) {
      this.rawSend(this.#receiptSender!.seal(payload, ctx));
      return;
    }
    this.#afterSigned(this.#receiptSender!.sealAsync(payload, ctx), (envelope) => {
      if (this.#state === 'open') this.rawSend(envelope);
    });
  }

  /**
   * Seals a payload for the peer on our data stream and queues it. Returns its sequence number.
   *
   * @throws {ProtocolError} `ERR_SESSION_CLOSED` when the session is not open; `ERR_OUTBOX_FULL`
   *   when the peer has not acknowledged enough ([RCP-6.2]): wait for `drain`.
   */
  protected sendPayload(payload: Uint8Array): number {
    if (this.#state !== 'open' || this.#closing) throw new ProtocolError('ERR_SESSION_CLOSED', 'the session is not open');
    const d = this.#delivery!;
    const size = payload.length + ENVELOPE_OVERHEAD;
    // [RCP-6.2]: room is checked before sealing: a sealed envelope never sent leaves a gap.
    if (!this.#hasRoom(size)) {
      this.#blocked = true;
      throw new ProtocolError('ERR_OUTBOX_FULL', 'outbox full: the peer has not acknowledged enough');
    }
    if (isAsyncSigningKey(this.#key)) {
      const seq = d.sender.nextSeq;
      const sealing = d.sender.sealAsync(payload, { binding: this.#sendBinding!, contentType: MESSAGE_CONTENT_TYPE });
      d.signing.data++;
      d.signing.bytes += size;
      this.#afterSigned(sealing, (envelope) => {
        d.signing.data--;
        d.signing.bytes -= size;
        // Held for a resume even when this session closed meanwhile ([RCP-6.1]).
        d.outbox.push(envelope);
        if (this.#state === 'open') {
          this.#unsent.push(envelope);
          this.#pump();
        }
      });
      return seq;
    }
    const envelope = d.sender.seal(payload, { binding: this.#sendBinding!, contentType: MESSAGE_CONTENT_TYPE });
    const seq = d.outbox.push(envelope);
    this.#unsent.push(envelope);
    this.#pump();
    return seq;
  }

  /** [POL-8.2]: data goes to the transport while its buffer is below half the cap (or empty). */
  #pump(): void {
    while (this.#unsent.length > 0 && this.#state === 'open') {
      const next = this.#unsent[0]!;
      const buffered = this.bufferedAmount;
      if (buffered > 0 && buffered + next.length > this.maxBufferedAmount / 2) return;
      this.#unsent.shift();
      this.rawSend(next);
    }
  }

  protected rawSend(bytes: Uint8Array): void {
    // [POL-8.4]: nothing may take the transport's buffer past the hard cap.
    const buffered = this.bufferedAmount;
    if (buffered > 0 && buffered + bytes.length > this.maxBufferedAmount) {
      this.fail(new ProtocolError('ERR_BACKPRESSURE', 'the peer does not read: send buffer full'));
      return;
    }
    try {
      this.#transport.send(bytes);
    } catch (err) {
      // A transport refusing for backpressure says so with a ProtocolError; any other failure means
      // it is gone: its close callback will follow, or we close it now.
      if (isProtocolError(err)) this.fail(err);
      else this.finish({ code: 1006, reason: 'transport send failed' }, true);
    }
  }

  /**
   * Refuses one incoming message and ends the session for it: on an established session the
   * refusal is reported as a rejected message first ([POL-7.1]), like a refused envelope.
   * Adapters call this for frames their transport cut (oversized) before the channel saw them.
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
   * channel.close()
   * ```
   */
  close(code = 1000, reason = ''): void {
    if (code !== 1000 && (code < 4000 || code > 4999)) throw new RangeError(`"code" expected 1000 or 4000–4999, got ${code}`);
    if (this.#state === 'open' && code === 1000 && !this.#closing) {
      this.#sendReceipt(false);
      if (this.#delivery!.signing.length > 0) {
        // An AsyncSigningKey: the last receipt, and data sent before, leave before the close.
        this.#closing = true;
        this.#afterSigned(Promise.resolve(EMPTY), () => this.finish({ code, reason }, true));
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
    clearTimeout(this.#receiptTimer);
    this.#receiptTimer = undefined;
    this.#unsent = [];
    const d = this.#delivery;
    if (d?.peerStream !== undefined) releaseEnvelope(d.builder, d.peerKid, d.peerStream);
    // Envelopes still waiting to be committed never will be: the peer resends them on resume.
    for (const admit of this.#gates) admit(false);
    this.#gates.clear();
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
