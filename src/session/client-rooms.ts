// The client's side of room streams (spec/rooms.md): Joins that name where to start, Posts sealed
// by this client as their author, and the room frames and Positions the server sends, checked by
// a RoomMember. Carried over to a session that resumes this one, so positions survive.
import { ProtocolError } from '../errors.js';
import { equalBytes, payloadBytes, randomBytes, toHex } from '../bytes.js';
import type { AsyncSigningKey, PublicKey, SigningKey } from '../keys/keys.js';
import { DEFAULT_CONTENT_TYPE, STREAM_ID_LENGTH, type ContentType } from '../wire/envelope.js';
import { RoomMember, type MemberHooks, type RoomMessage, type RoomNotice } from '../rooms/member.js';
import { prepareRoom, sealWithKey } from '../rooms/seal.js';
import { ROLE, roomAad } from '../rooms/wire.js';
import { FramePipeline, type RoomVerify } from '../rooms/pipeline.js';
import { OP_JOIN, OP_POST, OP_ROOM_ACK, encodeClientMessage, type JoinFrom, type PositionOp } from './messages.js';
import { sha256 } from '../crypto/sha256.js';

export type { RoomMessage, RoomNotice };

export interface JoinOptions {
  /** Receive every event the room's history holds before the live ones. Default false. */
  history?: boolean;
  /** Recover from a position ({@link ClientSession.position}) of an earlier session. */
  from?: { readonly epoch: Uint8Array; readonly next: number };
}

/** Builds a post's payload once its place is known: the room's epoch, the author stream and seq. */
export type PostBuilder = (at: { readonly epoch: Uint8Array; readonly stream: Uint8Array; readonly seq: number }) => Uint8Array;

interface AuthorStream {
  readonly epoch: Uint8Array;
  readonly stream: Uint8Array;
  seq: number;
}

export class ClientRooms {
  readonly member: RoomMember;
  readonly #authors = new Map<string, AuthorStream>();
  /** Every author stream this session posted on (hex). */
  readonly #own = new Set<string>();

  readonly frames: FramePipeline;
  /** Sends a RoomAck in the session when set (`roomAcks`); replaced when a session resumes this one. */
  acks: ((payload: Uint8Array) => void) | undefined;
  /** The `next` each room was last acknowledged at. */
  readonly #acked = new Map<string, number>();

  constructor(serverKey: PublicKey, maxEnvelopeSize: number, hooks: MemberHooks, verify?: RoomVerify) {
    this.member = new RoomMember(serverKey, maxEnvelopeSize, hooks);
    this.frames = new FramePipeline(this.member, verify);
  }

  /** The Join payload; the member holds the room's events until its Position. @see [ROOM-6.3] */
  join(room: string, options: JoinOptions = {}): Uint8Array {
    const known = options.from ?? this.member.position(room);
    const from: JoinFrom | undefined = known !== undefined ? { epoch: known.epoch, next: known.next } : options.history === true ? 'all' : undefined;
    this.member.joining(room);
    return encodeClientMessage(from === undefined ? { op: OP_JOIN, room } : { op: OP_JOIN, room, from });
  }

  left(room: string): void {
    this.member.left(room);
    this.#authors.delete(room);
  }

  /**
   * A Post payload: `data` sealed by this client as its author, bound to the room and its epoch,
   * on an author stream of this session and epoch. A promise only for an asynchronous key.
   * @see [ROOM-3.1]
   */
  post(
    key: SigningKey | AsyncSigningKey,
    room: string,
    data: Uint8Array | string | PostBuilder,
    now: number,
    contentType: ContentType = DEFAULT_CONTENT_TYPE,
  ): Uint8Array | Promise<Uint8Array> {
    const at = this.member.position(room);
    if (at === undefined) throw new ProtocolError('ERR_NOT_JOINED', 'join the room (and wait for it) before sending');
    let a = this.#authors.get(room);
    if (a === undefined || !equalBytes(a.epoch, at.epoch)) {
      this.#authors.set(room, (a = { epoch: at.epoch, stream: randomBytes(STREAM_ID_LENGTH), seq: 0 }));
      this.#own.add(toHex(a.stream));
    }
    const seq = a.seq;
    // A builder sees where the post will sit: an encrypted post binds its stream and seq (spec/e2ee.md [E2E-4.2]).
    const payload = typeof data === 'function' ? data({ epoch: at.epoch, stream: a.stream, seq }) : payloadBytes(data, 'data');
    a.seq++;
    const u = prepareRoom(key.kid, { contentType, stream: a.stream, seq, ts: now }, payload, roomAad(ROLE.author, at.epoch, room));
    const wrap = (post: Uint8Array): Uint8Array => encodeClientMessage({ op: OP_POST, room, epoch: at.epoch, post });
    const post = sealWithKey(key, u);
    return post instanceof Promise ? post.then(wrap) : wrap(post);
  }

  /** A post of this session (or of the session it resumed): its application already has it. */
  isOwn(stream: Uint8Array): boolean {
    return this.#own.has(toHex(stream));
  }

  positioned(p: PositionOp): void {
    this.frames.positioned(p);
    if (p.status === 3) this.frames.after(() => this.#ack(p.room));
  }

  /** At a position check, when the member moved on since its last RoomAck. @see [ROOM-6.8] */
  #ack(room: string): void {
    const at = this.member.position(room);
    const frame = this.member.lastFrame(room);
    if (this.acks === undefined || at === undefined || frame === undefined || at.next <= (this.#acked.get(room) ?? 0)) return;
    this.#acked.set(room, at.next);
    this.acks(encodeClientMessage({ op: OP_ROOM_ACK, room, epoch: at.epoch, next: at.next, hash: sha256(frame) }));
  }
}
