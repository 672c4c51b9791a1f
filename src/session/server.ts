// The transport-agnostic server: configuration, the one Receiver all sessions share, rooms,
// connection caps, rate-limit buckets per identity, revocation, security events. Adapters call
// `admit` at the transport upgrade and `accept` once the transport is open.
import { ProtocolError } from '../errors.js';
import { toHex } from '../bytes.js';
import { Receiver } from '../envelope/receiver.js';
import { DEFAULT_MAX_ENVELOPE_SIZE } from '../envelope/open.js';
import { KeyRing, type KeyEntry } from '../keys/keyring.js';
import { isAnySigningKey, keyId, type AsyncSigningKey, type SigningKey } from '../keys/keys.js';
import type { Authorize, Validate } from '../policy/authorize.js';
import type { SecurityEvent, SecurityEventSink } from '../policy/events.js';
import {
  ConnectionCounter,
  DEFAULT_MAX_CONNECTIONS_PER_IDENTITY,
  DEFAULT_MAX_CONNECTIONS_PER_IP,
  assertCap,
} from '../policy/limits.js';
import { DEFAULT_CONNECTION_RATE, DEFAULT_IDENTITY_RATE, TokenBucket, assertRateLimit, type RateLimit } from '../policy/rate-limit.js';
import { DEFAULT_MAX_FUTURE_SKEW_MS } from '../replay/freshness.js';
import { DEFAULT_WINDOW } from '../replay/window.js';
import { equalBytes } from '../bytes.js';
import { Emitter, callListener } from './emitter.js';
import type { ChannelMessage, Transport } from './channel.js';
import { DEFAULT_MAX_HANDSHAKE_SIZE } from './handshake.js';
import { ServerSession, type Authenticate, type ServerCore, type SessionPeer } from './server-session.js';
import { ReceiptBuilder } from '../delivery/builder.js';
import { DEFAULT_MAX_BUFFERED_AMOUNT } from './channel.js';
import { DEFAULT_MAX_PENDING_BYTES } from './inbox.js';
import {
  DEFAULT_RECEIPT_DELAY_MS,
  DEFAULT_RECEIPT_EVERY,
  DEFAULT_SESSION_OUTBOX_BYTES,
  DEFAULT_SESSION_OUTBOX_CAPACITY,
  assertOutboxLimits,
} from './delivery.js';
import { DEFAULT_MAX_RESUMABLE, DEFAULT_RESUME_TTL_MS, ResumeRegistry } from './resume.js';

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

const NO_MEMBERS: ReadonlySet<ServerSession> = new Set();

export interface ServerLimits {
  /** Largest accepted |client clock − server clock| at the handshake. Default 5,000 ms (= the receiver's future skew). */
  maxSkewMs?: number;
  /** Largest envelope, and the adapters' frame limit. Default 65,536 bytes. */
  maxMessageSize?: number;
  /** Replay window announced in the hello and used by the default receiver. Default 1,024. */
  window?: number;
  /** Default 10,000 ms. */
  handshakeTimeoutMs?: number;
  /** Default 8,192 bytes. */
  maxHandshakeSize?: number;
  /** Default 16. */
  maxConnectionsPerIdentity?: number;
  /** Default 64. */
  maxConnectionsPerIp?: number;
  /**
   * Hard cap on a connection's send buffer (spec/policy.md §8): data pauses at half of it, and
   * anything that would pass it closes the session with `ERR_BACKPRESSURE`. Default 1 MiB.
   */
  maxBufferedAmount?: number;
  /**
   * Bytes of received envelopes waiting for verification per session, where the adapter cannot
   * pause reading (uWS); past it the session closes with `ERR_RATE_LIMITED` (spec/policy.md
   * [POL-8.6]). At least the clients' `outboxBytes`. Default 4 MiB.
   */
  maxPendingBytes?: number;
  /** Unacknowledged envelopes per session, at most the client's replay window ([RCP-1.2]). Default 128. */
  outboxCapacity?: number;
  /** Bytes of unacknowledged envelopes per session. Default 1 MiB. */
  outboxBytes?: number;
  /** A receipt after this many accepted envelopes… Default 32. */
  receiptEvery?: number;
  /** …or this many ms after the first one not yet acknowledged. Default 20. */
  receiptDelayMs?: number;
  /** How long an ended session stays resumable (spec/handshake.md §7). Default 60,000 ms. */
  resumeTtlMs?: number;
  /** Most ended sessions kept resumable; the oldest is forgotten first. Default 10,000. */
  maxResumable?: number;
}

export interface SecureServerOptions {
  /**
   * The server's signing key; clients pin its public key. An {@link AsyncSigningKey} (a
   * non-extractable WebCrypto key, an HSM or KMS signer) works too: envelopes still leave each
   * session in the order they were sealed, and a signer that fails ends the session with `ERR_INTERNAL`.
   */
  key: SigningKey | AsyncSigningKey;
  /** Decides every join, leave, send and custom action (spec/policy.md §2). Required: no implicit allow-all. */
  authorize: Authorize;
  /** Client keys. Authenticated keys are added with their identity; revoking one closes its sessions. Default: a new ring. */
  keys?: KeyRing;
  /** Maps credential + proven key to an identity. Default: the key must already be in `keys` with an identity. */
  authenticate?: Authenticate;
  /** Checks a Send's or Custom's payload before delivery. */
  validate?: Validate;
  /** Origin allow-list, checked at upgrade and in the handshake. Default: any origin. */
  origins?: readonly string[];
  /** Refuse clients that send no TLS channel binding (only sensible without browser clients). Default false. */
  requireChannelBinding?: boolean;
  limits?: ServerLimits;
  rateLimit?: { connection?: RateLimit; identity?: RateLimit };
  /** A Receiver built on `keys` (custom replay store, worker-pool verify). Default: a new one. */
  receiver?: Receiver;
  /** Receives every security event ([POL-7.1]). */
  onEvent?: SecurityEventSink;
  /** Server clock in ms. Default `Date.now`. */
  clock?: () => number;
  /** The `from` of data the server itself sends. Default `"server"`. */
  name?: string;
}

/** A verified message as the server sees it, with the session it came from. */
export interface ServerMessage extends ChannelMessage {
  readonly session: ServerSession;
}

export interface ServerEvents extends Record<string, unknown> {
  message: ServerMessage;
  session: ServerSession;
  event: SecurityEvent;
}

/** A slot taken at the transport upgrade; released when the connection ends. */
export interface Admission {
  readonly address: string | undefined;
  readonly origin: string | undefined;
  release(): void;
}

function assertPositive(value: unknown, name: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new RangeError(`"${name}" expected an integer from 1 to ${max}, got ${String(value)}`);
  }
  return value;
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
 *   authorize: ({ roles, channel }) => channel !== 'admins' || roles.includes('admin'),
 * })
 * server.on('message', (m) => console.log(m.identity, m.channel, m.payload))
 * attach(server, { server: httpsServer })   // from 'sealwire/ws'
 * ```
 */
export class SecureServer extends Emitter<ServerEvents> {
  readonly keys: KeyRing;
  readonly receiver: Receiver;
  readonly #core: ServerCore;
  readonly #onEvent: SecurityEventSink | undefined;
  readonly #perIp: ConnectionCounter;
  readonly #perIdentity: ConnectionCounter;
  readonly #identityRate: RateLimit;
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #rooms = new Map<string, Set<ServerSession>>();
  readonly #sessions = new Set<ServerSession>();
  readonly #byKid = new Map<string, Set<ServerSession>>();
  // Client keys this server put in its ring for a credential, with their holders (sessions and
  // resumable states): the last holder gone removes the key, so the ring does not grow with every
  // client ever seen ([HS-5.6]).
  readonly #learned = new Map<string, { entry: KeyEntry; holders: number }>();
  readonly #unsubscribe: () => void;
  readonly #clock: () => number;
  readonly #resume: ResumeRegistry;
  #closed = false;

  constructor(options: SecureServerOptions) {
    super();
    if (options === null || typeof options !== 'object') throw new TypeError('"options" expected object');
    const { key } = options;
    if (!isAnySigningKey(key)) {
      throw new TypeError('"key" expected a SigningKey from importSigningKey() or an AsyncSigningKey');
    }
    // [HS-1.5]: v1 sessions name keys by their RFC 7638 thumbprint.
    if (!equalBytes(key.kid, keyId(key.publicKey))) throw new RangeError('"key" must use the default key id (RFC 7638 thumbprint)');
    if (typeof options.authorize !== 'function') throw new TypeError('"authorize" expected function: there is no implicit allow-all');
    for (const name of ['authenticate', 'validate', 'onEvent', 'clock'] as const) {
      if (options[name] !== undefined && typeof options[name] !== 'function') throw new TypeError(`"${name}" expected function`);
    }
    if (options.keys !== undefined && !(options.keys instanceof KeyRing)) throw new TypeError('"keys" expected a KeyRing');
    if (options.receiver !== undefined && !(options.receiver instanceof Receiver)) throw new TypeError('"receiver" expected a Receiver');
    if (options.receiver !== undefined && options.keys === undefined) {
      throw new TypeError('"receiver" requires "keys": the ring the receiver was built on');
    }
    const l = options.limits ?? {};
    const limits = {
      maxSkewMs: assertPositive(l.maxSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS, 'limits.maxSkewMs', 86_400_000),
      maxMessageSize: assertPositive(l.maxMessageSize ?? DEFAULT_MAX_ENVELOPE_SIZE, 'limits.maxMessageSize', 2 ** 32),
      window: assertPositive(l.window ?? DEFAULT_WINDOW, 'limits.window', 8192),
      handshakeTimeoutMs: assertPositive(l.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS, 'limits.handshakeTimeoutMs', 600_000),
      maxHandshakeSize: assertPositive(l.maxHandshakeSize ?? DEFAULT_MAX_HANDSHAKE_SIZE, 'limits.maxHandshakeSize', 1 << 20),
    };
    const perIdentity = l.maxConnectionsPerIdentity ?? DEFAULT_MAX_CONNECTIONS_PER_IDENTITY;
    const perIp = l.maxConnectionsPerIp ?? DEFAULT_MAX_CONNECTIONS_PER_IP;
    assertCap(perIdentity, 'limits.maxConnectionsPerIdentity');
    assertCap(perIp, 'limits.maxConnectionsPerIp');
    const connectionRate = options.rateLimit?.connection ?? DEFAULT_CONNECTION_RATE;
    const identityRate = options.rateLimit?.identity ?? DEFAULT_IDENTITY_RATE;
    assertRateLimit(connectionRate, 'rateLimit.connection');
    assertRateLimit(identityRate, 'rateLimit.identity');
    let origins: Set<string> | undefined;
    if (options.origins !== undefined) {
      if (!Array.isArray(options.origins) || !options.origins.every((o) => typeof o === 'string')) {
        throw new TypeError('"origins" expected an array of origin strings');
      }
      origins = new Set(options.origins);
    }
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name.length === 0)) {
      throw new TypeError('"name" expected a non-empty string');
    }

    const outboxCapacity = l.outboxCapacity ?? DEFAULT_SESSION_OUTBOX_CAPACITY;
    const outboxBytes = l.outboxBytes ?? DEFAULT_SESSION_OUTBOX_BYTES;
    assertOutboxLimits(outboxCapacity, outboxBytes, 'limits.');
    const delivery = {
      outboxCapacity,
      outboxBytes,
      maxBufferedAmount: assertPositive(l.maxBufferedAmount ?? DEFAULT_MAX_BUFFERED_AMOUNT, 'limits.maxBufferedAmount'),
      maxPendingBytes: assertPositive(l.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES, 'limits.maxPendingBytes'),
      receiptEvery: assertPositive(l.receiptEvery ?? DEFAULT_RECEIPT_EVERY, 'limits.receiptEvery', 1024),
      receiptDelayMs: assertPositive(l.receiptDelayMs ?? DEFAULT_RECEIPT_DELAY_MS, 'limits.receiptDelayMs', 60_000),
    };
    const resumeTtlMs = assertPositive(l.resumeTtlMs ?? DEFAULT_RESUME_TTL_MS, 'limits.resumeTtlMs', 86_400_000);
    const maxResumable = assertPositive(l.maxResumable ?? DEFAULT_MAX_RESUMABLE, 'limits.maxResumable');

    const clock = options.clock ?? Date.now;
    this.#clock = clock;
    // One acknowledgement record for all client streams, like the one receiver ([RCP-5.3]); a
    // stream's record lives as long as its session is resumable.
    const builder = new ReceiptBuilder({ maxStreams: 2 ** 31 });
    this.#resume = new ResumeRegistry(resumeTtlMs, maxResumable, clock, (entry) => {
      const stream = entry.delivery.peerStream;
      if (stream !== undefined) builder.forget(entry.delivery.peerKid, stream);
      if (stream !== undefined) this.#forgetStream(entry.delivery.peerKid, stream);
      if (entry.holdsKey) {
        entry.holdsKey = false;
        this.#releaseKey(entry.kid);
      }
    });
    this.keys = options.keys ?? new KeyRing();
    this.receiver =
      options.receiver ??
      new Receiver({ keys: this.keys, maxEnvelopeSize: limits.maxMessageSize, window: limits.window, maxFutureSkewMs: limits.maxSkewMs, clock });
    this.#onEvent = options.onEvent;
    this.#perIp = new ConnectionCounter(perIp);
    this.#perIdentity = new ConnectionCounter(perIdentity);
    this.#identityRate = identityRate;

    const self = this;
    this.#core = {
      key,
      keys: this.keys,
      receiver: this.receiver,
      limits,
      origins,
      requireChannelBinding: options.requireChannelBinding === true,
      connectionRate,
      name: options.name ?? 'server',
      authenticate: options.authenticate,
      authorize: options.authorize,
      validate: options.validate,
      delivery,
      builder,
      resume: this.#resume,
      clock,
      event: (e) => self.#event(e),
      wantsEvents: () => self.#onEvent !== undefined || self.listenerCount('event') > 0,
      acquireIdentity: (identity) => self.#perIdentity.acquire(identity),
      releaseIdentity: (identity) => self.#perIdentity.release(identity),
      holdKey: (kid, added) => {
        const id = toHex(kid);
        let learned = self.#learned.get(id);
        if (added !== undefined) self.#learned.set(id, (learned = { entry: added, holders: 0 }));
        if (learned === undefined) return false;
        learned.holders++;
        return true;
      },
      releaseKey: (kid) => self.#releaseKey(kid),
      identityBucket: (identity) => self.#bucket(identity),
      joined: (session, room) => {
        let set = self.#rooms.get(room);
        if (set === undefined) self.#rooms.set(room, (set = new Set()));
        set.add(session);
      },
      left: (session, room) => {
        const set = self.#rooms.get(room);
        if (set === undefined) return;
        set.delete(session);
        if (set.size === 0) self.#rooms.delete(room);
      },
      members: (room) => self.#rooms.get(room) ?? NO_MEMBERS,
      registered: (session) => {
        const id = toHex(session.kid!);
        let set = self.#byKid.get(id);
        if (set === undefined) self.#byKid.set(id, (set = new Set()));
        set.add(session);
        self.emit('session', session);
      },
      unregistered: (session) => {
        const id = toHex(session.kid!);
        const set = self.#byKid.get(id);
        set?.delete(session);
        if (set?.size === 0) self.#byKid.delete(id);
      },
      // The fields of ChannelMessage in order, as a spread would copy them, without the spread's cost.
      message: (m, session) =>
        self.emit('message', {
          identity: m.identity,
          roles: m.roles,
          keyId: m.keyId,
          channel: m.channel,
          action: m.action,
          seq: m.seq,
          ts: m.ts,
          payload: m.payload,
          session,
        }),
    };
    // [POL-6.1]: revocation is synchronous, so live sessions close inside the revoking call.
    this.#unsubscribe = this.keys.onRevoke((entry) => {
      for (const s of [...(this.#byKid.get(toHex(entry.kid)) ?? [])]) {
        s.fail(new ProtocolError('ERR_KEY_REVOKED', 'key has been revoked'));
      }
    });
  }

  /** Server limits as announced in the hello, plus the handshake size cap and the send-buffer cap. */
  get limits(): Readonly<ServerCore['limits'] & { maxBufferedAmount: number }> {
    return { ...this.#core.limits, maxBufferedAmount: this.#core.delivery.maxBufferedAmount };
  }

  /** Open sessions (handshake completed or not). */
  get sessions(): ReadonlySet<ServerSession> {
    return this.#sessions;
  }

  /** Sessions that joined `room`. */
  members(room: string): ServerSession[] {
    return [...(this.#rooms.get(room) ?? [])];
  }

  /**
   * The transport upgrade check ([POL-5.1], [POL-4.2]): origin allow-list and per-IP cap, before
   * any handshake work. Pass the result to {@link SecureServer.accept}; release it if the upgrade
   * fails afterwards.
   *
   * @throws {ProtocolError} `ERR_ORIGIN`, `ERR_TOO_MANY_CONNECTIONS`, `ERR_SESSION_CLOSED` (server closed).
   * @example
   * ```ts
   * const admission = server.admit({ address: req.socket.remoteAddress, origin: req.headers.origin })
   * ```
   */
  admit(peer: { address?: string | undefined; origin?: string | undefined }): Admission {
    const address = peer?.address;
    const origin = peer?.origin;
    const reject = (code: 'ERR_ORIGIN' | 'ERR_TOO_MANY_CONNECTIONS' | 'ERR_SESSION_CLOSED', msg: string): never => {
      this.#event({ type: 'upgrade', outcome: 'reject', code, ...(address !== undefined ? { peer: address } : {}) });
      throw new ProtocolError(code, msg);
    };
    if (this.#closed) reject('ERR_SESSION_CLOSED', 'server is closed');
    const allowed = this.#core.origins;
    if (allowed !== undefined && (origin === undefined || !allowed.has(origin))) reject('ERR_ORIGIN', 'origin not allowed');
    const ipKey = address ?? '';
    if (!this.#perIp.acquire(ipKey)) reject('ERR_TOO_MANY_CONNECTIONS', 'too many connections from this address');
    this.#event({ type: 'upgrade', outcome: 'accept', ...(address !== undefined ? { peer: address } : {}) });
    let released = false;
    return {
      address,
      origin,
      release: () => {
        if (released) return;
        released = true;
        this.#perIp.release(ipKey);
      },
    };
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
   * Delivers `payload` to every member of `room` from the server (or relaying a verified message
   * `as` its sender), each copy sealed in the member's session. A member whose outbox is full is
   * closed with `ERR_OUTBOX_FULL` (spec/policy.md [POL-8.3]) and resumes. Returns how many got it.
   *
   * @example
   * ```ts
   * server.on('message', (m) => { if (m.action === 'announce') server.publish('lobby', m.payload, { as: m }) })
   * ```
   */
  publish(room: string, payload: Uint8Array, options: { action?: string; as?: ChannelMessage; except?: ServerSession } = {}): number {
    let n = 0;
    for (const s of this.members(room)) {
      if (s === options.except || s.state !== 'open') continue;
      const sent = s.relay(room, payload, {
        ...(options.action !== undefined ? { action: options.action } : {}),
        ...(options.as !== undefined ? { as: options.as } : {}),
      });
      if (sent) n++;
    }
    return n;
  }

  /** Closes every session and refuses new ones. */
  close(): void {
    this.#closed = true;
    this.#unsubscribe();
    for (const s of [...this.#sessions]) s.close(1000, 'server closed');
    this.#resume.clear();
  }

  #releaseKey(kid: string): void {
    const learned = this.#learned.get(kid);
    if (learned === undefined || --learned.holders > 0) return;
    this.#learned.delete(kid);
    // Only the entry this server added: an operator may have removed it and added their own since.
    if (this.keys.get(learned.entry.kid) === learned.entry) this.keys.remove(learned.entry.kid);
  }

  #bucket(identity: string): TokenBucket {
    const now = this.#clock();
    let b = this.#buckets.get(identity);
    if (b === undefined) {
      // Forget refilled buckets of identities with no connection left, so the map stays bounded.
      if (this.#buckets.size >= 1024) {
        for (const [id, bucket] of this.#buckets) {
          if (this.#perIdentity.count(id) === 0 && bucket.isFull(now)) this.#buckets.delete(id);
        }
      }
      this.#buckets.set(identity, (b = new TokenBucket(this.#identityRate, now)));
    }
    return b;
  }

  #event(e: Omit<SecurityEvent, 'time'>): void {
    const event: SecurityEvent = Object.freeze({ ...e, time: this.#clock() });
    if (this.#onEvent !== undefined) callListener(this.#onEvent, event); // [POL-7.2]
    this.emit('event', event);
  }
}
