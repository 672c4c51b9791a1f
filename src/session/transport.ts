// The session's side of the transport (spec/handshake.md §6, spec/policy.md §8): what an adapter
// provides, how close codes map to protocol errors, and the binding every data-phase envelope
// carries. No state: the session and its outbound path hold the transport.
import { ERROR_CODES, ProtocolError, SIGNATURE_FAILED, type ErrorCode } from '../errors.js';

/**
 * Any ordered, reliable, message-oriented duplex connection. The adapter feeds every received message
 * to `Session.receive` and reports the transport closing with `Session.transportClosed`.
 */
export interface Transport {
  send(bytes: Uint8Array): void;
  /** Close with a WebSocket-style code (1000, or 4000–4999 from {@link ERROR_CODES}) and a short reason. */
  close(code: number, reason: string): void;
  /**
   * Bytes handed to `send` that have not reached the network yet. Adapters that can tell provide
   * it, and call `Session.transportDrained` when the buffer drains (spec/policy.md §8).
   * Without it, only the outbox bounds what a session queues.
   */
  bufferedAmount?(): number;
  /**
   * Stop and restart reading from the peer. Adapters that can provide them let a session hold a
   * fast honest peer back by TCP flow control instead of closing it when verification lags
   * ([POL-8.5]).
   */
  pauseReading?(): void;
  resumeReading?(): void;
  /**
   * Native fan-out (uWebSockets.js topics): the connection receives what the server publishes to
   * `topic` (spec/rooms.md [ROOM-7.2]). Adapters without it get each room frame by `send`.
   */
  subscribe?(topic: string): void;
  unsubscribe?(topic: string): void;
}

export interface CloseInfo {
  /** The close code on the wire (1000 normal, 1006 transport lost, 4000–4999 protocol). */
  readonly code: number;
  readonly reason: string;
  /** The protocol error behind the close, when there was one (either side). */
  readonly error?: ProtocolError;
}

export const DIRECTION_CLIENT_TO_SERVER = 0x01;
export const DIRECTION_SERVER_TO_CLIENT = 0x02;
/** Default hard cap on a transport's buffered bytes per session (spec/policy.md [POL-8.4]). */
export const DEFAULT_MAX_BUFFERED_AMOUNT = 1 << 20;

const CODE_BY_CLOSE = new Map<number, ErrorCode>(Object.entries(ERROR_CODES).map(([k, v]) => [v, k as ErrorCode]));

/** Throws unless `transport` has the shape of a {@link Transport}. */
export function assertTransport(transport: unknown): asserts transport is Transport {
  const t = transport as Partial<Transport> | null;
  if (t === null || typeof t !== 'object' || typeof t.send !== 'function' || typeof t.close !== 'function') {
    throw new TypeError('"transport" expected { send(bytes), close(code, reason) }');
  }
  if (t.bufferedAmount !== undefined && typeof t.bufferedAmount !== 'function') {
    throw new TypeError('"transport.bufferedAmount" expected function');
  }
}

/** Bytes the transport holds that have not reached the network (0 when it cannot tell). */
export function bufferedOf(transport: Transport): number {
  try {
    const n = transport.bufferedAmount?.();
    return typeof n === 'number' && n > 0 ? n : 0;
  } catch {
    return 0;
  }
}

/** The protocol error a received close code names, if any. */
export function errorFromClose(code: number, reason: string): ProtocolError | undefined {
  // RFC 6455 1009 "message too big": WebSocket servers refuse an oversized frame with it.
  if (code === 1009) return new ProtocolError('ERR_TOO_LARGE', reason || 'message too big');
  const name = CODE_BY_CLOSE.get(code);
  if (name === undefined) return undefined;
  // [ERR-1.4]: a signature failure has one message, whoever reports it.
  return new ProtocolError(name, name === 'ERR_BAD_SIGNATURE' ? SIGNATURE_FAILED : reason || name);
}

/** The session binding of one direction ([HS-6.3]): session id (32 bytes) || direction (1 byte). */
export function binding(sessionId: Uint8Array, direction: number): Uint8Array {
  const out = new Uint8Array(33);
  out.set(sessionId);
  out[32] = direction;
  return out;
}
