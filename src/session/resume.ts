// The server's record of resumable sessions (spec/handshake.md §7): per session id, the client key
// and identity it belongs to, its delivery state and its rooms. Live sessions stay; ended ones are
// kept for `ttlMs` and at most `max` of them, oldest forgotten first.
import { toHex } from '../bytes.js';
import type { SessionDelivery } from './delivery.js';
import type { ResumeJournal } from './journal.js';
import { GLOBAL_TIMERS, type Timers } from './timers.js';

export const DEFAULT_RESUME_TTL_MS = 60_000;
export const DEFAULT_MAX_RESUMABLE = 10_000;

/** @internal */
export interface ResumeEntry {
  readonly kid: string;
  readonly identity: string;
  readonly delivery: SessionDelivery;
  rooms: Set<string>;
  /** The live session holding this state, if any. */
  holder: { close(code: number, reason: string): void; readonly state: string } | undefined;
  /** Ids this state may be resumed under: the last one named and the one given for it ([HS-7.4]). */
  ids: string[];
  expiresAt: number;
  /** It holds its client key in the ring (a key the server learned, [HS-5.6]) until forgotten. */
  holdsKey: boolean;
  /** With shared resume state: its id in the store and what this node writes there (§7.1). */
  shared?: { readonly state: string; readonly journal: ResumeJournal };
  /** Its key was revoked: its rooms are announced as left whoever else is there ([ROOM-2.5]). */
  revoked?: boolean;
  /** Taken over from another node: the Resent payloads to send once the session opens. */
  resend?: Uint8Array[] | undefined;
}

/** @internal */
export class ResumeRegistry {
  readonly #byId = new Map<string, ResumeEntry>();
  // Ended entries in the order they ended, which is expiry order (one TTL for all).
  readonly #ended = new Set<ResumeEntry>();
  /** Sweeps when the oldest ended state expires, so its rooms are left on time, not at the next session. */
  #timer: unknown;

  constructor(
    readonly ttlMs: number,
    readonly max: number,
    readonly clock: () => number,
    /** `left`: the state is gone for good (expired, pushed out, its key revoked), not at shutdown. */
    readonly forget: (entry: ResumeEntry, left: boolean) => void,
    readonly timers: Timers = GLOBAL_TIMERS,
  ) {}

  get size(): number {
    return new Set(this.#byId.values()).size;
  }

  /** A session was established (fresh or resumed) with this state. */
  live(id: Uint8Array, entry: ResumeEntry): void {
    this.#sweep();
    this.#ended.delete(entry);
    entry.expiresAt = Number.POSITIVE_INFINITY;
    const hex = toHex(id);
    for (const old of entry.ids.splice(0)) if (this.#byId.get(old) === entry) this.#byId.delete(old);
    entry.ids.push(hex);
    this.#byId.set(hex, entry);
  }

  /** The session holding `entry` ended: it stays resumable for the TTL. */
  ended(entry: ResumeEntry): void {
    if (!entry.ids.some((id) => this.#byId.get(id) === entry)) return;
    entry.holder = undefined;
    entry.expiresAt = this.clock() + this.ttlMs;
    this.#ended.delete(entry);
    this.#ended.add(entry);
    this.#sweep();
  }

  /**
   * The entry a resume names, if it is still known. The named id stays valid next to the new
   * session's until that one is resumed in turn, so a Welcome lost in transit costs nothing.
   */
  find(id: Uint8Array): ResumeEntry | undefined {
    this.#sweep();
    return this.#byId.get(toHex(id));
  }

  /** Keeps `named` as an alias while the entry moves to a new session ([HS-7.4]). */
  resumedAs(entry: ResumeEntry, named: Uint8Array, id: Uint8Array): void {
    this.live(id, entry);
    const hex = toHex(named);
    entry.ids.unshift(hex);
    this.#byId.set(hex, entry);
  }

  /** A state taken over from another node, resumable under `named` until its session opens (§7.1). */
  adopt(named: Uint8Array, entry: ResumeEntry): void {
    const hex = toHex(named);
    entry.ids = [hex];
    this.#byId.set(hex, entry);
    this.ended(entry);
  }

  /** Forgets a state another node took over: not a leave, the member went on there. */
  discard(entry: ResumeEntry): void {
    this.#drop(entry, false);
  }

  /** Forgets the ended states of a revoked key at once: none can be resumed ([ROOM-2.5]). */
  revoked(kid: string): void {
    for (const entry of [...this.#ended]) if (entry.kid === kid) this.#drop(Object.assign(entry, { revoked: true }));
  }

  #drop(entry: ResumeEntry, left = true): void {
    this.#ended.delete(entry);
    for (const id of entry.ids) if (this.#byId.get(id) === entry) this.#byId.delete(id);
    entry.ids.length = 0;
    this.forget(entry, left);
  }

  #sweep(): void {
    const now = this.clock();
    for (const entry of this.#ended) {
      if (entry.expiresAt > now && this.#ended.size <= this.max) break;
      this.#drop(entry);
    }
    this.timers.clearTimeout(this.#timer);
    const next = this.#ended.values().next();
    this.#timer = next.done === true ? undefined : this.timers.setTimeout(() => this.#sweep(), next.value.expiresAt - now);
    // Housekeeping only: a process with nothing else to do may exit before it fires.
    (this.#timer as { unref?: () => void } | undefined)?.unref?.();
  }

  /** Forgets everything (server shutdown). */
  clear(): void {
    for (const entry of [...this.#ended]) this.#drop(entry, false);
    this.#byId.clear();
    this.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
