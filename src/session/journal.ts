// What a node writes of one session state to the shared resume store, ahead of what it sends
// (spec/handshake.md §7.1): the payload of each data envelope before the envelope leaves, the
// acknowledgement record of the client's stream before the receipt that states it leaves. A node
// that dies therefore never sent what the store does not hold. Changes made in one turn go out in
// one write, and one write at a time, so the store sees them in order.
import { fromBase64url, toBase64url } from '../bytes.js';
import { ProtocolError, isProtocolError } from '../errors.js';
import { decodeWholeArray, encodeCbor } from '../wire/cbor.js';
import type { SharedResume } from './shared-resume.js';
import { OP_RESENT } from './messages.js';

/** A payload a server data stream sealed and the client has not acknowledged, with where it was first sealed. */
export interface PendingPayload {
  readonly kid: Uint8Array;
  readonly stream: Uint8Array;
  readonly seq: number;
  readonly message: Uint8Array;
}

export interface StreamRef {
  readonly kid: Uint8Array;
  readonly stream: Uint8Array;
}

/** Server streams a state remembers: past this, the oldest is forgotten. */
export const MAX_STATE_STREAMS = 32;

/** What the state's meta field says: whose it is, its rooms, how often it was resent unacknowledged. */
export interface StateMeta {
  readonly kid: string;
  readonly identity: string;
  readonly rooms: readonly string[];
  readonly reseals: number;
  /**
   * The state's server data streams, by the key that sealed each and its id, oldest first, the
   * current one last: a client whose session moved on before it heard a new one still names an
   * older one in its receipts ([HS-7.16]).
   */
  readonly servers: readonly StreamRef[];
}

export function encodePending(p: PendingPayload): string {
  return toBase64url(encodeCbor([p.kid, p.stream, p.seq, p.message]));
}

export function decodePending(text: string): PendingPayload | undefined {
  const a = decodeWholeArray(fromBase64url(text));
  if (a === undefined || a.length !== 4) return undefined;
  const [kid, stream, seq, message] = a;
  if (!(kid instanceof Uint8Array) || !(stream instanceof Uint8Array) || typeof seq !== 'number' || !(message instanceof Uint8Array)) return undefined;
  return { kid, stream, seq, message };
}

export function encodeMeta(m: StateMeta): string {
  return toBase64url(encodeCbor([m.kid, m.identity, [...m.rooms], m.reseals, m.servers.map((r) => [r.kid, r.stream])]));
}

export function decodeMeta(text: string): StateMeta | undefined {
  const a = decodeWholeArray(fromBase64url(text));
  if (a === undefined || a.length !== 5) return undefined;
  const [kid, identity, rooms, reseals, servers] = a;
  if (typeof kid !== 'string' || typeof identity !== 'string' || typeof reseals !== 'number') return undefined;
  if (!Array.isArray(rooms) || !rooms.every((r) => typeof r === 'string')) return undefined;
  if (!Array.isArray(servers) || servers.length === 0) return undefined;
  const refs: StreamRef[] = [];
  for (const r of servers) {
    if (!Array.isArray(r) || !(r[0] instanceof Uint8Array) || !(r[1] instanceof Uint8Array)) return undefined;
    refs.push({ kid: r[0], stream: r[1] });
  }
  return { kid, identity, rooms: rooms, reseals, servers: refs };
}

/** Field names of pending payloads sort in the order they were sealed. */
export function pendingField(order: number): string {
  return 'p:' + order.toString().padStart(16, '0');
}

/** @internal */
export interface JournalOwner {
  /** The state's meta as it stands, written with every change. */
  meta(): StateMeta;
  /** This end's key and data stream: the origin of payloads sealed here. */
  readonly kid: Uint8Array;
  readonly stream: Uint8Array;
  /** The acknowledgement record of the client's stream, as a receipt payload. */
  record(): Uint8Array | undefined;
  /** Resolves when no received envelope is still being handled (undefined: none is). */
  idle(): Promise<void> | undefined;
  /** Resolves when the room events published until now are appended or refused. */
  appended(): Promise<void> | undefined;
}

// Past this, a room append the record waits for was refused by its own timeout ([ROOM-11.6]).
const APPEND_WAIT_MS = 5000;

async function bounded(p: Promise<void> | undefined): Promise<void> {
  if (p === undefined) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, APPEND_WAIT_MS)))]);
  clearTimeout(timer);
}

/** @internal One session state's writes to the shared store, by the node holding it. */
export class ResumeJournal {
  owner: JournalOwner | undefined;
  /** Resends of pending payloads with no receipt of the client since ([HS-7.9]). */
  reseals = 0;
  readonly #set = new Map<string, string>();
  readonly #del = new Set<string>();
  /** Field of each payload by the seq this node sealed it under. */
  readonly #bySeq = new Map<number, string>();
  #order: number;
  /** The write that covers everything changed so far, until it is done. */
  #pending: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  #failed: ProtocolError | undefined;
  #recorded = false;

  constructor(
    readonly store: SharedResume,
    readonly state: string,
    readonly holder: string,
    readonly ttlMs: number,
    /** The order of the first payload sealed here: after every payload the state already holds. */
    firstOrder: number,
  ) {
    this.#order = firstOrder;
  }

  /** A payload sealed as `seq` of this node's data stream: a Resent keeps its first origin. */
  sent(seq: number, payload: Uint8Array): void {
    const field = pendingField(this.#order++);
    this.#bySeq.set(seq, field);
    const o = this.owner!;
    let p: PendingPayload = { kid: o.kid, stream: o.stream, seq, message: payload };
    if (payload[0] === 0x85 && payload[1] === OP_RESENT) {
      const a = decodeWholeArray(payload)!;
      p = { kid: a[1] as Uint8Array, stream: a[2] as Uint8Array, seq: a[3] as number, message: a[4] as Uint8Array };
    }
    this.#set.set(field, encodePending(p));
    this.#schedule();
  }

  /** The client acknowledged these seqs of this node's stream: they need no resend. */
  acked(seqs: readonly number[]): void {
    if (seqs.length === 0) return;
    this.reseals = 0;
    for (const seq of seqs) {
      const field = this.#bySeq.get(seq);
      if (field === undefined) continue;
      this.#bySeq.delete(seq);
      if (!this.#set.delete(field)) this.#del.add(field);
    }
    this.#schedule();
  }

  /**
   * The acknowledgement record of the client's stream grew: stored with the next write, so a
   * node taking the state over neither acknowledges less than a receipt said nor takes again
   * what this node already handed to its application, but for the write in flight.
   */
  recorded(): void {
    this.#recorded = true;
    this.#schedule();
  }

  /** The write that creates the state: every later one follows it. */
  after(created: Promise<void>): void {
    const first = created.catch((err: unknown) => {
      throw (this.#failed = isProtocolError(err) ? err : new ProtocolError('ERR_STORE', 'the resume store failed'));
    });
    this.#pending = first;
    first.then(
      () => {
        if (this.#pending === first) this.#pending = undefined;
      },
      () => undefined,
    );
  }

  /** Fields of an earlier holder whose payloads are sealed again here: gone with the write that stores them anew. */
  replaces(fields: readonly string[]): void {
    for (const f of fields) this.#del.add(f);
  }

  /** Anything else of the state changed (its rooms). */
  touched(): void {
    this.#schedule();
  }

  /** Undefined when everything changed so far is stored; else what to wait for before sending. */
  gate(): Promise<void> | undefined {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    return this.#queued ?? this.#pending;
  }

  #schedule(): void {
    if (this.#queued !== undefined || this.#failed !== undefined) return;
    const before = this.#pending ?? Promise.resolve();
    // One write per turn, after the one in flight: the store applies them in order.
    const next = before.then(() => {
      this.#queued = undefined;
      return this.#write();
    });
    this.#queued = next;
    this.#pending = next;
    next.then(
      () => {
        if (this.#pending === next) this.#pending = undefined;
      },
      () => undefined,
    );
  }

  async #write(): Promise<void> {
    const set = new Map(this.#set);
    const del = [...this.#del];
    this.#set.clear();
    this.#del.clear();
    // The record covers only envelopes handled to the end, their room events in the stream: a node
    // taking over handles again what it does not cover (posts are dropped as duplicates, [ROOM-11.8]),
    // and never skips what was never appended.
    let record: Uint8Array | undefined;
    if (this.#recorded) {
      this.#recorded = false;
      for (let idle = this.owner!.idle(); idle !== undefined; idle = this.owner!.idle()) await idle;
      record = this.owner!.record();
      await bounded(this.owner!.appended());
    }
    if (record !== undefined) set.set('rec', toBase64url(record));
    set.set('meta', encodeMeta(this.owner!.meta()));
    let held: boolean;
    try {
      held = await this.store.write(this.state, this.holder, set, del, this.ttlMs);
    } catch (err) {
      throw (this.#failed = isProtocolError(err) ? err : new ProtocolError('ERR_STORE', 'the resume store failed'));
    }
    if (!held) throw (this.#failed = new ProtocolError('ERR_SESSION_CLOSED', 'the session was resumed on another node'));
  }
}
