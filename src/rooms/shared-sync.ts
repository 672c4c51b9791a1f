// Rooms whose stream several nodes share (spec/rooms.md §11.1). A node numbers events from its view
// of the head, has them sealed, and sends them only once the store appended them at that head;
// when another node got there first it reads what it missed and seals again. A reader hands every
// node the entries others appended, by id, so a missing one is a visible gap.
import { fromHex, randomBytes, toHex } from '../bytes.js';
import { STREAM_ID_LENGTH } from '../wire/envelope.js';
import type { PendingEvent, RoomMember, RoomState } from './room.js';
import { prepareRoom } from './seal.js';
import { keepStatement, learnAuthors, queuedAt } from './shared-authors.js';
import { dropResent, refuseStale } from './shared-pending.js';
import { compareIds, splitId, type NewFrame, type SharedEntry, type SharedHead, type SharedRoomStore } from './shared.js';
import type { TickSigner } from './signer.js';
import type { StatementCache } from './statements.js';
import { encodeRoomEvent, KIND_POST, MAX_BUNDLE, ROLE, ROOM_CONTENT_TYPE, roomAad, type KeyStatement, type RoomEventBody } from './wire.js';
import { withDeadline } from '../store-calls.js';

const EVENT_AAD = roomAad(ROLE.event);
/** Events a room holds waiting for the store; more are refused (nothing held beyond its cap). */
const MAX_PENDING = 4096;
/** Heads moved under one batch this often in a row: the store is refused as unusable. */
const MAX_TRIES = 64;
const PAGE = 1024;

/** What the sync needs of the hub. */
export interface SyncHost<M extends RoomMember> {
  readonly kid: Uint8Array;
  readonly clock: () => number;
  readonly historyCount: number;
  readonly historyMs: number;
  readonly signer: TickSigner;
  readonly statements: StatementCache;
  readonly rooms: Map<string, RoomState<M>>;
  /** A new room state, not yet in `rooms`. */
  create(name: string): RoomState<M>;
  insert(r: RoomState<M>): void;
  fan(r: RoomState<M>, frame: Uint8Array): void;
  detach(r: RoomState<M>, m: M): void;
  onError(err: unknown): void;
}

/** What a publish is told: the post's epoch; then whether its event went out, or that it was dropped ([ROOM-11.8]). */
export interface PublishThen extends Partial<Pick<PendingEvent, 'settled' | 'dropped'>> {
  readonly epoch?: Uint8Array | undefined;
}

type Outcome = 'ok' | 'retry' | 'store';

function timed<T>(p: Promise<T>, ms: number): Promise<T> {
  return withDeadline(p, ms, () => new Error('sealwire: the shared room store did not answer in time'));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => (setTimeout(resolve, ms) as { unref?: () => void }).unref?.());
}

export class SharedSync<M extends RoomMember> {
  readonly #loading = new Map<string, Promise<RoomState<M>>>();
  #closed = false;
  #reading = false;
  #inflight: Promise<Map<string, SharedEntry[]>> | undefined;
  #lastCheck = 0;
  /** Rooms with a head check queued: a store that hangs does not pile them up. */
  readonly #checking = new WeakSet<RoomState<M>>();

  constructor(
    private readonly store: SharedRoomStore,
    private readonly h: SyncHost<M>,
  ) {}

  get #ttl(): number {
    return 2 * this.h.historyMs;
  }

  #t<T>(p: Promise<T>): Promise<T> {
    return timed(p, this.store.appendTimeoutMs + this.store.graceMs);
  }

  /** Runs `fn` after everything queued on the room: appends, reads and reloads never interleave. */
  #locked(r: RoomState<M>, fn: () => Promise<void> | void): Promise<void> {
    const run = r.chain.then(fn);
    r.chain = run.catch((err: unknown) => this.h.onError(err));
    return run;
  }

  /** The room, loaded from the store first when this node does not hold it. @see [ROOM-11.5] */
  ready(name: string): RoomState<M> | Promise<RoomState<M>> {
    const held = this.h.rooms.get(name);
    if (held !== undefined) return held;
    let p = this.#loading.get(name);
    if (p === undefined) {
      p = this.#load(name).finally(() => this.#loading.delete(name));
      this.#loading.set(name, p);
    }
    return p;
  }

  async #load(name: string): Promise<RoomState<M>> {
    let head = await this.#t(this.store.head(name, this.#ttl));
    head ??= await this.#t(this.store.reset(name, toHex(randomBytes(STREAM_ID_LENGTH)), null, this.#ttl));
    const r = this.h.create(name);
    await this.#fill(r, head);
    this.h.insert(r);
    this.#startReader();
    return r;
  }

  /** Replaces the room's epoch, history and statements with the store's. */
  async #fill(r: RoomState<M>, head: SharedHead): Promise<void> {
    const statements = await this.#t(this.store.statements(r.name));
    const entries: SharedEntry[] = [];
    const learned = new Map<string, number>();
    for (let after = '0-0'; ;) {
      const page = await this.#t(this.store.range(r.name, after, PAGE));
      // Entries appended since the head was read are left to the reader: they follow on from it.
      const within = page.filter((e) => splitId(e.id)[0] < head.next);
      entries.push(...within);
      if (page.length < PAGE || within.length < page.length) break;
      after = page[page.length - 1]!.id;
    }
    // Everything read: from here on the room changes in one step.
    if (head.epoch !== toHex(r.epoch)) r.authors.clear();
    r.epoch = fromHex(head.epoch);
    r.statements.clear();
    for (const s of statements) keepStatement(r, s.kid, s.frame);
    let frames: { frame: Uint8Array; first: number; count: number; at: number }[] = [];
    for (const e of entries) {
      if (e.count <= 0 || e.epoch !== head.epoch) continue;
      learnAuthors(r.authors, r.name, e.frame, learned); // [ROOM-11.8]: a Post resent here is a duplicate
      const last = frames[frames.length - 1];
      // Offsets follow on, or history starts again after the break (never the case for one script's appends).
      if (last !== undefined && last.first + last.count !== e.first) frames = [];
      frames.push({ frame: e.frame, first: e.first, count: e.count, at: e.ts });
    }
    const end = frames.length === 0 ? head.next : frames[frames.length - 1]!.first + frames[frames.length - 1]!.count;
    r.history.restore(end === head.next ? frames : [], head.next);
    r.history.trim(this.h.clock());
    r.next = head.next;
    r.lastId = r.readId = entries[entries.length - 1]?.id ?? '0-0';
    dropResent(r.pending, learned);
  }

  /** Queues an event; it is sent once the store appended it. @see [ROOM-11.2] */
  publish(name: string, body: RoomEventBody, author: KeyStatement | undefined, then: PublishThen = {}): void {
    const push = (r: RoomState<M>): void => {
      if (r.pending.length >= MAX_PENDING) return then.settled?.('ERR_STORE');
      const epoch = body.kind === KIND_POST ? toHex(then.epoch ?? r.epoch) : undefined;
      r.pending.push({ body, author, epoch, at: queuedAt(body), settled: then.settled, dropped: then.dropped });
      this.#kick(r);
    };
    const r = this.ready(name);
    if (r instanceof Promise) r.then(push, () => then.settled?.('ERR_STORE'));
    else push(r);
  }

  #kick(r: RoomState<M>): void {
    if (r.busy) return;
    r.busy = true;
    void this.#locked(r, () => this.#drain(r))
      .catch(() => {}) // reported by the chain
      .finally(() => {
        r.busy = false;
        if (r.pending.length > 0 && !this.#closed) this.#kick(r);
      });
  }

  async #drain(r: RoomState<M>): Promise<void> {
    let tries = 0;
    while (r.pending.length > 0 && !this.#closed) {
      refuseStale(r.pending, r.epoch);
      const batch = r.pending.slice(0, MAX_BUNDLE);
      if (batch.length === 0) return;
      let out: Outcome;
      try {
        out = await this.#attempt(r, batch);
      } catch (err) {
        this.h.onError(err);
        out = 'store';
      }
      if (out === 'ok') {
        r.pending.splice(0, batch.length);
        tries = 0;
        for (const p of batch) p.settled?.(null);
      } else if (out === 'store' || ++tries > MAX_TRIES) {
        // The store is unreachable: what waits behind this batch would fail the same way ([ROOM-11.6]).
        for (const p of r.pending.splice(0)) p.settled?.('ERR_STORE');
        tries = 0;
      }
    }
  }

  /** Seals `batch` at the room's head as this node sees it and appends it there. */
  async #attempt(r: RoomState<M>, batch: readonly PendingEvent[]): Promise<Outcome> {
    const now = this.h.clock();
    const epoch = toHex(r.epoch);
    const first = r.next;
    const statements: { key: string; payload: Uint8Array; frame?: Uint8Array }[] = [];
    const events: NewFrame[] = [];
    const sealed = new Promise<void>((resolve) => {
      let waiting = batch.length;
      const done = (): void => {
        if (waiting === 0 && statements.every((s) => s.frame !== undefined)) resolve();
      };
      const seen = new Set<string>();
      for (const p of batch) {
        if (p.body.kind !== KIND_POST || p.author === undefined) continue;
        const prep = this.h.statements.prepare(r, p.author);
        if (prep === undefined || seen.has(prep.key)) continue;
        seen.add(prep.key);
        const s: { key: string; payload: Uint8Array; frame?: Uint8Array } = { key: prep.key, payload: prep.payload };
        statements.push(s);
        this.h.signer.statement(prep.u, (frame) => {
          s.frame = frame;
          done();
        });
      }
      const group = {};
      batch.forEach((p, i) => {
        const u = prepareRoom(
          this.h.kid,
          { contentType: ROOM_CONTENT_TYPE, stream: r.epoch, seq: first + i, ts: now },
          encodeRoomEvent({ room: r.name, body: p.body }),
          EVENT_AAD,
        );
        this.h.signer.event(group, u, (frame, count) => {
          events.push({ count, ts: now, frame });
          waiting -= count;
          done();
        });
      });
    });
    await timed(sealed, this.store.appendTimeoutMs);
    const frames: NewFrame[] = [...statements.map((s) => ({ count: 0, ts: now, kid: s.key, frame: s.frame! })), ...events];
    const reply = await this.#t(
      this.store.append(r.name, {
        epoch,
        first,
        frames,
        deadline: this.h.clock() + this.store.appendTimeoutMs,
        keepFrom: Math.max(0, first + batch.length - this.h.historyCount),
        ttlMs: this.#ttl,
      }),
    );
    if (!reply.ok) {
      if (reply.late === true) return 'store';
      // Another node appended first: read what it did, then number again. Or the room's epoch moved.
      if (reply.head !== null && reply.head.epoch === epoch && reply.head.next > r.next) await this.#catchUp(r);
      else await this.#adopt(r, reply.head);
      return 'retry';
    }
    // Appended: only now may anyone be sent these frames ([ROOM-11.2]).
    statements.forEach((s, i) => {
      r.statements.set(s.key, { payload: s.payload, frame: s.frame! });
      this.h.fan(r, s.frame!);
      r.lastId = reply.ids[i]!;
    });
    events.forEach((e, i) => {
      r.history.push(e.frame, e.count, this.h.clock());
      this.h.fan(r, e.frame);
      r.lastId = reply.ids[statements.length + i]!;
    });
    r.next = first + batch.length;
    r.active = true;
    return 'ok';
  }

  /**
   * Sends the members what others appended, in id order, each entry once. `gap`: an entry starts
   * beyond the next expected offset; `epoch`: an entry of another epoch. Queued posts that the
   * entries show another node appended are then dropped ([ROOM-11.8]).
   * @see [ROOM-11.4]
   */
  #apply(r: RoomState<M>, entries: readonly SharedEntry[]): 'ok' | 'gap' | 'epoch' {
    const learned = new Map<string, number>();
    try {
      return this.#applyEach(r, entries, learned);
    } finally {
      dropResent(r.pending, learned);
    }
  }

  #applyEach(r: RoomState<M>, entries: readonly SharedEntry[], learned: Map<string, number>): 'ok' | 'gap' | 'epoch' {
    const epoch = toHex(r.epoch);
    for (const e of entries) {
      if (compareIds(e.id, r.lastId) <= 0) continue;
      if (e.count < 0) {
        r.lastId = e.id; // not a frame this library wrote: passed over
        continue;
      }
      if (e.epoch !== epoch) return 'epoch';
      if (e.first > r.next) return 'gap';
      r.lastId = e.id;
      if (e.first < r.next) continue;
      if (e.count === 0) {
        if (e.kid === undefined || !keepStatement(r, e.kid, e.frame)) continue;
      } else {
        learnAuthors(r.authors, r.name, e.frame, learned); // [ROOM-11.8], before any later Post is checked
        r.history.push(e.frame, e.count, this.h.clock());
        r.next += e.count;
        r.active = true;
      }
      this.h.fan(r, e.frame);
    }
    return 'ok';
  }

  async #received(r: RoomState<M>, entries: readonly SharedEntry[]): Promise<void> {
    const v = this.#apply(r, entries);
    if (v === 'gap') await this.#catchUp(r);
    else if (v === 'epoch') await this.#check(r);
  }

  /** Reads by id what this node missed; when the stream no longer holds it, reloads the room. */
  async #catchUp(r: RoomState<M>): Promise<void> {
    for (;;) {
      const page = await this.#t(this.store.range(r.name, r.lastId, PAGE));
      // What the stream holds next does not follow on (trimmed, or of another epoch): start over from it.
      if (this.#apply(r, page) !== 'ok') return this.#adopt(r, await this.#t(this.store.head(r.name, this.#ttl)), true);
      if (page.length < PAGE) return;
    }
  }

  /** Compares the store's head with this node's. @see [ROOM-11.3] */
  async #check(r: RoomState<M>): Promise<void> {
    const head = await this.#t(this.store.head(r.name, this.#ttl));
    if (head === null || head.epoch !== toHex(r.epoch) || head.next < r.next) return this.#adopt(r, head);
    if (head.next > r.next) return this.#catchUp(r);
  }

  /**
   * Takes the store's epoch, starting a new one where the room is gone or went back, then tells
   * the room's members to recover. @see [ROOM-11.3]
   */
  async #adopt(r: RoomState<M>, seen: SharedHead | null, reload = false): Promise<void> {
    let head = seen;
    const fresh = toHex(randomBytes(STREAM_ID_LENGTH));
    if (head === null) head = await this.#t(this.store.reset(r.name, fresh, null, this.#ttl));
    else if (head.epoch === toHex(r.epoch) && head.next < r.next) head = await this.#t(this.store.reset(r.name, fresh, head, this.#ttl));
    if (!reload && head.epoch === toHex(r.epoch) && head.next >= r.next) return this.#catchUp(r);
    await this.#fill(r, head);
    for (const m of [...r.live, ...r.behind]) {
      this.h.detach(r, m);
      m.position({ room: r.name, epoch: r.epoch, next: r.next, status: 4, count: 0 });
    }
  }

  #startReader(): void {
    if (this.#reading || this.#closed) return;
    this.#reading = true;
    void this.#read();
  }

  /** One XREAD over every room held, for as long as the hub runs. @see [ROOM-11.4] */
  async #read(): Promise<void> {
    while (!this.#closed) {
      const after = new Map<string, string>();
      for (const [name, r] of this.h.rooms) after.set(name, compareIds(r.readId, r.lastId) > 0 ? r.readId : r.lastId);
      let failed = false;
      if (after.size === 0) await sleep(this.store.blockMs);
      else {
        try {
          // A read that timed out is awaited again, never doubled: the connection answers in order.
          this.#inflight ??= this.store.read(after).finally(() => (this.#inflight = undefined));
          const got = await timed(this.#inflight, this.store.blockMs + this.store.readTimeoutMs);
          for (const [name, entries] of got) {
            const r = this.h.rooms.get(name);
            const last = entries[entries.length - 1];
            if (r === undefined || last === undefined) continue;
            if (compareIds(last.id, r.readId) > 0) r.readId = last.id;
            void this.#locked(r, () => this.#received(r, entries)).catch(() => (r.readId = r.lastId));
          }
        } catch (err) {
          failed = true;
          this.h.onError(err);
          await sleep(Math.min(this.store.blockMs, 500));
        }
      }
      const now = this.h.clock();
      if (failed || now - this.#lastCheck >= this.store.checkMs) {
        this.#lastCheck = now;
        for (const r of this.h.rooms.values()) {
          if (this.#checking.has(r)) continue;
          this.#checking.add(r);
          void this.#locked(r, () => this.#check(r))
            .catch(() => {})
            .finally(() => this.#checking.delete(r));
        }
      }
    }
    this.#reading = false;
  }

  close(): void {
    this.#closed = true;
  }
}
