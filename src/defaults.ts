// Every default limit in one place, so an application reads one object instead of twenty constants.
import { DEFAULT_MAX_ENVELOPE_SIZE } from './envelope/open.js';
import { DEFAULT_CONTENT_TYPE } from './wire/envelope.js';
import { DEFAULT_MAX_STREAMS } from './replay/memory.js';
import { DEFAULT_WINDOW } from './replay/window.js';
import { DEFAULT_MAX_AGE_MS, DEFAULT_MAX_FUTURE_SKEW_MS } from './replay/freshness.js';
import { DEFAULT_MAX_RECEIPT_STREAMS } from './delivery/builder.js';
import { DEFAULT_OUTBOX_CAPACITY, DEFAULT_OUTBOX_MAX_BYTES } from './delivery/outbox.js';
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_MAX_BUFFERED_AMOUNT,
  DEFAULT_MAX_HANDSHAKE_SIZE,
  DEFAULT_MAX_PENDING_BYTES,
  DEFAULT_MAX_RESUMABLE,
  DEFAULT_RECEIPT_DELAY_MS,
  DEFAULT_RECEIPT_EVERY,
  DEFAULT_RESUME_TTL_MS,
  DEFAULT_SESSION_OUTBOX_BYTES,
  DEFAULT_SESSION_OUTBOX_CAPACITY,
} from './session/index.js';
import {
  DEFAULT_CONNECTION_RATE,
  DEFAULT_IDENTITY_RATE,
  DEFAULT_IDENTITY_SESSION_RATE,
  DEFAULT_IP_SESSION_RATE,
  DEFAULT_MAX_CONNECTIONS_PER_IDENTITY,
  DEFAULT_MAX_CONNECTIONS_PER_IP,
  type RateLimit,
} from './policy/index.js';

/** A token-bucket rate as the defaults hold it: read-only, so no caller can change another's limit. */
export type DefaultRate = Readonly<RateLimit>;

/** The shape of {@link DEFAULTS}: every field read-only. */
export interface Defaults {
  /** Largest envelope `open` and `Receiver` accept, in bytes. */
  readonly maxEnvelopeSize: number;
  /** Content type `seal` writes when none is given (CBOR). */
  readonly contentType: number;
  /** Replay window per stream, in sequence numbers. */
  readonly replayWindow: number;
  /** Streams a `MemoryReplayStore` tracks before refusing new ones. */
  readonly maxStreams: number;
  /** Oldest envelope accepted, in milliseconds behind the receiver's clock. */
  readonly maxAgeMs: number;
  /** Furthest ahead of the receiver's clock an envelope may be, in milliseconds. */
  readonly maxFutureSkewMs: number;
  /** Streams a receipt builder tracks at once. */
  readonly maxReceiptStreams: number;
  /** Envelopes an `Outbox` holds unacknowledged. */
  readonly outboxCapacity: number;
  /** Bytes an `Outbox` holds unacknowledged. */
  readonly outboxMaxBytes: number;
  /** Envelopes a session holds unacknowledged. */
  readonly sessionOutboxCapacity: number;
  /** Bytes a session holds unacknowledged. */
  readonly sessionOutboxBytes: number;
  /** A session sends a receipt after this many accepted envelopes... */
  readonly receiptEvery: number;
  /** ...or after this many milliseconds, whichever comes first. */
  readonly receiptDelayMs: number;
  /** Bytes of received-but-unread messages a session holds before pausing its transport. */
  readonly maxPendingBytes: number;
  /** Bytes queued on a transport before a session stops sending. */
  readonly maxBufferedAmount: number;
  /** Largest handshake message accepted, in bytes. */
  readonly maxHandshakeSize: number;
  /** Time a client has to complete the handshake, in milliseconds. */
  readonly handshakeTimeoutMs: number;
  /** How long a closed session can be resumed, in milliseconds. */
  readonly resumeTtlMs: number;
  /** Closed sessions a server keeps for resume. */
  readonly maxResumable: number;
  /** Concurrent connections per verified identity. */
  readonly maxConnectionsPerIdentity: number;
  /** Concurrent connections per client IP. */
  readonly maxConnectionsPerIp: number;
  /** New connections per client IP. */
  readonly connectionRate: DefaultRate;
  /** Messages per verified identity. */
  readonly identityRate: DefaultRate;
  /** New sessions per client IP. */
  readonly ipSessionRate: DefaultRate;
  /** New sessions per verified identity. */
  readonly identitySessionRate: DefaultRate;
}

const rate = (r: RateLimit): DefaultRate => Object.freeze({ ...r });

/**
 * The default limits sealwire applies when an option is left out, frozen so that reading them
 * never changes them. Each option's TSDoc names the default it falls back to.
 *
 * @example
 * ```ts
 * import { DEFAULTS, Receiver } from 'sealwire';
 * // Accept envelopes up to twice the default size.
 * const receiver = new Receiver({ keys, maxEnvelopeSize: 2 * DEFAULTS.maxEnvelopeSize });
 * ```
 */
export const DEFAULTS: Defaults = Object.freeze({
  maxEnvelopeSize: DEFAULT_MAX_ENVELOPE_SIZE,
  contentType: DEFAULT_CONTENT_TYPE,
  replayWindow: DEFAULT_WINDOW,
  maxStreams: DEFAULT_MAX_STREAMS,
  maxAgeMs: DEFAULT_MAX_AGE_MS,
  maxFutureSkewMs: DEFAULT_MAX_FUTURE_SKEW_MS,
  maxReceiptStreams: DEFAULT_MAX_RECEIPT_STREAMS,
  outboxCapacity: DEFAULT_OUTBOX_CAPACITY,
  outboxMaxBytes: DEFAULT_OUTBOX_MAX_BYTES,
  sessionOutboxCapacity: DEFAULT_SESSION_OUTBOX_CAPACITY,
  sessionOutboxBytes: DEFAULT_SESSION_OUTBOX_BYTES,
  receiptEvery: DEFAULT_RECEIPT_EVERY,
  receiptDelayMs: DEFAULT_RECEIPT_DELAY_MS,
  maxPendingBytes: DEFAULT_MAX_PENDING_BYTES,
  maxBufferedAmount: DEFAULT_MAX_BUFFERED_AMOUNT,
  maxHandshakeSize: DEFAULT_MAX_HANDSHAKE_SIZE,
  handshakeTimeoutMs: DEFAULT_HANDSHAKE_TIMEOUT_MS,
  resumeTtlMs: DEFAULT_RESUME_TTL_MS,
  maxResumable: DEFAULT_MAX_RESUMABLE,
  maxConnectionsPerIdentity: DEFAULT_MAX_CONNECTIONS_PER_IDENTITY,
  maxConnectionsPerIp: DEFAULT_MAX_CONNECTIONS_PER_IP,
  connectionRate: rate(DEFAULT_CONNECTION_RATE),
  identityRate: rate(DEFAULT_IDENTITY_RATE),
  ipSessionRate: rate(DEFAULT_IP_SESSION_RATE),
  identitySessionRate: rate(DEFAULT_IDENTITY_SESSION_RATE),
});
