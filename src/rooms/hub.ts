// The server's rooms as signed streams (spec/rooms.md): numbers each event, has it sealed once
// (alone or in a batch), keeps it in history and hands the same bytes to every live member.
import { toHex } from '../bytes.js';
import { importPublicKey, type AsyncSigningKey, type SigningKey } from '../keys/keys.js';
import { restoreRooms, type RoomLog } from './log.js';
import { encodeRoomEvent, KIND_POST, ROLE, ROOM_CONTENT_TYPE, roomAad, type KeyStatement, type RoomEventBody } from './wire.js';
import { prepareRoom } from './seal.js';
import { RoomState, type RoomMember } from './room.js';
import { TickSigner } from './signer.js';
import { StatementCache } from './statements.js';
import { GLOBAL_TIMERS, type Timers } from '../session/timers.js';
import { ProtocolError } from '../errors.js';
import type { SharedRoomStore } from './shared.js';
import { Appending } from './appending.js';
import { SharedSync, type PublishThen } from './shared-sync.js';

export interface RoomHubOptions {
  readonly key: SigningKey | AsyncSigningKey;
  readonly kid: Uint8Array;
  readonly clock: () => number;
  readonly historyCount: number;
  readonly historyMs: number;
  readonly positionMs: number;
  readonly maxBufferedAmount: number;
  /** The largest frame a member accepts: bundles stay under it ([ROOM-5.3]). */
  readonly maxFrameSize: number;
  /** Room events when members join and leave. */
  readonly presence: boolean;
  /** A signing failure: the server's key is broken, sessions end ([HS-7.12]). */
  readonly onSignError: (err: unknown) => void;
  /** Keeps the rooms' frames across restarts ([ROOM-6.7]); rooms restore from its saved frames. */
  readonly log?: RoomLog | undefined;
  /** The log failed to save a frame (its room started a new epoch) or to rewrite. */
  readonly onLogError?: ((err: unknown) => void) | undefined;
  /** Where the position check runs. Default the platform's timers. */
  readonly timers?: Timers | undefined;
  /** Room streams shared with other nodes ([ROOM-11.2]): offsets are assigned in the store. */
  readonly shared?: SharedRoomStore | undefined;
  /** The shared store failed a read, a check or an append (the hub retries; publishes are refused). */
  readonly onSharedError?: ((err: unknown) => void) | undefined;
}

/** Native fan-out: one call hands a frame to every transport subscribed to a topic. */
export interface Fanout {
  publish(topic: string, frame: Uint8Array): void;
}

/** What a Join asks for ([ROOM-6.3]). */
export type JoinFrom = undefined | 'all' | { readonly epoch: Uint8Array; readonly next: number };

const EVENT_AAD = roomAad(ROLE.event);

export class RoomHub<M extends RoomMember> {
  readonly #rooms = new Map<string, RoomState<M>>();
  readonly #signer: TickSigner;
  readonly #statements: StatementCache;
  #fanout: Fanout | undefined;
  #timer: unknown;
  readonly #sync: SharedSync<M> | undefined;
  readonly #appending = new Appending();
  /** Frames saved since the log was last rewritten. */
  #appended = 0;
  /** Server signatures made, for the bench's signatures-per-message figure. */
  get signatures(): number {
    return this.#signer.signatures;
  }

  get presence(): boolean {
    return this.o.presence;
  }

  constructor(private readonly o: RoomHubOptions) {
    this.#signer = new TickSigner(o.key, o.kid, o.clock, o.onSignError, o.maxFrameSize);
    this.#statements = new StatementCache(o.kid, this.#signer, o.clock);
    if (o.log !== undefined) this.#restore(o.log);
    this.#sync = o.shared === undefined ? undefined : this.#share(o.shared);
  }

  #share(store: SharedRoomStore): SharedSync<M> {
    const o = this.o;
    return new SharedSync<M>(store, {
      kid: o.kid,
      clock: o.clock,
      historyCount: o.historyCount,
      historyMs: o.historyMs,
      signer: this.#signer,
      statements: this.#statements,
      rooms: this.#rooms,
      create: (name) => new RoomState<M>(name, o.historyCount, o.historyMs),
      insert: (r) => {
        this.#rooms.set(r.name, r);
        this.#startChecks();
      },
      fan: (r, frame) => this.#fan(r, frame),
      detach: (r, m) => this.#detach(r, m),
      onError: (err) => o.onSharedError?.(err),
    });
  }

  /**
   * Makes the room ready for a Join: at once on one node, or once loaded from the shared store
   * (rejects with `ERR_STORE` when it cannot be). @see [ROOM-11.5]
   */
  prepare(name: string): void | Promise<void> {
    const r = this.#sync?.ready(name);
    if (!(r instanceof Promise)) return;
    return r.then(
      () => {},
      (err: unknown) => {
        this.o.onSharedError?.(err);
        throw new ProtocolError('ERR_STORE', 'the shared room store is unreachable');
      },
    );
  }

  /** Rooms as the log saved them, then the log rewritten to hold just those. @see [ROOM-6.7] */
  #restore(log: RoomLog): void {
    for (const saved of restoreRooms(log.saved, importPublicKey(this.o.key.publicKey), this.o.maxFrameSize)) {
      const r = new RoomState<M>(saved.name, this.o.historyCount, this.o.historyMs);
      r.epoch = saved.epoch;
      r.history.restore(saved.frames);
      r.next = r.history.next;
      for (const [kid, st] of saved.statements) r.statements.set(kid, st);
      for (const [stream, next] of saved.authors) r.authors.set(stream, next);
      this.#rooms.set(saved.name, r);
    }
    if (this.#rooms.size > 0) this.#startChecks();
    this.#rewrite();
  }

  /** Saves a frame before it is sent; false when it could not be, and the room began again. */
  #save(r: RoomState<M>, frame: Uint8Array): boolean {
    const log = this.o.log;
    if (log === undefined) return true;
    try {
      log.append(frame);
      this.#appended++;
      return true;
    } catch (err) {
      this.o.onLogError?.(err);
      this.#restart(r);
      return false;
    }
  }

  /**
   * The room's log lost a frame: a restart could reuse offsets its members hold. Nothing unsaved
   * goes out; the room begins a new epoch, and its members, told they are behind, recover into it
   * and learn their history was lost ([ROOM-6.1]).
   */
  #restart(old: RoomState<M>): void {
    old.ended = true;
    const r = new RoomState<M>(old.name, this.o.historyCount, this.o.historyMs);
    this.#rooms.set(old.name, r);
    for (const m of [...old.live, ...old.behind]) {
      this.#detach(old, m);
      m.position({ room: r.name, epoch: r.epoch, next: 0, status: 4, count: 0 });
    }
  }

  #rewrite(): void {
    const log = this.o.log;
    if (log === undefined) return;
    const frames: Uint8Array[] = [];
    for (const r of this.#rooms.values()) {
      for (const st of r.statements.values()) if (st.frame !== undefined) frames.push(st.frame);
      frames.push(...r.history.frames());
    }
    try {
      log.rewrite(frames);
      this.#appended = 0;
    } catch (err) {
      this.o.onLogError?.(err);
    }
  }

  /** The uWebSockets.js adapter's topic publish, used instead of a loop over members. */
  setFanout(fanout: Fanout | undefined): void {
    this.#fanout = fanout;
  }

  room(name: string): RoomState<M> | undefined {
    return this.#rooms.get(name);
  }

  #roomFor(name: string): RoomState<M> {
    let r = this.#rooms.get(name);
    // A shared room is loaded before a Join ([ROOM-11.5]): a local epoch here would fork it.
    if (r === undefined && this.#sync !== undefined) throw new ProtocolError('ERR_STORE', 'the room is not loaded');
    if (r === undefined) {
      this.#rooms.set(name, (r = new RoomState<M>(name, this.o.historyCount, this.o.historyMs)));
      this.#startChecks();
    }
    return r;
  }

  /**
   * Statements, history from the asked offset, a Position, then live events.
   * @see [ROOM-6.3]
   */
  join(member: M, name: string, from: JoinFrom, rejoin = false): void {
    const r = this.#roomFor(name);
    this.#detach(r, member);
    for (const s of r.statements.values()) if (s.frame !== undefined) member.sendFrame(s.frame);
    r.history.trim(this.o.clock());
    const sameEpoch = typeof from === 'object' && toHex(from.epoch) === toHex(r.epoch);
    const rec = r.history.recover(typeof from === 'object' ? (sameEpoch ? from.next : -1) : from);
    // History takes at most half the buffer, like live events ([ROOM-7.1]); the rest follows
    // when the member, told it is behind, recovers again from where this part ends.
    const budget = this.o.maxBufferedAmount / 2;
    let sent = 0;
    let events = 0;
    for (const { frame, count } of rec.frames) {
      if (sent > 0 && member.buffered() + frame.length > budget) break;
      member.sendFrame(frame);
      sent++;
      events += count;
    }
    // Events queued but not yet sealed get their offsets later: the Position names where the
    // sealed ones end, and the member receives the rest live. A room a resumed session takes over
    // was not asked for: a check, which the member compares with where it stands ([ROOM-6.6]).
    const next = rec.first + events;
    member.position({ room: name, epoch: r.epoch, next, status: rejoin ? 3 : rec.status, count: events });
    if (sent < rec.frames.length) {
      r.behind.add(member);
      return;
    }
    r.live.add(member);
    member.subscribe?.(r.topic);
  }

  leave(member: M, name: string): void {
    const r = this.#rooms.get(name);
    if (r === undefined) return;
    this.#detach(r, member);
  }

  #detach(r: RoomState<M>, member: M): void {
    if (r.live.delete(member)) member.unsubscribe?.(r.topic);
    r.behind.delete(member);
  }

  /** Numbers a room event and queues it for sealing; the statement of a post's author goes first. */
  /** With a shared store: resolves once every event published until now was appended or refused. */
  appended(): Promise<void> | undefined {
    return this.#appending.settled();
  }

  publish(name: string, body: RoomEventBody, author?: KeyStatement, then?: PublishThen): void {
    if (this.#sync !== undefined) return this.#sync.publish(name, body, author, this.#appending.wrap(then));
    const r = this.#roomFor(name);
    if (body.kind === KIND_POST && author !== undefined) {
      this.#statements.ensure(r, author, (f) => {
        if (!r.ended && this.#save(r, f)) this.#fan(r, f);
      });
    }
    const u = prepareRoom(
      this.o.kid,
      { contentType: ROOM_CONTENT_TYPE, stream: r.epoch, seq: r.next++, ts: this.o.clock() },
      encodeRoomEvent({ room: name, body }),
      EVENT_AAD,
    );
    r.active = true;
    this.#signer.event(
      r,
      u,
      r.deliver ??
        (r.deliver = (frame, count) => {
          if (r.ended || !this.#save(r, frame)) return;
          r.history.push(frame, count, this.o.clock());
          this.#fan(r, frame);
        }),
    );
    // Numbered: on one node the event is as good as sent (a log failure ends its epoch instead).
    then?.settled?.(null);
  }

  /** @see [ROOM-7.1] */
  #fan(r: RoomState<M>, frame: Uint8Array): void {
    // Room frames take at most half of a connection's buffer: the session's own data pauses at
    // half too ([POL-8.1]), and its receipts and Results must always fit ([POL-8.4]). A topic
    // publish checks nothing of the kind, so members are checked first in either case.
    const max = this.o.maxBufferedAmount / 2;
    const fanout = this.#fanout;
    for (const m of r.live) {
      // As for session data ([POL-8.2]): a frame goes out while the buffer is empty or stays at half.
      const buffered = m.buffered();
      if (buffered > 0 && buffered + frame.length > max) {
        r.live.delete(m);
        m.unsubscribe?.(r.topic);
        r.behind.add(m);
      } else if (fanout === undefined) {
        m.sendFrame(frame);
      }
    }
    fanout?.publish(r.topic, frame);
  }

  /** A member's transport drained: those it fell behind in are told to recover. */
  drained(member: M): void {
    if (member.buffered() > this.o.maxBufferedAmount / 4) return;
    for (const r of this.#rooms.values()) {
      if (!r.behind.delete(member)) continue;
      member.position({ room: r.name, epoch: r.epoch, next: r.history.next, status: 4, count: 0 });
    }
  }

  /** Forgets a member everywhere (its session ended). */
  gone(member: M, rooms: Iterable<string>): void {
    for (const name of rooms) this.leave(member, name);
  }

  /** @see [ROOM-6.5] */
  #startChecks(): void {
    if (this.#timer !== undefined || this.o.positionMs <= 0) return;
    const timers = this.o.timers ?? GLOBAL_TIMERS;
    // An interval made of timeouts, re-armed before each check: the seam has no setInterval.
    const arm = (): void => {
      this.#timer = timers.setTimeout(() => {
        arm();
        this.#check();
      }, this.o.positionMs);
      (this.#timer as { unref?: () => void }).unref?.();
    };
    arm();
  }

  #check(): void {
    // The log holds what history dropped too: rewritten once it is mostly that.
    let held = 0;
    for (const r of this.#rooms.values()) held += r.statements.size + r.history.size;
    if (this.#appended > Math.max(1024, 2 * held)) this.#rewrite();
    for (const [name, r] of this.#rooms) {
      // A room nobody is in and whose history is empty is forgotten: its epoch with it.
      r.history.trim(this.o.clock());
      // A shared room lives on in the store: this node forgets it once no member here needs it.
      const forgotten = this.#sync === undefined ? r.history.next === r.history.start && r.next === r.history.next : r.pending.length === 0 && !r.busy;
      if (r.size === 0 && forgotten) {
        this.#rooms.delete(name);
        continue;
      }
      if (!r.active) continue;
      r.active = false;
      for (const m of r.live) m.position({ room: r.name, epoch: r.epoch, next: r.history.next, status: 3, count: 0 });
    }
  }

  close(): void {
    this.#sync?.close();
    (this.o.timers ?? GLOBAL_TIMERS).clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
