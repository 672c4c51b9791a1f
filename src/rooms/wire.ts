// Room frames on the wire (spec/rooms.md §1–§5): the payloads of room events, key statements and
// batch roots, the batched-event array, and the external_aad of each role. Encoding and shape only;
// signatures and order are checked by the callers.
import { ProtocolError } from '../errors.js';
import { utf8Encoder } from '../bytes.js';
import { decodeWholeArray, encodeCbor, type CborValue } from '../wire/cbor.js';
import { STREAM_ID_LENGTH } from '../wire/envelope.js';
import { isValidAction, isValidRoom } from '../wire/room-name.js';

export const ROOM_CONTENT_TYPE = 'application/vnd.sealwire.room+cbor';
export const KEY_CONTENT_TYPE = 'application/vnd.sealwire.key+cbor';
export const BATCH_CONTENT_TYPE = 'application/vnd.sealwire.batch+cbor';

/** The role byte after the room marker in external_aad: what a signature is for. */
export const ROLE = { author: 1, event: 2, statement: 3, batch: 4 } as const;

export const KIND_POST = 1;
export const KIND_RELAY = 2;
export const KIND_PRESENCE = 3;
export const KIND_ANNOUNCE = 4;

export type RoomEventBody =
  | { readonly kind: typeof KIND_POST; readonly post: Uint8Array }
  | {
      readonly kind: typeof KIND_RELAY;
      readonly action: string;
      readonly from: string;
      readonly fromRoles: readonly string[];
      readonly fromKid: Uint8Array;
      readonly fromSeq: number;
      readonly fromTs: number;
      readonly data: Uint8Array;
    }
  | { readonly kind: typeof KIND_PRESENCE; readonly identity: string; readonly joined: boolean }
  | { readonly kind: typeof KIND_ANNOUNCE; readonly action: string; readonly from: string; readonly data: Uint8Array };

export interface RoomEvent {
  readonly room: string;
  readonly body: RoomEventBody;
}

export interface KeyStatement {
  readonly room: string;
  readonly identity: string;
  readonly roles: readonly string[];
  readonly kid: Uint8Array;
  readonly key: Uint8Array;
  readonly notBefore: number;
  readonly notAfter: number;
}

/** The events of one room from one tick under one signed Merkle root ([ROOM-5.1]). */
export interface Bundle {
  /** The root envelope (a v1 envelope whose payload is a BatchRoot). */
  readonly root: Uint8Array;
  readonly events: readonly { readonly protectedBytes: Uint8Array; readonly payload: Uint8Array }[];
}

const DOMAIN = utf8Encoder.encode('sealwire/1');
const MARKER_ROOM = 0x02;

/**
 * external_aad of a room signature: "sealwire/1" || 02 || role, then for an author envelope the
 * epoch (16 bytes) and the room name.
 * @see [ROOM-2.1]
 */
export function roomAad(role: number, epoch?: Uint8Array, room?: string): Uint8Array {
  const name = room === undefined ? new Uint8Array(0) : utf8Encoder.encode(room);
  const tail = epoch === undefined ? 0 : STREAM_ID_LENGTH + name.length;
  const out = new Uint8Array(DOMAIN.length + 2 + tail);
  out.set(DOMAIN);
  out[DOMAIN.length] = MARKER_ROOM;
  out[DOMAIN.length + 1] = role;
  if (epoch !== undefined) {
    out.set(epoch, DOMAIN.length + 2);
    out.set(name, DOMAIN.length + 2 + STREAM_ID_LENGTH);
  }
  return out;
}

function malformed(what: string): ProtocolError {
  return new ProtocolError('ERR_MESSAGE_MALFORMED', `malformed ${what}`);
}

/** One deterministic CBOR array, nothing after it; any fault is one code ([ROOM-2.2]). */
function decodeArray(bytes: Uint8Array, what: string): CborValue[] {
  const v = decodeWholeArray(bytes);
  if (v === undefined) throw malformed(what);
  return v;
}

const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isText = (v: unknown): v is string => typeof v === 'string';
const isAction = (v: unknown): v is string => v === 'send' || isValidAction(v);
const isRoles = (v: unknown): v is string[] => Array.isArray(v) && v.every(isText);

export function encodeRoomEvent(e: RoomEvent): Uint8Array {
  const b = e.body;
  switch (b.kind) {
    case KIND_POST:
      return encodeCbor([e.room, b.kind, b.post]);
    case KIND_RELAY:
      return encodeCbor([e.room, b.kind, b.action, b.from, [...b.fromRoles], b.fromKid, b.fromSeq, b.fromTs, b.data]);
    case KIND_PRESENCE:
      return encodeCbor([e.room, b.kind, b.identity, b.joined]);
    case KIND_ANNOUNCE:
      return encodeCbor([e.room, b.kind, b.action, b.from, b.data]);
  }
}

/** @see [ROOM-2.2] */
export function decodeRoomEvent(payload: Uint8Array): RoomEvent {
  const a = decodeArray(payload, 'room event');
  const [room, kind] = a;
  if (!isValidRoom(room)) throw malformed('room event');
  if (kind === KIND_POST && a.length === 3 && a[2] instanceof Uint8Array) return { room, body: { kind, post: a[2] } };
  if (kind === KIND_ANNOUNCE && a.length === 5 && isAction(a[2]) && isText(a[3]) && a[4] instanceof Uint8Array) {
    return { room, body: { kind, action: a[2], from: a[3], data: a[4] } };
  }
  if (kind === KIND_PRESENCE && a.length === 4 && isText(a[2]) && typeof a[3] === 'boolean') {
    return { room, body: { kind, identity: a[2], joined: a[3] } };
  }
  if (kind === KIND_RELAY && a.length === 9) {
    const [, , action, from, roles, kid, seq, ts, data] = a;
    if (isAction(action) && isText(from) && isRoles(roles) && kid instanceof Uint8Array && isUint(seq) && isUint(ts) && data instanceof Uint8Array) {
      return { room, body: { kind, action, from, fromRoles: roles, fromKid: kid, fromSeq: seq, fromTs: ts, data } };
    }
  }
  throw malformed('room event');
}

export function encodeStatement(s: KeyStatement): Uint8Array {
  return encodeCbor([s.room, s.identity, [...s.roles], s.kid, s.key, s.notBefore, s.notAfter]);
}

/** Shape only; the key's import rule and thumbprint are checked by the member ([ROOM-4.1]). */
export function decodeStatement(payload: Uint8Array): KeyStatement {
  const a = decodeArray(payload, 'key statement');
  const [room, identity, roles, kid, key, notBefore, notAfter] = a;
  if (
    a.length !== 7 ||
    !isValidRoom(room) ||
    !isText(identity) ||
    !isRoles(roles) ||
    !(kid instanceof Uint8Array) ||
    kid.length < 1 ||
    kid.length > 64 ||
    !(key instanceof Uint8Array) ||
    key.length !== 32 ||
    !isUint(notBefore) ||
    !isUint(notAfter)
  ) {
    throw malformed('key statement');
  }
  return { room, identity, roles, kid, key, notBefore, notAfter };
}

export function encodeBatchRoot(root: Uint8Array, count: number): Uint8Array {
  return encodeCbor([root, count]);
}

export function decodeBatchRoot(payload: Uint8Array): { root: Uint8Array; count: number } {
  const a = decodeArray(payload, 'batch root');
  const [root, count] = a;
  // A bundle holds at most MAX_BUNDLE events ([ROOM-5.3]): a count outside it is no BatchRoot.
  if (a.length !== 2 || !(root instanceof Uint8Array) || root.length !== 32 || !isUint(count) || count < 1 || count > MAX_BUNDLE) throw malformed('batch root');
  return { root, count };
}

/** The first byte of a bundle: a CBOR array of two, which no handshake message is ([ROOM-1.1]). */
export const BUNDLE_FIRST_BYTE = 0x82;
/** Events in one bundle, and leaves under one root ([ROOM-5.3]). */
export const MAX_BUNDLE = 1024;

export function encodeBundle(b: Bundle): Uint8Array {
  return encodeCbor([b.root, b.events.map((e) => [e.protectedBytes, e.payload])]);
}

/** @see [ROOM-5.2] (shape; the root and the tree are checked by the member) */
export function decodeBundle(frame: Uint8Array): Bundle {
  const a = decodeArray(frame, 'bundle');
  const [root, events] = a;
  if (a.length !== 2 || !(root instanceof Uint8Array) || !Array.isArray(events) || events.length < 1 || events.length > MAX_BUNDLE) throw malformed('bundle');
  const out: { protectedBytes: Uint8Array; payload: Uint8Array }[] = [];
  for (const e of events) {
    if (!Array.isArray(e) || e.length !== 2 || !(e[0] instanceof Uint8Array) || !(e[1] instanceof Uint8Array)) throw malformed('bundle');
    out.push({ protectedBytes: e[0], payload: e[1] });
  }
  return { root, events: out };
}
