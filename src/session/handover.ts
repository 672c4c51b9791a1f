// A server's session states in the shared resume store (spec/handshake.md §7.1): each state it
// holds is written there ahead of what it sends (journal.ts), and a resume naming a state this node
// does not hold, or no longer holds, takes it over from the store: the client's data stream and
// its acknowledgement record go on, this node's own data stream starts, and the payloads the
// client did not acknowledge are sent again as Resent.
import { fromBase64url, randomBytes, toHex, fromHex } from '../bytes.js';
import { ProtocolError } from '../errors.js';
import { decodeReceipt, encodeReceipt } from '../delivery/receipt.js';
import type { ReceiptBuilder } from '../delivery/builder.js';
import { SessionDelivery, MAX_RESEALS_WITHOUT_RECEIPT } from './delivery.js';
import { MAX_STATE_STREAMS, ResumeJournal, decodeMeta, decodePending, encodeMeta, type StateMeta } from './journal.js';
import { OP_RESENT, encodeServerMessage } from './messages.js';
import type { ResumeEntry, ResumeRegistry } from './resume.js';
import type { SharedResume } from './shared-resume.js';
import type { Timers } from './timers.js';
import type { ServerConfig } from './server-options.js';
import type { ServerCore } from './server-core.js';
import type { AsyncSigningKey, SigningKey } from '../keys/keys.js';

/** What the states need of their server. */
export interface StatesHost {
  readonly key: SigningKey | AsyncSigningKey;
  readonly builder: ReceiptBuilder;
  readonly clock: () => number;
  readonly timers: Timers;
  readonly ttlMs: number;
  readonly outbox: { readonly capacity: number; readonly maxBytes: number };
  /** Counts a holder of a client key the server learned ([HS-5.6]). */
  holdKey(kid: Uint8Array): boolean;
  /** Resolves when the room events published until now are appended or refused. */
  appended(): Promise<void> | undefined;
  /** Forgets a state this node held and another node took since (no leave: the member stays). */
  discard(entry: ResumeEntry): void;
}

function refused(reason: string): ProtocolError {
  return new ProtocolError('ERR_RESUME_REFUSED', reason);
}

/** @internal */
export class SharedStates {
  /** States this node holds, live or resumable. */
  readonly #held = new Map<string, ResumeEntry>();
  #timer: unknown;

  constructor(
    readonly store: SharedResume,
    readonly host: StatesHost,
  ) {}

  #meta(entry: ResumeEntry): StateMeta {
    const d = entry.delivery;
    const servers = [...d.earlier, { kid: this.host.key.kid, stream: d.sender.stream }].slice(-MAX_STATE_STREAMS);
    return { kid: entry.kid, identity: entry.identity, rooms: [...entry.rooms], reseals: entry.shared!.journal.reseals, servers };
  }

  #attach(entry: ResumeEntry, state: string, journal: ResumeJournal): void {
    entry.shared = { state, journal };
    entry.delivery.journal = journal;
    const d = entry.delivery;
    const record = (): Uint8Array | undefined => {
      const r = d.peerStream === undefined ? undefined : this.host.builder.state(d.peerKid, d.peerStream);
      return r === undefined ? undefined : encodeReceipt(r);
    };
    const idle = (): Promise<void> | undefined => d.settling?.done;
    const appended = (): Promise<void> | undefined => this.host.appended();
    journal.owner = { meta: () => this.#meta(entry), kid: this.host.key.kid, stream: d.sender.stream, record, idle, appended };
    this.#held.set(state, entry);
    this.#refreshLater();
  }

  /** A fresh session's state: stored before anything of it is sent. */
  created(entry: ResumeEntry): void {
    const state = toHex(randomBytes(16));
    const holder = toHex(randomBytes(16));
    const journal = new ResumeJournal(this.store, state, holder, this.host.ttlMs, 0);
    this.#attach(entry, state, journal);
    const fields = new Map([
      ['kid', entry.kid],
      ['meta', encodeMeta(this.#meta(entry))],
    ]);
    journal.after(this.store.create(state, holder, fields, this.host.ttlMs));
  }

  /**
   * The state a resume names, taken for this node: `local` when this node still holds it (no
   * other took it since), else rebuilt from the store; undefined when the store holds none.
   * @throws {ProtocolError} `ERR_RESUME_REFUSED` for a state this node cannot continue, `ERR_STORE`.
   * @see [HS-7.16]
   */
  async take(id: Uint8Array, kid: string, local: ResumeEntry | undefined): Promise<ResumeEntry | undefined> {
    const state = local?.shared?.state ?? (await this.store.lookup(toHex(id)));
    if (state === undefined) return undefined;
    const holder = toHex(randomBytes(16));
    const taken = await this.store.take(state, holder, this.host.ttlMs, kid, local?.shared?.journal.holder);
    if (taken === undefined) return undefined;
    // Still ours, no other node took it since: the same data stream goes on.
    if (taken === 'held') return local;
    if (local !== undefined) this.host.discard(local);
    return this.#rebuild(state, holder, taken.fields);
  }

  #rebuild(state: string, holder: string, fields: ReadonlyMap<string, string>): ResumeEntry {
    const meta = decodeMeta(fields.get('meta') ?? '');
    if (meta === undefined) throw refused('the stored session state is unreadable');
    const keys = [...fields.keys()].filter((f) => f.startsWith('p:')).sort();
    const pending = keys.map((f) => decodePending(fields.get(f)!));
    if (pending.some((p) => p === undefined)) throw refused('the stored session state is unreadable');
    const origins = new Set(pending.map((p) => toHex(p!.stream)));
    // [HS-7.9]: every resend keeps more for the client to remember; past the bound the state ends.
    if (pending.length > 0 && (meta.reseals >= MAX_RESEALS_WITHOUT_RECEIPT || origins.size > MAX_RESEALS_WITHOUT_RECEIPT)) {
      throw refused('resumed too often without acknowledging anything');
    }
    const clientKid = fromHex(meta.kid);
    const delivery = new SessionDelivery({
      key: this.host.key,
      peerKid: clientKid,
      builder: this.host.builder,
      capacity: this.host.outbox.capacity,
      maxBytes: this.host.outbox.maxBytes,
      clock: this.host.clock,
    });
    // Receipts the client sent for these before it learned of the takeover are ignored.
    for (const e of [...meta.servers, ...pending.map((p) => p!)]) {
      if (!delivery.isEarlier(e.kid, e.stream)) delivery.earlier.push({ kid: e.kid.slice(), stream: e.stream.slice() });
    }
    const rec = fields.get('rec');
    if (rec !== undefined) {
      const r = decodeReceipt(fromBase64url(rec));
      this.host.builder.restore(r);
      delivery.peerStream = r.stream.slice();
    }
    const entry: ResumeEntry = {
      kid: meta.kid,
      identity: meta.identity,
      delivery,
      rooms: new Set(meta.rooms),
      holder: undefined,
      ids: [],
      expiresAt: this.host.clock() + this.host.ttlMs,
      holdsKey: this.host.holdKey(clientKid),
      resend: pending.map((p) => encodeServerMessage({ op: OP_RESENT, ...p! })),
    };
    const last = keys.length === 0 ? -1 : Number(keys[keys.length - 1]!.slice(2));
    const journal = new ResumeJournal(this.store, state, holder, this.host.ttlMs, last + 1);
    journal.reseals = meta.reseals + (pending.length > 0 ? 1 : 0);
    // What it resends keeps its first origin; their fields are replaced as they are sealed here.
    journal.replaces(keys);
    this.#attach(entry, state, journal);
    return entry;
  }

  /** The ids a state may be resumed under now ([HS-7.4]). */
  named(entry: ResumeEntry): void {
    const shared = entry.shared;
    if (shared === undefined) return;
    for (const id of entry.ids) void this.store.name(id, shared.state, this.host.ttlMs).catch(() => undefined);
  }

  /** The state is gone from this node: for good (`left`), or it merely stopped holding it. */
  forgot(entry: ResumeEntry, left: boolean): void {
    const shared = entry.shared;
    if (shared === undefined || this.#held.get(shared.state) !== entry) return;
    this.#held.delete(shared.state);
    if (left) void this.store.drop(shared.state).catch(() => undefined);
  }

  /** States of live sessions must not expire in the store; ended ones expire on their own. */
  #refreshLater(): void {
    if (this.#timer !== undefined) return;
    this.#timer = this.host.timers.setTimeout(
      () => {
        this.#timer = undefined;
        const live = [...this.#held.values()].filter((e) => e.holder !== undefined);
        if (live.length === 0) return;
        const states = live.map((e) => e.shared!.state);
        void this.store
          .refresh(
            states,
            live.flatMap((e) => e.ids),
            this.host.ttlMs,
          )
          .catch(() => undefined);
        this.#refreshLater();
      },
      Math.max(1, Math.floor(this.host.ttlMs / 3)),
    );
    (this.#timer as { unref?: () => void } | undefined)?.unref?.();
  }

  close(): void {
    this.host.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#held.clear();
  }
}

/**
 * The state a resume names: this node's own, or, with shared resume state, taken over from the
 * store (kept resumable here under the named id, [HS-7.4]).
 */
export async function takeState(
  core: { readonly resume: ResumeRegistry; readonly shared: SharedStates | undefined },
  id: Uint8Array,
  kid: string,
): Promise<ResumeEntry | undefined> {
  const local = core.resume.find(id);
  if (core.shared === undefined) return local;
  const entry = await core.shared.take(id, kid, local);
  if (entry !== undefined && entry !== local) core.resume.adopt(id, entry);
  return entry;
}

/** The states of a server whose nodes share them. */
export function sharedStates(
  store: SharedResume,
  config: Pick<ServerConfig, 'key' | 'clock' | 'timers' | 'resumeLimits' | 'delivery'>,
  builder: ReceiptBuilder,
  registry: { holdKey(kid: Uint8Array): boolean },
  resume: ResumeRegistry,
  rooms: { appended(): Promise<void> | undefined },
): SharedStates {
  const { key, clock, timers, delivery: d } = config;
  return new SharedStates(store, {
    ...{ key, builder, clock, timers, ttlMs: config.resumeLimits.ttlMs },
    outbox: { capacity: d.outboxCapacity, maxBytes: d.outboxBytes },
    holdKey: (kid) => registry.holdKey(kid),
    discard: (entry) => resume.discard(entry),
    appended: () => rooms.appended(),
  });
}

/** A fresh session's state, stored when the nodes share states. @see [HS-7.3] */
export function freshState(
  core: Pick<ServerCore, 'key' | 'builder' | 'delivery' | 'clock' | 'registry' | 'shared'>,
  kid: Uint8Array,
  identity: string,
  rooms: Set<string>,
  holder: ResumeEntry['holder'],
): ResumeEntry {
  const { outboxCapacity: capacity, outboxBytes: maxBytes } = core.delivery;
  const delivery = new SessionDelivery({ key: core.key, peerKid: kid, builder: core.builder, capacity, maxBytes, clock: () => core.clock() });
  // The resumable state keeps a learned key in the ring until it is forgotten ([HS-5.6]).
  const held: ResumeEntry = { kid: toHex(kid), identity, delivery, rooms, holder, ids: [], expiresAt: Infinity, holdsKey: core.registry.holdKey(kid) };
  core.shared?.created(held);
  return held;
}

/** What the state's earlier nodes sent and the client did not acknowledge, once. @see [HS-7.16] */
export function resendTaken(held: ResumeEntry, send: (payload: Uint8Array) => void): void {
  const resend = held.resend ?? [];
  held.resend = undefined;
  for (const payload of resend) send(payload);
}

/**
 * Whether the identity of a state this server forgets is still in `room` through another live
 * session (it reconnected afresh): its leave then comes when that one goes. A revoked key's
 * states are always announced ([ROOM-2.5]).
 */
export function stillIn(
  registry: { members(room: string): ReadonlySet<{ readonly identity: string | undefined }> },
  entry: ResumeEntry,
  room: string,
): boolean {
  if (entry.revoked === true) return false;
  for (const s of registry.members(room)) if (s.identity === entry.identity) return true;
  return false;
}
