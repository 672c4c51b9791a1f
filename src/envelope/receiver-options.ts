// What a Receiver is built from and what one open() is given: the options, checked once, the
// plugged-in signature check (a pool), and the replay store the receiver commits to.
import type { KeyRing } from '../keys/keyring.js';
import type { PublicKey } from '../keys/keys.js';
import { MemoryReplayStore } from '../replay/memory.js';
import type { ReplayStore } from '../replay/store.js';
import type { EnvelopeHeader } from '../wire/envelope.js';

export interface ReceiverOptions {
  /** The trusted keys: a key ring, or one imported public key. */
  keys: KeyRing | PublicKey;
  /** Envelopes longer than this are refused before decoding. Default 64 KiB. */
  maxEnvelopeSize?: number;
  /** Replay window W for the default store (spec/replay.md §4). Default 1,024. */
  window?: number;
  /** Strict in-order mode for the default store (§4.3). Default false. */
  strict?: boolean;
  /** Largest accepted `ts - now` (§3). Default 5,000 ms. */
  maxFutureSkewMs?: number;
  /** Largest accepted `now - ts` (§3). Default 60,000 ms. */
  maxAgeMs?: number;
  /** Tracked stream cap for the default store (§6.3). Default 100,000. */
  maxStreams?: number;
  /** Replay state. Default: a new {@link MemoryReplayStore} built from the options above. */
  store?: ReplayStore;
  /**
   * When the default store's state began (ms). Envelopes with `ts <= startedAt + maxFutureSkewMs`
   * are refused with `ERR_STATE_LOST` (spec/replay.md §7.3). Default `clock()` at construction.
   */
  startedAt?: number;
  /** Receiver clock in ms. Default `Date.now`. */
  clock?: () => number;
  /**
   * Signature check; default = strict verify on the key's backend. A worker pool can plug in here
   * (`verify: pool`), as a {@link Verifier} or a bare function: it receives only signatures that
   * passed the strict rule's byte checks (length, canonical R, S < L) and must compute the
   * cofactorless equation. Only `true` means valid.
   */
  verify?: Verifier | VerifyFunction;
}

export type VerifyFunction = (key: PublicKey, message: Uint8Array, signature: Uint8Array) => boolean | Promise<boolean>;

/** A signature check plugged into a Receiver (a verification pool). */
export interface Verifier {
  readonly verify: VerifyFunction;
  /**
   * True when `verify` is done with its arguments when it returns (it copies them, as VerifyPool
   * does into its batch buffer): the Receiver then lends it views into reused buffers instead of
   * a signing input and a signature copy per envelope, which a check that keeps them needs.
   */
  readonly copiesInputs?: boolean;
}

export interface OpenContext {
  /** Application context both sides know and never send. */
  aad?: Uint8Array;
  /** Session binding from the handshake: session id (32 bytes) || direction (1 byte). */
  binding?: Uint8Array;
  /** Receiver clock for this envelope (ms). Default: the receiver's `clock()`. */
  now?: number;
  /**
   * Runs after freshness and the replay pre-check, right before the signature: rate limits.
   * May throw ProtocolError; the envelope is then refused and no window moves.
   */
  beforeSignature?: (info: { header: EnvelopeHeader; identity: string | undefined; kid: Uint8Array }) => void;
  /**
   * When the session named by `binding` was established (ms, receiver clock). A session created
   * after the store's `startedAt` cannot carry envelopes accepted before it, so the restart bound
   * (§7.3) does not apply to it. Requires `binding`.
   */
  sessionStartedAt?: number;
}

export function assertMs(value: unknown, name: string, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`"${name}" expected an integer from ${min} to ${max}, got ${String(value)}`);
  }
}

function isStore(value: unknown): value is ReplayStore {
  if (value === null || typeof value !== 'object') return false;
  const s = value as Partial<ReplayStore>;
  return (
    typeof s.check === 'function' &&
    typeof s.commit === 'function' &&
    typeof s.window === 'number' &&
    typeof s.strict === 'boolean' &&
    typeof s.synchronous === 'boolean' &&
    typeof s.startedAt === 'number' &&
    Number.isSafeInteger(s.startedAt)
  );
}

/** The signature check a Receiver calls, and whether it may lend that check reused buffers. */
export function resolveVerify(v: ReceiverOptions['verify']): [VerifyFunction | undefined, boolean] {
  if (typeof v === 'function' || v === undefined) return [v, false];
  if (v !== null && typeof v === 'object' && typeof v.verify === 'function') return [v.verify, v.copiesInputs === true];
  throw new TypeError('"verify" expected a function or { verify(key, message, signature) }');
}

/** The store given, checked against the receiver's options, or a new MemoryReplayStore from them. */
export function resolveStore(options: ReceiverOptions, maxAge: number, skew: number, now: () => number): ReplayStore {
  if (options.store !== undefined) {
    if (!isStore(options.store)) throw new TypeError('"store" expected a ReplayStore');
    const s = options.store;
    // The store owns its window; conflicting options would silently not apply.
    if (options.window !== undefined && options.window !== s.window) throw new RangeError('"window" differs from store.window');
    if (options.strict !== undefined && options.strict !== s.strict) throw new RangeError('"strict" differs from store.strict');
    if (options.maxStreams !== undefined && options.maxStreams !== s.maxStreams) {
      throw new RangeError('"maxStreams" differs from store.maxStreams');
    }
    if (options.startedAt !== undefined) throw new TypeError('"startedAt" belongs to the store when one is given');
    // [RPL-9.2]: receivers sharing a store judge freshness alike, or a store's horizon and the
    // replay guarantee built on it would not hold for the one with the longer maxAge.
    if (s.maxAgeMs !== undefined && s.maxAgeMs !== maxAge) throw new RangeError('"maxAgeMs" differs from store.maxAgeMs');
    if (s.maxFutureSkewMs !== undefined && s.maxFutureSkewMs !== skew) {
      throw new RangeError('"maxFutureSkewMs" differs from store.maxFutureSkewMs');
    }
    return s;
  }
  const startedAt = options.startedAt === undefined ? now() : options.startedAt;
  return new MemoryReplayStore({
    startedAt,
    // Recorded, so another receiver given this one's store must judge freshness alike.
    maxAgeMs: maxAge,
    maxFutureSkewMs: skew,
    ...(options.window !== undefined ? { window: options.window } : {}),
    ...(options.strict !== undefined ? { strict: options.strict } : {}),
    ...(options.maxStreams !== undefined ? { maxStreams: options.maxStreams } : {}),
  });
}
