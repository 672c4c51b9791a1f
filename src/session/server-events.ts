// What a SecureServer emits: verified messages, sessions, security events and members' room receipts.
import type { SecurityEvent } from '../policy/events.js';
import type { ServerMessage } from './server.js';
import type { ServerSession } from './server-session.js';

export interface ServerEvents extends Record<string, unknown> {
  message: ServerMessage;
  session: ServerSession;
  event: SecurityEvent;
  /**
   * A member acknowledged a room's stream up to `next` ([ROOM-6.8]): signed by its session key,
   * in the session envelope numbered `seq` (the session's `evidence` event gives its bytes).
   */
  roomAck: RoomAckEvent;
}

/** A member's receipt of a room's stream: evidence it accepted every event of `epoch` below `next`. */
export interface RoomAckEvent {
  readonly session: ServerSession;
  readonly identity: string;
  readonly keyId: string;
  readonly room: string;
  readonly epoch: Uint8Array;
  readonly next: number;
  /** SHA-256 of the frame that carried event `next - 1`. */
  readonly hash: Uint8Array;
  readonly seq: number;
}
