// The seam between the receiver and wherever replay state lives (spec/replay.md §9). The window
// logic runs inside the store, so a shared store (Redis) can make check-and-set one atomic step.

/** One envelope's replay question. Everything here passed decoding, key checks and freshness. */
export interface ReplayRequest {
  readonly kid: Uint8Array;
  /** 16-byte stream id. State is keyed by (kid, stream), never by session (§2). */
  readonly stream: Uint8Array;
  readonly seq: number;
  readonly ts: number;
  /** The receiver's clock for this envelope, in ms. */
  readonly now: number;
  /** `ts + maxAgeMs`: once the receiver clock passes it, this envelope is stale (§6). */
  readonly expiresAt: number;
}

/** `'ok'` or the code the receiver throws. */
export type ReplayVerdict = 'ok' | 'ERR_REPLAY' | 'ERR_TOO_OLD' | 'ERR_STALE' | 'ERR_STREAM_LIMIT';

/**
 * Where replay windows live. The in-memory default is synchronous; a shared store for several
 * server nodes returns promises and implements {@link ReplayStore.commit} as one atomic
 * compare-and-set (e.g. a Redis Lua script over the stream's key; see spec/replay.md §9).
 *
 * @example
 * ```ts
 * const store = new MemoryReplayStore({ window: 2048 })
 * const receiver = new Receiver({ keys: ring, store })
 * ```
 */
export interface ReplayStore {
  /** Window size W in positions. */
  readonly window: number;
  /** Strict in-order mode: only seq above the highest accepted passes. */
  readonly strict: boolean;
  /** Tracked stream cap (§6.3). */
  readonly maxStreams: number;
  /**
   * The freshness settings every receiver using this store must have ([RPL-9.2]): a receiver with
   * other values refuses the store when it is constructed. Undefined: not recorded, not checked.
   */
  readonly maxAgeMs?: number | undefined;
  readonly maxFutureSkewMs?: number | undefined;
  /**
   * Since when (ms, receiver clock) this store holds every acceptance made for the receivers using
   * it. A store that starts empty says "now"; a durable store says when it was first created.
   * Drives the restart bound (§7).
   */
  readonly startedAt: number;
  /** True when `check` and `commit` return plain verdicts, never promises: enables `openSync`. */
  readonly synchronous: boolean;
  /** Pre-check before the signature (§5): reads only, changes no window. */
  check(request: ReplayRequest): ReplayVerdict | Promise<ReplayVerdict>;
  /**
   * Commit after the signature passed (§5): checks again and records, as one atomic step. Returns
   * `'ok'` exactly when this call recorded the envelope; a concurrent duplicate gets `ERR_REPLAY`.
   * Throwing or rejecting means "unavailable": the receiver fails closed with `ERR_STORE`.
   */
  commit(request: ReplayRequest): ReplayVerdict | Promise<ReplayVerdict>;
  /**
   * Forgets one stream's state before it expires, without moving the horizon: only for a stream
   * no envelope can ever be accepted on again, because the session its envelopes are bound to can
   * never be presented again ([RPL-6.7]). Optional; a store without it keeps the state to expiry.
   */
  forget?(kid: Uint8Array, stream: Uint8Array): void | Promise<void>;
}
