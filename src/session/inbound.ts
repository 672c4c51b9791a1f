// One session's receiving side (spec/handshake.md §6, spec/policy.md §8): every data-phase
// envelope takes one ordered path, whatever the replay store and verifier: the Inbox gives it its
// turn, the Receiver opens it bound to this session and runs the session's checks (peer-checks.ts)
// before the signature, and an accepted envelope goes to the receipt record and the application (data) or to
// the outbox (receipts). A verifier that answers later (a pool) starts envelopes at arrival; their
// commits still follow arrival order.
import { ProtocolError, isProtocolError } from '../errors.js';
import { equalBytes } from '../bytes.js';
import type { Opened } from '../envelope/open.js';
import { GateClosed, type OpenContext, type Receiver } from '../envelope/receiver.js';
import { RECEIPT_CONTENT_TYPE } from '../delivery/receipt.js';
import { decodeEnvelope } from '../wire/envelope.js';
import type { MessageCharge } from '../policy/rate-limit.js';
import type { SessionDelivery } from './delivery.js';
import { Inbox, type ReadControl } from './inbox.js';
import type { Receipts } from './receipts.js';
import { PeerChecks, type Kind } from './peer-checks.js';
import { handOver } from './client-handover.js';
import { MESSAGE_CONTENT_TYPE } from './messages.js';

/** What the receiving side asks of its session. */
export interface InboundHost {
  isOpen(): boolean;
  /** Ends the session: the peer sent more than may wait. */
  refuse(error: ProtocolError): void;
  /** An envelope was refused in its turn: reported as a rejected message, then the session ends. */
  refused(err: unknown): void;
  /** A verified receipt of the peer, for our outbox. */
  receipt(opened: Opened): void;
  /** A verified data envelope of the peer, for the application; `hold` defers its acknowledgement. */
  payload(opened: Opened, hold: RecordHold): void | Promise<void>;
  /** The session closed because the peer's authority ended: committed envelopes are dropped then ([HS-7.6]). */
  authorityEnded(): boolean;
  /** A verified envelope and its binding, for an application that keeps evidence. */
  evidence(envelope: Uint8Array, binding: Uint8Array): void;
}

/**
 * Called in a payload's turn: the envelope is recorded (acknowledged, and stored with a shared
 * state) only once the returned function is called, not when its turn ends.
 */
export type RecordHold = () => () => void;

/** What the session established for its data phase. */
export interface InboundStart {
  readonly receiver: Receiver;
  readonly delivery: SessionDelivery;
  readonly receipts: Receipts;
  /** The binding of the peer's direction ([HS-6.3]). */
  readonly binding: Uint8Array;
  readonly startedAt: number;
  readonly resumed: boolean;
  /** The client holds its first burst for its application's listeners ([HS-7.5]); set on a client only. */
  readonly holdFirstBurst: boolean;
  /** What each envelope costs before its signature ([POL-1.2]); absent on a client. */
  readonly charge: MessageCharge | undefined;
}

/** One received envelope whose open has begun (at arrival, or in its turn) and not finished. */
interface Envelope {
  readonly bytes: Uint8Array;
  readonly kind: Kind;
  readonly opened: Promise<Opened>;
  /** Lets its commit proceed (true) or stops it (false); absent when the commit never waited. */
  admit: ((go: boolean) => void) | undefined;
}

function noop(): void {}

export class Inbound {
  readonly #host: InboundHost;
  /** Data-phase envelopes waiting for their turn ([POL-8.5]). */
  readonly inbox: Inbox<Envelope>;
  #s: InboundStart | undefined;
  /** Gates of started envelopes still waiting for their turn: all close when the session does. */
  readonly #gates = new Set<(go: boolean) => void>();
  /** The session's checks before the signature, called by the Receiver itself. */
  #checks: PeerChecks | undefined;
  /** The context of envelopes opened in their turn, built once per session. */
  #turnContext: OpenContext | undefined;
  readonly #turnKind: Kind = { isReceipt: false };
  /** The identity's tokens come from a shared store: a turn may wait for them first. */
  #waits = false;
  /** The envelope whose payload is being handed on, and whether its record was held ([ROOM-11.9]). */
  #handling: Opened | undefined;
  #handlingBytes: Uint8Array | undefined;
  #held = false;

  constructor(host: InboundHost, reading: ReadControl) {
    this.#host = host;
    this.inbox = new Inbox<Envelope>(
      {
        start: (bytes) => this.#start(bytes),
        turn: (item) => this.#turn(item),
        refuse: (err) => host.refuse(err),
        isOpen: () => host.isOpen(),
      },
      reading,
    );
  }

  start(s: InboundStart): void {
    this.#s = s;
    // [HS-7.14]: a resumed client's server stream may be new, a node having taken the session over.
    this.#checks = new PeerChecks(s.delivery, s.charge, s.holdFirstBurst && s.resumed);
    // Envelopes that may wait for shared tokens ([POL-4.5]) start in their turn, after the wait.
    this.#waits = s.charge?.waits === true;
    this.inbox.verifyAhead = s.receiver.store.synchronous && s.receiver.verifiesLater && !this.#waits;
    this.inbox.delivery = s.delivery;
    if (s.holdFirstBurst) this.inbox.holdFirstBurst();
  }

  /** The peer's receipt stream, once its first receipt was accepted. */
  get peerReceiptStream(): Uint8Array | undefined {
    return this.#checks?.peerReceiptStream;
  }

  /** The session closed: envelopes still waiting to be committed never will be (the peer resends them on resume). */
  stop(): void {
    const d = this.#s?.delivery;
    if (d?.peerStream !== undefined) d.builder.release(d.peerKid, d.peerStream);
    for (const admit of this.#gates) admit(false);
    this.#gates.clear();
  }

  /** Starts the checks and the signature of one received envelope; its commit waits for its gate. */
  #start(bytes: Uint8Array): Envelope {
    const kind: Kind = { isReceipt: false };
    let admit: ((go: boolean) => void) | undefined;
    let gate: Promise<boolean> | undefined;
    // With nothing of this session in process, the commit need not wait.
    if (this.inbox.busy > 0) {
      gate = new Promise<boolean>((resolve) => (admit = resolve));
      this.#gates.add(admit!);
    }
    const opened = this.#s!.receiver.openAhead(bytes, this.#context(kind), gate);
    // Awaited in its turn; until then a refusal must not count as unhandled.
    opened.catch(noop);
    return { bytes, kind, opened, admit };
  }

  /** One envelope's turn, in arrival order; a promise (never rejecting) when a step answers later. */
  #turn(item: Uint8Array | Envelope): Promise<void> | undefined {
    if (!(item instanceof Uint8Array)) return this.#settle(item);
    if (!this.#host.isOpen()) return undefined;
    if (this.#waits) {
      const wait = this.#s!.charge!.ready();
      if (wait !== undefined) return wait.then(() => this.#open(item));
    }
    return this.#open(item);
  }

  /** The envelope's open in its turn, and what follows it. */
  #open(item: Uint8Array): Promise<void> | undefined {
    if (!this.#host.isOpen()) return undefined;
    const kind = this.#turnKind;
    kind.isReceipt = false;
    let opened: Opened | Promise<Opened>;
    try {
      const ctx = this.#contextInTurn();
      opened = this.#s!.receiver.openInTurn(item, ctx);
    } catch (err) {
      this.#refused(err, item);
      return undefined;
    }
    // A step that answers later (a pool, a shared store): the envelope finishes as one started at arrival.
    if (opened instanceof Promise) return this.#settle({ bytes: item, kind, opened, admit: undefined });
    try {
      const r = this.#accepted(opened, item, kind.isReceipt);
      if (r !== undefined) return r.then(undefined, (err: unknown) => this.#host.refused(err));
    } catch (err) {
      this.#host.refused(err);
    }
    return undefined;
  }

  /** The turn of an envelope whose open answers later: everything before it was processed. */
  async #settle(e: Envelope): Promise<void> {
    const open = this.#host.isOpen();
    if (e.admit !== undefined) {
      this.#gates.delete(e.admit);
      e.admit(open);
    }
    let opened: Opened;
    try {
      opened = await e.opened;
    } catch (err) {
      // After the close, not processed, like an envelope whose turn comes after it.
      if (open && !(err instanceof GateClosed)) this.#refused(err, e.bytes);
      return;
    }
    // Committed before the close, it must still reach the application ([HS-7.7]).
    try {
      await this.#accepted(opened, e.bytes, e.kind.isReceipt);
    } catch (err) {
      this.#host.refused(err);
    }
  }

  /** An envelope the replay window committed: receipts go to the outbox, data to the application. */
  #accepted(opened: Opened, bytes: Uint8Array, isReceipt: boolean): void | Promise<void> {
    const d = this.#s!.delivery;
    this.#host.evidence(bytes, this.#s!.binding);
    if (isReceipt) {
      this.#checks!.receiptAccepted(opened.stream);
      // [RCP-4.2]: opened by the replay-protected receiver, so a replayed receipt never gets here.
      this.#host.receipt(opened);
      return;
    }
    // Only a handover gets another stream past the checks ([HS-7.14]).
    if (d.peerStream !== undefined && !equalBytes(d.peerStream, opened.stream)) handOver(d, opened.kid);
    d.peerStream ??= opened.stream.slice();
    if (!this.#host.isOpen() && this.#host.authorityEnded()) return this.#record(opened, bytes);
    // [HS-8.8]: a data envelope carries an application message, content type 60 and no other: its
    // signer did not send anything else as a request. Refused as any payload that is no message.
    if (opened.contentType !== MESSAGE_CONTENT_TYPE) {
      this.#record(opened, bytes);
      throw new ProtocolError('ERR_MESSAGE_MALFORMED', 'a data envelope must have content type 60');
    }
    this.#handling = opened;
    this.#handlingBytes = bytes;
    this.#held = false;
    try {
      return this.#host.payload(opened, this.#hold);
    } finally {
      this.#handling = this.#handlingBytes = undefined;
      if (!this.#held) this.#record(opened, bytes);
    }
  }

  /**
   * [RCP-5.1]: recorded once the window committed it, with the exact bytes verified. While the
   * session is open the builder keeps our copy as it is: a receipt within receiptDelayMs, or the
   * close, hashes it and lets it go. After the close it takes a copy of its own.
   */
  #record(opened: Opened, bytes: Uint8Array): void {
    const d = this.#s!.delivery;
    if (this.#host.isOpen()) d.builder.recordOwned(opened, bytes);
    else d.builder.record(opened, bytes);
    d.journal?.recorded();
    this.#s!.receipts.due();
  }

  /**
   * [ROOM-11.9]: a Post on a shared room is acknowledged once appended or refused, not before: a
   * node that dies before it appended it never acknowledged it, and the client resends it. Called
   * in the envelope's turn; only a held envelope costs a function of its own.
   */
  readonly #hold = (): (() => void) => {
    const opened = this.#handling!;
    const bytes = this.#handlingBytes!;
    this.#held = true;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      try {
        // A resent duplicate of it may have been recorded while it was held.
        if (!this.#s!.delivery.builder.holds(opened.kid, opened.stream, opened.seq)) this.#record(opened, bytes);
      } catch (err) {
        this.#host.refused(err);
      }
    };
  };

  /**
   * A refusal in the envelope's turn ends the session, except a resent duplicate ([HS-7.6]): an
   * envelope of the peer's data stream the replay state already accepted, which the receipt
   * answers. [POL-3.1]: it still costs its token (refused before the hook that charges it).
   */
  #refused(err: unknown, bytes: Uint8Array): void {
    try {
      if (this.#resentDuplicate(err, bytes)) {
        // A replay store shared with the node that accepted it first: acknowledged here too.
        const d = this.#s!.delivery;
        const h = decodeEnvelope(bytes).header;
        if (!d.builder.holds(h.kid, h.stream, h.seq)) d.builder.record(h, bytes);
        this.#checks!.chargeDuplicate();
        this.#s!.receipts.send(true);
        return;
      }
    } catch (charged) {
      err = charged;
    }
    this.#host.refused(err);
  }

  /** True for a resent duplicate ([HS-7.6]); false when `err` ends the session. */
  #resentDuplicate(err: unknown, bytes: Uint8Array): boolean {
    const s = this.#s!;
    if (!s.resumed || !(isProtocolError(err, 'ERR_REPLAY') || isProtocolError(err, 'ERR_TOO_OLD'))) return false;
    const stream = s.delivery.peerStream;
    if (stream === undefined) return false;
    try {
      const h = decodeEnvelope(bytes).header;
      return h.contentType !== RECEIPT_CONTENT_TYPE && equalBytes(h.kid, s.delivery.peerKid) && equalBytes(h.stream, stream);
    } catch {
      return false;
    }
  }

  #contextInTurn(): OpenContext {
    let ctx = this.#turnContext;
    if (ctx === undefined) ctx = this.#turnContext = this.#context(this.#turnKind);
    // The store's start may move (a restored snapshot): as #context computes it.
    (ctx as { sessionStartedAt: number }).sessionStartedAt = this.#sessionStartedAt();
    return ctx;
  }

  // Envelopes bound to this fresh session id cannot have been accepted before it existed, so the
  // receiver's restart bound never applies; the session is at least 1 ms younger than the store in
  // the receiver's millisecond terms, even when both began within one millisecond.
  #sessionStartedAt(): number {
    const s = this.#s!;
    return Math.max(s.startedAt, s.receiver.store.startedAt + 1);
  }

  /** The Receiver context of one received envelope; the hook records whether it is a receipt. */
  #context(kind: Kind): OpenContext {
    return { binding: this.#s!.binding, sessionStartedAt: this.#sessionStartedAt(), beforeSignature: this.#checks!.hook(kind) };
  }
}
