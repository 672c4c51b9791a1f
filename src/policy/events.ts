// Security events (spec/policy.md §7): one per accept/reject decision, never a payload or secret.
import type { ErrorCode } from '../errors.js';

export type SecurityEventType = 'upgrade' | 'handshake' | 'message' | 'join' | 'leave' | 'send' | 'custom' | 'close';

export interface SecurityEvent {
  readonly type: SecurityEventType;
  readonly outcome: 'accept' | 'reject' | 'close';
  /** The rejection's code, or for `close` the code the session ended with (absent: a normal close). */
  readonly code?: ErrorCode;
  /** The close code put on the wire, for `close` events. */
  readonly closeCode?: number;
  /** Session id, lowercase hex, once the handshake derived it. */
  readonly session?: string;
  /** The peer's key id, lowercase hex, once known. */
  readonly keyId?: string;
  readonly identity?: string;
  /** Peer network address as the transport reported it. */
  readonly peer?: string;
  readonly channel?: string;
  /** ms since the epoch. */
  readonly time: number;
}

export type SecurityEventSink = (event: SecurityEvent) => void;
