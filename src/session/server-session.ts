// The server end of one connection: ServerHello, ClientAuth checks in the order of
// spec/handshake.md [HS-3.4], Welcome, then requests dispatched through policy (spec/policy.md).
import { ProtocolError, isProtocolError, type ErrorCode } from '../errors.js';
import { payloadBytes, toHex } from '../bytes.js';
import type { Opened } from '../envelope/open.js';
import type { KeyEntry } from '../keys/keyring.js';
import { isAsyncSigningKey, signAsyncChecked, type PublicKey } from '../keys/keys.js';
import { decide } from '../policy/decide.js';
import { securityEvent, type SecurityEvent } from '../policy/events.js';
import { MessageCharge, TokenBucket } from '../policy/rate-limit.js';
import { Session, type SessionMessage } from './session.js';
import type { CloseInfo, Transport } from './transport.js';
import type { SessionDelivery } from './delivery.js';
import { MSG_WELCOME, encodeSigned, encodeWelcomeBody, serverSignatureInput } from './handshake.js';
import { Dispatcher, type DispatchHost } from './dispatch.js';
import type { RecordHold } from './inbound.js';
import type { ResumeEntry } from './resume.js';
import { freshState, resendTaken, takeState } from './handover.js';
import * as clientAuth from './server-handshake.js';
import type { Authenticated, ProvenAuth, SessionPeer } from './server-handshake.js';
import { signingFailed } from './signing.js';
import { OP_DELIVER, OP_RENEW, decodeClientMessage, encodeRelay, encodeServerMessage, type JoinFrom } from './messages.js';
import { KIND_PRESENCE } from '../rooms/wire.js';
import { relayBody } from '../rooms/relay.js';
import { RoomLink, checkMemberPost, checkRoomAck, joinRoom } from './room-link.js';
import { ResultQueue } from './results.js';

export type { Authenticate, AuthenticateContext, Authenticated, SessionPeer } from './server-handshake.js';
export type { ServerCore, ServerHost } from './server-core.js';
import type { ServerCore } from './server-core.js';

const NO_ROOMS: ReadonlySet<string> = new Set();

// Timers must not outlive a process for a far expiry, nor overflow setTimeout's 2^31-1 ms.
const MAX_TIMER = 0x7fff_ffff;

/**
 * One authenticated connection on the server, created by `SecureServer.accept`; applications meet
 * it through the server's `session` event. Emits `open`, `message`, `refused` and `close`.
 * @throws {ProtocolError} from `send`: `ERR_SESSION_CLOSED` when not open, `ERR_OUTBOX_FULL` when
 *   the client acknowledged too little. The `close` event carries the code the session ended with.
 * @example
 * ```ts
 * server.on('session', (session) => session.send(null, new TextEncoder().encode(`welcome, ${session.identity}`)))
 * ```
 */
export class ServerSession extends Session {
  readonly #core: ServerCore;
  readonly #peer: SessionPeer;
  readonly #hello: Uint8Array;
  #authStarted = false;
  #established = false;
  #identity: string | undefined;
  #roles: readonly string[] = [];
  /** What the handshake proved, and who the dispatch decides on (roles change on a Renew). */
  #proven: ProvenAuth | undefined;
  #verified: { identity: string; roles: readonly string[]; keyId: string } | undefined;
  #keyId: string | undefined;
  #kid: Uint8Array | undefined;
  /** The identity's connection slot ([POL-4.2]), given back when the session closes. */
  #identitySlot: (() => void) | undefined;
  #holdsKey = false;
  #timer: unknown;
  #connBucket: TokenBucket;
  #rooms = new Set<string>();
  #onRelease: (() => void) | undefined;
  #resumeEntry: ResumeEntry | undefined;
  #dispatcher: Dispatcher | undefined;
  /** Results that found the outbox full, in request order ([HS-8.5]). */
  readonly #results = new ResultQueue({ isOpen: () => this.state === 'open', seal: (payload) => this.sendPayload(payload) });
  readonly #link: RoomLink;
  #expiresAt: number | undefined;

  /** @internal use `SecureServer.accept` */
  constructor(core: ServerCore, transport: Transport, peer: SessionPeer, onRelease?: () => void) {
    super(transport, core.limits.maxMessageSize, core.timers);
    this.#core = core;
    this.maxBufferedAmount = core.delivery.maxBufferedAmount;
    this.maxPendingBytes = core.delivery.maxPendingBytes;
    this.receiptPolicy(core.delivery.receiptEvery, core.delivery.receiptDelayMs);
    this.#peer = peer;
    this.#onRelease = onRelease;
    const now = core.clock();
    this.#connBucket = new TokenBucket(core.connectionRate, now);
    this.#hello = clientAuth.makeHello(core.key.publicKey, core.limits, core.nodes.current, now);
    // Before any listener of the application: waiting Results take the room that opens first.
    this.on('drain', () => this.#results.flush());
    const host = {
      isOpen: () => this.state === 'open',
      write: (b: Uint8Array) => this.rawSend(b),
      bufferedAmount: () => this.bufferedAmount,
      seal: (p: Uint8Array) => this.#results.position(p),
    };
    this.#link = new RoomLink(host, transport, () => this.#identity);
  }

  /** @internal A newer node set for the client: a frame of its own, as room frames are ([NODE-4.1]). */
  sendNodeSet(bytes: Uint8Array): void {
    this.#link.sendFrame(bytes);
  }

  /** The transport drained: paused data goes out, and rooms it fell behind in say so ([ROOM-7.1]). */
  override transportDrained(): void {
    super.transportDrained();
    this.#core.rooms.drained(this.#link);
  }

  /** @internal Sends the hello and arms the handshake timeout ([HS-2.1], [HS-3.6]). */
  start(): void {
    this.#timer = this.timers.setTimeout(
      () => this.fail(new ProtocolError('ERR_HANDSHAKE_TIMEOUT', 'no valid ClientAuth in time')),
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
   * Pushes `data` (bytes, or a string as UTF-8) to this client, sealed in its session, from the server's identity (or
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
  send(room: string | null, data: Uint8Array | string, options: { action?: string; as?: SessionMessage } = {}): void {
    const payload = payloadBytes(data);
    const as = options.as;
    // [HS-8.5]: nothing overtakes a Result that waits for room (flushed first: it takes a seq).
    if (!this.#results.flush()) throw new ProtocolError('ERR_OUTBOX_FULL', 'outbox full: the peer has not acknowledged enough');
    this.sendPayload(
      as !== undefined
        ? encodeRelay(room, payload, as, options.action)
        : encodeServerMessage({
            op: OP_DELIVER,
            action: options.action ?? 'send',
            room,
            from: this.#core.name,
            fromRoles: [],
            fromKid: this.#core.key.kid,
            fromSeq: this.sender!.nextSeq,
            fromTs: this.#core.clock(),
            data: payload,
          }),
    );
  }

  protected onHandshakeMessage(bytes: Uint8Array): Promise<void> {
    if (this.#authStarted) throw new ProtocolError('ERR_UNEXPECTED_MESSAGE', 'message before the Welcome');
    this.#authStarted = true;
    return this.#authenticate(bytes);
  }

  /** The ClientAuth checks in spec order, then the Welcome. @see [HS-3.4] */
  async #authenticate(bytes: Uint8Array): Promise<void> {
    const core = this.#core;
    // Steps 1–8: nothing but a key holder gets past them.
    const proven = clientAuth.proveClientAuth(bytes, this.#hello, core.rules, this.#peer, core.clock());
    this.#kid = proven.clientKey.kid;
    this.#keyId = toHex(proven.clientKey.kid);
    // 9. credential ([HS-5.1]).
    const who = await clientAuth.checkCredential(proven, core.authenticate, this.#peer);
    if (this.state !== 'handshake') return; // timed out or closed while authenticating
    const after = core.clock();
    clientAuth.checkExpiry(who, after);
    // 10. the identity's session rate and connection cap (in a shared store: an answer later, [POL-4.6]).
    const admitted = core.admission.admitIdentity(who.identity);
    const slot = clientAuth.checkIdentityAdmission(admitted instanceof Promise ? await admitted : admitted);
    if (this.state !== 'handshake') return slot();
    this.#identitySlot = slot;
    // Then one key names one identity ([HS-5.4]).
    this.#admitIdentity(who, proven.clientKey);
    // 11. resume ([HS-7.2]), with the rooms the current roles still allow ([HS-7.3]).
    const resumeId = proven.auth.body.resume;
    let resumed: ResumeEntry | undefined;
    const rooms = new Set<string>();
    if (resumeId !== null) {
      resumed = clientAuth.checkResume(await takeState(core, resumeId, this.#keyId), this.#keyId, who.identity);
      if (this.state !== 'handshake') return;
      for (const room of resumed.rooms) {
        if (await decide(core.authorize, { identity: who.identity, roles: this.#roles, action: 'join', room: room })) rooms.add(room);
      }
      if (!this.#stillAdmissible(proven, who, resumed)) return;
    }
    const welcomeBody = encodeWelcomeBody({ session: proven.th, time: after, identity: who.identity, roles: this.#roles, expires: who.expiresAt ?? null });
    let signature: Uint8Array;
    if (isAsyncSigningKey(core.key)) {
      // The handshake timeout keeps running while the key signs.
      try {
        signature = await signAsyncChecked(core.key, serverSignatureInput(proven.th, welcomeBody));
      } catch (err) {
        throw signingFailed(err);
      }
      if (!this.#stillAdmissible(proven, who, resumed)) return;
    } else {
      signature = core.key.sign(serverSignatureInput(proven.th, welcomeBody));
    }
    this.#open(proven, who, after, resumed, rooms, encodeSigned(MSG_WELCOME, welcomeBody, signature));
  }

  /** The key's identity: the key held here is released when the session closes. */
  #admitIdentity(who: Authenticated, clientKey: PublicKey): void {
    const core = this.#core;
    this.#identity = who.identity;
    const entry = core.keys.get(clientKey.kid);
    clientAuth.checkKeyIdentity(entry, who.identity);
    const added: KeyEntry | undefined = entry === undefined ? core.keys.add(clientKey, { identity: who.identity }) : undefined;
    this.#holdsKey = core.registry.holdKey(clientKey.kid, added);
    this.#roles = Object.freeze([...(who.roles ?? [])]);
  }

  /** False when the session ended while the handshake waited; throws when its grounds changed. */
  #stillAdmissible(proven: ProvenAuth, who: Authenticated, resumed: ResumeEntry | undefined): boolean {
    const core = this.#core;
    return this.state === 'handshake' && clientAuth.checkUnchanged(proven, who, resumed, core.keys, core.resume, core.clock());
  }

  /** Takes over or creates the session's state, sends the Welcome and opens. @see [HS-7.3] */
  #open(proven: ProvenAuth, who: Authenticated, after: number, resumed: ResumeEntry | undefined, rooms: Set<string>, welcome: Uint8Array): void {
    const core = this.#core;
    const resumeId = proven.auth.body.resume;
    this.timers.clearTimeout(this.#timer);
    const clock = (): number => core.clock();
    let delivery: SessionDelivery;
    let held: ResumeEntry;
    if (resumed !== undefined) {
      held = resumed;
      const old = held.holder as ServerSession | undefined;
      held.holder = this;
      // A half-open predecessor hands over: it may not send on the stream any more.
      old?.fail(new ProtocolError('ERR_SESSION_CLOSED', 'the session was resumed on another connection'));
      delivery = held.delivery;
      this.#rooms = rooms;
      held.rooms = rooms;
    } else {
      held = freshState(core, proven.clientKey.kid, who.identity, this.#rooms, this);
      delivery = held.delivery;
    }
    this.#resumeEntry = held;
    this.#proven = proven;
    this.#verified = { identity: who.identity, roles: this.#roles, keyId: this.#keyId! };
    this.#dispatcher = new Dispatcher(this.#dispatchHost(), core, this.#verified, this.#rooms);
    // The identity's message bucket outlives this session's identity slot: looked up once, here.
    const charge = new MessageCharge(this.#connBucket, core.admission.messageBucket(this.#identity!), core.clock);
    this.establish(proven.th, { key: core.key, delivery, receiver: core.receiver, resumed: resumeId !== null, clock, charge }, 'server', after);
    if (resumeId !== null) core.resume.resumedAs(held, resumeId, proven.th);
    else core.resume.live(proven.th, held);
    core.shared?.named(held);
    this.#established = true;
    core.registry.registered(this);
    core.host.opened(this);
    this.rawSend(welcome);
    this.startDelivery();
    try {
      resendTaken(held, (payload) => this.sendPayload(payload));
    } catch (err) {
      this.fail(err);
    }
    // [ROOM-6.6]: resumed rooms restart at the head; the client recovers each from its position.
    for (const room of this.#rooms) void this.#joined(room, undefined, true);
    this.#expireAt(who.expiresAt, after);
    this.#event('handshake', 'accept');
    this.emit('open', undefined);
  }

  #joined(room: string, from: JoinFrom | undefined, rejoin = false): void | Promise<void> {
    const core = this.#core;
    core.registry.joined(this, room);
    const still = (): boolean => this.state === 'open' && this.#rooms.has(room);
    const drop = (): void => void (core.registry.left(this, room), this.#rooms.delete(room));
    return joinRoom(core.rooms, this.#link, { room, from, rejoin, identity: this.#identity! }, still, drop);
  }

  /** The session as its requests' dispatch sees it. */
  #dispatchHost(): DispatchHost {
    const core = this.#core;
    return {
      authorityEnded: () => this.authorityEnded,
      isOpen: () => this.state === 'open',
      joined: (room, from) => this.#joined(room, from),
      left: (room) => {
        core.registry.left(this, room);
        core.rooms.leave(this.#link, room);
        if (core.rooms.presence) core.rooms.publish(room, { kind: KIND_PRESENCE, identity: this.#identity!, joined: false });
      },
      relay: (room, m, refused) => core.rooms.publish(room, relayBody(m), undefined, { settled: (code) => code !== null && refused(code) }),
      checkPost: (m) => {
        const author = { identity: this.#identity!, roles: this.#roles, key: this.#proven!.clientKey, expiresAt: this.#expiresAt };
        return checkMemberPost(core.rooms, m, author, core.limits.maxMessageSize);
      },
      roomAck: (m, seq) => checkRoomAck(core.rooms, m) ?? core.host.roomAck(this, { ...m, seq }),
      event: (type, outcome, code, room) => this.#event(type, outcome, code, room),
      result: (refSeq, code) => this.#results.send(refSeq, code),
      emit: this.emit.bind(this),
      serverMessage: core.host.message.bind(core.host, this),
    };
  }

  protected onPayload(opened: Opened, hold: RecordHold): void | Promise<void> {
    const m = decodeClientMessage(opened.payload);
    this.#event('message', 'accept');
    if (m.op === OP_RENEW) return this.#renew(m.credential, opened.seq);
    return this.#dispatcher!.dispatch(m, opened, hold);
  }

  /** [HS-5.5]: the session ends when its credential does. */
  #expireAt(expiresAt: number | undefined, now: number): void {
    this.timers.clearTimeout(this.#timer);
    this.#expiresAt = expiresAt;
    if (expiresAt === undefined) return;
    const expire = (): void => this.fail(new ProtocolError('ERR_CREDENTIAL_EXPIRED', 'credential expired'));
    this.#timer = this.timers.setTimeout(expire, Math.min(MAX_TIMER, Math.max(0, expiresAt - now)));
  }

  /** A new credential for this session: its expiry and roles from now on, or a refusal. @see [HS-8.6] */
  async #renew(credential: Uint8Array, refSeq: number): Promise<void> {
    const core = this.#core;
    let code: ErrorCode | null = null;
    try {
      const who = await clientAuth.checkRenewal(credential, this.#proven!, core.authenticate, this.#peer, this.#identity!, core.clock);
      if (this.state !== 'open') return;
      this.#roles = this.#verified!.roles = Object.freeze([...(who.roles ?? [])]);
      this.#expireAt(who.expiresAt, core.clock());
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      code = err.code;
    }
    this.#results.send(refSeq, code);
  }

  /** False while the outbox is full or Results wait for room ([HS-8.5]). */
  override get writable(): boolean {
    return this.#results.waiting === 0 ? super.writable : this.#results.flush() && super.writable;
  }

  #event(type: SecurityEvent['type'], outcome: SecurityEvent['outcome'], code?: ErrorCode, room?: string | null, closeCode?: number): void {
    const core = this.#core;
    // Two events per message: none is built when nobody listens, and the hex ids are cached.
    if (!core.host.wantsEvents()) return;
    const session = this.sessionId;
    const fields = { code, closeCode, session, keyId: this.#keyId, identity: this.#identity, peer: this.#peer.address, room };
    core.host.event(securityEvent(type, outcome, fields));
  }

  protected override onRejected(error: ProtocolError): void {
    this.#event('message', 'reject', error.code);
  }

  /** @internal revocation and server shutdown */
  get kid(): Uint8Array | undefined {
    return this.#kid;
  }

  protected onClosed(info: CloseInfo): void {
    this.timers.clearTimeout(this.#timer);
    const core = this.#core;
    if (!this.#established && info.error !== undefined) this.#event('handshake', 'reject', info.error.code);
    // The set itself stays: it is what a resume restores ([HS-7.3]).
    for (const room of this.#rooms) core.registry.left(this, room);
    core.rooms.gone(this.#link, this.#rooms);
    if (this.#established) core.registry.unregistered(this);
    const entry = this.#resumeEntry;
    if (entry !== undefined && entry.holder === this) core.resume.ended(entry);
    this.#identitySlot?.();
    this.#identitySlot = undefined;
    if (this.#holdsKey) {
      this.#holdsKey = false;
      core.registry.releaseKey(this.#keyId!);
    }
    this.#onRelease?.();
    this.#onRelease = undefined;
    this.#event('close', 'close', info.error?.code, undefined, info.code);
  }
}
