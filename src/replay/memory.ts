// The default ReplayStore: windows for up to `maxStreams` streams in one process (spec/replay.md).
// Layout for the memory budget of §10: bitmaps and per-stream numbers live in typed-array chunks
// shared by 256 streams; the index maps a 19-char one-byte string key to a slot number (a Smi,
// so no object per stream).
import { assertInt } from '../bytes.js';
import { assertWindow, checkStrict, checkWindow, DEFAULT_WINDOW, markWindow, SEQ_OK, SEQ_REPLAY, windowBlocks } from './window.js';
import type { ReplayRequest, ReplayStore, ReplayVerdict } from './store.js';
import { MAX_AGE_LIMIT_MS, MAX_FUTURE_SKEW_LIMIT_MS } from './freshness.js';

/** Default cap on tracked streams: about 24 MB of state at the default window (§10). */
export const DEFAULT_MAX_STREAMS = 100_000;
/** Largest accepted `maxStreams`: slot numbers stay small integers. */
export const MAX_STREAMS_LIMIT = 2 ** 24;

const CHUNK = 256;
// Streams the incremental sweep looks at per commit: reclaims expired state at O(1) per message.
const SWEEP_STEP = 2;
const MAX_KIDS = 2 ** 24;

export interface MemoryReplayStoreOptions {
  /** Window size W (positions), a multiple of 32 from 32 to 8,192. Default 1,024. */
  window?: number;
  /** Strict in-order mode (no bitmap). Default false. */
  strict?: boolean;
  /** Cap on tracked streams. Default 100,000. */
  maxStreams?: number;
  /** When this (empty) store started, ms. Default `Date.now()`. */
  startedAt?: number;
  /** The `maxAgeMs` every receiver using this store must have ([RPL-9.2]). Default: not checked. */
  maxAgeMs?: number;
  /** The `maxFutureSkewMs` every receiver using this store must have ([RPL-9.2]). Default: not checked. */
  maxFutureSkewMs?: number;
}

/** A stream's state as the store holds it; for tests and operators. */
export interface StreamState {
  readonly top: number;
  readonly expiresAt: number;
  /** Copy of the bitmap blocks (empty in strict mode). */
  readonly bitmap: Uint32Array;
}

/**
 * Estimated bytes of state per tracked stream in a {@link MemoryReplayStore}, on 64-bit V8 without
 * pointer compression (Node's default), counted honestly: bitmap ((W/32 + 1) × 4), two float64s
 * (highest seq, expiry), the index key (one-byte string of 19 chars: 16-byte header + 19, rounded
 * to 8 = 40) and the index entry (OrderedHashMap: key, value and chain words plus half a bucket
 * word, 28 bytes per allocated entry, doubled for the 50% load right after the table grows).
 * Chunk slack (under 256 slots per store) is not per stream and is left out.
 *
 * @example
 * ```ts
 * replayStateBytesPerStream(1024) // 244
 * ```
 */
export function replayStateBytesPerStream(window: number = DEFAULT_WINDOW, strict = false): number {
  assertWindow(window);
  const bitmap = strict ? 0 : windowBlocks(window) * 4;
  return bitmap + 16 + 40 + 56;
}

/** @internal Throws a RangeError naming `name` unless `value` is undefined or an integer in [min, max]. */
export function assertOptionalUint(value: unknown, name: string, min: number, max: number): void {
  if (value !== undefined) assertInt(value, name, min, max);
}

/**
 * In-process replay state: an RFC 6479 window per (kid, stream), forgetting a stream only once
 * everything it accepted is stale, and refusing new streams at the cap rather than evicting live
 * ones. Synchronous, so `Receiver.openSync` works with it. Keep the same instance across
 * `Receiver` instances to carry windows over (a restart "with persisted state").
 *
 * @throws {RangeError} on an invalid option (named).
 * @example
 * ```ts
 * const store = new MemoryReplayStore({ window: 1024, maxStreams: 50_000 })
 * const receiver = new Receiver({ keys: ring, store })
 * ```
 */
export class MemoryReplayStore implements ReplayStore {
  readonly window: number;
  readonly strict: boolean;
  readonly maxStreams: number;
  readonly startedAt: number;
  readonly maxAgeMs: number | undefined;
  readonly maxFutureSkewMs: number | undefined;
  readonly synchronous = true;

  readonly #blocks: number;
  readonly #words: Uint32Array[] = [];
  // Per slot: [highest seq, expiresAt].
  readonly #meta: Float64Array[] = [];
  readonly #free: number[] = [];
  #slots = 0;
  readonly #index = new Map<string, number>();
  readonly #kids = new Map<string, number>();
  #lastKid: Uint8Array | undefined;
  #lastKidIndex = 0;
  // The last index key built, with the bytes it was built from: check() and commit() of one
  // envelope ask for the same key, and a reused string keeps its hash (one build, one hash).
  readonly #lastStream = new Uint8Array(16);
  #lastKeyKid = -1;
  #lastKey = '';
  // Lower bound on the smallest expiresAt held: at the cap, no sweep can help before it passes.
  #earliest = Infinity;
  // Largest expiresAt ever forgotten: an envelope at or below it may be a replay of forgotten
  // state (§6.2), whatever the clock says now (it matters only if the clock steps back).
  #horizon = -1;
  // The largest `now` applied: a state whose expiresAt is below it has expired for every later
  // verdict ([RPL-6.1]), whether or not its memory was reclaimed yet.
  #clock = -Infinity;
  #hand: Iterator<[string, number]> | undefined;

  constructor(options: MemoryReplayStoreOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('"options" expected object');
    // `null` is misuse, not "default": only undefined selects a default.
    const window = options.window === undefined ? DEFAULT_WINDOW : options.window;
    assertWindow(window, 'window');
    if (options.strict !== undefined && typeof options.strict !== 'boolean') throw new TypeError('"strict" expected boolean');
    assertOptionalUint(options.maxStreams, 'maxStreams', 1, MAX_STREAMS_LIMIT);
    assertOptionalUint(options.startedAt, 'startedAt', 0, Number.MAX_SAFE_INTEGER);
    assertOptionalUint(options.maxAgeMs, 'maxAgeMs', 1, MAX_AGE_LIMIT_MS);
    assertOptionalUint(options.maxFutureSkewMs, 'maxFutureSkewMs', 0, MAX_FUTURE_SKEW_LIMIT_MS);
    this.maxAgeMs = options.maxAgeMs;
    this.maxFutureSkewMs = options.maxFutureSkewMs;
    this.window = window;
    this.strict = options.strict ?? false;
    this.maxStreams = options.maxStreams ?? DEFAULT_MAX_STREAMS;
    this.startedAt = options.startedAt ?? Date.now();
    this.#blocks = this.strict ? 0 : windowBlocks(window);
  }

  /** Streams currently tracked. */
  get size(): number {
    return this.#index.size;
  }

  check(req: ReplayRequest): ReplayVerdict {
    const now = this.#advance(req.now);
    if (req.expiresAt <= this.#horizonFor(req.expiresAt, now)) return 'ERR_STALE';
    const slot = this.#index.get(this.#key(req.kid, req.stream));
    return slot === undefined || this.#expired(slot, now) ? this.#checkNew(now) : this.#checkKnown(slot, req.seq);
  }

  commit(req: ReplayRequest): ReplayVerdict {
    const now = this.#advance(req.now);
    this.#sweepStep(now);
    if (req.expiresAt <= this.#horizonFor(req.expiresAt, now)) return 'ERR_STALE';
    const key = this.#key(req.kid, req.stream);
    let slot = this.#index.get(key);
    if (slot !== undefined && this.#expired(slot, now)) {
      this.#evict(key, slot, this.#expiresAt(slot));
      slot = undefined;
    }
    if (slot === undefined) return this.#insert(key, req, now);
    const verdict = this.#checkKnown(slot, req.seq);
    if (verdict !== 'ok') return verdict;
    const meta = this.#meta[slot >>> 8]!;
    const m = (slot & (CHUNK - 1)) * 2;
    if (!this.strict) {
      meta[m] = markWindow(this.#words[slot >>> 8]!, (slot & (CHUNK - 1)) * this.#blocks, this.window, meta[m]!, req.seq);
    } else {
      meta[m] = req.seq;
    }
    if (req.expiresAt > meta[m + 1]!) meta[m + 1] = req.expiresAt;
    return 'ok';
  }

  /**
   * Forgets every stream whose state is expired at `now` (everything it accepted is stale) and
   * returns how many. Commits already do this a little at a time; call it to reclaim memory at once.
   * `now` counts as applied, like a request's ([RPL-6.1]).
   */
  sweep(now: number): number {
    now = this.#advance(now);
    let evicted = 0;
    let earliest = Infinity;
    for (const [key, slot] of this.#index) {
      const exp = this.#expiresAt(slot);
      if (now > exp) {
        this.#evict(key, slot, exp);
        evicted++;
      } else if (exp < earliest) {
        earliest = exp;
      }
    }
    this.#earliest = earliest;
    return evicted;
  }

  /**
   * [RPL-6.7]: drops the state of a stream whose session can never be presented again. The
   * horizon stays: the session binding, not the horizon, refuses that stream's old envelopes.
   */
  forget(kid: Uint8Array, stream: Uint8Array): void {
    const key = this.#key(kid, stream);
    const slot = this.#index.get(key);
    if (slot === undefined) return;
    this.#index.delete(key);
    this.#free.push(slot);
  }

  /** The state held for (kid, stream), or undefined when the stream is not tracked. */
  peek(kid: Uint8Array, stream: Uint8Array): StreamState | undefined {
    const slot = this.#index.get(this.#key(kid, stream));
    if (slot === undefined) return undefined;
    const meta = this.#meta[slot >>> 8]!;
    const m = (slot & (CHUNK - 1)) * 2;
    const base = (slot & (CHUNK - 1)) * this.#blocks;
    const bitmap = this.strict ? new Uint32Array(0) : this.#words[slot >>> 8]!.slice(base, base + this.#blocks);
    return { top: meta[m]!, expiresAt: meta[m + 1]!, bitmap };
  }

  #checkKnown(slot: number, seq: number): ReplayVerdict {
    const top = this.#meta[slot >>> 8]![(slot & (CHUNK - 1)) * 2]!;
    const v = this.strict ? checkStrict(top, seq) : checkWindow(this.#words[slot >>> 8]!, (slot & (CHUNK - 1)) * this.#blocks, this.window, top, seq);
    return v === SEQ_OK ? 'ok' : v === SEQ_REPLAY ? 'ERR_REPLAY' : 'ERR_TOO_OLD';
  }

  /** The receiver clock for this verdict: the largest `now` applied so far ([RPL-6.1]). */
  #advance(now: number): number {
    if (now > this.#clock) this.#clock = now;
    return this.#clock;
  }

  #expiresAt(slot: number): number {
    return this.#meta[slot >>> 8]![(slot & (CHUNK - 1)) * 2 + 1]!;
  }

  #expired(slot: number, now: number): boolean {
    return now > this.#expiresAt(slot);
  }

  /**
   * The horizon as [RPL-6.2] defines it: every expired state counts, reclaimed or not. Only an
   * envelope that expires before `now` (the clock stepped back) can meet an expired state's
   * expiresAt, so only then are they all reclaimed to know it exactly.
   */
  #horizonFor(expiresAt: number, now: number): number {
    if (expiresAt < now && now > this.#earliest) this.sweep(now);
    return this.#horizon;
  }

  /** The cap counts unexpired streams ([RPL-6.5]): expired ones are reclaimed first when it matters. */
  #checkNew(now: number): ReplayVerdict {
    if (this.#index.size < this.maxStreams) return 'ok';
    // Before the earliest expiry nothing held has expired; after it, count exactly.
    if (!(now > this.#earliest)) return 'ERR_STREAM_LIMIT';
    this.sweep(now);
    return this.#index.size < this.maxStreams ? 'ok' : 'ERR_STREAM_LIMIT';
  }

  #insert(key: string, req: ReplayRequest, now: number): ReplayVerdict {
    const verdict = this.#checkNew(now);
    if (verdict !== 'ok') return verdict;
    const slot = this.#allocate();
    const meta = this.#meta[slot >>> 8]!;
    const m = (slot & (CHUNK - 1)) * 2;
    meta[m + 1] = req.expiresAt;
    if (!this.strict) {
      const words = this.#words[slot >>> 8]!;
      const base = (slot & (CHUNK - 1)) * this.#blocks;
      words.fill(0, base, base + this.#blocks);
      meta[m] = markWindow(words, base, this.window, req.seq, req.seq);
    } else {
      meta[m] = req.seq;
    }
    if (req.expiresAt < this.#earliest) this.#earliest = req.expiresAt;
    this.#index.set(key, slot);
    return 'ok';
  }

  #allocate(): number {
    const reused = this.#free.pop();
    if (reused !== undefined) return reused;
    const slot = this.#slots++;
    if ((slot & (CHUNK - 1)) === 0) {
      this.#meta.push(new Float64Array(CHUNK * 2));
      if (!this.strict) this.#words.push(new Uint32Array(CHUNK * this.#blocks));
    }
    return slot;
  }

  #evict(key: string, slot: number, expiresAt: number): void {
    this.#index.delete(key);
    this.#free.push(slot);
    if (expiresAt > this.#horizon) this.#horizon = expiresAt;
  }

  // A clock hand over the index: a Map iterator stays valid while entries are deleted.
  #sweepStep(now: number): void {
    if (this.#index.size === 0) return;
    for (let i = 0; i < SWEEP_STEP; i++) {
      this.#hand ??= this.#index.entries();
      const next = this.#hand.next();
      if (next.done === true) {
        this.#hand = undefined;
        return;
      }
      const [key, slot] = next.value;
      const exp = this.#expiresAt(slot);
      if (now > exp) this.#evict(key, slot, exp);
    }
  }

  // Key: kid index as 3 bytes, then the 16 stream bytes, built in one call so V8 makes one flat
  // one-byte string (concatenation would make a cons string and double the key's memory).
  #key(kid: Uint8Array, s: Uint8Array): string {
    const k = this.#kidIndex(kid);
    const last = this.#lastStream;
    if (
      k === this.#lastKeyKid &&
      s[0] === last[0] &&
      s[1] === last[1] &&
      s[2] === last[2] &&
      s[3] === last[3] &&
      s[4] === last[4] &&
      s[5] === last[5] &&
      s[6] === last[6] &&
      s[7] === last[7] &&
      s[8] === last[8] &&
      s[9] === last[9] &&
      s[10] === last[10] &&
      s[11] === last[11] &&
      s[12] === last[12] &&
      s[13] === last[13] &&
      s[14] === last[14] &&
      s[15] === last[15]
    ) {
      return this.#lastKey;
    }
    const key = String.fromCharCode(
      k & 0xff,
      (k >>> 8) & 0xff,
      k >>> 16,
      s[0]!,
      s[1]!,
      s[2]!,
      s[3]!,
      s[4]!,
      s[5]!,
      s[6]!,
      s[7]!,
      s[8]!,
      s[9]!,
      s[10]!,
      s[11]!,
      s[12]!,
      s[13]!,
      s[14]!,
      s[15]!,
    );
    last.set(s.subarray(0, 16));
    this.#lastKeyKid = k;
    this.#lastKey = key;
    return key;
  }

  #kidIndex(kid: Uint8Array): number {
    const last = this.#lastKid;
    if (last !== undefined && last.length === kid.length) {
      let same = true;
      for (let i = 0; i < kid.length; i++) {
        if (last[i] !== kid[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.#lastKidIndex;
    }
    const name = String.fromCharCode(...kid);
    let index = this.#kids.get(name);
    if (index === undefined) {
      // Only keys the receiver trusts reach the store, so this table grows with the key ring.
      if (this.#kids.size >= MAX_KIDS) throw new RangeError('too many key ids for one replay store');
      index = this.#kids.size;
      this.#kids.set(name, index);
    }
    this.#lastKid = kid.slice();
    this.#lastKidIndex = index;
    return index;
  }
}
