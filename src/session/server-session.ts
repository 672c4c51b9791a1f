// The server end of one connection: ServerHello, ClientAuth checks in the order of
// spec/handshake.md [HS-3.4], Welcome, then requests dispatched through policy (spec/policy.md).
import { ProtocolError, isProtocolError, type ErrorCode } from '../errors.js';
import { equalBytes, fromHex, randomBytes, toHex } from '../bytes.js';
import { verifyStrict } from '../crypto/ed25519.js';
import type { Opened } from '../envelope/open.js';
import type { Receiver } from '../envelope/receiver.js';
import type { ReceiptBuilder } from '../delivery/builder.js';
import type { KeyEntry, KeyRing } from '../keys/keyring.js';
import { importPublicKey, isAsyncSigningKey, signAsyncChecked, type AsyncSigningKey, type PublicKey, type SigningKey } from '../keys/keys.js';
import type { Authorize, Validate } from '../policy/authorize.js';
import type { SecurityEvent } from '../policy/events.js';
import { TokenBucket, type RateLimit } from '../policy/rate-limit.js';
import type { EnvelopeHeader } from '../wire/envelope.js';
import { SecureChannel, type ChannelMessage, type CloseInfo, type Transport } from './channel.js';
import { DeliveryState, MAX_RESEALS_WITHOUT_RECEIPT } from './delivery.js';
import type { ResumeEntry, ResumeRegistry } from './resume.js';
import { signingFailed } from './signing.js';
import {
  CB_TLS_EXPORTER,
  HANDSHAKE_VERSION,
  MSG_AUTH,
  MSG_WELCOME,
  NONCE_LENGTH,
  channelBindingHash,
  clientSignatureInput,
  decodeAuth,
  encodeHello,
  encodeSigned,
  encodeWelcomeBody,
  peekType,
  serverSignatureInput,
  transcriptHash,
  type HelloLimits,
} from './handshake.js';
import { OP_CUSTOM, OP_DELIVER, OP_JOIN, OP_LEAVE, OP_RESULT, OP_SEND, decodeClientMessage, encodeServerMessage, type ClientMessage } from './messages.js';

/** What an `authenticate` hook returns for an accepted credential. */
export interface Authenticated {
  readonly identity: string;
  readonly roles?: readonly string[];
  /** When the credential expires (ms): the session is closed then ([HS-5.5]). */
  readonly expiresAt?: number;
}

export interface AuthenticateContext {
  /** The origin the client declared, already checked against the transport and the allow-list. */
  readonly origin: string;
  readonly peer: string | undefined;
  /** The previous session id the client named, for resume (spec/handshake.md §7). */
  readonly resume: Uint8Array | null;
}

/**
 * Maps a credential and the (already proven) client key to an identity. Throw a ProtocolError
 * `ERR_UNAUTHENTICATED`, `ERR_CREDENTIAL_EXPIRED` or `ERR_CREDENTIAL_KEY_MISMATCH` to refuse.
 */
export type Authenticate = (
  credential: Uint8Array | null,
  clientKey: PublicKey,
  context: AuthenticateContext,
) => Authenticated | Promise<Authenticated>;

/** @internal What a session needs from its server. */
export interface ServerCore {
  readonly key: SigningKey | AsyncSigningKey;
  readonly keys: KeyRing;
  readonly receiver: Receiver;
  readonly limits: HelloLimits & { readonly maxHandshakeSize: number };
  readonly origins: ReadonlySet<string> | undefined;
  readonly requireChannelBinding: boolean;
  readonly connectionRate: RateLimit;
  readonly name: string;
  readonly authenticate: Authenticate | undefined;
  readonly authorize: Authorize;
  readonly validate: Validate | undefined;
  /** Outbox bounds, send-buffer cap and receipt cadence of every session. */
  readonly delivery: {
    readonly outboxCapacity: number;
    readonly outboxBytes: number;
    readonly maxBufferedAmount: number;
    readonly maxPendingBytes: number;
    readonly receiptEvery: number;
    readonly receiptDelayMs: number;
  };
  /** Acknowledgement record of every client data stream, shared like the receiver. */
  readonly builder: ReceiptBuilder;
  readonly resume: ResumeRegistry;
  clock(): number;
  event(e: Omit<SecurityEvent, 'time'>): void;
  /** False when no event listener would see an event: sessions then build none. */
  wantsEvents(): boolean;
  acquireIdentity(identity: string): boolean;
  releaseIdentity(identity: string): void;
  /**
   * Counts one more holder of a client key the server learned ([HS-5.6]): `added` is the entry
   * this handshake just put in the ring, else the key was already there. False when the key is
   * not one the server learned (it was in the ring before: never removed by the server).
   */
  holdKey(kid: Uint8Array, added?: KeyEntry): boolean;
  /** One holder less; the last one removes the learned key from the ring. */
  releaseKey(kid: string): void;
  identityBucket(identity: string): TokenBucket;
  joined(session: ServerSession, room: string): void;
  left(session: ServerSession, room: string): void;
  /** The room's members, live: copy before anything that may change them. */
  members(room: string): ReadonlySet<ServerSession>;
  registered(session: ServerSession): void;
  unregistered(session: ServerSession): void;
  message(message: ChannelMessage, session: ServerSession): void;
}

export interface SessionPeer {
  /** Peer network address as the transport saw it. */
  readonly address?: string;
  /** The web origin the transport reported (a browser's `Origin` header). */
  readonly origin?: string;
  /** RFC 9266 tls-exporter value of this connection (TLS 1.3 only), when the adapter has one. */
  readonly tlsExporter?: Uint8Array;
}

function refuse(code: ErrorCode, message: string): ProtocolError {
  return new ProtocolError(code, message);
}

const NO_ROOMS: ReadonlySet<string> = new Set();

/** A request that carries data: a Send or a custom action. */
type DataMessage = Exclude<ClientMessage, { readonly op: typeof OP_JOIN | typeof OP_LEAVE }>;

// Timers must not outlive a process for a far expiry, nor overflow setTimeout's 2^31-1 ms.
const MAX_TIMER = 0x7fff_ffff;
// [HS-8.5]: Results that may wait for room in the outbox; a client with more is not acknowledging.
const MAX_WAITING_RESULTS = 1024;

/**
 * One authenticated connection on the server. Created by `SecureServer.accept`; emits `open`,
 * `message` (also forwarded to the server), `refused` and `close`.
 */
export class ServerSession extends SecureChannel {
  readonly #core: ServerCore;
  readonly #peer: SessionPeer;
  readonly #hello: Uint8Array;
  #authStarted = false;
  #established = false;
  #identity: string | undefined;
  #roles: readonly string[] = [];
  #keyId: string | undefined;
  #kid: Uint8Array | undefined;
  #holdsIdentitySlot = false;
  #holdsKey = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #connBucket: TokenBucket;
  #identityBucket: TokenBucket | undefined;
  #rooms = new Set<string>();
  #onRelease: (() => void) | undefined;
  #resumeEntry: ResumeEntry | undefined;
  /** Results that found the outbox full, in request order ([HS-8.5]). */
  #waitingResults: Uint8Array[] = [];

  /** @internal use `SecureServer.accept` */
  constructor(core: ServerCore, transport: Transport, peer: SessionPeer, onRelease?: () => void) {
    super(transport, core.limits.maxMessageSize);
    this.#core = core;
    this.maxBufferedAmount = core.delivery.maxBufferedAmount;
    this.maxPendingBytes = core.delivery.maxPendingBytes;
    this.receiptEvery = core.delivery.receiptEvery;
    this.receiptDelayMs = core.delivery.receiptDelayMs;
    this.#peer = peer;
    this.#onRelease = onRelease;
    const now = core.clock();
    this.#connBucket = new TokenBucket(core.connectionRate, now);
    this.#hello = encodeHello({
      versions: [HANDSHAKE_VERSION],
      nonce: randomBytes(NONCE_LENGTH),
      key: core.key.publicKey,
      time: now,
      limits: core.limits,
    });
    // Before any listener of the application: waiting Results take the room that opens first.
    this.on('drain', () => this.#sendWaitingResults());
  }

  /** @internal Sends the hello and arms the handshake timeout ([HS-2.1], [HS-3.6]). */
  start(): void {
    this.#timer = setTimeout(
      () => this.fail(refuse('ERR_HANDSHAKE_TIMEOUT', 'no valid ClientAuth in time')),
      this.#core.limits.handshakeTimeoutMs,
    );
    this.rawSend(this.#hello);
  }

  /** The verified identity, once the handshake completed. */
  get identity(): string | undefined {
    return this.#identity;
  }

  get roles(): readonly string[] {
    return this.#roles;
  }

  /** The client's key id, lowercase hex, once the handshake completed. */
  get keyId(): string | undefined {
    return this.#keyId;
  }

  get peer(): string | undefined {
    return this.#peer.address;
  }

  /** Rooms this session joined after an authorized Join. */
  get rooms(): ReadonlySet<string> {
    return this.state === 'closed' ? NO_ROOMS : this.#rooms;
  }

  /**
   * Pushes application data to this client, sealed in its session, from the server's identity (or
   * relaying a verified message `as` its original sender).
   *
   * @throws {ProtocolError} `ERR_SESSION_CLOSED` when the session is not open; `ERR_OUTBOX_FULL`
   *   when the client has not acknowledged enough (check `writable`, wait for `drain`).
   * @example
   * ```ts
   * if (session.writable) session.send('lobby', new TextEncoder().encode('welcome'))
   * else session.on('drain', retry)
   * ```
   */
  send(channel: string | null, payload: Uint8Array, options: { action?: string; as?: ChannelMessage } = {}): void {
    const as = options.as;
    // [HS-8.5]: nothing overtakes a Result that waits for room.
    if (!this.#sendWaitingResults()) throw new ProtocolError('ERR_OUTBOX_FULL', 'outbox full: the peer has not acknowledged enough');
    this.sendPayload(
      encodeServerMessage({
        op: OP_DELIVER,
        action: options.action ?? as?.action ?? 'send',
        room: channel,
        from: as?.identity ?? this.#core.name,
        fromRoles: as?.roles ?? [],
        fromKid: as === undefined ? this.#core.key.kid : fromHex(as.keyId),
        fromSeq: as?.seq ?? this.sender!.nextSeq,
        fromTs: as?.ts ?? this.#core.clock(),
        data: payload,
      }),
    );
  }

  /**
   * @internal Relays to this member, or closes it when it does not keep up ([POL-8.3]): a room is
   * not held back for one slow consumer, and a silent skip would lose data without a trace.
   */
  relay(channel: string | null, payload: Uint8Array, options: { action?: string; as?: ChannelMessage }): boolean {
    if (this.state !== 'open') return false;
    try {
      this.send(channel, payload, options);
    } catch (err) {
      // Refused before sealing, so the stream has no gap; the member resumes and gets the rest.
      if (!isProtocolError(err, 'ERR_OUTBOX_FULL')) throw err;
      this.fail(err);
    }
    return this.state === 'open';
  }

  protected onHandshakeMessage(bytes: Uint8Array): Promise<void> {
    if (this.#authStarted) throw refuse('ERR_UNEXPECTED_MESSAGE', 'message before the Welcome');
    this.#authStarted = true;
    return this.#authenticate(bytes);
  }

  async #authenticate(bytes: Uint8Array): Promise<void> {
    const core = this.#core;
    const limits = core.limits;
    // 1. size, 2. encoding and shape ([HS-3.4]).
    if (bytes.length > limits.maxHandshakeSize) throw refuse('ERR_TOO_LARGE', 'handshake message too large');
    const type = peekType(bytes);
    if ((type !== undefined && type !== MSG_AUTH) || bytes[0] === 0xd2) {
      throw refuse('ERR_UNEXPECTED_MESSAGE', 'expected ClientAuth');
    }
    const auth = decodeAuth(bytes);
    const b = auth.body;
    // 3. version, 4. clock skew.
    if (b.version !== HANDSHAKE_VERSION) throw refuse('ERR_UNSUPPORTED_VERSION', 'unsupported session version');
    const now = core.clock();
    if (Math.abs(now - b.time) > limits.maxSkewMs) throw refuse('ERR_CLOCK_SKEW', 'client clock differs from the server clock');
    // 5. origin ([HS-5.3]).
    if (this.#peer.origin !== undefined && b.origin !== this.#peer.origin) throw refuse('ERR_ORIGIN', 'origin mismatch');
    if (core.origins !== undefined && !core.origins.has(b.origin)) throw refuse('ERR_ORIGIN', 'origin not allowed');
    // 6. channel binding ([HS-4.3], [HS-4.4]).
    const exporter = this.#peer.tlsExporter;
    if (b.cbType === CB_TLS_EXPORTER) {
      if (exporter === undefined || !equalBytes(b.cb, channelBindingHash(exporter))) {
        throw refuse('ERR_CHANNEL_BINDING', 'the client TLS connection does not end at this server');
      }
    } else if (core.requireChannelBinding) {
      throw refuse('ERR_CHANNEL_BINDING', 'channel binding required');
    }
    // 7. key: strict import, not revoked.
    const clientKey = importPublicKey(b.key, { backend: core.keys.backend });
    const existing = core.keys.get(clientKey.kid);
    if (existing?.revoked || core.keys.isRevoked(clientKey.kid)) throw refuse('ERR_KEY_REVOKED', 'key has been revoked');
    // 8. proof of possession over the transcript.
    const th = transcriptHash(this.#hello, auth.bodyBytes);
    if (!verifyStrict(clientKey.backend, clientKey.handle, clientSignatureInput(th), auth.signature)) {
      throw refuse('ERR_BAD_SIGNATURE', 'signature verification failed');
    }
    this.#kid = clientKey.kid;
    this.#keyId = toHex(clientKey.kid);
    // 9. credential ([HS-5.1]): only a key holder gets this far.
    let who: Authenticated;
    if (core.authenticate !== undefined) {
      who = await core.authenticate(b.credential === null ? null : b.credential.slice(), clientKey, {
        origin: b.origin,
        peer: this.#peer.address,
        resume: b.resume === null ? null : b.resume.slice(),
      });
      checkAuthenticated(who);
    } else {
      if (existing?.identity === undefined) throw refuse('ERR_UNAUTHENTICATED', 'unknown client key');
      who = { identity: existing.identity };
    }
    if (this.state !== 'handshake') return; // timed out or closed while authenticating
    const after = core.clock();
    if (who.expiresAt !== undefined && who.expiresAt <= after) throw refuse('ERR_CREDENTIAL_EXPIRED', 'credential expired');
    // 10. connection cap per identity, then one key names one identity ([HS-5.4]).
    if (!core.acquireIdentity(who.identity)) {
      throw refuse('ERR_TOO_MANY_CONNECTIONS', 'too many connections for this identity');
    }
    this.#identity = who.identity;
    this.#holdsIdentitySlot = true;
    const entry = core.keys.get(clientKey.kid);
    let added: KeyEntry | undefined;
    if (entry === undefined) added = core.keys.add(clientKey, { identity: who.identity });
    else if (entry.revoked) throw refuse('ERR_KEY_REVOKED', 'key has been revoked');
    else if (entry.identity !== who.identity) throw refuse('ERR_UNAUTHENTICATED', 'key belongs to another identity');
    this.#holdsKey = core.holdKey(clientKey.kid, added);
    this.#roles = Object.freeze([...(who.roles ?? [])]);

    // 11. resume ([HS-7.2]): the named session must be known and belong to this key and identity.
    let resumed: ResumeEntry | undefined;
    const rooms = new Set<string>();
    // What may change while the handshake awaits `authorize` or the server's key, checked after
    // each such wait; false when the session ended meanwhile.
    const stillAdmissible = (): boolean => {
      if (this.state !== 'handshake') return false;
      // [POL-6.1]: revocation closes registered sessions only; a key revoked during the wait would
      // otherwise get a session, and its rooms' traffic, until it sent something.
      if (core.keys.isRevoked(clientKey.kid) || core.keys.get(clientKey.kid)?.revoked) throw refuse('ERR_KEY_REVOKED', 'key has been revoked');
      if (resumed !== undefined && core.resume.find(b.resume!) !== resumed) throw refuse('ERR_RESUME_REFUSED', 'the session was resumed concurrently');
      // [HS-5.5]: a credential that ran out during the wait gets no Welcome and no resent data.
      if (who.expiresAt !== undefined && who.expiresAt <= core.clock()) throw refuse('ERR_CREDENTIAL_EXPIRED', 'credential expired');
      return true;
    };
    if (b.resume !== null) {
      resumed = core.resume.find(b.resume);
      if (resumed === undefined || resumed.kid !== this.#keyId || resumed.identity !== who.identity) {
        throw refuse('ERR_RESUME_REFUSED', 'no resumable session of this key under that id');
      }
      if (resumed.delivery.outbox.resealsSinceReceipt >= MAX_RESEALS_WITHOUT_RECEIPT) {
        throw refuse('ERR_RESUME_REFUSED', 'resumed too often without acknowledging anything');
      }
      // [HS-7.12]: our signing key failed on that state's data stream; the gap could never be acknowledged.
      if (resumed.delivery.signing.broken) throw refuse('ERR_RESUME_REFUSED', 'a signature failed on that session');
      // [HS-7.3]: rooms carry over only while the current roles still allow them.
      for (const room of resumed.rooms) {
        if (await decide(core.authorize, { identity: who.identity, roles: this.#roles, action: 'join', channel: room })) rooms.add(room);
      }
      if (!stillAdmissible()) return;
    }

    const welcomeBody = encodeWelcomeBody({
      session: th,
      time: after,
      identity: who.identity,
      roles: this.#roles,
      expires: who.expiresAt ?? null,
    });
    let signature: Uint8Array;
    if (isAsyncSigningKey(core.key)) {
      // The handshake timeout keeps running while the key signs.
      try {
        signature = await signAsyncChecked(core.key, serverSignatureInput(th, welcomeBody));
      } catch (err) {
        throw signingFailed(err);
      }
      if (!stillAdmissible()) return;
    } else {
      signature = core.key.sign(serverSignatureInput(th, welcomeBody));
    }
    clearTimeout(this.#timer);
    const clock = (): number => core.clock();
    let delivery: DeliveryState;
    let held: ResumeEntry;
    if (resumed !== undefined) {
      held = resumed;
      const old = held.holder as ServerSession | undefined;
      held.holder = this;
      // A half-open predecessor hands over: it may not send on the stream any more.
      old?.fail(refuse('ERR_SESSION_CLOSED', 'the session was resumed on another connection'));
      delivery = held.delivery;
      this.#rooms = rooms;
      held.rooms = rooms;
    } else {
      delivery = new DeliveryState({
        key: core.key,
        peerKid: clientKey.kid,
        builder: core.builder,
        capacity: core.delivery.outboxCapacity,
        maxBytes: core.delivery.outboxBytes,
        clock,
      });
      held = { kid: this.#keyId!, identity: who.identity, delivery, rooms: this.#rooms, holder: this, ids: [], expiresAt: Infinity, holdsKey: false };
      // The resumable state keeps a learned key in the ring until it is forgotten ([HS-5.6]).
      held.holdsKey = core.holdKey(clientKey.kid);
    }
    this.#resumeEntry = held;
    this.establish(th, { key: core.key, delivery, receiver: core.receiver, resumed: b.resume !== null, clock }, 'server', after);
    if (b.resume !== null) core.resume.resumedAs(held, b.resume, th);
    else core.resume.live(th, held);
    this.#established = true;
    core.registered(this);
    this.rawSend(encodeSigned(MSG_WELCOME, welcomeBody, signature));
    for (const room of this.#rooms) core.joined(this, room);
    this.startDelivery();
    if (who.expiresAt !== undefined) {
      this.#timer = setTimeout(
        () => this.fail(refuse('ERR_CREDENTIAL_EXPIRED', 'credential expired')),
        Math.min(MAX_TIMER, Math.max(0, who.expiresAt - after)),
      );
    }
    this.#event('handshake', 'accept');
    this.emit('open', undefined);
  }

  protected override beforeSignature(_header: EnvelopeHeader): void {
    const now = this.#core.clock();
    // Both buckets are charged: a connection cannot borrow its identity's budget, nor the reverse.
    // The identity's bucket outlives this session's identity slot, so it is looked up once.
    const conn = this.#connBucket.take(now);
    const ident = (this.#identityBucket ??= this.#core.identityBucket(this.#identity!)).take(now);
    if (!conn || !ident) throw refuse('ERR_RATE_LIMITED', 'rate limit exceeded');
  }

  protected onPayload(opened: Opened): void | Promise<void> {
    const m = decodeClientMessage(opened.payload);
    this.#event('message', 'accept');
    return this.#dispatch(m, opened);
  }

  // Synchronous hooks (the common case) keep the whole dispatch synchronous; a hook returning a
  // promise continues the same steps when it settles.
  #dispatch(m: ClientMessage, opened: Opened): void | Promise<void> {
    const room = m.room;
    const action = m.op === OP_JOIN ? 'join' : m.op === OP_LEAVE ? 'leave' : m.op === OP_SEND ? 'send' : m.action;
    const type = m.op === OP_CUSTOM ? 'custom' : action;
    if (m.op === OP_SEND && !this.#rooms.has(m.room)) return this.#refused(type, room, opened.seq, 'ERR_NOT_JOINED');
    const allowed = decide(this.#core.authorize, { identity: this.#identity!, roles: this.#roles, action, channel: room });
    if (allowed === true || allowed === false) return this.#authorized(m, opened, action, type, allowed);
    return allowed.then((ok) => this.#authorized(m, opened, action, type, ok));
  }

  #authorized(m: ClientMessage, opened: Opened, action: string, type: string, allowed: boolean): void | Promise<void> {
    const core = this.#core;
    const room = m.room;
    if (!allowed) return this.#refused(type, room, opened.seq, 'ERR_FORBIDDEN');
    // After any other close the request still counts: it was accepted and will not be resent ([HS-7.6]).
    if (this.authorityEnded) return;
    if (m.op === OP_JOIN || m.op === OP_LEAVE) {
      if (m.op === OP_JOIN) {
        this.#rooms.add(m.room);
        if (this.state === 'open') core.joined(this, m.room);
      } else if (this.#rooms.delete(m.room)) {
        core.left(this, m.room);
      }
      this.#event(type as SecurityEvent['type'], 'accept', undefined, room);
      this.#result(opened.seq, null);
      return;
    }
    const validate = core.validate;
    if (validate === undefined) return this.#deliver(m, opened, action, type);
    const valid = decide(validate, { identity: this.#identity!, roles: this.#roles, action, channel: room, payload: m.data });
    if (valid === true || valid === false) return this.#validated(m, opened, action, type, valid);
    return valid.then((ok) => this.#validated(m, opened, action, type, ok));
  }

  #validated(m: DataMessage, opened: Opened, action: string, type: string, valid: boolean): void {
    if (!valid) return this.#refused(type, m.room, opened.seq, 'ERR_PAYLOAD_INVALID');
    if (this.authorityEnded) return;
    this.#deliver(m, opened, action, type);
  }

  #deliver(m: DataMessage, opened: Opened, action: string, type: string): void {
    const core = this.#core;
    const room = m.room;
    const message: ChannelMessage = {
      identity: this.#identity!,
      roles: this.#roles,
      keyId: this.#keyId!,
      channel: room,
      action,
      seq: opened.seq,
      ts: opened.ts,
      payload: m.data.slice(),
    };
    this.#event(type as SecurityEvent['type'], 'accept', undefined, room);
    if (m.op === OP_SEND) {
      // [HS-8.3]: members only, never back to the sender, each copy sealed in its own session. A
      // relay may close a member (and change the set): the members are copied first, and only
      // when someone else is in the room.
      const members = core.members(m.room);
      if (members.size > 1 || (members.size === 1 && !members.has(this))) {
        for (const member of [...members]) {
          if (member !== this) member.relay(m.room, message.payload, { as: message });
        }
      }
    } else {
      this.#result(opened.seq, null);
    }
    this.emit('message', message);
    core.message(message, this);
  }

  /** A request refused by policy: reported, answered with a Result, the session stays open ([POL-2.4]). */
  #refused(type: string, room: string | null, refSeq: number, code: ErrorCode): void {
    this.#event(type as SecurityEvent['type'], 'reject', code, room);
    this.#result(refSeq, code);
  }

  #result(refSeq: number, code: ErrorCode | null): void {
    if (this.state !== 'open') return;
    const payload = encodeServerMessage({ op: OP_RESULT, refSeq, code });
    if (this.#sendWaitingResults() && this.#trySend(payload)) return;
    // [HS-8.5]: it waits for the room the client's receipts free.
    if (this.#waitingResults.length >= MAX_WAITING_RESULTS) throw refuse('ERR_OUTBOX_FULL', 'the client does not acknowledge what it receives');
    this.#waitingResults.push(payload);
  }

  /** Sends the Results that wait for room, in order; true when none is left waiting. */
  #sendWaitingResults(): boolean {
    const waiting = this.#waitingResults;
    let sent = 0;
    while (sent < waiting.length && this.state === 'open' && this.#trySend(waiting[sent]!)) sent++;
    if (sent > 0) waiting.splice(0, sent);
    return waiting.length === 0;
  }

  /** Seals and queues `payload` on our data stream; false when the outbox has no room for it (or the session is closing). */
  #trySend(payload: Uint8Array): boolean {
    try {
      this.sendPayload(payload);
      return true;
    } catch (err) {
      if (isProtocolError(err, 'ERR_OUTBOX_FULL') || isProtocolError(err, 'ERR_SESSION_CLOSED')) return false;
      throw err;
    }
  }

  /** False while the outbox is full or Results wait for room ([HS-8.5]). */
  override get writable(): boolean {
    return this.#waitingResults.length === 0 ? super.writable : this.#sendWaitingResults() && super.writable;
  }

  #event(type: SecurityEvent['type'], outcome: SecurityEvent['outcome'], code?: ErrorCode, channel?: string | null, closeCode?: number): void {
    const core = this.#core;
    // Two events per message: none is built when nobody listens, and the hex ids are cached.
    if (!core.wantsEvents()) return;
    const e: { -readonly [K in keyof SecurityEvent]?: SecurityEvent[K] } & Pick<SecurityEvent, 'type' | 'outcome'> = { type, outcome };
    if (code !== undefined) e.code = code;
    if (closeCode !== undefined) e.closeCode = closeCode;
    const session = this.sessionId;
    if (session !== undefined) e.session = session;
    if (this.#keyId !== undefined) e.keyId = this.#keyId;
    if (this.#identity !== undefined) e.identity = this.#identity;
    if (this.#peer.address !== undefined) e.peer = this.#peer.address;
    if (channel != null) e.channel = channel;
    core.event(e);
  }

  protected override onRejected(error: ProtocolError): void {
    this.#event('message', 'reject', error.code);
  }

  /** @internal revocation and server shutdown */
  get kid(): Uint8Array | undefined {
    return this.#kid;
  }

  protected onClosed(info: CloseInfo): void {
    clearTimeout(this.#timer);
    const core = this.#core;
    if (!this.#established && info.error !== undefined) this.#event('handshake', 'reject', info.error.code);
    // The set itself stays: it is what a resume restores ([HS-7.3]).
    for (const room of this.#rooms) core.left(this, room);
    if (this.#established) core.unregistered(this);
    const entry = this.#resumeEntry;
    if (entry !== undefined && entry.holder === this) core.resume.ended(entry);
    if (this.#holdsIdentitySlot) {
      this.#holdsIdentitySlot = false;
      core.releaseIdentity(this.#identity!);
    }
    if (this.#holdsKey) {
      this.#holdsKey = false;
      core.releaseKey(this.#keyId!);
    }
    this.#onRelease?.();
    this.#onRelease = undefined;
    this.#event('close', 'close', info.error?.code, undefined, info.code);
  }
}

/** A hook's verdict: at once when it answers synchronously, else a promise of it (never rejecting). */
function decide<T>(hook: (req: T) => boolean | Promise<boolean>, req: T): boolean | Promise<boolean> {
  let r: unknown;
  try {
    r = hook(req);
  } catch {
    return false;
  }
  // Only a literal true allows: a hook that returns a truthy object by mistake denies. A thenable
  // is awaited, as `await` would.
  if (r !== null && (typeof r === 'object' || typeof r === 'function') && typeof (r as PromiseLike<unknown>).then === 'function') {
    return Promise.resolve(r as PromiseLike<unknown>).then(
      (v) => v === true,
      () => false,
    );
  }
  return r === true;
}

function checkAuthenticated(who: Authenticated): void {
  if (who === null || typeof who !== 'object' || typeof who.identity !== 'string' || who.identity.length === 0) {
    throw new TypeError('authenticate() must return { identity: non-empty string, roles?, expiresAt? }');
  }
  if (who.roles !== undefined && (!Array.isArray(who.roles) || !who.roles.every((r) => typeof r === 'string'))) {
    throw new TypeError('authenticate() "roles" must be an array of strings');
  }
  if (who.expiresAt !== undefined && (typeof who.expiresAt !== 'number' || !Number.isSafeInteger(who.expiresAt))) {
    throw new TypeError('authenticate() "expiresAt" must be ms since the epoch');
  }
}
