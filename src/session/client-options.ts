// What a client session is configured with: its key, the server key it trusts, resume and limits.
import type { Receiver } from '../envelope/receiver.js';
import type { KeyRing } from '../keys/keyring.js';
import type { AsyncSigningKey, PublicKey, SigningKey } from '../keys/keys.js';
import type { ClientSession } from './client-session.js';

export interface ClientSessionOptions {
  /**
   * The client's signing key (default RFC 7638 key id): a {@link SigningKey}, or an
   * {@link AsyncSigningKey} such as a non-extractable WebCrypto key ({@link importCryptoKeyPair}).
   */
  key: SigningKey | AsyncSigningKey;
  /** The server key this client trusts: one pinned key, or a ring (rotation). */
  serverKey: PublicKey | KeyRing;
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
  /** Wait for the hello at most this long; then the hello's own limit applies. Default 10,000 ms. */
  handshakeTimeoutMs?: number;
}
