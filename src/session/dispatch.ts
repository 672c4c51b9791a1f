// A verified request's way through policy, after the signature ([POL-1.1]): membership,
// `authorize`, `validate`, then the effect (join, leave, relay, the application). Synchronous hooks
// (the common case) keep the whole dispatch synchronous; a hook returning a promise continues the
// same steps when it settles.
import type { ErrorCode } from '../errors.js';
import type { Opened } from '../envelope/open.js';
import type { Authorize, Validate } from '../policy/authorize.js';
import { decide } from '../policy/decide.js';
import type { SecurityEventType } from '../policy/events.js';
import type { SessionMessage } from './session.js';
import type { RecordHold } from './inbound.js';
import { OP_CUSTOM, OP_JOIN, OP_LEAVE, OP_POST, OP_ROOM_ACK, OP_SEND, type JoinFrom, type RequestOp, type RoomAckOp } from './messages.js';

/** What a dispatch needs of its session. */
export interface DispatchHost {
  /** True once the peer's authority ended (revoked, expired): nothing it sent takes effect. */
  authorityEnded(): boolean;
  isOpen(): boolean;
  /** Membership changed: the server's room index follows; a Join says where its events start. */
  joined(room: string, from?: JoinFrom): void | Promise<void>;
  left(room: string): void;
  /** A Send: to the room's other members ([HS-8.3]). */
  relay(room: string, message: SessionMessage, refused: (code: ErrorCode) => void): void;
  /** A Post's checks before `validate` ([ROOM-3.3]): a refusal, a quiet duplicate, or its payload and commit. */
  checkPost(m: PostOp): ErrorCode | 'duplicate' | CheckedPost;
  /** A RoomAck's checks after membership ([ROOM-6.8]); accepted ones go to the application. */
  roomAck(m: RoomAckOp, seq: number): ErrorCode | undefined;
  event(type: SecurityEventType, outcome: 'accept' | 'reject', code: ErrorCode | undefined, room: string | null): void;
  /** Answers the request with a Result ([POL-2.4]). */
  result(refSeq: number, code: ErrorCode | null): void;
  /** An accepted Send or Custom, for the application: the session's listeners, then the server's. */
  emit(type: 'message', message: SessionMessage): void;
  serverMessage(message: SessionMessage): void;
}

/** Who the session verified ([HS-5]): what every decision is made on. */
export interface Verified {
  readonly identity: string;
  readonly roles: readonly string[];
  readonly keyId: string;
}

/** A request that carries data: a Send or a custom action. */
type DataMessage = Exclude<RequestOp, { readonly op: typeof OP_JOIN | typeof OP_LEAVE | typeof OP_POST | typeof OP_ROOM_ACK }>;
type PostOp = Extract<RequestOp, { readonly op: typeof OP_POST }>;
/** What `authorize` decides on: every request but a RoomAck. */
type PolicyOp = Exclude<RequestOp, RoomAckOp>;

/** A Post's acknowledgement, held until its commit settles. */
interface PostHold {
  readonly release: () => void;
  committing: boolean;
}

/** A Post whose author envelope verified: its payload, and the step that publishes it. */
export interface CheckedPost {
  readonly payload: Uint8Array;
  /** The author envelope's seq and ts: what members see the message named by. */
  readonly seq: number;
  readonly ts: number;
  /** Publishes; `settled` hears whether the event went out (later, when rooms are shared), `dropped` that it was a resent duplicate. */
  commit(settled: (code: ErrorCode | null) => void, dropped?: () => void): void;
}

export class Dispatcher {
  constructor(
    private readonly host: DispatchHost,
    private readonly hooks: { readonly authorize: Authorize; readonly validate: Validate | undefined },
    private readonly who: Verified,
    /** The session's rooms, changed here by authorized Joins and Leaves. */
    private readonly rooms: Set<string>,
  ) {}

  /** @see [POL-2.1] */
  dispatch(m: RequestOp, opened: Opened, hold?: RecordHold): void | Promise<void> {
    if (m.op !== OP_POST || hold === undefined) return this.#dispatch(m, opened, undefined);
    // [ROOM-11.9]: a Post is acknowledged once published, refused or dropped; its commit may answer later.
    const post: PostHold = { release: hold(), committing: false };
    const done = (): void => {
      if (!post.committing) post.release();
    };
    let r: void | Promise<void>;
    try {
      r = this.#dispatch(m, opened, post);
    } catch (err) {
      post.release();
      throw err;
    }
    if (r === undefined) return done();
    return r.finally(done);
  }

  #dispatch(m: RequestOp, opened: Opened, post: PostHold | undefined): void | Promise<void> {
    if (m.op === OP_ROOM_ACK) return this.#roomAck(m, opened.seq);
    const room = m.room;
    const action = m.op === OP_JOIN ? 'join' : m.op === OP_LEAVE ? 'leave' : m.op === OP_CUSTOM ? m.action : 'send';
    const type = m.op === OP_CUSTOM ? 'custom' : (action as SecurityEventType);
    if ((m.op === OP_SEND || m.op === OP_POST) && !this.rooms.has(m.room)) return this.#refused(type, room, opened.seq, 'ERR_NOT_JOINED');
    const allowed = decide(this.hooks.authorize, { identity: this.who.identity, roles: this.who.roles, action, room: room });
    if (allowed === true || allowed === false) return this.#authorized(m, opened, action, type, allowed, post);
    return allowed.then((ok) => this.#authorized(m, opened, action, type, ok, post));
  }

  #authorized(m: PolicyOp, opened: Opened, action: string, type: SecurityEventType, allowed: boolean, post?: PostHold): void | Promise<void> {
    const host = this.host;
    const room = m.room;
    if (!allowed) return this.#refused(type, room, opened.seq, 'ERR_FORBIDDEN');
    // After any other close the request still counts: it was accepted and will not be resent ([HS-7.6]).
    if (host.authorityEnded()) return;
    if (m.op === OP_JOIN || m.op === OP_LEAVE) {
      if (m.op === OP_JOIN) {
        this.rooms.add(m.room);
        const joined = host.isOpen() ? host.joined(m.room, m.from) : undefined;
        // A shared room loads before its Position and Result ([ROOM-11.5]).
        if (joined instanceof Promise) {
          return joined.then(
            () => {
              host.event(type, 'accept', undefined, room);
              host.result(opened.seq, null);
            },
            () => {
              this.rooms.delete(m.room);
              this.#refused(type, room, opened.seq, 'ERR_STORE');
            },
          );
        }
      } else if (this.rooms.delete(m.room)) {
        host.left(m.room);
      }
      host.event(type, 'accept', undefined, room);
      host.result(opened.seq, null);
      return;
    }
    if (m.op === OP_POST) return this.#post(m, opened, type, post);
    const validate = this.hooks.validate;
    if (validate === undefined) return this.#deliver(m, opened, action, type);
    const valid = decide(validate, { identity: this.who.identity, roles: this.who.roles, action, room: room, payload: m.data });
    if (valid === true || valid === false) return this.#validated(m, opened, action, type, valid);
    return valid.then((ok) => this.#validated(m, opened, action, type, ok));
  }

  /** @see [POL-2.5] */
  #validated(m: DataMessage, opened: Opened, action: string, type: SecurityEventType, valid: boolean): void {
    if (!valid) return this.#refused(type, m.room, opened.seq, 'ERR_PAYLOAD_INVALID');
    if (this.host.authorityEnded()) return;
    this.#deliver(m, opened, action, type);
  }

  #deliver(m: DataMessage, opened: Opened, action: string, type: SecurityEventType): void {
    const host = this.host;
    const message = this.#message(m.room, action, opened.seq, opened.ts, m.data);
    host.event(type, 'accept', undefined, m.room);
    if (m.op === OP_SEND) host.relay(m.room, message, (code) => this.#refused(type, m.room, opened.seq, code));
    else host.result(opened.seq, null);
    host.emit('message', message);
    host.serverMessage(message);
  }

  /** The verified message for the application: who sent it is the session's verified identity. */
  #message(room: string | null, action: string, seq: number, ts: number, payload: Uint8Array): SessionMessage {
    const who = this.who;
    return { identity: who.identity, roles: who.roles, keyId: who.keyId, room, action, seq, ts, payload: payload.slice() };
  }

  /** @see [ROOM-3.3] */
  #post(m: PostOp, opened: Opened, type: SecurityEventType, hold: PostHold | undefined): void | Promise<void> {
    const checked = this.host.checkPost(m);
    if (checked === 'duplicate') return;
    if (typeof checked === 'string') return this.#refused(type, m.room, opened.seq, checked);
    const validate = this.hooks.validate;
    const publish = (valid: boolean): void => {
      if (!valid) return this.#refused(type, m.room, opened.seq, 'ERR_PAYLOAD_INVALID');
      if (this.host.authorityEnded()) return;
      if (hold !== undefined) hold.committing = true;
      checked.commit(
        (code) => {
          hold?.release();
          // Not appended to a shared room: the author is told, the application hears nothing ([ROOM-11.6]).
          if (code !== null) return this.#refused(type, m.room, opened.seq, code);
          const message = this.#message(m.room, 'send', checked.seq, checked.ts, checked.payload);
          this.host.event(type, 'accept', undefined, m.room);
          this.host.emit('message', message);
          this.host.serverMessage(message);
        },
        () => hold?.release(),
      );
    };
    if (validate === undefined) return publish(true);
    const valid = decide(validate, { identity: this.who.identity, roles: this.who.roles, action: 'send', room: m.room, payload: checked.payload });
    if (valid === true || valid === false) return publish(valid);
    return valid.then(publish);
  }

  /** Not a request of the application's: no `authorize`, and no Result unless refused. @see [ROOM-6.8] */
  #roomAck(m: RoomAckOp, seq: number): void {
    const code = this.rooms.has(m.room) ? this.host.roomAck(m, seq) : 'ERR_NOT_JOINED';
    if (code !== undefined) this.#refused('message', m.room, seq, code);
  }

  /** A request refused by policy: reported, answered with a Result, the session stays open ([POL-2.4]). */
  #refused(type: SecurityEventType, room: string | null, refSeq: number, code: ErrorCode): void {
    this.host.event(type, 'reject', code, room);
    this.host.result(refSeq, code);
  }
}
