// A member's view of its rooms (spec/rooms.md §6, §8): holds each room's epoch and expected
// offset, the statements of its authors and their stream positions; delivers each event once, in
// order, and asks to recover when it finds a gap.
import { ProtocolError, type ErrorCode } from '../errors.js';
import { equalBytes, toHex } from '../bytes.js';
import { importPublicKey, keyId, type PublicKey } from '../keys/keys.js';
import { decodeEnvelope } from '../wire/envelope.js';
import type { NodeKeys } from '../nodes/node-keys.js';
import { FrameChecker, type CheckedEvent, type CheckedFrame } from './frames.js';
import { Lru } from './lru.js';
import { MAX_AUTHOR_STREAMS, MAX_ROOM_STATEMENTS, type PositionInfo } from './room.js';
import type { Preverified, SignatureCheck } from './preverify.js';
import { resolveFor, verifyResolvedWith } from './seal.js';
import { verifyAuthor } from './posts.js';
import { KIND_POST, KIND_PRESENCE, KIND_RELAY, ROLE, roomAad, type KeyStatement, type RoomEvent } from './wire.js';

/** Frames a joining member holds until its Position arrives. */
const MAX_HELD = 4096;

/** One delivered room event. */
export interface RoomMessage {
  readonly room: string;
  readonly offset: number;
  /** Who wrote it: `author` when the member verified the author's own signature, else `server`. */
  readonly verified: 'author' | 'server';
  readonly identity: string;
  readonly roles: readonly string[];
  /** The author's kid (hex), author stream seq and ts; the server's for announcements. */
  readonly keyId: string;
  readonly seq: number;
  readonly ts: number;
  /** `send`, `join` or `leave`, or the action a server announcement names. */
  readonly action: string;
  readonly payload: Uint8Array;
  /** The exact frame received: evidence for `sealwire verify`. */
  readonly frame: Uint8Array;
  /** A post's author stream ([ROOM-3.2]): tells a client its own session's posts from others'. */
  readonly authorStream?: Uint8Array;
  /** A post's content type and the epoch it was bound to: what an encrypted room reads (spec/e2ee.md). */
  readonly contentType?: number | string;
  readonly epoch?: Uint8Array;
}

export type RoomNotice =
  | {
      readonly type: 'position';
      readonly room: string;
      readonly status: 'current' | 'recovered' | 'lost' | 'check' | 'behind';
      readonly count: number;
      readonly next: number;
    }
  | { readonly type: 'refused'; readonly room: string | null; readonly code: ErrorCode; readonly offset?: number }
  | { readonly type: 'gap'; readonly room: string; readonly keyId: string; readonly missing: number };

interface Joined {
  epoch?: Uint8Array;
  expected?: number;
  /** Joins sent and not yet answered by their Position: events are held until none is left. */
  awaiting: number;
  /** Frames waiting for a Position (joining or recovering). */
  held?: { checked: CheckedEvent; frame: Uint8Array; pre: Preverified | undefined }[] | undefined;
  readonly statements: Lru<{ s: KeyStatement; key: PublicKey }>;
  /** The frame that carried the event at `expected - 1`: what a RoomAck hashes ([ROOM-6.8]). */
  last?: Uint8Array | undefined;
  readonly authors: Lru<number>;
  /** The member has followed this epoch from offset 0: every author stream began in its sight. */
  fromStart?: boolean;
  /** Recoveries in a row from one offset ([ROOM-6.9]). */
  tries?: { readonly epoch: Uint8Array | undefined; readonly next: number; count: number } | undefined;
}

/** Recoveries from one offset before the member skips what it keeps refusing there ([ROOM-6.9]). */
const MAX_RECOVERIES = 3;

export interface MemberHooks {
  message(m: RoomMessage): void;
  notice(n: RoomNotice): void;
  /** Ask the server to resend from `next` of `epoch` (a Join) ([ROOM-6.4]). */
  recover(room: string, epoch: Uint8Array, next: number): void;
  /** A frame whose server signature verified: a line of a room transcript ([ROOM-9.1]). */
  evidence?(frame: Uint8Array): void;
}

const sameEpoch = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean => a === b || (a !== undefined && b !== undefined && equalBytes(a, b));

const STATUS = ['current', 'recovered', 'lost', 'check', 'behind'] as const;

export class RoomMember {
  readonly #rooms = new Map<string, Joined>();
  readonly #checker: FrameChecker;

  constructor(
    /** The server's key, or a node set's keys (spec/nodes.md §5). */
    keys: PublicKey | NodeKeys,
    private readonly maxEnvelopeSize: number,
    /** Replaced when a resumed session takes this member over. */
    public hooks: MemberHooks,
  ) {
    this.#checker = new FrameChecker(keys, maxEnvelopeSize);
  }

  /** A Join was sent: hold the room's events until its Position. */
  joining(room: string): void {
    const r = this.#rooms.get(room);
    if (r !== undefined) {
      r.held ??= [];
      r.awaiting++;
      return;
    }
    this.#rooms.set(room, { awaiting: 1, held: [], statements: new Lru(MAX_ROOM_STATEMENTS), authors: new Lru(MAX_AUTHOR_STREAMS) });
  }

  left(room: string): void {
    this.#rooms.delete(room);
  }

  /** Where the member stands in a room: what to name when it rejoins after a reconnect. */
  position(room: string): { epoch: Uint8Array; next: number } | undefined {
    const r = this.#rooms.get(room);
    return r?.epoch === undefined || r.expected === undefined ? undefined : { epoch: r.epoch, next: r.expected };
  }

  /** The frame that carried the last event accepted in `room`, while its epoch lasts. */
  lastFrame(room: string): Uint8Array | undefined {
    return this.#rooms.get(room)?.last;
  }

  /**
   * The signatures `frame(bytes)` will check, as far as it can tell now (the statements it holds):
   * verified ahead and handed back as `pre`, they are not verified again.
   */
  signatures(bytes: Uint8Array): SignatureCheck[] {
    const out: SignatureCheck[] = [];
    try {
      const checked = this.#checker.check(bytes, out);
      if (checked.type === 'statement') return out;
      for (const e of checked.events) {
        const room = this.#rooms.get(e.event.room);
        if (room === undefined || e.event.body.kind !== KIND_POST) continue;
        const post = e.event.body.post;
        const held = room.statements.get(toHex(decodeEnvelope(post).header.kid));
        if (held !== undefined) verifyResolvedWith(resolveFor(post, held.key, this.maxEnvelopeSize), roomAad(ROLE.author, e.epoch, e.event.room), out);
      }
    } catch {
      // frame() refuses it with its code; what was listed so far is harmless to verify.
    }
    return out;
  }

  /** One room frame from the transport, with what was verified ahead. @see [ROOM-1.3] */
  frame(bytes: Uint8Array, pre?: Preverified): void {
    let checked: CheckedFrame;
    try {
      checked = this.#checker.check(bytes, pre);
    } catch (err) {
      return this.#refused(null, err);
    }
    this.hooks.evidence?.(bytes);
    if (checked.type === 'statement') return this.#statement(checked.statement);
    for (const e of checked.events) {
      const room = this.#rooms.get(e.event.room);
      if (room === undefined) {
        this.hooks.notice({ type: 'refused', room: e.event.room, code: 'ERR_NOT_JOINED' });
      } else if (room.held !== undefined) {
        if (room.held.length < MAX_HELD) room.held.push({ checked: e, frame: bytes, pre });
      } else {
        this.#ordered(room, e, bytes, pre);
      }
    }
  }

  /** A Position from the session ([ROOM-6.3]–[ROOM-7.1]). */
  positioned(p: PositionInfo): void {
    const room = this.#rooms.get(p.room);
    if (room === undefined) return;
    const status = STATUS[p.status];
    // A Position nobody asked for (a check, a member dropped as behind, rooms rejoined after a
    // resume): recover when it shows that events were missed.
    if (status === 'check' || status === 'behind') {
      if (room.held !== undefined) return; // a recovery is already on its way
      const stale = room.epoch === undefined || room.expected === undefined || room.expected < p.next || !equalBytes(room.epoch, p.epoch);
      if (status === 'behind' || stale) this.#recover(p.room, room);
      if (status === 'behind') this.hooks.notice({ type: 'position', room: p.room, status, count: 0, next: p.next });
      return;
    }
    // The answer to one of our Joins; events stay held until the last one is answered.
    if (room.awaiting > 0 && --room.awaiting > 0) return;
    const held = room.held ?? [];
    room.held = undefined;
    // A bundle that starts before where the member stands is resent whole: never step back.
    const same = room.epoch !== undefined && room.expected !== undefined && equalBytes(room.epoch, p.epoch);
    room.expected = same ? Math.max(room.expected!, p.next - p.count) : p.next - p.count;
    room.epoch = p.epoch;
    if (!same) {
      room.last = undefined;
      room.fromStart = room.expected === 0;
    }
    if (status === 'lost') room.authors.clear();
    held.sort((a, b) => a.checked.offset - b.checked.offset);
    for (const h of held) this.#ordered(room, h.checked, h.frame, h.pre);
    this.hooks.notice({ type: 'position', room: p.room, status, count: p.count, next: p.next });
  }

  #recover(name: string, room: Joined): void {
    const next = room.expected ?? 0;
    const t = room.tries;
    if (t !== undefined && t.next === next && sameEpoch(t.epoch, room.epoch)) t.count++;
    else room.tries = { epoch: room.epoch, next, count: 1 };
    room.held = [];
    room.awaiting++;
    this.hooks.recover(name, room.epoch ?? new Uint8Array(16), next);
  }

  /** True once the member recovered from where it stands 3 times in a row. @see [ROOM-6.9] */
  #gaveUp(room: Joined): boolean {
    const t = room.tries;
    return t !== undefined && t.count >= MAX_RECOVERIES && t.next === room.expected && sameEpoch(t.epoch, room.epoch);
  }

  /** @see [ROOM-6.4] */
  #ordered(room: Joined, c: CheckedEvent, frame: Uint8Array, pre: Preverified | undefined): void {
    const name = c.event.room;
    if (room.epoch === undefined || !equalBytes(room.epoch, c.epoch)) {
      return this.hooks.notice({ type: 'refused', room: name, code: 'ERR_WRONG_STREAM', offset: c.offset });
    }
    const expected = room.expected!;
    if (c.offset < expected) return; // a duplicate
    if (c.offset > expected) {
      if (!this.#gaveUp(room)) return this.#recover(name, room);
      // [ROOM-6.9]: what stands at `expected` never came acceptable: the member skips it.
      this.hooks.notice({ type: 'position', room: name, status: 'lost', count: 0, next: c.offset });
    }
    room.tries = undefined;
    room.expected = c.offset + 1;
    room.last = frame;
    try {
      this.#deliver(room, c, frame, pre);
    } catch (err) {
      this.#refused(name, err, c.offset);
    }
  }

  #deliver(room: Joined, c: CheckedEvent, frame: Uint8Array, pre: Preverified | undefined): void {
    const { event, offset } = c;
    const b = event.body;
    const base = { room: event.room, offset, frame };
    if (b.kind === KIND_POST) {
      this.hooks.message({ ...base, ...this.#author(room, event, c.epoch, b.post, pre), verified: 'author', action: 'send' });
    } else if (b.kind === KIND_RELAY) {
      this.hooks.message({
        ...base,
        verified: 'server',
        identity: b.from,
        roles: b.fromRoles,
        keyId: toHex(b.fromKid),
        seq: b.fromSeq,
        ts: b.fromTs,
        action: b.action,
        payload: b.data,
      });
    } else if (b.kind === KIND_PRESENCE) {
      const server = toHex(c.kid);
      this.hooks.message({
        ...base,
        verified: 'server',
        identity: b.identity,
        roles: [],
        keyId: server,
        seq: offset,
        ts: c.ts,
        action: b.joined ? 'join' : 'leave',
        payload: new Uint8Array(0),
      });
    } else {
      this.hooks.message({
        ...base,
        verified: 'server',
        identity: b.from,
        roles: [],
        keyId: toHex(c.kid),
        seq: offset,
        ts: c.ts,
        action: b.action,
        payload: b.data,
      });
    }
  }

  /** Step 7 of spec/rooms.md §8: the author's envelope under its statement. */
  #author(
    room: Joined,
    event: RoomEvent,
    epoch: Uint8Array,
    post: Uint8Array,
    pre: Preverified | undefined,
  ): Pick<RoomMessage, 'identity' | 'roles' | 'keyId' | 'seq' | 'ts' | 'payload' | 'authorStream' | 'contentType' | 'epoch'> {
    const kid = decodeEnvelope(post).header.kid;
    const held = room.statements.get(toHex(kid));
    if (held === undefined) throw new ProtocolError('ERR_UNKNOWN_KEY', 'no statement for this author');
    const resolved = verifyAuthor(post, held, epoch, event.room, this.maxEnvelopeSize, pre);
    const h = resolved.decoded.header;
    const streamKey = toHex(kid) + toHex(h.stream);
    const last = room.authors.get(streamKey);
    if (last !== undefined && h.seq <= last) throw new ProtocolError('ERR_REPLAY', 'author seq went back');
    // A stream first seen mid-epoch may have begun before the member's position: no gap to report.
    const missing = last !== undefined ? h.seq - (last + 1) : room.fromStart === true ? h.seq : 0;
    room.authors.set(streamKey, h.seq);
    if (missing > 0) this.hooks.notice({ type: 'gap', room: event.room, keyId: toHex(kid), missing });
    const s = held.s;
    return {
      identity: s.identity,
      roles: s.roles,
      keyId: toHex(kid),
      seq: h.seq,
      ts: h.ts,
      payload: resolved.decoded.payload.slice(),
      authorStream: h.stream,
      contentType: h.contentType,
      epoch,
    };
  }

  /** @see [ROOM-4.1] */
  #statement(s: KeyStatement): void {
    const room = this.#rooms.get(s.room);
    if (room === undefined) return this.hooks.notice({ type: 'refused', room: s.room, code: 'ERR_NOT_JOINED' });
    let key: PublicKey;
    try {
      key = importPublicKey(s.key);
      if (!equalBytes(keyId(s.key), s.kid)) throw new ProtocolError('ERR_BAD_KEY', 'kid is not the key thumbprint');
    } catch (err) {
      return this.#refused(s.room, err);
    }
    room.statements.set(toHex(s.kid), { s, key });
  }

  /** The key of an author whose statement the member holds in `room` (hex kid). */
  authorKey(room: string, keyId: string): PublicKey | undefined {
    return this.#rooms.get(room)?.statements.get(keyId)?.key;
  }

  #refused(room: string | null, err: unknown, offset?: number): void {
    const code: ErrorCode = err instanceof ProtocolError ? err.code : 'ERR_INTERNAL';
    this.hooks.notice({ type: 'refused', room, code, ...(offset !== undefined ? { offset } : {}) });
  }
}
