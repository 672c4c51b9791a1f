/**
 * Every protocol failure sealwire reports. Codes are API: they never change meaning, and each is
 * documented in spec/errors.md with the close code a transport puts on the wire.
 *
 * @example
 * ```ts
 * ws.close(ERROR_CODES.ERR_FORBIDDEN, 'forbidden') // 4070
 * ```
 */
export const ERROR_CODES = {
  // Envelope encoding (spec/envelope.md §5): one valid encoding per envelope.
  ERR_TRUNCATED: 4001,
  ERR_TRAILING_BYTES: 4002,
  ERR_INDEFINITE_LENGTH: 4003,
  ERR_NON_PREFERRED: 4004,
  ERR_DUPLICATE_LABEL: 4005,
  ERR_MAP_ORDER: 4006,
  ERR_WRONG_TAG: 4007,
  ERR_MALFORMED: 4008,
  ERR_TOO_LARGE: 4009,
  // Envelope header semantics (spec/envelope.md §4).
  ERR_UNPROTECTED_HEADER: 4010,
  ERR_UNKNOWN_CRITICAL: 4011,
  ERR_UNKNOWN_HEADER: 4012,
  ERR_MISSING_HEADER: 4013,
  ERR_HEADER_VALUE: 4014,
  ERR_UNSUPPORTED_ALG: 4015,
  ERR_UNSUPPORTED_VERSION: 4016,
  // Keys and signatures (spec/verification.md, spec/envelope.md §7).
  ERR_UNKNOWN_KEY: 4020,
  ERR_KEY_REVOKED: 4021,
  ERR_KEY_EXPIRED: 4022,
  ERR_KEY_NOT_YET_VALID: 4023,
  ERR_BAD_KEY: 4024,
  ERR_BAD_SIGNATURE: 4025,
  // Replay and freshness (spec/replay.md).
  ERR_REPLAY: 4030,
  ERR_TOO_OLD: 4031,
  ERR_FUTURE: 4032,
  ERR_STALE: 4033,
  ERR_STREAM_LIMIT: 4034,
  ERR_SEQ_EXHAUSTED: 4035,
  ERR_STORE: 4036,
  // The receiver lost its replay state (restart): envelopes that may predate it are refused (spec/replay.md §7).
  ERR_STATE_LOST: 4037,
  // Handshake and session (spec/handshake.md).
  ERR_HANDSHAKE_MALFORMED: 4040,
  ERR_HANDSHAKE_TIMEOUT: 4041,
  ERR_CLOCK_SKEW: 4042,
  ERR_CHANNEL_BINDING: 4043,
  ERR_UNAUTHENTICATED: 4044,
  ERR_CREDENTIAL_EXPIRED: 4045,
  ERR_CREDENTIAL_KEY_MISMATCH: 4046,
  ERR_SESSION_KEY: 4047,
  ERR_UNEXPECTED_MESSAGE: 4048,
  ERR_SERVER_IDENTITY: 4049,
  ERR_MESSAGE_MALFORMED: 4050,
  ERR_SESSION_CLOSED: 4051,
  ERR_WRONG_STREAM: 4052,
  ERR_INTERNAL: 4069,
  // Policy on the verified identity (spec/policy.md).
  ERR_FORBIDDEN: 4070,
  ERR_NOT_JOINED: 4071,
  ERR_RATE_LIMITED: 4072,
  ERR_TOO_MANY_CONNECTIONS: 4073,
  ERR_ORIGIN: 4074,
  ERR_PAYLOAD_INVALID: 4075,
  ERR_BACKPRESSURE: 4076,
  // Receipts and the sender's outbox (spec/receipts.md §8).
  ERR_RECEIPT_MALFORMED: 4090,
  ERR_NOT_RECEIPT: 4091,
  ERR_RECEIPT_UNSENT: 4092,
  ERR_RECEIPT_REGRESSED: 4093,
  ERR_RECEIPT_HASH: 4094,
  ERR_OUTBOX_FULL: 4095,
  ERR_ACK_RANGE: 4096,
  // Resume (spec/handshake.md §7).
  ERR_RESUME_REFUSED: 4097,
  // rooms as signed streams (spec/rooms.md)
  ERR_STALE_EPOCH: 4100,
  // End-to-end encrypted rooms (spec/e2ee.md §8): reported to the application, never closing.
  ERR_E2EE_NO_KEY: 4120,
  ERR_E2EE_DECRYPT: 4121,
  ERR_E2EE_DEVICE_KEY: 4122,
  ERR_E2EE_KEY_REPLAY: 4123,
  ERR_E2EE_CHAIN_INDEX: 4124,
  ERR_E2EE_MALFORMED: 4125,
  ERR_E2EE_UNENCRYPTED: 4126,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * The one error type for hostile or invalid protocol input. `code` is stable API; `closeCode` is
 * what a WebSocket transport sends when it closes because of this error. Messages never carry
 * secrets, payloads or a hint about which part of a signature check failed.
 *
 * @example
 * ```ts
 * try {
 *   open(envelope, { keys })
 * } catch (err) {
 *   if (!(err instanceof ProtocolError)) throw err
 *   log.warn({ code: err.code }, 'refused envelope') // e.g. ERR_BAD_SIGNATURE
 * }
 * ```
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ErrorCode;
  readonly closeCode: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.closeCode = ERROR_CODES[code];
  }
}

/**
 * True when `err` is a {@link ProtocolError}, optionally with the given code.
 *
 * @example
 * ```ts
 * if (isProtocolError(err, 'ERR_REPLAY')) return // a duplicate: drop it quietly
 * ```
 */
export function isProtocolError(err: unknown, code?: ErrorCode): err is ProtocolError {
  return err instanceof ProtocolError && (code === undefined || err.code === code);
}

// Opaque on purpose (spec/verification.md §5): no hint which check failed.
export const SIGNATURE_FAILED = 'signature verification failed';
