// The client's side of room streams (spec/rooms.md): Joins that name where to start, Posts sealed
// by this client as their author, and the room frames and Positions the server sends, checked by
// a RoomMember. Carried over to a session that resumes this one, so positions survive.
import { ProtocolError } from '../errors.js';
import { equalBytes, payloadBytes, randomBytes, toHex } from '../bytes.js';
import type { AsyncSigningKey, PublicKey, SigningKey } from '../keys/keys.js';
import type { KeyRing } from '../keys/keyring.js';
import { DEFAULT_CONTENT_TYPE, STREAM_ID_LENGTH, type ContentType } from '../wire/envelope.js';
import { RoomMember, type MemberHooks, type RoomMessage, type RoomNotice } from '../rooms/member.js';
import { prepareRoom, sealWithKey } from '../rooms/seal.js';
import { ROLE, roomAad } from '../rooms/wire.js';
import { FramePipeline } from '../rooms/pipeline.js';
import { OP_JOIN, OP_POST, OP_ROOM_ACK, encodeClientMessage, type JoinFrom, type PositionOp } from './messages.js';
import { sha256 } from '../crypto/sha256.js';
import { NodeKeys } from '../nodes/node-keys.js';
import type { ClientSessionOptions } from './client-options.js';
import type { Timers } from './timers.js';

/** setTimeout's limit: a later deadline is checked again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

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

  /** The client's trust: a node set's keys verify room frames in place of the server's ([NODE-5.1]). */
  readonly #trust: PublicKey | KeyRing | NodeKeys;
  /** The watch of this session's node under a node set ([NODE-4.2]). */
  #node: { check(): void; stop(): void } | undefined;

  constructor(options: Pick<ClientSessionOptions, 'serverKey' | 'roomVerify'>, serverKey: PublicKey, maxEnvelopeSize: number, hooks: MemberHooks) {
    const trust = (this.#trust = options.serverKey);
    this.member = new RoomMember(trust instanceof NodeKeys ? trust : serverKey, maxEnvelopeSize, hooks);
    this.frames = new FramePipeline(this.member, options.roomVerify);
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

  /** A frame that is not a session envelope: a room frame, or a node set. */
  frame(kind: 'room' | 'nodes', bytes: Uint8Array): void {
    if (kind === 'room') this.frames.frame(bytes);
    else this.#nodeSet(bytes);
  }

  /**
   * A node set sent in the session, checked in order with the room frames before it: refused, it
   * is reported and the session goes on; accepted, the session's own node must still be in it.
   * A client that pins one key ignores it.
   * @see [NODE-4.1]
   */
  #nodeSet(bytes: Uint8Array): void {
    const keys = this.#trust;
    if (!(keys instanceof NodeKeys)) return;
    this.frames.after(() => {
      try {
        keys.accept(bytes);
      } catch (err) {
        const code = err instanceof ProtocolError ? err.code : 'ERR_INTERNAL';
        return this.member.hooks.notice({ type: 'refused', room: null, code });
      }
      this.#node?.check();
    });
  }

  /**
   * Watches this session's node under the held set (a session that resumes this one watches it
   * anew): the session is closed when a set accepted here drops the node, and when the node's
   * validity ends (its entry's or the set's not_after) with no newer set that keeps it.
   * @see [NODE-4.2]
   */
  watchNode(serverKey: Uint8Array, timers: Timers, close: (err: ProtocolError) => void): void {
    this.unwatchNode();
    const keys = this.#trust;
    if (!(keys instanceof NodeKeys)) return;
    const node = {
      timer: undefined as unknown,
      check: (): void => {
        timers.clearTimeout(node.timer);
        node.timer = undefined;
        try {
          const until = keys.until(keys.serverKey(serverKey, keys.now()));
          node.timer = timers.setTimeout(node.check, Math.min(MAX_TIMER_MS, Math.max(0, until - keys.now()) + 1));
        } catch (err) {
          this.#node = undefined;
          close(err instanceof ProtocolError ? err : new ProtocolError('ERR_INTERNAL', 'node set check failed'));
        }
      },
      stop: (): void => timers.clearTimeout(node.timer),
    };
    this.#node = node;
    node.check();
  }

  /** The session closed (or was resumed elsewhere): no more checks of its node. */
  unwatchNode(): void {
    this.#node?.stop();
    this.#node = undefined;
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
