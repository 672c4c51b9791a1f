// What a client session is configured with: its key, the server key it trusts, resume and limits.
import { equalBytes, randomBytes } from '../bytes.js';
import { ProtocolError } from '../errors.js';
import { CB_NONE, CB_TLS_EXPORTER, HANDSHAKE_VERSION, NONCE_LENGTH, channelBindingHash, encodeAuthBody, type Hello } from './handshake.js';
import { NodeKeys } from '../nodes/node-keys.js';
import { Receiver } from '../envelope/receiver.js';
import { KeyRing } from '../keys/keyring.js';
import { isAnySigningKey, keyId, type AsyncSigningKey, type PublicKey, type SigningKey } from '../keys/keys.js';
import { DEFAULT_SESSION_OUTBOX_BYTES, DEFAULT_SESSION_OUTBOX_CAPACITY, assertOutboxLimits } from './delivery.js';
import type { ClientSession } from './client-session.js';
import type { RoomVerify } from '../rooms/pipeline.js';
import type { Timers } from './timers.js';
export { resolveTimers } from './timers.js';

export interface ClientSessionOptions {
  /**
   * The client's signing key (default RFC 7638 key id): a {@link SigningKey}, or an
   * {@link AsyncSigningKey} such as a non-extractable WebCrypto key ({@link importCryptoKeyPair}).
   */
  key: SigningKey | AsyncSigningKey;
  /**
   * The server key this client trusts: one pinned key, a ring (rotation), or the node keys of a
   * service of several nodes under one operator key ({@link NodeKeys}, spec/nodes.md).
   */
  serverKey: PublicKey | KeyRing | NodeKeys;
  /** Sent to the server's `authenticate` hook: e.g. a JWT whose `cnf.jkt` names `key`. */
  credential?: Uint8Array | string;
  /** The web origin this client runs under. Default: `location.origin` in a browser, else "". */
  origin?: string;
  /**
   * The connection's RFC 9266 tls-exporter value (32 bytes, TLS 1.3), read when the hello arrives.
   * Adapters supply it; return undefined when there is none (plain transport, browsers).
   */
  channelBinding?: () => Uint8Array | undefined;
  /**
   * Resume this earlier session (spec/handshake.md §7): name it in the handshake, continue its
   * data stream, resend what the server did not acknowledge, and keep its replay and
   * acknowledgement state for the server's stream, so that every message arrives exactly once in
   * each direction. The server refuses with `ERR_RESUME_REFUSED` when it no longer knows it.
   * A session can be resumed once; a failed attempt may be retried.
   */
  resumeFrom?: ClientSession;
  /**
   * Replay state for the server's streams (it must trust the server key). Default: a new Receiver
   * per session, or the resumed session's.
   */
  receiver?: Receiver;
  /** Unacknowledged envelopes this client holds, capped at the server's replay window. Default 128. */
  outboxCapacity?: number;
  /** Bytes of unacknowledged envelopes this client holds. Default 1 MiB. */
  outboxBytes?: number;
  /**
   * Bytes of received envelopes waiting for verification, where the transport cannot pause
   * reading (a browser WebSocket); past it the session closes with `ERR_RATE_LIMITED`
   * (spec/policy.md [POL-8.6]). At least the server's `limits.outboxBytes`. Default 4 MiB.
   */
  maxPendingBytes?: number;
  /** Client clock in ms. Default `Date.now`. */
  clock?: () => number;
  /** Timers of the handshake timeout and receipt delay. Default the platform's. */
  timers?: Timers;
  /** Wait for the hello at most this long; then the hello's own limit applies. Default 10,000 ms. */
  handshakeTimeoutMs?: number;
  /**
   * How this client verifies room frames ({@link RoomVerify}). Default `'auto'`: WebCrypto Ed25519
   * in a browser that has it (native speed, checked once to give the strict rule's verdict).
   */
  roomVerify?: RoomVerify;
  /**
   * Acknowledge each room's stream now and then with a signed RoomAck (spec/rooms.md [ROOM-6.8]):
   * at a position check, when new events were accepted since the last one. Default false.
   */
  roomAcks?: boolean;
}

/** @throws {TypeError|RangeError} for an invalid option, named. */
export function checkClientOptions(options: ClientSessionOptions): void {
  const { key, serverKey, maxPendingBytes: m } = options;
  if (m !== undefined && (typeof m !== 'number' || !Number.isSafeInteger(m) || m < 1)) {
    throw new RangeError(`"maxPendingBytes" expected a positive integer, got ${String(m)}`);
  }
  if (!isAnySigningKey(key)) {
    throw new TypeError('"key" expected a SigningKey from importSigningKey() or an AsyncSigningKey');
  }
  if (!equalBytes(key.kid, keyId(key.publicKey))) throw new RangeError('"key" must use the default key id (RFC 7638 thumbprint)');
  if (
    !(serverKey instanceof KeyRing) &&
    !(serverKey instanceof NodeKeys) &&
    !(serverKey !== null && typeof serverKey === 'object' && serverKey.bytes instanceof Uint8Array)
  ) {
    throw new TypeError('"serverKey" expected a PublicKey, KeyRing or NodeKeys');
  }
  const c = options.credential;
  if (c !== undefined && typeof c !== 'string' && !(c instanceof Uint8Array)) throw new TypeError('"credential" expected string or Uint8Array');
  if (options.origin !== undefined && typeof options.origin !== 'string') throw new TypeError('"origin" expected string');
  if (options.receiver !== undefined && !(options.receiver instanceof Receiver)) throw new TypeError('"receiver" expected a Receiver');
  const v = options.roomVerify;
  if (v !== undefined && v !== 'auto' && v !== 'sync' && typeof v !== 'function' && typeof (v as { verify?: unknown } | null)?.verify !== 'function') {
    throw new TypeError(`"roomVerify" expected 'auto', 'sync', a function or a pool`);
  }
  assertOutboxLimits(options.outboxCapacity ?? DEFAULT_SESSION_OUTBOX_CAPACITY, options.outboxBytes ?? DEFAULT_SESSION_OUTBOX_BYTES, '');
}

/**
 * The pinned server key the hello names, or `ERR_SERVER_IDENTITY` ([HS-2.2]); under node keys, the
 * hello's node set accepted and the hello's key valid in it now.
 * @see [NODE-3.2]
 */
export function trustedServerKey(pinned: PublicKey | KeyRing | NodeKeys, hello: Hello, now: number): PublicKey {
  const bytes = hello.key;
  if (pinned instanceof NodeKeys) {
    if (hello.nodes === undefined) throw new ProtocolError('ERR_SERVER_IDENTITY', 'the hello carries no node set');
    pinned.accept(hello.nodes, now);
    return pinned.serverKey(bytes, now);
  }
  if (pinned instanceof KeyRing) {
    const entry = pinned.get(keyId(bytes));
    if (entry !== undefined && !entry.revoked && equalBytes(entry.key.bytes, bytes)) return entry.key;
  } else if (equalBytes(pinned.bytes, bytes)) {
    return pinned;
  }
  throw new ProtocolError('ERR_SERVER_IDENTITY', 'the server key is not the expected one');
}

/** The ClientAuth body ([HS-3.1]): the client's only random draw is its nonce. */
export function authBody(opts: ClientSessionOptions, now: number, origin: string, credential: Uint8Array | null, resume: Uint8Array | null): Uint8Array {
  const exporter = opts.channelBinding?.();
  return encodeAuthBody({
    version: HANDSHAKE_VERSION,
    nonce: randomBytes(NONCE_LENGTH),
    key: opts.key.publicKey,
    time: now,
    origin,
    cbType: exporter === undefined ? CB_NONE : CB_TLS_EXPORTER,
    cb: exporter === undefined ? new Uint8Array(0) : channelBindingHash(exporter),
    credential,
    resume,
  });
}
