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
import { OP_CUSTOM, OP_JOIN, OP_LEAVE, OP_SEND, type RequestOp } from './messages.js';

/** What a dispatch needs of its session. */
export interface DispatchHost {
  /** True once the peer's authority ended (revoked, expired): nothing it sent takes effect. */
  authorityEnded(): boolean;
  isOpen(): boolean;
  /** Membership changed: the server's room index follows. */
  joined(room: string): void;
  left(room: string): void;
  /** A Send: to the room's other members ([HS-8.3]). */
  relay(room: string, message: SessionMessage): void;
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
type DataMessage = Exclude<RequestOp, { readonly op: typeof OP_JOIN | typeof OP_LEAVE }>;

export class Dispatcher {
  constructor(
    private readonly host: DispatchHost,
    private readonly hooks: { readonly authorize: Authorize; readonly validate: Validate | undefined },
    private readonly who: Verified,
    /** The session's rooms, changed here by authorized Joins and Leaves. */
    private readonly rooms: Set<string>,
  ) {}

  /** @see [POL-2.1] */
  dispatch(m: RequestOp, opened: Opened): void | Promise<void> {
    const room = m.room;
    const action = m.op === OP_JOIN ? 'join' : m.op === OP_LEAVE ? 'leave' : m.op === OP_SEND ? 'send' : m.action;
    const type = m.op === OP_CUSTOM ? 'custom' : (action as SecurityEventType);
    if (m.op === OP_SEND && !this.rooms.has(m.room)) return this.#refused(type, room, opened.seq, 'ERR_NOT_JOINED');
    const allowed = decide(this.hooks.authorize, { identity: this.who.identity, roles: this.who.roles, action, room: room });
    if (allowed === true || allowed === false) return this.#authorized(m, opened, action, type, allowed);
    return allowed.then((ok) => this.#authorized(m, opened, action, type, ok));
  }

  #authorized(m: RequestOp, opened: Opened, action: string, type: SecurityEventType, allowed: boolean): void | Promise<void> {
    const host = this.host;
    const room = m.room;
    if (!allowed) return this.#refused(type, room, opened.seq, 'ERR_FORBIDDEN');
    // After any other close the request still counts: it was accepted and will not be resent ([HS-7.6]).
    if (host.authorityEnded()) return;
    if (m.op === OP_JOIN || m.op === OP_LEAVE) {
      if (m.op === OP_JOIN) {
        this.rooms.add(m.room);
        if (host.isOpen()) host.joined(m.room);
      } else if (this.rooms.delete(m.room)) {
        host.left(m.room);
      }
      host.event(type, 'accept', undefined, room);
      host.result(opened.seq, null);
      return;
    }
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
    const who = this.who;
    const message: SessionMessage = {
      identity: who.identity,
      roles: who.roles,
      keyId: who.keyId,
      room: m.room,
      action,
      seq: opened.seq,
      ts: opened.ts,
      payload: m.data.slice(),
    };
    host.event(type, 'accept', undefined, m.room);
    if (m.op === OP_SEND) host.relay(m.room, message);
    else host.result(opened.seq, null);
    host.emit('message', message);
    host.serverMessage(message);
  }

  /** A request refused by policy: reported, answered with a Result, the session stays open ([POL-2.4]). */
  #refused(type: SecurityEventType, room: string | null, refSeq: number, code: ErrorCode): void {
    this.host.event(type, 'reject', code, room);
    this.host.result(refSeq, code);
  }
}
