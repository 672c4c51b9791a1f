// The client end of a session: checks the ServerHello ([HS-2.2]), proves its key over the
// transcript ([HS-3.3]), authenticates the server from the Welcome ([HS-6.2]), then sends requests
// and receives deliveries. No transport and no `node:` import: browsers use this as is.
import { ProtocolError } from '../errors.js';
import { equalBytes, payloadBytes, toHex, utf8Encoder } from '../bytes.js';
import { verifyStrict } from '../crypto/ed25519.js';
import type { Opened } from '../envelope/open.js';
import { Receiver } from '../envelope/receiver.js';
import type { MemberHooks } from '../rooms/member.js';
import { ReceiptBuilder } from '../delivery/builder.js';
import { isAsyncSigningKey, signAsyncChecked, type AsyncSigningKey, type PublicKey, type SigningKey } from '../keys/keys.js';
import type { ContentType } from '../wire/envelope.js';
import { Session, type SessionMessage } from './session.js';
import type { CloseInfo, Transport } from './transport.js';
import { signingFailed } from './signing.js';
import { PendingRequests } from './requests.js';
import { authBody, checkClientOptions, resolveTimers, trustedServerKey, type ClientSessionOptions } from './client-options.js';
import { ClientRooms, type JoinOptions, type PostBuilder } from './client-rooms.js';
import { frameKind } from '../rooms/frames.js';
import { MAX_EARLIER_STREAMS, handedToKey, openResent, resumeRefusal } from './client-handover.js';
import { DEFAULT_SESSION_OUTBOX_BYTES, DEFAULT_SESSION_OUTBOX_CAPACITY, SessionDelivery } from './delivery.js';
import {
  DEFAULT_MAX_HANDSHAKE_SIZE,
  HANDSHAKE_VERSION,
  MSG_AUTH,
  MSG_HELLO,
  MSG_WELCOME,
  clientSignatureInput,
  decodeHello,
  decodeWelcome,
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
  OP_POSITION,
  OP_RENEW,
  OP_RESULT,
  OP_SEND,
  decodeServerMessage,
  OP_RESENT,
  encodeClientMessage,
  isValidAction,
  isValidRoom,
} from './messages.js';

export type { ClientSessionOptions } from './client-options.js';

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
  readonly #serverKeys: ClientSessionOptions['serverKey'];
  readonly #credential: Uint8Array | null;
  readonly #origin: string;
  #phase: 'hello' | 'welcome' = 'hello';
  #hello: { bytes: Uint8Array; hello: Hello; serverKey: PublicKey } | undefined;
  #th: Uint8Array | undefined;
  #timer: unknown;
  #identity: string | undefined;
  #roles: readonly string[] = [];
  #expires: number | null = null;
  #handedOver = false;
  readonly #pending = new PendingRequests();
  #rooms: ClientRooms | undefined;
  #ownKid = '';
  readonly ready: Promise<void>;
  #settleReady!: (err?: ProtocolError) => void;

  constructor(transport: Transport, options: ClientSessionOptions) {
    super(transport, DEFAULT_MAX_HANDSHAKE_SIZE, resolveTimers(options?.timers));
    if (options === null || typeof options !== 'object') throw new TypeError('"options" expected object');
    const { key, serverKey, credential: c, resumeFrom: from, handshakeTimeoutMs: helloMs } = options;
    checkClientOptions(options);
    if (from !== undefined) {
      if (!(from instanceof ClientSession)) throw new TypeError('"resumeFrom" expected a ClientSession');
      if (from.sessionIdBytes === undefined) throw new RangeError('"resumeFrom" never completed its handshake: there is nothing to resume');
      if (from.#handedOver) throw new RangeError('"resumeFrom" was already resumed');
      if (!equalBytes(from.#opts.key.kid, key.kid)) throw new RangeError('"resumeFrom" belongs to another key: only its key can resume it');
    }
    if (options.maxPendingBytes !== undefined) this.maxPendingBytes = options.maxPendingBytes;
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
    this.#timer = this.timers.setTimeout(() => this.fail(new ProtocolError('ERR_HANDSHAKE_TIMEOUT', 'no ServerHello in time')), helloMs ?? 10_000);
    // The adapter sees the session closed and opens no connection.
    const refusal = from === undefined ? undefined : resumeRefusal(from.delivery!);
    if (refusal !== undefined) this.fail(refusal);
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

  /** What verifies room frames here (`webcrypto` in a browser that has it), once open. */
  get roomVerification(): string | undefined {
    return this.#rooms?.frames.verification;
  }

  /** The server's key id, lowercase hex, once the hello was accepted. */
  get serverKeyId(): string | undefined {
    return this.#hello && toHex(this.#hello.serverKey.kid);
  }

  /**
   * Joins a room (a signed request the server authorizes); its events arrive as `message` events, each verified
   * here (spec/rooms.md); `history` asks for what it holds first (`await session.join('lobby', { history: true })`);
   * a room followed is recovered (`room` event).
   * @throws {ProtocolError} (rejection) `ERR_FORBIDDEN`, `ERR_SESSION_CLOSED`, or the close code's error.
   */
  join(room: string, options: JoinOptions = {}): Promise<void> {
    if (!isValidRoom(room)) throw new RangeError('"room" expected 1–128 UTF-8 bytes without control characters');
    if (this.#rooms === undefined) return Promise.reject(new ProtocolError('ERR_SESSION_CLOSED', 'session is not open'));
    return this.#request(this.#rooms.join(room, options));
  }

  /** Leaves a room. @throws {ProtocolError} as {@link ClientSession.join}. */
  leave(room: string): Promise<void> {
    if (!isValidRoom(room)) throw new RangeError('"room" expected 1–128 UTF-8 bytes without control characters');
    this.#rooms?.left(room);
    return this.#request(encodeClientMessage({ op: OP_LEAVE, room }));
  }

  /** Where this session stands in a room's stream: what a later session names to recover from. */
  position(room: string): { epoch: Uint8Array; next: number } | undefined {
    return this.#rooms?.member.position(room);
  }

  /**
   * Sends data to a joined room, signed by this client as its author so that every member verifies
   * who wrote it (spec/rooms.md §3). Before the room's Join was answered, or with an asynchronous
   * key, it is relayed under the server's word instead (`verified: 'server'`); {@link
   * ClientSession.post} always signs as the author. The server answers only a refusal (`refused`).
   * Returns the request's seq; `delivered` names it once a receipt acknowledges it.
   * @throws {ProtocolError} `ERR_SESSION_CLOSED` (not open); `ERR_OUTBOX_FULL` (check `writable`, wait for `drain`).
   * @example
   * ```ts
   * session.send('lobby', 'hello')
   * ```
   */
  send(room: string, data: Uint8Array | string): number {
    if (!isValidRoom(room)) throw new RangeError('"room" expected 1–128 UTF-8 bytes without control characters');
    const key = this.#opts.key;
    // Until the Join's answer names the room's epoch, or with a key that cannot sign now, the
    // server attests the author instead ([ROOM-2.4]).
    if (isAsyncSigningKey(key) || this.#rooms?.member.position(room) === undefined) {
      return this.sendPayload(encodeClientMessage({ op: OP_SEND, room, data: payloadBytes(data, 'data') }));
    }
    return this.sendPayload(this.#openRooms().post(key, room, data, this.#clock()) as Uint8Array);
  }

  /** {@link ClientSession.send} signed by its author with any key; `data` may be built once its place is known (sealwire/e2ee). */
  async post(room: string, data: Uint8Array | string | PostBuilder, options: { contentType?: ContentType } = {}): Promise<number> {
    if (!isValidRoom(room)) throw new RangeError('"room" expected 1–128 UTF-8 bytes without control characters');
    return this.sendPayload(await this.#openRooms().post(this.#opts.key, room, data, this.#clock(), options.contentType));
  }

  /** The key of a room author whose statement this session holds (hex kid); this session's own key. */
  readonly authorKey = (room: string, keyId: string): PublicKey | undefined => this.#rooms?.member.authorKey(room, keyId);
  readonly signingKey = (): SigningKey | AsyncSigningKey => this.#opts.key;

  #openRooms(): ClientRooms {
    if (this.#rooms === undefined || this.state !== 'open') throw new ProtocolError('ERR_SESSION_CLOSED', 'session is not open');
    return this.#rooms;
  }

  /** Room frames and node sets go to the rooms' checks; everything else is the session's ([ROOM-1.1], [NODE-4.1]). */
  override receive(bytes: Uint8Array): void {
    const kind = this.#rooms !== undefined && this.state === 'open' && bytes instanceof Uint8Array ? frameKind(bytes) : undefined;
    if (kind === undefined) super.receive(bytes);
    else this.#rooms!.frame(kind, bytes);
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
    return this.#pending.request(() => this.sendPayload(payload));
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
    const now = this.#clock();
    const serverKey = trustedServerKey(this.#serverKeys, hello, now);
    if (Math.abs(now - hello.time) > hello.limits.maxSkewMs) {
      // [HS-2.3]: a clear verdict instead of every envelope refused one by one later.
      throw new ProtocolError('ERR_CLOCK_SKEW', 'this device clock differs from the server clock');
    }
    this.#hello = { bytes: bytes.slice(), hello, serverKey };
    const body = authBody(this.#opts, now, this.#origin, this.#credential, this.#opts.resumeFrom?.sessionIdBytes ?? null);
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
    this.timers.clearTimeout(this.#timer);
    this.#timer = this.timers.setTimeout(() => this.fail(new ProtocolError('ERR_HANDSHAKE_TIMEOUT', 'no Welcome in time')), timeoutMs);
    this.rawSend(encodeSigned(MSG_AUTH, body, signature));
  }

  #onWelcome(bytes: Uint8Array): void {
    const { body, bodyBytes, signature } = decodeWelcome(bytes);
    const { serverKey, hello } = this.#hello!;
    const th = this.#th!;
    if (!equalBytes(body.session, th)) throw new ProtocolError('ERR_HANDSHAKE_MALFORMED', 'session id does not match the transcript');
    if (!verifyStrict(serverKey.backend, serverKey.handle, serverSignatureInput(th, bodyBytes), signature)) {
      throw new ProtocolError('ERR_BAD_SIGNATURE', 'signature verification failed');
    }
    this.timers.clearTimeout(this.#timer);
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
      // [HS-7.14]: a node of another key took the session over; its data stream is new here.
      const moved = handedToKey(delivery, serverKey.kid);
      receiver = moved ? (this.#opts.receiver ?? new Receiver({ keys: serverKey, maxEnvelopeSize: this.maxMessageSize, clock, startedAt: 0 })) : from.receiver!;
    } else {
      // A fresh receiver has no state to lose: its restart bound starts at the epoch.
      receiver = this.#opts.receiver ?? new Receiver({ keys: serverKey, maxEnvelopeSize: this.maxMessageSize, clock, startedAt: 0 });
      delivery = new SessionDelivery({
        key: this.#opts.key,
        peerKid: serverKey.kid,
        builder: new ReceiptBuilder({ maxStreams: 1 + MAX_EARLIER_STREAMS }),
        // [RCP-1.2]: never more in flight than the server's replay window can take.
        capacity: Math.min(this.#opts.outboxCapacity ?? DEFAULT_SESSION_OUTBOX_CAPACITY, hello.limits.window),
        maxBytes: this.#opts.outboxBytes ?? DEFAULT_SESSION_OUTBOX_BYTES,
        clock,
      });
    }
    this.#ownKid = toHex(this.#opts.key.kid);
    this.#rooms = (from === undefined ? undefined : from.#rooms) ?? new ClientRooms(this.#opts, serverKey, this.maxMessageSize, this.#roomHooks());
    this.#rooms.member.hooks = this.#roomHooks();
    this.#rooms.acks = this.#opts.roomAcks === true ? (p) => this.#sendQuietly(p) : undefined;
    this.establish(th, { key: this.#opts.key, delivery, receiver, resumed: from !== undefined, clock }, 'client', clock());
    this.startDelivery();
    this.#settleReady();
    this.emit('open', undefined);
    this.#rooms.watchNode(hello.key, this.timers, (err) => this.fail(err));
  }

  #roomHooks(): MemberHooks {
    return {
      // This session's own posts come back in the stream, for its offsets; the application sent
      // them. Those of an earlier session with the same key (history, recovery) are news to it.
      message: ({ frame: _frame, ...m }) => {
        const own = m.keyId === this.#ownKid && (m.authorStream === undefined || this.#rooms?.isOwn(m.authorStream) === true);
        if (!own) this.emit('message', m);
      },
      notice: (n) => this.emit('room', n),
      evidence: (frame) => {
        if (this.listenerCount('evidence') === 0) return;
        this.emit('evidence', { envelope: frame.slice(), binding: new Uint8Array(0), record: `{"envelope":"${toHex(frame)}"}` });
      },
      recover: (room, epoch, next) => this.#sendQuietly(encodeClientMessage({ op: OP_JOIN, room, from: { epoch, next } })),
    };
  }

  /** A Join to recover or a RoomAck: when the outbox is full or closing, the next position check asks again ([ROOM-6.5]). */
  #sendQuietly(payload: Uint8Array): void {
    try {
      this.sendPayload(payload);
    } catch {
      // dropped, as said
    }
  }

  protected onPayload(opened: Opened): void {
    let m = decodeServerMessage(opened.payload);
    if (m.op === OP_RESENT) {
      const inner = openResent(this.delivery!, m);
      if (inner === undefined) return;
      m = inner;
    }
    if (m.op === OP_POSITION) return this.#rooms?.positioned(m);
    if (m.op === OP_RESULT) {
      const code = this.#pending.settle(m.refSeq, m.code);
      if (code !== undefined) this.emit('refused', { seq: m.refSeq, code });
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
    this.timers.clearTimeout(this.#timer);
    if (!this.#handedOver) this.#rooms?.unwatchNode();
    const err = info.error ?? new ProtocolError('ERR_SESSION_CLOSED', `session closed (${info.code})`);
    this.#settleReady(err);
    this.#pending.rejectAll(err);
  }
}
