// Application messages carried inside data-phase envelope payloads (spec/handshake.md §8).
import { ProtocolError } from '../errors.js';
import { fromHex } from '../bytes.js';
import type { SessionMessage } from './events.js';
import type { PositionInfo } from '../rooms/room.js';
import { MAX_ROOM_LENGTH, isValidAction, isValidRoom } from '../wire/room-name.js';
import { decodeWholeArray, encodeCbor, headLength, preferredArg, type CborValue } from '../wire/cbor.js';

export const OP_JOIN = 1;
export const OP_LEAVE = 2;
export const OP_SEND = 3;
export const OP_CUSTOM = 4;
export const OP_RENEW = 5;
export const OP_POST = 6;
export const OP_ROOM_ACK = 7;
export const OP_DELIVER = 16;
export const OP_RESULT = 17;
export const OP_POSITION = 18;
export const OP_RESENT = 19;
/** CoAP content format 60, application/cbor. */
export const MESSAGE_CONTENT_TYPE = 60;

export type ClientOp =
  | { readonly op: typeof OP_JOIN; readonly room: string; readonly from?: JoinFrom }
  | { readonly op: typeof OP_LEAVE; readonly room: string }
  | { readonly op: typeof OP_SEND; readonly room: string; readonly data: Uint8Array }
  | { readonly op: typeof OP_CUSTOM; readonly action: string; readonly room: string | null; readonly data: Uint8Array }
  | { readonly op: typeof OP_RENEW; readonly credential: Uint8Array }
  | { readonly op: typeof OP_POST; readonly room: string; readonly epoch: Uint8Array; readonly post: Uint8Array }
  | RoomAckOp;

/** A member's receipt of a room's stream up to `next` ([ROOM-6.8]). */
export interface RoomAckOp {
  readonly op: typeof OP_ROOM_ACK;
  readonly room: string;
  readonly epoch: Uint8Array;
  readonly next: number;
  /** SHA-256 of the frame that carried event `next - 1`. */
  readonly hash: Uint8Array;
}

/** Where a Join starts ([ROOM-6.3]): live (absent), all history, or recovery from an offset. */
export type JoinFrom = 'all' | { readonly epoch: Uint8Array; readonly next: number };

/** What the policy dispatch decides on: every client op but Renew, which is authentication. */
export type RequestOp = Exclude<ClientOp, { readonly op: typeof OP_RENEW }>;

export interface DeliverOp {
  readonly op: typeof OP_DELIVER;
  readonly action: string;
  readonly room: string | null;
  readonly from: string;
  readonly fromRoles: readonly string[];
  readonly fromKid: Uint8Array;
  readonly fromSeq: number;
  readonly fromTs: number;
  readonly data: Uint8Array;
}

export interface ResultOp {
  readonly op: typeof OP_RESULT;
  readonly refSeq: number;
  readonly code: string | null;
}

/** Where a member stands in a room's stream (spec/rooms.md §6), sealed in its session. */
export interface PositionOp extends PositionInfo {
  readonly op: typeof OP_POSITION;
}

/**
 * A message an earlier server data stream (kid, stream) sealed as `seq` and the client did not
 * acknowledge, delivered by the node that took the session over (spec/handshake.md §7.1).
 */
export interface ResentOp {
  readonly op: typeof OP_RESENT;
  readonly kid: Uint8Array;
  readonly stream: Uint8Array;
  readonly seq: number;
  /** The Deliver, Result or Position as that stream carried it. */
  readonly message: Uint8Array;
}

export type ServerOp = DeliverOp | ResultOp | PositionOp | ResentOp;

export { isValidRoom };

export { isValidAction };

export function encodeClientMessage(m: ClientOp): Uint8Array {
  switch (m.op) {
    case OP_JOIN:
      if (m.from === undefined) return encodeCbor([m.op, m.room]);
      return encodeCbor(m.from === 'all' ? [m.op, m.room, 0] : [m.op, m.room, m.from.epoch, m.from.next]);
    case OP_LEAVE:
      return encodeCbor([m.op, m.room]);
    case OP_POST:
      return encodeCbor([m.op, m.room, m.epoch, m.post]);
    case OP_ROOM_ACK:
      return encodeCbor([m.op, m.room, m.epoch, m.next, m.hash]);
    case OP_SEND:
      return encodeCbor([m.op, m.room, m.data]);
    case OP_CUSTOM:
      return encodeCbor([m.op, m.action, m.room, m.data]);
    case OP_RENEW:
      return encodeCbor([m.op, m.credential]);
  }
}

export function encodeServerMessage(m: ServerOp): Uint8Array {
  if (m.op === OP_RESENT) return encodeCbor([m.op, m.kid, m.stream, m.seq, m.message]);
  if (m.op === OP_RESULT) return encodeCbor([m.op, m.refSeq, m.code]);
  if (m.op === OP_POSITION) return encodeCbor([m.op, m.room, m.epoch, m.next, m.status, m.count]);
  return encodeCbor([m.op, m.action, m.room, m.from, [...m.fromRoles], m.fromKid, m.fromSeq, m.fromTs, m.data]);
}

/**
 * @internal The Deliver message relaying a verified message `as` its sender (its identity, key,
 * seq and ts): the same bytes for every member it goes to ([HS-8.3]).
 */
export function encodeRelay(room: string | null, payload: Uint8Array, as: SessionMessage, action?: string): Uint8Array {
  return encodeServerMessage({
    op: OP_DELIVER,
    action: action ?? as.action,
    room,
    from: as.identity,
    fromRoles: as.roles,
    fromKid: fromHex(as.keyId),
    fromSeq: as.seq,
    fromTs: as.ts,
    data: payload,
  });
}

function malformed(): ProtocolError {
  return new ProtocolError('ERR_MESSAGE_MALFORMED', 'malformed application message');
}

function decodeArray(bytes: Uint8Array): CborValue[] {
  // The payload was signed by the authenticated peer: any encoding fault is one code ([HS-8.1]).
  const v = decodeWholeArray(bytes);
  if (v === undefined || v.length === 0) throw malformed();
  return v;
}

function room(v: CborValue | undefined): string {
  if (!isValidRoom(v)) throw malformed();
  return v;
}

function bytes(v: CborValue | undefined): Uint8Array {
  if (!(v instanceof Uint8Array)) throw malformed();
  return v;
}

function epoch(v: CborValue | undefined): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length !== 16) throw malformed();
  return v;
}

function uint(v: CborValue | undefined): number {
  if (typeof v !== 'number' || v < 0) throw malformed();
  return v;
}

/** @throws {ProtocolError} `ERR_MESSAGE_MALFORMED` */
export function decodeClientMessage(payload: Uint8Array): ClientOp {
  return decodeSend(payload) ?? decodeClientGeneral(payload);
}

/**
 * The common message, a Send to a printable-ASCII room, read byte by byte: [3, room, data] with
 * preferred heads and nothing after it. What this accepts the general decoder accepts with the
 * same result (one encoding per value); anything else is left to it, and to its verdict.
 * @internal (exported for the tests that compare the two)
 */
export function decodeSend(b: Uint8Array): ClientOp | undefined {
  if (b[0] !== 0x83 || b[1] !== OP_SEND) return undefined;
  const roomLen = preferredArg(b, 2, b.length, 3);
  if (roomLen < 1 || roomLen > MAX_ROOM_LENGTH) return undefined;
  let p = 2 + headLength(b[2]!);
  const roomEnd = p + roomLen;
  if (roomEnd > b.length) return undefined;
  let room = '';
  for (; p < roomEnd; p++) {
    const c = b[p]!;
    if (c < 0x20 || c >= 0x7f) return undefined;
    room += String.fromCharCode(c);
  }
  const len = preferredArg(b, p, b.length, 2);
  if (len < 0) return undefined;
  p += headLength(b[p]!);
  if (p + len !== b.length) return undefined;
  return { op: OP_SEND, room, data: b.subarray(p, p + len) };
}

/** @internal {@link decodeClientMessage} without the fast path, which the tests compare it with. */
export function decodeClientGeneral(payload: Uint8Array): ClientOp {
  const a = decodeArray(payload);
  const op = a[0];
  if ((op === OP_JOIN || op === OP_LEAVE) && a.length === 2) return { op, room: room(a[1]) };
  if (op === OP_JOIN && a.length === 3 && a[2] === 0) return { op, room: room(a[1]), from: 'all' };
  if (op === OP_JOIN && a.length === 4) return { op, room: room(a[1]), from: { epoch: epoch(a[2]), next: uint(a[3]) } };
  if (op === OP_POST && a.length === 4) return { op, room: room(a[1]), epoch: epoch(a[2]), post: bytes(a[3]) };
  if (op === OP_SEND && a.length === 3) return { op, room: room(a[1]), data: bytes(a[2]) };
  if (op === OP_CUSTOM && a.length === 4) {
    if (!isValidAction(a[1])) throw malformed();
    return { op, action: a[1], room: a[2] === null ? null : room(a[2]), data: bytes(a[3]) };
  }
  if (op === OP_RENEW && a.length === 2) return { op, credential: bytes(a[1]) };
  if (op === OP_ROOM_ACK && a.length === 5) {
    const hash = bytes(a[4]);
    if (hash.length !== 32) throw malformed();
    return { op, room: room(a[1]), epoch: epoch(a[2]), next: uint(a[3]), hash };
  }
  throw malformed();
}

/** @throws {ProtocolError} `ERR_MESSAGE_MALFORMED` */
export function decodeServerMessage(payload: Uint8Array): ServerOp {
  const a = decodeArray(payload);
  const op = a[0];
  if (op === OP_RESULT && a.length === 3) {
    const code = a[2];
    if (code !== null && typeof code !== 'string') throw malformed();
    return { op, refSeq: uint(a[1]), code };
  }
  if (op === OP_POSITION && a.length === 6) {
    const status = uint(a[4]);
    if (status > 4) throw malformed();
    return { op, room: room(a[1]), epoch: epoch(a[2]), next: uint(a[3]), status: status as PositionOp['status'], count: uint(a[5]) };
  }
  if (op === OP_RESENT && a.length === 5) {
    const kid = bytes(a[1]);
    if (kid.length === 0 || kid.length > 64) throw malformed();
    return { op, kid, stream: epoch(a[2]), seq: uint(a[3]), message: bytes(a[4]) };
  }
  if (op === OP_DELIVER && a.length === 9) {
    const action = a[1];
    if (action !== 'send' && !isValidAction(action)) throw malformed();
    const from = a[3];
    const roles = a[4];
    if (typeof from !== 'string' || !Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) throw malformed();
    return {
      op,
      action,
      room: a[2] === null ? null : room(a[2]),
      from,
      fromRoles: roles,
      fromKid: bytes(a[5]),
      fromSeq: uint(a[6]),
      fromTs: uint(a[7]),
      data: bytes(a[8]),
    };
  }
  throw malformed();
}
