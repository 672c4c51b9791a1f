// The transport-agnostic server: resolved options, the one Receiver all sessions share, the
// session registry (rooms, revocation, learned keys) and the admission policy. Adapters call
// `admit` at the transport upgrade and `accept` once the transport is open.
import { checkPresentedSet } from '../nodes/node-set.js';
import { ProtocolError } from '../errors.js';
import { payloadBytes, toHex } from '../bytes.js';
import { ReceiptBuilder } from '../delivery/builder.js';
import type { Receiver } from '../envelope/receiver.js';
import type { KeyRing } from '../keys/keyring.js';
import { AdmissionPolicy } from '../policy/admission.js';
import type { LimitStore } from '../policy/limit-store.js';
import type { SecurityEvent, SecurityEventSink } from '../policy/events.js';
import type { SessionMessage } from './session.js';
import type { Transport } from './transport.js';
import { Emitter, callListener } from './emitter.js';
import { logTo, type Logger } from './logger.js';
import { SessionRegistry } from './registry.js';
import { ResumeRegistry } from './resume.js';
import { sharedStates, stillIn } from './handover.js';
import { isValidAction, isValidRoom } from './messages.js';
import { RoomHub, type Fanout } from '../rooms/hub.js';
import { relayBody } from '../rooms/relay.js';
import { KIND_ANNOUNCE, KIND_PRESENCE } from '../rooms/wire.js';
import type { RoomLink } from './room-link.js';
import { ServerSession, type ServerCore, type ServerHost, type SessionPeer } from './server-session.js';
import { resolveServerOptions, type SecureServerOptions } from './server-options.js';

export { DEFAULT_HANDSHAKE_TIMEOUT_MS } from './server-options.js';
export type { SecureServerOptions, ServerLimits, ServerRateLimits } from './server-options.js';

/** A verified message as the server sees it, with the session it came from. */
export interface ServerMessage extends SessionMessage {
  readonly session: ServerSession;
}

import type { ServerEvents } from './server-events.js';
export type { ServerEvents, RoomAckEvent } from './server-events.js';

const UPGRADE_REFUSALS = {
  ERR_SESSION_CLOSED: 'server is closed',
  ERR_ORIGIN: 'origin not allowed',
  ERR_RATE_LIMITED: 'new sessions too fast from this address',
  ERR_TOO_MANY_CONNECTIONS: 'too many connections from this address',
  ERR_STORE: 'the shared store is unreachable',
} as const;

/** Returns `'ERR_STORE'` while new transports must be refused ([POL-6.6]), else null. */
export type AdmissionCheck = () => 'ERR_STORE' | null;

/** A slot taken at the transport upgrade; released when the connection ends. */
export interface Admission {
  readonly address: string | undefined;
  readonly origin: string | undefined;
  release(): void;
}

/**
 * The server side of sealwire sessions, independent of any transport.
 *
 * @throws {TypeError|RangeError} from the constructor on an invalid option (named).
 * @example
 * ```ts
 * const server = new SecureServer({
 *   key: importSigningKey(serverSecret),
 *   authenticate: jwtAuthenticator({ key: issuerPublicJwk, issuer: 'https://auth.example' }),
 *   authorize: ({ roles, room }) => room !== 'admins' || roles.includes('admin'),
 * })
 * server.on('message', (m) => console.log(m.identity, m.room, m.payload))
 * attach(server, { server: httpsServer })   // from 'sealwire/ws'
 * ```
 */
export class SecureServer extends Emitter<ServerEvents> {
  readonly keys: KeyRing;
  readonly receiver: Receiver;
  readonly #core: ServerCore;
  readonly #onEvent: SecurityEventSink | undefined;
  readonly #sessions = new Set<ServerSession>();
  readonly #unsubscribe: () => void;
  readonly #clock: () => number;
  readonly #logger: Logger | undefined;
  readonly #rooms: RoomHub<RoomLink>;
  readonly #checks = new Set<AdmissionCheck>();
  #closed = false;

  constructor(options: SecureServerOptions) {
    super();
    const config = resolveServerOptions(options);
    this.keys = config.keys;
    this.receiver = config.receiver;
    this.#onEvent = config.onEvent;
    this.#clock = config.clock;
    const logger = (this.#logger = config.logger);
    if (logger !== undefined) this.listenerError = (err) => logTo(logger, 'error', { err }, 'sealwire: a listener threw');
    const registry = new SessionRegistry<ServerSession>(config.keys);
    // One acknowledgement record for all client streams, like the one receiver ([RCP-5.3]); a
    // stream's record lives as long as its session is resumable.
    const builder = new ReceiptBuilder({ maxStreams: 2 ** 31 });
    const resume = new ResumeRegistry(
      config.resumeLimits.ttlMs,
      config.resumeLimits.max,
      config.clock,
      (entry, left) => {
        // Its rooms can no longer be resumed: the member has left those it is not in by another session ([ROOM-2.5]).
        if (left && this.#rooms.presence)
          for (const room of entry.rooms)
            if (!stillIn(registry, entry, room)) this.#rooms.publish(room, { kind: KIND_PRESENCE, identity: entry.identity, joined: false });
        const stream = entry.delivery.peerStream;
        if (stream !== undefined) builder.forget(entry.delivery.peerKid, stream);
        if (stream !== undefined) this.#forgetStream(entry.delivery.peerKid, stream);
        if (entry.holdsKey) {
          entry.holdsKey = false;
          registry.releaseKey(entry.kid);
        }
        shared?.forgot(entry, left);
      },
      config.timers,
    );
    const shared = config.sharedResume && sharedStates(config.sharedResume, config, builder, registry, resume, { appended: () => this.#rooms.appended() });
    const admission = new AdmissionPolicy(config.admissionLimits, config.clock);
    const { maxHandshakeSize, maxSkewMs } = config.limits;
    const rules = {
      maxHandshakeSize,
      maxSkewMs,
      requireChannelBinding: config.requireChannelBinding,
      keys: config.keys,
      allowsOrigin: (origin: string) => admission.allowsOrigin(origin),
    };
    const ro = config.roomOptions;
    const rooms = new RoomHub<RoomLink>({
      key: config.key,
      kid: config.key.kid,
      clock: config.clock,
      timers: config.timers,
      historyCount: ro.historyCount,
      historyMs: ro.historyMs,
      positionMs: ro.positionMs,
      presence: ro.presence,
      maxBufferedAmount: config.delivery.maxBufferedAmount,
      maxFrameSize: config.limits.maxMessageSize,
      // The server's key failed to sign a room event: nothing can be sent in its name ([HS-7.12]).
      onSignError: (err) => {
        logTo(logger, 'error', { err }, 'sealwire: the server key failed to sign a room event');
        for (const s of [...this.#sessions]) s.fail(new ProtocolError('ERR_INTERNAL', 'the server key failed to sign'));
      },
      log: ro.log,
      onLogError: (err) => logTo(logger, 'error', { err }, 'sealwire: the room log failed; the room begins a new epoch'),
      shared: ro.shared,
      onSharedError: (err) => logTo(logger, 'warn', { err }, 'sealwire: the shared room store failed'),
    });
    this.#rooms = rooms;
    const nodes = { current: options.nodeSet === undefined ? undefined : checkPresentedSet(options.nodeSet, config.key.publicKey, undefined) };
    this.#core = { ...config, rules, builder, resume, shared, admission, registry, rooms, host: this.#host(), nodes };
    // [POL-6.1]: revocation is synchronous, so live sessions close inside the revoking call.
    this.#unsubscribe = this.keys.onRevoke((entry) => {
      const closed = registry.revoked(entry.kid);
      resume.revoked(toHex(entry.kid));
      if (closed > 0) logTo(logger, 'warn', { sessions: closed }, 'sealwire: closed the sessions of a revoked key');
    });
  }

  /** What sessions report back: events, opened sessions, verified messages. */
  #host(): ServerHost {
    return {
      event: (e) => this.#event(e),
      wantsEvents: () => this.#onEvent !== undefined || this.listenerCount('event') > 0,
      opened: (session) => this.emit('session', session),
      roomAck: (session, a) => {
        const identity = session.identity ?? '';
        this.emit('roomAck', { session, identity, keyId: session.keyId ?? '', room: a.room, epoch: a.epoch, next: a.next, hash: a.hash, seq: a.seq });
        return undefined;
      },
      // The fields of SessionMessage in order, as a spread would copy them, without the spread's cost.
      message: (session, m) =>
        this.emit('message', {
          identity: m.identity,
          roles: m.roles,
          keyId: m.keyId,
          room: m.room,
          action: m.action,
          seq: m.seq,
          ts: m.ts,
          payload: m.payload,
          session,
        }),
    };
  }

  /** Server limits as announced in the hello, plus the handshake size cap and the send-buffer cap. */
  get limits(): Readonly<ServerCore['limits'] & { maxBufferedAmount: number }> {
    return { ...this.#core.limits, maxBufferedAmount: this.#core.delivery.maxBufferedAmount };
  }

  /**
   * Presents a newer node set (spec/nodes.md): every later hello carries it, and every open
   * session is sent it now, so its clients drop the nodes it no longer lists.
   * @throws {RangeError} when it does not decode, does not list this server's key, or is not newer.
   * @example
   * ```ts
   * server.presentNodeSet(signNodeSet(operatorKey, { service: 'chat', version: 3, notAfter, nodes }))
   * ```
   * @see [NODE-4.1]
   */
  presentNodeSet(nodeSet: Uint8Array): void {
    const nodes = this.#core.nodes;
    nodes.current = checkPresentedSet(nodeSet, this.#core.key.publicKey, nodes.current);
    for (const s of this.#sessions) if (s.state === 'open') s.sendNodeSet(nodes.current);
  }

  /** Open sessions (handshake completed or not). */
  get sessions(): ReadonlySet<ServerSession> {
    return this.#sessions;
  }

  /** Sessions that joined `room`. */
  members(room: string): ServerSession[] {
    return [...this.#core.registry.members(room)];
  }

  /**
   * The transport upgrade check ([POL-5.1], [POL-4.3], [POL-4.2]): origin allow-list, the
   * address's rate of new sessions and its connection cap, before any handshake work. Pass the
   * result to {@link SecureServer.accept}; release it if the upgrade fails afterwards.
   *
   * @throws {ProtocolError} `ERR_ORIGIN`, `ERR_RATE_LIMITED`, `ERR_TOO_MANY_CONNECTIONS`, `ERR_SESSION_CLOSED` (server closed),
   *   `ERR_STORE` (an admission check refused: the shared store is unreachable).
   * @example
   * ```ts
   * const admission = server.admit({ address: req.socket.remoteAddress, origin: req.headers.origin })
   * ```
   */
  admit(peer: { address?: string | undefined; origin?: string | undefined }): Admission {
    const address = peer?.address;
    const origin = peer?.origin;
    const ipKey = address ?? '';
    const refusal = this.#closed ? 'ERR_SESSION_CLOSED' : (this.#checked() ?? this.#core.admission.admitPeer(ipKey, origin));
    if (refusal !== null) {
      this.#event({ type: 'upgrade', outcome: 'reject', code: refusal, ...(address !== undefined ? { peer: address } : {}) });
      throw new ProtocolError(refusal, UPGRADE_REFUSALS[refusal]);
    }
    this.#event({ type: 'upgrade', outcome: 'accept', ...(address !== undefined ? { peer: address } : {}) });
    let released = false;
    return {
      address,
      origin,
      release: () => {
        if (released) return;
        released = true;
        this.#core.admission.releasePeer(ipKey);
      },
    };
  }

  /**
   * Adds a check every new transport passes at {@link SecureServer.admit} before the address's
   * limits: while it returns a code, upgrades are refused with it ([POL-6.6]; `sealwire/redis`'s
   * `shareRevocations` adds one). Returns a function that removes the check.
   *
   * @throws {TypeError} when `check` is not a function.
   * @example
   * ```ts
   * const remove = server.addAdmissionCheck(() => (storeUp ? null : 'ERR_STORE'))
   * ```
   */
  addAdmissionCheck(check: AdmissionCheck): () => void {
    if (typeof check !== 'function') throw new TypeError('"check" expected function');
    const own = (): 'ERR_STORE' | null => check();
    this.#checks.add(own);
    return () => {
      this.#checks.delete(own);
    };
  }

  /**
   * Takes the identities' connection caps, new-session rates and message buckets from `store`
   * from now on, so they hold across the nodes that share it (spec/policy.md §4.1);
   * `sealwire/redis`'s `shareLimits` passes one. Undefined: back to this process's own. Sessions
   * admitted before keep their slots where they took them.
   *
   * @throws {TypeError} when `store` is neither undefined nor a store.
   * @example
   * ```ts
   * const shared = await shareLimits(server, { command: (c, args) => redis.call(c, ...args) })
   * ```
   */
  useLimitStore(store: LimitStore | undefined): void {
    if (store !== undefined && (store === null || typeof store !== 'object' || typeof store.admit !== 'function')) {
      throw new TypeError('"store" expected a LimitStore or undefined');
    }
    this.#core.admission.share(store);
  }

  /** The first refusal of an admission check; a check that throws refuses with ERR_STORE. */
  #checked(): 'ERR_STORE' | null {
    for (const check of this.#checks) {
      let code: unknown;
      try {
        code = check();
      } catch {
        code = 'ERR_STORE';
      }
      if (code !== null) return 'ERR_STORE';
    }
    return null;
  }

  /** [RPL-6.7]: a stream no session can present again leaves the replay store now, not at expiry. */
  #forgetStream(kid: Uint8Array, stream: Uint8Array): void {
    try {
      const done = this.receiver.store.forget?.(kid, stream);
      if (done instanceof Promise) done.catch(() => {});
    } catch {
      // The state then expires as usual ([RPL-6.1]).
    }
  }

  /**
   * Starts a session on an open transport: sends the ServerHello at once. The adapter then feeds
   * every received message to `session.receive(bytes)` and reports the transport's end with
   * `session.transportClosed(code, reason)`.
   *
   * @example
   * ```ts
   * const session = server.accept({ send: (b) => ws.send(b), close: (c, r) => ws.close(c, r) }, admission, { tlsExporter })
   * ws.on('message', (data) => session.receive(data))
   * ws.on('close', (code, reason) => session.transportClosed(code, String(reason)))
   * ```
   */
  accept(transport: Transport, admission: Admission, extra: { tlsExporter?: Uint8Array } = {}): ServerSession {
    if (admission === null || typeof admission !== 'object' || typeof admission.release !== 'function') {
      throw new TypeError('"admission" expected the result of server.admit()');
    }
    const peer: SessionPeer = {
      ...(admission.address !== undefined ? { address: admission.address } : {}),
      ...(admission.origin !== undefined ? { origin: admission.origin } : {}),
      ...(extra.tlsExporter !== undefined ? { tlsExporter: extra.tlsExporter.slice() } : {}),
    };
    const session = new ServerSession(this.#core, transport, peer, () => {
      const kid = session.kid;
      const receipts = session.peerReceiptStream;
      if (kid !== undefined && receipts !== undefined) this.#forgetStream(kid, receipts);
      admission.release();
      this.#sessions.delete(session);
    });
    this.#sessions.add(session);
    if (this.#closed) session.close(1000, 'server closed');
    else session.start();
    return session;
  }

  /**
   * Publishes `data` (bytes, or a string as UTF-8) on `room`'s stream (spec/rooms.md): sealed once
   * by the server, the same bytes to every member, kept in history for recovery. From the server
   * itself (an announcement), or relaying a verified message `as` its sender, named by the server
   * ([HS-8.4]). Returns how many members receive it live.
   *
   * @example
   * ```ts
   * server.on('message', (m) => { if (m.action === 'announce') server.publish('lobby', m.payload, { as: m }) })
   * ```
   */
  publish(room: string, data: Uint8Array | string, options: { action?: string; as?: SessionMessage } = {}): number {
    if (!isValidRoom(room)) throw new RangeError('"room" expected 1–128 UTF-8 bytes without control characters');
    const payload = payloadBytes(data);
    const { as, action = 'send' } = options;
    if (action !== 'send' && !isValidAction(action)) throw new RangeError('"action" expected 1–64 chars of [a-z0-9._:-]');
    this.#rooms.publish(
      room,
      as === undefined ? { kind: KIND_ANNOUNCE, action, from: this.#core.name, data: payload } : relayBody(as, payload, options.action ?? as.action),
    );
    return this.#rooms.room(room)?.size ?? 0;
  }

  /** @internal An adapter's native fan-out (uWebSockets.js topic publish, [ROOM-7.2]). */
  setFanout(fanout: Fanout | undefined): void {
    this.#rooms.setFanout(fanout);
  }

  /** Server signatures made for room frames so far (statements, events, batch roots). */
  get roomSignatures(): number {
    return this.#rooms.signatures;
  }

  /** Closes every session and refuses new ones. */
  close(): void {
    this.#closed = true;
    logTo(this.#logger, 'info', { sessions: this.#sessions.size }, 'sealwire: server closing');
    this.#unsubscribe();
    this.#rooms.close();
    for (const s of [...this.#sessions]) s.close(1000, 'server closed');
    this.#core.resume.clear();
    this.#core.shared?.close();
  }

  #event(e: Omit<SecurityEvent, 'time'>): void {
    const event: SecurityEvent = Object.freeze({ ...e, time: this.#clock() });
    if (this.#onEvent !== undefined) callListener(this.#onEvent, event, this.listenerError); // [POL-7.2]
    this.emit('event', event);
  }
}
