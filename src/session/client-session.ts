// The client end of a session: checks the ServerHello ([HS-2.2]), proves its key over the
// transcript ([HS-3.3]), authenticates the server from the Welcome ([HS-6.2]), then sends requests
// and receives deliveries. No transport and no `node:` import: browsers use this as is.
import { ProtocolError, type ErrorCode, ERROR_CODES } from '../errors.js';
import { equalBytes, payloadBytes, randomBytes, toHex, utf8Encoder } from '../bytes.js';
import { verifyStrict } from '../crypto/ed25519.js';
import type { Opened } from '../envelope/open.js';
import { Receiver } from '../envelope/receiver.js';
import { ReceiptBuilder } from '../delivery/builder.js';
import { KeyRing } from '../keys/keyring.js';
import { isAnySigningKey, isAsyncSigningKey, keyId, signAsyncChecked, type PublicKey } from '../keys/keys.js';
import { Session, type SessionMessage } from './session.js';
import type { CloseInfo, Transport } from './transport.js';
import { signingFailed } from './signing.js';
import type { ClientSessionOptions } from './client-options.js';
import { DEFAULT_SESSION_OUTBOX_BYTES, DEFAULT_SESSION_OUTBOX_CAPACITY, SessionDelivery, MAX_RESEALS_WITHOUT_RECEIPT, assertOutboxLimits } from './delivery.js';
import {
  CB_NONE,
  CB_TLS_EXPORTER,
  DEFAULT_MAX_HANDSHAKE_SIZE,
  HANDSHAKE_VERSION,
  MSG_AUTH,
  MSG_HELLO,
  MSG_WELCOME,
  NONCE_LENGTH,
  channelBindingHash,
  clientSignatureInput,
  decodeHello,
  decodeWelcome,
  encodeAuthBody,
  encodeSigned,
  peekType,
  serverSignatureInput,
  transcriptHash,
  type Hello,
} from './handshake.js';
import {
  OP_CUSTOM,
  OP_JOIN,
  OP_LEAVE,
  OP_RENEW,
  OP_RESULT,
  OP_SEND,
  decodeServerMessage,
  encodeClientMessage,
  isValidAction,
  isValidRoom,
} from './messages.js';

export type { ClientSessionOptions } from './client-options.js';

interface Pending {
  resolve(): void;
  reject(err: ProtocolError): void;
}

const CLOSE_CODES = new Set<number>(Object.values(ERROR_CODES));

/**
 * One client session over any transport. The adapter feeds received messages to `receive` and
 * reports the transport's end with `transportClosed`; `ready` settles when the handshake ends.
 *
 * @throws {TypeError} or {RangeError} from the constructor for an invalid option, named in the
 *   message. {ProtocolError} as the rejection of `ready` when the handshake fails:
 *   `ERR_HANDSHAKE_TIMEOUT`, `ERR_HANDSHAKE_MALFORMED`, `ERR_SERVER_IDENTITY`, `ERR_CLOCK_SKEW`,
 *   `ERR_CHANNEL_BINDING`, `ERR_UNAUTHENTICATED`, `ERR_RESUME_REFUSED`, or the server's close code.
 * @example
 * ```ts
 * const session = new ClientSession(transport, { key, serverKey, credential: jwt })
 * await session.ready
 * await session.join('lobby')
 * session.send('lobby', new TextEncoder().encode('hi'))
 * session.on('message', (m) => console.log(m.identity, m.payload))
 * ```
 */
export class ClientSession extends Session {
  readonly #opts: ClientSessionOptions;
  readonly #clock: () => number;
  readonly #serverKeys: PublicKey | KeyRing;
  readonly #credential: Uint8Array | null;
  readonly #origin: string;
  #phase: 'hello' | 'welcome' = 'hello';
  #hello: { bytes: Uint8Array; hello: Hello; serverKey: PublicKey } | undefined;
  #th: Uint8Array | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #identity: string | undefined;
  #roles: readonly string[] = [];
  #expires: number | null = null;
  #handedOver = false;
  readonly #pending = new Map<number, Pending>();
  readonly ready: Promise<void>;
  #settleReady!: (err?: ProtocolError) => void;

  constructor(transport: Transport, options: ClientSessionOptions) {
    super(transport, DEFAULT_MAX_HANDSHAKE_SIZE);
    if (options === null || typeof options !== 'object') throw new TypeError('"options" expected object');
    const { key, serverKey } = options;
    if (!isAnySigningKey(key)) {
      throw new TypeError('"key" expected a SigningKey from importSigningKey() or an AsyncSigningKey');
    }
    if (!equalBytes(key.kid, keyId(key.publicKey))) throw new RangeError('"key" must use the default key id (RFC 7638 thumbprint)');
    if (!(serverKey instanceof KeyRing) && !(serverKey !== null && typeof serverKey === 'object' && serverKey.bytes instanceof Uint8Array)) {
      throw new TypeError('"serverKey" expected a PublicKey or KeyRing');
    }
    const c = options.credential;
    if (c !== undefined && typeof c !== 'string' && !(c instanceof Uint8Array)) throw new TypeError('"credential" expected string or Uint8Array');
    if (options.origin !== undefined && typeof options.origin !== 'string') throw new TypeError('"origin" expected string');
    const from = options.resumeFrom;
    if (from !== undefined) {
      if (!(from instanceof ClientSession)) throw new TypeError('"resumeFrom" expected a ClientSession');
      if (from.sessionIdBytes === undefined) throw new RangeError('"resumeFrom" never completed its handshake: there is nothing to resume');
      if (from.#handedOver) throw new RangeError('"resumeFrom" was already resumed');
      if (!equalBytes(from.#opts.key.kid, key.kid)) throw new RangeError('"resumeFrom" belongs to another key: only its key can resume it');
    }
    if (options.receiver !== undefined && !(options.receiver instanceof Receiver)) throw new TypeError('"receiver" expected a Receiver');
    assertOutboxLimits(options.outboxCapacity ?? DEFAULT_SESSION_OUTBOX_CAPACITY, options.outboxBytes ?? DEFAULT_SESSION_OUTBOX_BYTES, '');
    if (options.maxPendingBytes !== undefined) {
      const m = options.maxPendingBytes;
      if (typeof m !== 'number' || !Number.isSafeInteger(m) || m < 1) throw new RangeError(`"maxPendingBytes" expected a positive integer, got ${String(m)}`);
      this.maxPendingBytes = m;
    }
    this.#opts = options;
    this.#clock = options.clock ?? Date.now;
    this.#serverKeys = serverKey;
    this.#credential = c === undefined ? null : typeof c === 'string' ? utf8Encoder.encode(c) : c.slice();
    // A browser's WebSocket sends its page's Origin, which the server matches against this ([HS-5.3]).
    this.#origin = options.origin ?? (globalThis as { location?: { origin?: unknown } }).location?.origin?.toString() ?? '';
    this.ready = new Promise<void>((resolve, reject) => {
      this.#settleReady = (err) => (err === undefined ? resolve() : reject(err));
    });
    // Nobody may be awaiting ready yet; the rejection is still observable through it.
    this.ready.catch(() => {});
    this.#timer = setTimeout(() => this.fail(new ProtocolError('ERR_HANDSHAKE_TIMEOUT', 'no ServerHello in time')), options.handshakeTimeoutMs ?? 10_000);
    // [HS-7.11]: a state the server left unacknowledged through 8 re-seals is not offered again; the
    // adapter sees the session closed and opens no connection.
    if (from !== undefined && from.delivery!.outbox.resealsSinceReceipt >= MAX_RESEALS_WITHOUT_RECEIPT) {
      this.fail(new ProtocolError('ERR_RESUME_REFUSED', 'resumed 8 times without a receipt of the server: start a fresh session'));
    } else if (from !== undefined && from.delivery!.signing.broken) {
      // [HS-7.12]: a signature failed on its data stream; the gap could never be acknowledged.
      this.fail(new ProtocolError('ERR_RESUME_REFUSED', 'a signature failed on that session: start a fresh session'));
    }
  }

  /** The identity the server verified for us, after `ready`. */
  get identity(): string | undefined {
    return this.#identity;
  }

  get roles(): readonly string[] {
    return this.#roles;
  }

  /** When the server will end this session (credential expiry), ms, or null. */
  get expires(): number | null {
    return this.#expires;
  }

  /** The server's key id, lowercase hex, once the hello was accepted. */
  get serverKeyId(): string | undefined {
    return this.#hello === undefined ? undefined : toHex(this.#hello.serverKey.kid);
  }

  /**
   * Joins a room: a signed request the server authorizes.
   * @throws {ProtocolError} (rejection) `ERR_FORBIDDEN`, `ERR_SESSION_CLOSED`, or the close code's error.
   * @example
   * ```ts
   * await session.join('lobby')
   * ```
   */
  join(room: string): Promise<void> {
    if (!isValidRoom(room)) throw new RangeError('"room" expected 1–128 UTF-8 bytes without control characters');
    return this.#request(encodeClientMessage({ op: OP_JOIN, room }));
  }

  /** Leaves a room. @throws {ProtocolError} as {@link ClientSession.join}. */
  leave(room: string): Promise<void> {
    if (!isValidRoom(room)) throw new RangeError('"room" expected 1–128 UTF-8 bytes without control characters');
    return this.#request(encodeClientMessage({ op: OP_LEAVE, room }));
  }

  /**
   * Sends data to a joined room. The server answers only a refusal (`refused` event).
   * Returns the envelope's sequence number; the `delivered` event names it once a verified
   * receipt acknowledges it.
   * @throws {ProtocolError} `ERR_SESSION_CLOSED` when the session is not open; `ERR_OUTBOX_FULL`
   *   when the server has not acknowledged enough (check `writable`, wait for `drain`).
   * @example
   * ```ts
   * session.send('lobby', new TextEncoder().encode('hello'))
   * ```
   */
  send(room: string, data: Uint8Array | string): number {
    if (!isValidRoom(room)) throw new RangeError('"room" expected 1–128 UTF-8 bytes without control characters');
    return this.sendPayload(encodeClientMessage({ op: OP_SEND, room, data: payloadBytes(data, 'data') }));
  }

  /**
   * Hands the server a new credential for this session, before the current one expires: the
   * session then lives until the new one does, with its roles ([HS-8.6]).
   * @throws {ProtocolError} (rejection) `ERR_UNAUTHENTICATED`, `ERR_CREDENTIAL_EXPIRED`, `ERR_FORBIDDEN`, `ERR_SESSION_CLOSED`.
   * @example
   * ```ts
   * await session.renew(await fetchFreshToken())
   * ```
   */
  renew(credential: Uint8Array | string): Promise<void> {
    return this.#request(encodeClientMessage({ op: OP_RENEW, credential: payloadBytes(credential, 'credential') }));
  }

  /**
   * A custom action the server authorizes and hands to its application.
   * @throws {ProtocolError} (rejection) `ERR_FORBIDDEN`, `ERR_PAYLOAD_INVALID`, `ERR_SESSION_CLOSED`.
   * @example
   * ```ts
   * await session.request('broadcast', 'maintenance at noon', 'lobby')
   * ```
   */
  request(action: string, data: Uint8Array | string = new Uint8Array(0), room: string | null = null): Promise<void> {
    if (!isValidAction(action)) throw new RangeError('"action" expected 1–64 chars of [a-z0-9._:-], not join/leave/send');
    if (room !== null && !isValidRoom(room)) throw new RangeError('"room" expected 1–128 UTF-8 bytes without control characters');
    return this.#request(encodeClientMessage({ op: OP_CUSTOM, action, room, data: payloadBytes(data, 'data') }));
  }

  #request(payload: Uint8Array): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const seq = this.sendPayload(payload);
      this.#pending.set(seq, { resolve, reject });
    });
  }

  protected onHandshakeMessage(bytes: Uint8Array): void | Promise<void> {
    if (bytes.length > DEFAULT_MAX_HANDSHAKE_SIZE) throw new ProtocolError('ERR_TOO_LARGE', 'handshake message too large');
    const type = peekType(bytes);
    const expected = this.#phase === 'hello' ? MSG_HELLO : MSG_WELCOME;
    if ((type !== undefined && type !== expected) || bytes[0] === 0xd2) {
      throw new ProtocolError('ERR_UNEXPECTED_MESSAGE', 'unexpected handshake message');
    }
    if (this.#phase === 'hello') return this.#onHello(bytes);
    this.#onWelcome(bytes);
  }

  #onHello(bytes: Uint8Array): void | Promise<void> {
    const hello = decodeHello(bytes);
    if (!hello.versions.includes(HANDSHAKE_VERSION)) throw new ProtocolError('ERR_UNSUPPORTED_VERSION', 'no common session version');
    const serverKey = this.#trustedServerKey(hello.key);
    const now = this.#clock();
    if (Math.abs(now - hello.time) > hello.limits.maxSkewMs) {
      // [HS-2.3]: a clear verdict instead of every envelope refused one by one later.
      throw new ProtocolError('ERR_CLOCK_SKEW', 'this device clock differs from the server clock');
    }
    this.#hello = { bytes: bytes.slice(), hello, serverKey };
    const exporter = this.#opts.channelBinding?.();
    const body = encodeAuthBody({
      version: HANDSHAKE_VERSION,
      nonce: randomBytes(NONCE_LENGTH),
      key: this.#opts.key.publicKey,
      time: now,
      origin: this.#origin,
      cbType: exporter === undefined ? CB_NONE : CB_TLS_EXPORTER,
      cb: exporter === undefined ? new Uint8Array(0) : channelBindingHash(exporter),
      credential: this.#credential,
      resume: this.#opts.resumeFrom?.sessionIdBytes ?? null,
    });
    const th = transcriptHash(this.#hello.bytes, body);
    this.#th = th;
    this.#phase = 'welcome';
    const key = this.#opts.key;
    if (isAsyncSigningKey(key)) {
      // The hello's timeout keeps running while the key signs.
      return signAsyncChecked(key, clientSignatureInput(th)).then(
        (signature) => {
          if (this.state === 'handshake') this.#sendAuth(body, signature, hello.limits.handshakeTimeoutMs);
        },
        (err: unknown) => {
          throw signingFailed(err);
        },
      );
    }
    this.#sendAuth(body, key.sign(clientSignatureInput(th)), hello.limits.handshakeTimeoutMs);
  }

  #sendAuth(body: Uint8Array, signature: Uint8Array, timeoutMs: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.fail(new ProtocolError('ERR_HANDSHAKE_TIMEOUT', 'no Welcome in time')), timeoutMs);
    this.rawSend(encodeSigned(MSG_AUTH, body, signature));
  }

  #trustedServerKey(bytes: Uint8Array): PublicKey {
    const pinned = this.#serverKeys;
    if (pinned instanceof KeyRing) {
      const entry = pinned.get(keyId(bytes));
      if (entry !== undefined && !entry.revoked && equalBytes(entry.key.bytes, bytes)) return entry.key;
    } else if (equalBytes(pinned.bytes, bytes)) {
      return pinned;
    }
    throw new ProtocolError('ERR_SERVER_IDENTITY', 'the server key is not the expected one');
  }

  #onWelcome(bytes: Uint8Array): void {
    const { body, bodyBytes, signature } = decodeWelcome(bytes);
    const { serverKey, hello } = this.#hello!;
    const th = this.#th!;
    if (!equalBytes(body.session, th)) throw new ProtocolError('ERR_HANDSHAKE_MALFORMED', 'session id does not match the transcript');
    if (!verifyStrict(serverKey.backend, serverKey.handle, serverSignatureInput(th, bodyBytes), signature)) {
      throw new ProtocolError('ERR_BAD_SIGNATURE', 'signature verification failed');
    }
    clearTimeout(this.#timer);
    this.#identity = body.identity;
    this.#roles = Object.freeze([...body.roles]);
    this.#expires = body.expires;
    // Deliveries carry up to max_message_size of data plus their own framing.
    this.maxMessageSize = hello.limits.maxMessageSize + 1024;
    const clock = this.#clock;
    const from = this.#opts.resumeFrom;
    let delivery: SessionDelivery;
    let receiver: Receiver;
    if (from !== undefined) {
      // [HS-7.4]: the server accepted the resume; the state moves here, once.
      if (from.#handedOver) throw new ProtocolError('ERR_SESSION_CLOSED', 'that session was already resumed');
      from.#handedOver = true;
      from.fail(new ProtocolError('ERR_SESSION_CLOSED', 'the session was resumed on another connection'));
      delivery = from.delivery!;
      receiver = from.receiver!;
    } else {
      // A fresh receiver has no state to lose: its restart bound starts at the epoch.
      receiver = this.#opts.receiver ?? new Receiver({ keys: serverKey, maxEnvelopeSize: this.maxMessageSize, clock, startedAt: 0 });
      delivery = new SessionDelivery({
        key: this.#opts.key,
        peerKid: serverKey.kid,
        builder: new ReceiptBuilder({ maxStreams: 1 }),
        // [RCP-1.2]: never more in flight than the server's replay window can take.
        capacity: Math.min(this.#opts.outboxCapacity ?? DEFAULT_SESSION_OUTBOX_CAPACITY, hello.limits.window),
        maxBytes: this.#opts.outboxBytes ?? DEFAULT_SESSION_OUTBOX_BYTES,
        clock,
      });
    }
    this.establish(th, { key: this.#opts.key, delivery, receiver, resumed: from !== undefined, clock }, 'client', clock());
    this.startDelivery();
    this.#settleReady();
    this.emit('open', undefined);
  }

  protected onPayload(opened: Opened): void {
    const m = decodeServerMessage(opened.payload);
    if (m.op === OP_RESULT) {
      const p = this.#pending.get(m.refSeq);
      const code = m.code === null ? null : toCode(m.code);
      if (p !== undefined) {
        this.#pending.delete(m.refSeq);
        if (code === null) p.resolve();
        else p.reject(new ProtocolError(code, `request refused: ${code}`));
      } else if (code !== null) {
        this.emit('refused', { seq: m.refSeq, code });
      }
      return;
    }
    const message: SessionMessage = {
      identity: m.from,
      roles: Object.freeze([...m.fromRoles]),
      keyId: toHex(m.fromKid),
      room: m.room,
      action: m.action,
      seq: m.fromSeq,
      ts: m.fromTs,
      payload: m.data.slice(),
    };
    this.emit('message', message);
  }

  protected onClosed(info: CloseInfo): void {
    clearTimeout(this.#timer);
    const err = info.error ?? new ProtocolError('ERR_SESSION_CLOSED', `session closed (${info.code})`);
    this.#settleReady(err);
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }
}

// An unknown code from a newer server is still a refusal; it is reported as forbidden.
function toCode(code: string): ErrorCode {
  return Object.hasOwn(ERROR_CODES, code) && CLOSE_CODES.has(ERROR_CODES[code as ErrorCode]) ? (code as ErrorCode) : 'ERR_FORBIDDEN';
}
