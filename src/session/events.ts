// What a session tells its application: the events both ends emit, and the verified message.
import type { ErrorCode } from '../errors.js';
import type { CloseInfo } from './transport.js';
import type { RoomNotice } from '../rooms/member.js';

/** A verified message, the same shape on both ends. */
export interface SessionMessage {
  /** The sender's identity as the server verified it. */
  readonly identity: string;
  readonly roles: readonly string[];
  /** The sender's key id, lowercase hex. */
  readonly keyId: string;
  /** The room, or null for a custom action naming none. */
  readonly room: string | null;
  /** `"send"` for room messages, else the custom action name. */
  readonly action: string;
  /** The sender's envelope sequence number and timestamp (ms). */
  readonly seq: number;
  readonly ts: number;
  readonly payload: Uint8Array;
  /** A room event's offset in its room's stream (spec/rooms.md §6). */
  readonly offset?: number;
  /** `author` when this end verified the author's own signature; `server` when the server names the author. */
  readonly verified?: 'author' | 'server';
  /** An author-signed room post's content type, author stream and epoch (what sealwire/e2ee binds). */
  readonly contentType?: number | string;
  readonly authorStream?: Uint8Array;
  readonly epoch?: Uint8Array;
}

export interface SessionEvents extends Record<string, unknown> {
  /** The handshake completed: the peer is authenticated. */
  open: void;
  message: SessionMessage;
  /** A request of ours the peer refused without ending the session. */
  refused: { readonly seq: number; readonly code: ErrorCode };
  /** Seqs of our data stream that a verified receipt newly acknowledged, ascending ([RCP-6.3]). */
  delivered: readonly number[];
  /** The outbox was full and has room again: sending is possible ([RCP-6.2]). */
  drain: void;
  close: CloseInfo;
  /** Room streams: where a Join or recovery started, a refused room frame, a gap in an author's stream. */
  room: RoomNotice;
  /**
   * Every verified envelope of the peer (data and receipts), as `sealwire verify` reads it: the
   * exact bytes, the session binding they were signed under, and `record`, one line of an
   * evidence file. Room frames whose server signature verified come too, with an empty binding
   * (they are bound to their room, not the session): saved in order, they are a room transcript
   * (spec/rooms.md [ROOM-9.1]). Emitted only while someone listens.
   */
  evidence: { readonly envelope: Uint8Array; readonly binding: Uint8Array; readonly record: string };
}
