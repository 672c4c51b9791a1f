// What a server session and its server share: the session reports to a ServerHost and draws its
// configuration, shared state and policy from a ServerCore. Types only.
import type { ReceiptBuilder } from '../delivery/builder.js';
import type { AdmissionPolicy } from '../policy/admission.js';
import type { SecurityEvent } from '../policy/events.js';
import type { RoomHub } from '../rooms/hub.js';
import type { SessionRegistry } from './registry.js';
import type { RoomLink } from './room-link.js';
import type { ResumeRegistry } from './resume.js';
import type { SharedStates } from './handover.js';
import type { ClientAuthRules } from './server-handshake.js';
import type { ServerConfig } from './server-options.js';
import type { ServerSession } from './server-session.js';
import type { RoomAckOp } from './messages.js';
import type { SessionMessage } from './session.js';

/** @internal What a session reports to its server. */
export interface ServerHost {
  event(e: Omit<SecurityEvent, 'time'>): void;
  /** False when no event listener would see an event: sessions then build none. */
  wantsEvents(): boolean;
  /** A session completed its handshake. */
  opened(session: ServerSession): void;
  message(session: ServerSession, message: SessionMessage): void;
  /** An accepted RoomAck ([ROOM-6.8]), with the seq of the session envelope that carried it. */
  roomAck(session: ServerSession, ack: RoomAckOp & { readonly seq: number }): undefined;
}

/** @internal What a session needs from its server: configuration, shared state, policy. */
export interface ServerCore extends ServerConfig {
  readonly rules: ClientAuthRules;
  /** Acknowledgement record of every client data stream, shared like the receiver. */
  readonly builder: ReceiptBuilder;
  readonly resume: ResumeRegistry;
  /** With resume state shared between nodes (spec/handshake.md §7.1). */
  readonly shared: SharedStates | undefined;
  readonly admission: AdmissionPolicy;
  readonly registry: SessionRegistry<ServerSession>;
  /** Rooms as signed streams (spec/rooms.md). */
  readonly rooms: RoomHub<RoomLink>;
  readonly host: ServerHost;
  /** The node set every new hello carries (spec/nodes.md §3), replaced by a newer one. */
  readonly nodes: { current: Uint8Array | undefined };
}
