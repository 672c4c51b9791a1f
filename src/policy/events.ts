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
  readonly room?: string;
  /** ms since the epoch. */
  readonly time: number;
}

export type SecurityEventSink = (event: SecurityEvent) => void;

/** The optional fields of an event: each is set only when defined, so the event has no undefined members. */
export interface EventFields {
  readonly code?: ErrorCode | undefined;
  readonly closeCode?: number | undefined;
  readonly session?: string | undefined;
  readonly keyId?: string | undefined;
  readonly identity?: string | undefined;
  readonly peer?: string | undefined;
  readonly room?: string | null | undefined;
}

/** An event without its time (the server stamps it), carrying only the fields that are known. */
export function securityEvent(type: SecurityEventType, outcome: SecurityEvent['outcome'], f: EventFields): Omit<SecurityEvent, 'time'> {
  const e: { -readonly [K in keyof SecurityEvent]?: SecurityEvent[K] } & Pick<SecurityEvent, 'type' | 'outcome'> = { type, outcome };
  if (f.code !== undefined) e.code = f.code;
  if (f.closeCode !== undefined) e.closeCode = f.closeCode;
  if (f.session !== undefined) e.session = f.session;
  if (f.keyId !== undefined) e.keyId = f.keyId;
  if (f.identity !== undefined) e.identity = f.identity;
  if (f.peer !== undefined) e.peer = f.peer;
  if (f.room != null) e.room = f.room;
  return e;
}
