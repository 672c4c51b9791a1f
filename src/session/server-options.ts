// A SecureServer's options, checked and completed with their defaults once, at construction.
import { assertInt, equalBytes } from '../bytes.js';
import { DEFAULT_MAX_ENVELOPE_SIZE } from '../envelope/open.js';
import { Receiver } from '../envelope/receiver.js';
import { KeyRing } from '../keys/keyring.js';
import { isAnySigningKey, keyId, type AsyncSigningKey, type SigningKey } from '../keys/keys.js';
import type { AdmissionLimits } from '../policy/admission.js';
import type { Authorize, Validate } from '../policy/authorize.js';
import type { SecurityEventSink } from '../policy/events.js';
import { DEFAULT_MAX_CONNECTIONS_PER_IDENTITY, DEFAULT_MAX_CONNECTIONS_PER_IP, assertCap } from '../policy/limits.js';
import {
  DEFAULT_CONNECTION_RATE,
  DEFAULT_IDENTITY_RATE,
  DEFAULT_IDENTITY_SESSION_RATE,
  DEFAULT_IP_SESSION_RATE,
  assertRateLimit,
  type RateLimit,
} from '../policy/rate-limit.js';
import { DEFAULT_MAX_FUTURE_SKEW_MS } from '../replay/freshness.js';
import { assertLogger, type Logger } from './logger.js';
import { DEFAULT_WINDOW } from '../replay/window.js';
import { DEFAULT_MAX_BUFFERED_AMOUNT } from './transport.js';
import { resolveTimers, type Timers } from './timers.js';
import {
  DEFAULT_RECEIPT_DELAY_MS,
  DEFAULT_RECEIPT_EVERY,
  DEFAULT_SESSION_OUTBOX_BYTES,
  DEFAULT_SESSION_OUTBOX_CAPACITY,
  assertOutboxLimits,
} from './delivery.js';
import { DEFAULT_MAX_HANDSHAKE_SIZE, type HelloLimits } from './handshake.js';
import { DEFAULT_MAX_PENDING_BYTES } from './inbox.js';
import type { SharedResume } from './shared-resume.js';
import { DEFAULT_MAX_RESUMABLE, DEFAULT_RESUME_TTL_MS } from './resume.js';
import type { Authenticate } from './server-handshake.js';
import type { RoomLog } from '../rooms/log.js';
import type { SharedRoomStore } from '../rooms/shared.js';

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

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

export interface RoomOptions {
  /** Events each room keeps for members to recover. Default 1,000. */
  historyCount?: number;
  /** …and none older than this. Default 300,000 ms. */
  historyMs?: number;
  /** A Position check to every member of an active room this often ([ROOM-6.5]). Default 10,000 ms. */
  positionMs?: number;
  /** Room events when a member joins or leaves. Default false. */
  presence?: boolean;
  /**
   * Keeps the rooms' frames across restarts ([ROOM-6.7]), e.g. `openRoomLog(path)` from
   * `sealwire/room-log`: rooms keep their epoch and history, and members recover after a restart.
   */
  log?: RoomLog | undefined;
  /**
   * Room streams shared by several nodes ([ROOM-11.2]), e.g. `shareRooms({ command, reader })`
   * from `sealwire/redis`: members on every node see one order and recover on any node.
   */
  shared?: SharedRoomStore | undefined;
}

/** Token buckets (spec/policy.md §3 and [POL-4.3]). */
export interface ServerRateLimits {
  /** Envelopes per connection. Default 50/s, burst 100. */
  connection?: RateLimit;
  /** Envelopes per identity, over all its connections. Default 100/s, burst 200. */
  identity?: RateLimit;
  /** New sessions per peer IP address, charged at the upgrade (HTTP 429). Default 20/s, burst 200. */
  ipSessions?: RateLimit;
  /** New sessions per identity, charged once the credential named it. Default 10/s, burst 100. */
  identitySessions?: RateLimit;
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
  /** Room streams (spec/rooms.md): history kept for recovery, and the position check. */
  rooms?: RoomOptions;
  /**
   * Resume state shared by the nodes of one service (`shareResume` of `sealwire/redis`), so a
   * client whose node died resumes on another (spec/handshake.md §7.1). Default: this process only.
   */
  resume?: { readonly shared?: SharedResume };
  rateLimit?: ServerRateLimits;
  /** A Receiver built on `keys` (custom replay store, worker-pool verify). Default: a new one. */
  receiver?: Receiver;
  /** Receives every security event ([POL-7.1]). */
  onEvent?: SecurityEventSink;
  /** Server clock in ms. Default `Date.now`. */
  clock?: () => number;
  /** Timers of the handshake timeout, credential expiry, receipt delay and room checks. Default the platform's. */
  timers?: Timers;
  /** Operational messages (a throwing listener, closing sessions); pino fits. Security events stay events. */
  logger?: Logger;
  /** The `from` of data the server itself sends. Default `"server"`. */
  name?: string;
  /**
   * The node set this server presents in its hello (spec/nodes.md), from `signNodeSet`: it must
   * list this server's key. Replace it with {@link SecureServer.presentNodeSet}.
   */
  nodeSet?: Uint8Array;
}

/** Outbox bounds, send-buffer cap and receipt cadence of every session. */
export interface SessionDeliveryLimits {
  readonly outboxCapacity: number;
  readonly outboxBytes: number;
  readonly maxBufferedAmount: number;
  readonly maxPendingBytes: number;
  readonly receiptEvery: number;
  readonly receiptDelayMs: number;
}

/** @internal The options with every default applied. */
export interface ServerConfig {
  readonly key: SigningKey | AsyncSigningKey;
  readonly keys: KeyRing;
  readonly receiver: Receiver;
  readonly limits: HelloLimits & { readonly maxHandshakeSize: number };
  readonly requireChannelBinding: boolean;
  readonly connectionRate: RateLimit;
  readonly name: string;
  readonly authenticate: Authenticate | undefined;
  readonly authorize: Authorize;
  readonly validate: Validate | undefined;
  readonly delivery: SessionDeliveryLimits;
  readonly admissionLimits: AdmissionLimits;
  readonly resumeLimits: { readonly ttlMs: number; readonly max: number };
  readonly sharedResume: SharedResume | undefined;
  readonly onEvent: SecurityEventSink | undefined;
  readonly logger: Logger | undefined;
  readonly clock: () => number;
  readonly timers: Timers;
  readonly roomOptions: Required<Omit<RoomOptions, 'log' | 'shared'>> & Pick<RoomOptions, 'log' | 'shared'>;
}

function resolveSharedResume(o: SecureServerOptions['resume']): SharedResume | undefined {
  if (o === undefined || o.shared === undefined) return undefined;
  if (typeof o.shared?.take !== 'function') throw new TypeError('"resume.shared" expected the store shareResume() returns');
  return o.shared;
}

function assertPositive(value: unknown, name: string, max = Number.MAX_SAFE_INTEGER): number {
  assertInt(value, name, 1, max);
  return value;
}

/** @throws {TypeError|RangeError} on an invalid option, named. */
export function resolveServerOptions(options: SecureServerOptions): ServerConfig {
  if (options === null || typeof options !== 'object') throw new TypeError('"options" expected object');
  const key = checkKeyAndHooks(options);
  const l = options.limits ?? {};
  const limits = {
    maxSkewMs: assertPositive(l.maxSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS, 'limits.maxSkewMs', 86_400_000),
    maxMessageSize: assertPositive(l.maxMessageSize ?? DEFAULT_MAX_ENVELOPE_SIZE, 'limits.maxMessageSize', 2 ** 32),
    window: assertPositive(l.window ?? DEFAULT_WINDOW, 'limits.window', 8192),
    handshakeTimeoutMs: assertPositive(l.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS, 'limits.handshakeTimeoutMs', 600_000),
    maxHandshakeSize: assertPositive(l.maxHandshakeSize ?? DEFAULT_MAX_HANDSHAKE_SIZE, 'limits.maxHandshakeSize', 1 << 20),
  };
  const admissionLimits = resolveAdmission(options, l);
  const connectionRate = options.rateLimit?.connection ?? DEFAULT_CONNECTION_RATE;
  assertRateLimit(connectionRate, 'rateLimit.connection');
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name.length === 0)) {
    throw new TypeError('"name" expected a non-empty string');
  }
  const delivery = resolveDelivery(l);
  const resumeLimits = {
    ttlMs: assertPositive(l.resumeTtlMs ?? DEFAULT_RESUME_TTL_MS, 'limits.resumeTtlMs', 86_400_000),
    max: assertPositive(l.maxResumable ?? DEFAULT_MAX_RESUMABLE, 'limits.maxResumable'),
  };
  const clock = options.clock ?? Date.now;
  const keys = options.keys ?? new KeyRing();
  const receiver =
    options.receiver ?? new Receiver({ keys, maxEnvelopeSize: limits.maxMessageSize, window: limits.window, maxFutureSkewMs: limits.maxSkewMs, clock });
  return {
    key,
    keys,
    receiver,
    limits,
    requireChannelBinding: options.requireChannelBinding === true,
    connectionRate,
    name: options.name ?? 'server',
    authenticate: options.authenticate,
    authorize: options.authorize,
    validate: options.validate,
    delivery,
    admissionLimits,
    resumeLimits,
    sharedResume: resolveSharedResume(options.resume),
    onEvent: options.onEvent,
    logger: options.logger === undefined ? undefined : assertLogger(options.logger),
    clock,
    timers: resolveTimers(options.timers),
    roomOptions: resolveRooms(options.rooms ?? {}),
  };
}

function checkKeyAndHooks(options: SecureServerOptions): SigningKey | AsyncSigningKey {
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
  return key;
}

function resolveAdmission(options: SecureServerOptions, l: ServerLimits): AdmissionLimits {
  const maxConnectionsPerIdentity = l.maxConnectionsPerIdentity ?? DEFAULT_MAX_CONNECTIONS_PER_IDENTITY;
  const maxConnectionsPerIp = l.maxConnectionsPerIp ?? DEFAULT_MAX_CONNECTIONS_PER_IP;
  assertCap(maxConnectionsPerIdentity, 'limits.maxConnectionsPerIdentity');
  assertCap(maxConnectionsPerIp, 'limits.maxConnectionsPerIp');
  const r = options.rateLimit;
  const identityRate = r?.identity ?? DEFAULT_IDENTITY_RATE;
  const ipSessionRate = r?.ipSessions ?? DEFAULT_IP_SESSION_RATE;
  const identitySessionRate = r?.identitySessions ?? DEFAULT_IDENTITY_SESSION_RATE;
  assertRateLimit(identityRate, 'rateLimit.identity');
  assertRateLimit(ipSessionRate, 'rateLimit.ipSessions');
  assertRateLimit(identitySessionRate, 'rateLimit.identitySessions');
  let origins: Set<string> | undefined;
  if (options.origins !== undefined) {
    if (!Array.isArray(options.origins) || !options.origins.every((o) => typeof o === 'string')) {
      throw new TypeError('"origins" expected an array of origin strings');
    }
    origins = new Set(options.origins);
  }
  return { origins, maxConnectionsPerIp, maxConnectionsPerIdentity, ipSessionRate, identitySessionRate, identityRate };
}

function resolveDelivery(l: ServerLimits): SessionDeliveryLimits {
  const outboxCapacity = l.outboxCapacity ?? DEFAULT_SESSION_OUTBOX_CAPACITY;
  const outboxBytes = l.outboxBytes ?? DEFAULT_SESSION_OUTBOX_BYTES;
  assertOutboxLimits(outboxCapacity, outboxBytes, 'limits.');
  return {
    outboxCapacity,
    outboxBytes,
    maxBufferedAmount: assertPositive(l.maxBufferedAmount ?? DEFAULT_MAX_BUFFERED_AMOUNT, 'limits.maxBufferedAmount'),
    maxPendingBytes: assertPositive(l.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES, 'limits.maxPendingBytes'),
    receiptEvery: assertPositive(l.receiptEvery ?? DEFAULT_RECEIPT_EVERY, 'limits.receiptEvery', 1024),
    receiptDelayMs: assertPositive(l.receiptDelayMs ?? DEFAULT_RECEIPT_DELAY_MS, 'limits.receiptDelayMs', 60_000),
  };
}

function resolveRooms(r: RoomOptions): ServerConfig['roomOptions'] {
  if (r === null || typeof r !== 'object') throw new TypeError('"rooms" expected object');
  return {
    historyCount: assertPositive(r.historyCount ?? 1000, 'rooms.historyCount', 1_000_000),
    historyMs: assertPositive(r.historyMs ?? 300_000, 'rooms.historyMs', 7 * 86_400_000),
    positionMs: assertPositive(r.positionMs ?? 10_000, 'rooms.positionMs', 86_400_000),
    presence: r.presence === true,
    log: resolveLog(r.log),
    shared: resolveShared(r.shared, r.log),
  };
}

function resolveShared(shared: SharedRoomStore | undefined, log: RoomLog | undefined): SharedRoomStore | undefined {
  if (shared === undefined) return undefined;
  const s = shared as Partial<SharedRoomStore> | null;
  if (s === null || typeof s !== 'object' || typeof s.append !== 'function' || typeof s.read !== 'function') {
    throw new TypeError('"rooms.shared" expected a SharedRoomStore (shareRooms from sealwire/redis)');
  }
  // The shared stream is the rooms' history: a second, local one would restore epochs it forked.
  if (log !== undefined) throw new TypeError('"rooms.shared" and "rooms.log" are exclusive');
  return shared;
}

function resolveLog(log: RoomLog | undefined): RoomLog | undefined {
  if (log === undefined) return undefined;
  const l = log as Partial<RoomLog> | null;
  if (l === null || typeof l !== 'object' || !Array.isArray(l.saved) || typeof l.append !== 'function' || typeof l.rewrite !== 'function') {
    throw new TypeError('"rooms.log" expected a RoomLog ({ saved, append, rewrite })');
  }
  return log;
}
