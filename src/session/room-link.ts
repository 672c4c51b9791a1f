// A server session as a member of room streams (spec/rooms.md): room frames go to its transport
// as they are, Positions are sealed in its session behind its waiting Results ([HS-8.5]).
import type { ErrorCode } from '../errors.js';
import type { PublicKey } from '../keys/keys.js';
import type { JoinFrom, RoomHub } from '../rooms/hub.js';
import { checkPost } from '../rooms/posts.js';
import type { PositionInfo, RoomMember } from '../rooms/room.js';
import { KIND_POST, KIND_PRESENCE, type KeyStatement } from '../rooms/wire.js';
import { MAX_UINT } from '../wire/envelope.js';
import type { CheckedPost } from './dispatch.js';
import { OP_POSITION, encodeServerMessage, type RoomAckOp } from './messages.js';
import { equalBytes } from '../bytes.js';
import type { Transport } from './transport.js';

/** What the link needs of its session. */
export interface LinkHost {
  isOpen(): boolean;
  /** Writes bytes to the transport as they are (a room frame). */
  write(bytes: Uint8Array): void;
  bufferedAmount(): number;
  /** Seals a payload after every waiting Result. */
  seal(payload: Uint8Array): void;
}

export class RoomLink implements RoomMember {
  constructor(
    private readonly host: LinkHost,
    private readonly transport: Transport,
    /** Who the member is, for presence events. */
    readonly identity: () => string | undefined,
  ) {}

  sendFrame(frame: Uint8Array): void {
    if (this.host.isOpen()) this.host.write(frame);
  }

  buffered(): number {
    return this.host.bufferedAmount();
  }

  position(p: PositionInfo): void {
    if (!this.host.isOpen()) return;
    this.host.seal(encodeServerMessage({ ...p, op: OP_POSITION }));
  }

  subscribe(topic: string): void {
    this.transport.subscribe?.(topic);
  }

  unsubscribe(topic: string): void {
    this.transport.unsubscribe?.(topic);
  }
}

/**
 * Joins the hub's room, with a presence event for a fresh Join; a shared room loads first, and is
 * joined only if the session `still` wants it then. @see [ROOM-11.5]
 */
export function joinRoom(
  rooms: RoomHub<RoomLink>,
  link: RoomLink,
  j: { room: string; from: JoinFrom | undefined; rejoin: boolean; identity: string },
  still: () => boolean,
  /** The room could not load: the session is no longer in it. */
  drop: () => void,
): void | Promise<void> {
  const join = (): void => {
    rooms.join(link, j.room, j.from, j.rejoin);
    if (rooms.presence && !j.rejoin) rooms.publish(j.room, { kind: KIND_PRESENCE, identity: j.identity, joined: true });
  };
  const ready = rooms.prepare(j.room);
  if (ready === undefined) return join();
  return ready.then(
    () => {
      if (still()) join();
    },
    (err: unknown) => {
      drop();
      // A Join is refused with the error; a resumed room is dropped quietly.
      if (!j.rejoin) throw err;
    },
  );
}

/** A RoomAck's checks after membership, in spec order. @see [ROOM-6.8] */
export function checkRoomAck(rooms: RoomHub<RoomLink>, m: RoomAckOp): ErrorCode | undefined {
  const room = rooms.room(m.room);
  if (room === undefined) return 'ERR_NOT_JOINED';
  if (!equalBytes(m.epoch, room.epoch)) return 'ERR_STALE_EPOCH';
  if (m.next < 1 || m.next > room.next) return 'ERR_ACK_RANGE';
  return undefined;
}

/** Who a Post's author is, as this session verified it ([ROOM-4.3]). */
export interface AuthorInfo {
  readonly identity: string;
  readonly roles: readonly string[];
  readonly key: PublicKey;
  readonly expiresAt: number | undefined;
}

/**
 * A Post's checks on the server, and the commit that publishes it with its author's statement.
 * @see [ROOM-3.3]
 */
export function checkMemberPost(
  rooms: RoomHub<RoomLink>,
  m: { room: string; epoch: Uint8Array; post: Uint8Array },
  author: AuthorInfo,
  maxSize: number,
): ErrorCode | 'duplicate' | CheckedPost {
  const room = rooms.room(m.room);
  if (room === undefined) return 'ERR_NOT_JOINED';
  const r = checkPost(room, m.epoch, m.post, author.key, maxSize);
  if (typeof r === 'string') return r;
  const statement: KeyStatement = {
    room: m.room,
    identity: author.identity,
    roles: author.roles,
    kid: author.key.kid,
    key: author.key.bytes,
    notBefore: 0,
    notAfter: author.expiresAt ?? MAX_UINT,
  };
  const post = m.post.slice();
  const epoch = m.epoch.slice();
  return {
    payload: r.payload,
    seq: r.seq,
    ts: r.ts,
    commit: (settled, dropped) => rooms.publish(m.room, { kind: KIND_POST, post }, statement, { epoch, settled, dropped }),
  };
}
