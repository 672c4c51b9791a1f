// What the chat's server, browser page and bots agree on: the login exchange, the custom actions
// and the security panel's snapshot. No `node:` import: the page bundles this file.

/** Custom actions (sealwire `session.request(action, data, room)`), each authorized by role. */
export const ACTION_HISTORY = 'history'; // any member: the room's recent messages, re-sent to the caller
export const ACTION_DELETE = 'delete'; // moderators and admins: remove one message from a room
export const ACTION_BROADCAST = 'broadcast'; // admins: a notice to every connected session
export const ACTION_TOKEN = 'token'; // anyone, no room: a fresh token for this session's own key, to renew with
/** Server → admins, in {@link SECURITY_ROOM}: a {@link PanelSnapshot}. */
export const ACTION_PANEL = 'panel';

/** The admins-only room the security panel is published to. */
export const SECURITY_ROOM = 'security';

/** Longest chat message, in UTF-16 code units (the server validates it again). */
export const MAX_TEXT_LENGTH = 1000;

export type RoomKind = 'public' | 'private' | 'admin';

export interface RoomInfo {
  readonly name: string;
  readonly kind: RoomKind;
  readonly description: string;
  /** In the login response: whether this user may enter (the server's policy decides again on join). */
  readonly mayJoin?: boolean;
  /** End-to-end encrypted: members encrypt for each other; the server relays what it cannot read. */
  readonly e2ee?: boolean;
}

/** POST /api/login, `Content-Type: application/json`. */
export interface LoginRequest {
  readonly username: string;
  readonly password: string;
  /** The client's Ed25519 public key, base64url (32 bytes): the token's `cnf.jkt` names it. */
  readonly publicKey: string;
}

export interface LoginResponse {
  /** EdDSA JWT: `sub`, `roles`, `cnf.jkt`, short `exp`. Kept in memory only, never in storage. */
  readonly token: string;
  readonly expiresAt: number;
  readonly identity: string;
  readonly roles: readonly string[];
  /** The chat server's Ed25519 public key, base64url: the client pins it for the handshake. */
  readonly serverKey: string;
  /** Where the sealwire session runs (wss://… or ws://…). */
  readonly wsUrl: string;
  /**
   * Whether that endpoint checks RFC 9266 channel binding: the ws adapter reads Node's TLS
   * exporter, uWebSockets.js cannot. Node clients bind only when it does (browsers never can).
   */
  readonly channelBinding: boolean;
  readonly rooms: readonly RoomInfo[];
  /** Several nodes (`npm run start:cluster`): this one's name, and every node's sessions, this one first. */
  readonly cluster?: { readonly node: string; readonly nodes: readonly { readonly name: string; readonly wsUrl: string }[] };
}

/** The data of an {@link ACTION_DELETE} request and of the server's `delete` notice. */
export interface DeleteRequest {
  /** The deleted message's sender key id (hex) and sequence number: a message's signed identity. */
  readonly keyId: string;
  readonly seq: number;
}

export interface PanelSession {
  readonly identity: string;
  readonly roles: readonly string[];
  readonly rooms: readonly string[];
  /** First 16 hex digits of the key id and of the session id. */
  readonly keyId: string;
  readonly session: string;
}

export interface PanelEvent {
  readonly time: number;
  readonly type: string;
  readonly code: string;
  readonly identity: string | null;
  readonly room: string | null;
}

/** What admins see, pushed over their own sealwire session (signed by the server). */
export interface PanelSnapshot {
  readonly time: number;
  /** Accepted decisions by kind: handshake, join, send, custom. */
  readonly accepted: Readonly<Record<string, number>>;
  /** Rejections by error code (sealwire `ERR_*`, plus `LOGIN_FAILED` / `LOGIN_THROTTLED`). */
  readonly rejected: Readonly<Record<string, number>>;
  /** Rejections grouped by what they stop. */
  readonly attacks: {
    readonly replay: number;
    readonly forgery: number;
    readonly rateLimit: number;
    readonly access: number;
    readonly credential: number;
    readonly origin: number;
    readonly size: number;
  };
  readonly sessions: readonly PanelSession[];
  /** The latest rejections, newest first. */
  readonly recent: readonly PanelEvent[];
  /** Per second over the last minutes, oldest first: for the panel's chart. */
  readonly history: PanelHistory;
  /** What the server holds of each end-to-end encrypted room: the sizes of its latest posts, no text. */
  readonly encrypted: readonly { readonly room: string; readonly sizes: readonly number[] }[];
}

/** Decisions per second (deltas of the counters `/metrics` serves), one entry per second. */
export interface PanelHistory {
  /** Seconds since the epoch. */
  readonly time: readonly number[];
  readonly accepted: readonly number[];
  /** Refusals per second, by the class of {@link PanelSnapshot.attacks} (`other` for the rest). */
  readonly refused: Readonly<Record<keyof PanelSnapshot['attacks'] | 'other', readonly number[]>>;
}

/** One id per message: its sender's key and sequence number, both covered by the signature. */
export function messageId(keyId: string, seq: number): string {
  return `${keyId}:${seq}`;
}

// C0 and C1 controls except tab and newline, and the bidi overrides used to disguise text.
const FORBIDDEN_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** The chat's text rule, checked by the server's `validate` hook and by the page before sending. */
export function isAcceptableText(text: string): boolean {
  return text.trim().length > 0 && text.length <= MAX_TEXT_LENGTH && !FORBIDDEN_CHARS.test(text);
}

export function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]!);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Strict base64url (no padding) decode; undefined on anything else. */
export function fromBase64Url(text: string): Uint8Array | undefined {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  // Only the canonical encoding: trailing bits set would give two spellings of one key.
  return toBase64Url(out) === text ? out : undefined;
}
