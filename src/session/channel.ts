// The data phase both ends share (spec/handshake.md §6): every transport message is one envelope
// bound to session id || direction, opened by a Receiver and sealed by a Sender. Server and client
// differ only in their handshake and in what they do with a verified payload.
import { ERROR_CODES, ProtocolError, isProtocolError, type ErrorCode } from '../errors.js';
import { equalBytes, toHex } from '../bytes.js';
import type { Opened } from '../envelope/open.js';
import type { Receiver } from '../envelope/receiver.js';
import type { Sender } from '../envelope/sender.js';
import type { EnvelopeHeader } from '../wire/envelope.js';
import { Emitter, reportListenerError } from './emitter.js';
import { MESSAGE_CONTENT_TYPE } from './messages.js';

/**
 * Any ordered, reliable, message-oriented duplex channel. The adapter feeds every received message
 * to {@link SecureChannel.receive} and reports the transport closing with
 * {@link SecureChannel.transportClosed}.
 */
export interface Transport {
  send(bytes: Uint8Array): void;
  /** Close with a WebSocket-style code (1000, or 4000–4999 from {@link ERROR_CODES}) and a short reason. */
  close(code: number, reason: string): void;
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
  close: CloseInfo;
}

export const DIRECTION_CLIENT_TO_SERVER = 0x01;
export const DIRECTION_SERVER_TO_CLIENT = 0x02;
/** Messages received faster than they can be verified queue up to this many, then the flood closes. */
const MAX_PENDING = 256;

export type ChannelState = 'handshake' | 'open' | 'closed';

const CODE_BY_CLOSE = new Map<number, ErrorCode>(Object.entries(ERROR_CODES).map(([k, v]) => [v, k as ErrorCode]));

/** The protocol error a received close code names, if any. */
export function errorFromClose(code: number, reason: string): ProtocolError | undefined {
  // RFC 6455 1009 "message too big": WebSocket servers refuse an oversized frame with it.
  if (code === 1009) return new ProtocolError('ERR_TOO_LARGE', reason || 'message too big');
  const name = CODE_BY_CLOSE.get(code);
  return name === undefined ? undefined : new ProtocolError(name, reason || name);
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
  #queue: Promise<void> = Promise.resolve();
  #pending = 0;
  #closeInfo: CloseInfo | undefined;
  readonly #closed: Promise<CloseInfo>;
  #resolveClosed!: (info: CloseInfo) => void;
  protected maxMessageSize: number;

  // Set when the handshake completes.
  protected sessionIdBytes: Uint8Array | undefined;
  protected sender: Sender | undefined;
  protected receiver: Receiver | undefined;
  protected peerKid: Uint8Array | undefined;
  protected sessionStartedAt = 0;
  #sendBinding: Uint8Array | undefined;
  #recvBinding: Uint8Array | undefined;

  protected constructor(transport: Transport, maxMessageSize: number) {
    super();
    if (transport === null || typeof transport !== 'object' || typeof transport.send !== 'function' || typeof transport.close !== 'function') {
      throw new TypeError('"transport" expected { send(bytes), close(code, reason) }');
    }
    this.#transport = transport;
    this.maxMessageSize = maxMessageSize;
    this.#closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  get state(): ChannelState {
    return this.#state;
  }

  /** The 32-byte session id (lowercase hex) once the handshake completed. */
  get sessionId(): string | undefined {
    return this.sessionIdBytes === undefined ? undefined : toHex(this.sessionIdBytes);
  }

  /** Resolves once, when the channel has closed for any reason. */
  get closed(): Promise<CloseInfo> {
    return this.#closed;
  }

  /**
   * Feeds one transport message. Never throws for hostile input: a bad message closes the channel
   * with its error's close code.
   */
  receive(bytes: Uint8Array): void {
    if (this.#state === 'closed') return;
    if (!(bytes instanceof Uint8Array)) {
      this.fail(new ProtocolError('ERR_MALFORMED', 'transport delivered a non-binary message'));
      return;
    }
    // Size before anything else ([POL-1.1]); the transport's own frame limit should have hit first.
    if (bytes.length > this.maxMessageSize) {
      this.fail(new ProtocolError('ERR_TOO_LARGE', `message exceeds ${this.maxMessageSize} bytes`));
      return;
    }
    // An owned, plain copy: Node Buffers' slice() is a view, and adapters may reuse their buffers.
    const copy = Uint8Array.prototype.slice.call(bytes);
    if (this.#state === 'handshake') {
      this.guard(() => this.onHandshakeMessage(copy));
      return;
    }
    if (++this.#pending > MAX_PENDING) {
      this.fail(new ProtocolError('ERR_RATE_LIMITED', 'too many messages awaiting verification'));
      return;
    }
    this.#queue = this.#queue.then(async () => {
      this.#pending--;
      if (this.#state !== 'open') return;
      try {
        await this.processEnvelope(copy);
      } catch (err) {
        if (isProtocolError(err)) this.onRejected(err);
        this.fail(err);
      }
    });
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

  /** Enters the data phase with the keys the handshake established. */
  protected establish(sessionId: Uint8Array, sender: Sender, receiver: Receiver, peerKid: Uint8Array, side: 'client' | 'server', now: number): void {
    this.sessionIdBytes = sessionId;
    this.sender = sender;
    this.receiver = receiver;
    this.peerKid = peerKid;
    this.sessionStartedAt = now;
    const out = side === 'client' ? DIRECTION_CLIENT_TO_SERVER : DIRECTION_SERVER_TO_CLIENT;
    const inn = side === 'client' ? DIRECTION_SERVER_TO_CLIENT : DIRECTION_CLIENT_TO_SERVER;
    this.#sendBinding = binding(sessionId, out);
    this.#recvBinding = binding(sessionId, inn);
    this.#state = 'open';
  }

  private async processEnvelope(bytes: Uint8Array): Promise<void> {
    const opened = await this.receiver!.open(bytes, {
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
        this.beforeSignature(header);
      },
    });
    if (this.#state !== 'open') return; // revoked or closed while verifying
    await this.onPayload(opened);
  }

  /** Seals a payload for the peer and sends it. Returns the envelope's sequence number. */
  protected sendPayload(payload: Uint8Array): number {
    if (this.#state !== 'open') throw new ProtocolError('ERR_SESSION_CLOSED', 'the session is not open');
    const seq = this.sender!.nextSeq;
    const envelope = this.sender!.seal(payload, { binding: this.#sendBinding!, contentType: MESSAGE_CONTENT_TYPE });
    this.rawSend(envelope);
    return seq;
  }

  protected rawSend(bytes: Uint8Array): void {
    try {
      this.#transport.send(bytes);
    } catch {
      // A transport that fails to send is gone; its close callback will follow, or we close it now.
      this.finish({ code: 1006, reason: 'transport send failed' }, true);
    }
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
   * Closes the session deliberately with a normal closure.
   *
   * @example
   * ```ts
   * channel.close()
   * ```
   */
  close(code = 1000, reason = ''): void {
    if (code !== 1000 && (code < 4000 || code > 4999)) throw new RangeError(`"code" expected 1000 or 4000–4999, got ${code}`);
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
