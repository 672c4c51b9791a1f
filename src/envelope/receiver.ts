// The live verifying side: stateless checks of open.ts, then freshness and the replay guard, in
// the order of spec/replay.md §5: size → decode → header → key and validity → freshness → replay
// pre-check → [beforeSignature] → signature → replay commit (atomic check-and-set).
import { ProtocolError, SIGNATURE_FAILED } from '../errors.js';
import { assertBytes } from '../bytes.js';
import { isCanonicalPoint, isCanonicalScalar, verifyStrict } from '../crypto/ed25519.js';
import { KeyRing } from '../keys/keyring.js';
import { isPublicKey, type PublicKey } from '../keys/keys.js';
import { checkFreshness, DEFAULT_MAX_AGE_MS, DEFAULT_MAX_FUTURE_SKEW_MS, MAX_AGE_LIMIT_MS, MAX_FUTURE_SKEW_LIMIT_MS } from '../replay/freshness.js';
import { MemoryReplayStore } from '../replay/memory.js';
import type { ReplayRequest, ReplayStore, ReplayVerdict } from '../replay/store.js';
import { SESSION_BINDING_LENGTH, type EnvelopeHeader } from '../wire/envelope.js';
import { copiesInputs } from './verify-hook.js';
import { timed, type Timing } from './open-timing.js';
import { DEFAULT_MAX_ENVELOPE_SIZE, resolveEnvelope, signingInput, signingInputScratch, toOpened, type Opened, type OpenOptions, type Resolved } from './open.js';

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
   * Signature check; default = strict verify on the key's backend. A worker pool can plug in here:
   * it receives only signatures that passed the strict rule's byte checks (length, canonical R,
   * S < L) and must compute the cofactorless equation. Only `true` means valid.
   */
  verify?: (key: PublicKey, message: Uint8Array, signature: Uint8Array) => boolean | Promise<boolean>;
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

type Hook = OpenContext['beforeSignature'];

// Everything the checks after decoding need, so the async path can own copies of it.
interface Front {
  readonly resolved: Resolved;
  readonly req: ReplayRequest;
  readonly aad: Uint8Array | undefined;
  readonly binding: Uint8Array | undefined;
  readonly hook: Hook;
}

type Settled = { ok: boolean; error?: never } | { ok?: never; error: unknown };

const VERDICT_MESSAGES: Record<Exclude<ReplayVerdict, 'ok'>, string> = {
  ERR_REPLAY: 'envelope already accepted',
  ERR_TOO_OLD: 'sequence number is behind the replay window',
  ERR_STALE: 'envelope may belong to forgotten replay state',
  ERR_STREAM_LIMIT: 'too many tracked streams',
};

function verdictError(v: ReplayVerdict): ProtocolError {
  const message = Object.hasOwn(VERDICT_MESSAGES, v) ? VERDICT_MESSAGES[v as Exclude<ReplayVerdict, 'ok'>] : undefined;
  // Fail closed on anything a custom store returns that is not a verdict.
  if (message === undefined) return new ProtocolError('ERR_STORE', 'replay store returned an invalid verdict');
  return new ProtocolError(v as Exclude<ReplayVerdict, 'ok'>, message);
}

function storeError(cause: unknown): ProtocolError {
  return new ProtocolError('ERR_STORE', 'replay store unavailable', { cause });
}

function noop(): void {}

function assertMs(value: unknown, name: string, min: number, max: number): void {
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

// Owned copies of every view into the caller's envelope and context, taken before any await.
function detach(f: Front): Front {
  const d = f.resolved.decoded;
  const header = { ...d.header, kid: d.header.kid.slice(), stream: d.header.stream.slice() };
  const resolved: Resolved = {
    entry: f.resolved.entry,
    decoded: { header, protectedBytes: d.protectedBytes.slice(), payload: d.payload.slice(), signature: d.signature.slice() },
  };
  return {
    resolved,
    req: { ...f.req, kid: header.kid, stream: header.stream },
    aad: f.aad?.slice(),
    binding: f.binding?.slice(),
    hook: f.hook,
  };
}

// What the ordered tail of open() still needs once the signature check has started on owned bytes
// (a sync store and a started verification): the replay request and the caller's result. The
// protected header and signature are not needed again, so only kid, stream and payload are copied.
function detachResult(f: Front): Front {
  const d = f.resolved.decoded;
  const header = { ...d.header, kid: d.header.kid.slice(), stream: d.header.stream.slice() };
  const resolved: Resolved = {
    entry: f.resolved.entry,
    decoded: { header, protectedBytes: EMPTY, payload: d.payload.slice(), signature: EMPTY },
  };
  return { resolved, req: { ...f.req, kid: header.kid, stream: header.stream }, aad: undefined, binding: undefined, hook: undefined };
}

const EMPTY = new Uint8Array(0);

// The key of the per-(kid, stream) chains: the bytes themselves as a one-byte string (the kid's
// length first, so no two (kid, stream) pairs share a key); cheaper than two hex strings.
function chainId(kid: Uint8Array, stream: Uint8Array): string {
  // Through a reused array: spreading two typed arrays into the call cost ~0.3 us per open().
  const codes = CHAIN_CODES;
  codes.length = 1 + kid.length + stream.length;
  codes[0] = kid.length;
  for (let i = 0; i < kid.length; i++) codes[1 + i] = kid[i]!;
  for (let i = 0; i < stream.length; i++) codes[1 + kid.length + i] = stream[i]!;
  return String.fromCharCode.apply(null, codes);
}
const CHAIN_CODES: number[] = [];

/**
 * @internal Thrown by {@link openGated} when its gate said no: the envelope was verified (or not)
 * but never committed, so the peer may send it again.
 */
export class GateClosed extends Error {
  constructor() {
    super('envelope not committed: its session stopped first');
    this.name = 'GateClosed';
  }
}

/**
 * @internal A session's pipelined open (spec/policy.md [POL-8.5]): everything up to the signature
 * runs now, in call order (pre-check, `beforeSignature`, start of the signature check); the commit
 * waits for `gate`, which the session resolves with `true` once it has fully processed the
 * envelopes received before this one, or `false` when it stopped (a refusal, a close). Without a
 * gate, the commit is not held back. `envelope` must be owned by the caller and never change: the
 * decoded views into it are kept instead of copied. Requires a synchronous store.
 */
export let openGated!: (receiver: Receiver, envelope: Uint8Array, ctx: OpenContext, gate: Promise<boolean> | undefined) => Promise<Opened>;

/**
 * @internal {@link openGated} without a gate for a session with nothing else in process: when
 * nothing is pending on the (kid, stream) and the signature check was synchronous, the envelope is
 * committed and returned (or refused, by a throw) before this returns; otherwise the promise
 * openGated would give. The same steps in the same order, minus a promise and its microtasks.
 */
export let openNow!: (receiver: Receiver, envelope: Uint8Array, ctx: OpenContext) => Opened | Promise<Opened>;

/** @internal Whether a signature check may answer later: a `verify` hook (a pool) was given. */
export let verifiesLater!: (receiver: Receiver) => boolean;

/** @internal sealwire/metrics: time one in `every` of the sessions' opens; `undefined` stops. */
export let timeOpens!: (receiver: Receiver, observe: ((seconds: number) => void) | undefined, every: number) => void;

/**
 * Opens envelopes from live peers: everything `open()` checks, plus freshness against the receiver
 * clock and replay protection per (kid, stream). A forged envelope never moves a window: the
 * window is only pre-checked before the signature and committed, atomically, after it passed.
 *
 * @throws {TypeError|RangeError} from the constructor on an invalid option (named).
 * @example
 * ```ts
 * const receiver = new Receiver({ keys: ring })
 * const { payload, identity, seq } = receiver.openSync(envelope)
 * // with a worker pool or a shared store:
 * const opened = await receiver.open(envelope, { binding })
 * ```
 */
export class Receiver {
  readonly #open: OpenOptions;
  readonly #skew: number;
  readonly #maxAge: number;
  readonly #store: ReplayStore;
  readonly #clock: () => number;
  readonly #verify: ReceiverOptions['verify'];
  #timing: Timing | undefined;
  readonly #verifyCopies: boolean;
  // Tail of the pending open() calls per (kid, stream): commits and results follow call order.
  readonly #chains = new Map<string, Promise<void>>();

  constructor(options: ReceiverOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('"options" expected object');
    const { keys } = options;
    if (!(keys instanceof KeyRing) && !isPublicKey(keys)) {
      throw new TypeError('"options.keys" expected a KeyRing or PublicKey');
    }
    // `null` is misuse, not "default": only undefined selects a default.
    const maxEnvelopeSize = options.maxEnvelopeSize === undefined ? DEFAULT_MAX_ENVELOPE_SIZE : options.maxEnvelopeSize;
    assertMs(maxEnvelopeSize, 'maxEnvelopeSize', 1, 2 ** 32);
    this.#open = { keys, maxEnvelopeSize };
    this.#skew = options.maxFutureSkewMs === undefined ? DEFAULT_MAX_FUTURE_SKEW_MS : options.maxFutureSkewMs;
    assertMs(this.#skew, 'maxFutureSkewMs', 0, MAX_FUTURE_SKEW_LIMIT_MS);
    this.#maxAge = options.maxAgeMs === undefined ? DEFAULT_MAX_AGE_MS : options.maxAgeMs;
    assertMs(this.#maxAge, 'maxAgeMs', 1, MAX_AGE_LIMIT_MS);
    if (options.clock !== undefined && typeof options.clock !== 'function') throw new TypeError('"clock" expected function');
    this.#clock = options.clock ?? Date.now;
    if (options.verify !== undefined && typeof options.verify !== 'function') throw new TypeError('"verify" expected function');
    this.#verify = options.verify;
    this.#verifyCopies = copiesInputs(options.verify);
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
      if (s.maxAgeMs !== undefined && s.maxAgeMs !== this.#maxAge) throw new RangeError('"maxAgeMs" differs from store.maxAgeMs');
      if (s.maxFutureSkewMs !== undefined && s.maxFutureSkewMs !== this.#skew) {
        throw new RangeError('"maxFutureSkewMs" differs from store.maxFutureSkewMs');
      }
      this.#store = s;
    } else {
      const startedAt = options.startedAt === undefined ? this.#now(undefined) : options.startedAt;
      this.#store = new MemoryReplayStore({
        startedAt,
        // Recorded, so another receiver given this one's store must judge freshness alike.
        maxAgeMs: this.#maxAge,
        maxFutureSkewMs: this.#skew,
        ...(options.window !== undefined ? { window: options.window } : {}),
        ...(options.strict !== undefined ? { strict: options.strict } : {}),
        ...(options.maxStreams !== undefined ? { maxStreams: options.maxStreams } : {}),
      });
    }
  }

  static {
    openGated = (r, envelope, ctx, gate) =>
      r.#timing === undefined ? (r.#openGated(envelope, ctx, gate, false) as Promise<Opened>) : timed(r.#timing, () => r.#openGated(envelope, ctx, gate, false) as Promise<Opened>);
    openNow = (r, envelope, ctx) => (r.#timing === undefined ? r.#openGated(envelope, ctx, undefined, true) : timed(r.#timing, () => r.#openGated(envelope, ctx, undefined, true)));
    timeOpens = (r, observe, every) => void (r.#timing = observe === undefined ? undefined : { observe, every, n: 0 });
    verifiesLater = (receiver) => receiver.#verify !== undefined;
  }

  #openGated(envelope: Uint8Array, ctx: OpenContext, gate: Promise<boolean> | undefined, now: boolean): Opened | Promise<Opened> {
    let f: Front;
    let sig: boolean | Promise<boolean>;
    try {
      if (!this.#store.synchronous) throw new TypeError('"store" is asynchronous: use open()');
      f = this.#front(envelope, ctx);
      this.#precheckSync(f);
      sig = this.#startVerify(f);
    } catch (err) {
      // Refused before the signature: nothing to commit, and the session orders outcomes itself.
      if (now) throw err;
      return Promise.reject(err);
    }
    // Most of the time no chain is pending at all: no chain id to build then.
    const id = this.#chains.size === 0 ? undefined : chainId(f.req.kid, f.req.stream);
    const prev = id === undefined ? undefined : this.#chains.get(id);
    if (gate === undefined && prev === undefined && typeof sig === 'boolean') {
      if (now) return this.#finishSync(f, sig);
      try {
        return Promise.resolve(this.#finishSync(f, sig));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    const result = this.#runGated(f, prev, gate, sig);
    const key = id ?? chainId(f.req.kid, f.req.stream);
    const tail = result.then(noop, noop);
    this.#chains.set(key, tail);
    void tail.then(() => {
      if (this.#chains.get(key) === tail) this.#chains.delete(key);
    });
    return result;
  }

  async #runGated(f: Front, prev: Promise<void> | undefined, gate: Promise<boolean> | undefined, started: boolean | Promise<boolean>): Promise<Opened> {
    const sig = settle(started);
    // Commits stay in call order per (kid, stream) ([RPL-5.5]), and after the session's earlier envelopes.
    if (prev !== undefined) await prev;
    if (gate !== undefined && (await gate) !== true) throw new GateClosed();
    const s = await sig;
    if (s.error !== undefined) throw s.error;
    return this.#finishSync(f, s.ok === true);
  }

  /** The replay state this receiver commits to. */
  get store(): ReplayStore {
    return this.#store;
  }

  /**
   * Opens one envelope with a synchronous store and verifier: the fast path for one process.
   * Does not wait for `open()` calls still pending on the same stream.
   *
   * @throws {ProtocolError} everything `open()` throws (`ERR_TOO_LARGE`, decode codes, key codes,
   *   `ERR_BAD_SIGNATURE`), `ERR_FUTURE`, `ERR_STALE`, `ERR_REPLAY`, `ERR_TOO_OLD`,
   *   `ERR_STREAM_LIMIT`, `ERR_STATE_LOST`, `ERR_STORE`, and whatever `beforeSignature` throws.
   * @throws {TypeError} when the store or `verify` is asynchronous, or on a bad argument.
   * @example
   * ```ts
   * const { payload } = receiver.openSync(envelope, { binding })
   * ```
   */
  openSync(envelope: Uint8Array, ctx: OpenContext = {}): Opened {
    if (!this.#store.synchronous) throw new TypeError('"store" is asynchronous: use open()');
    const f = this.#front(envelope, ctx);
    this.#precheckSync(f);
    const sig = this.#startVerify(f);
    if (typeof sig !== 'boolean') {
      sig.catch(noop);
      throw new TypeError('"verify" returned a promise: use open()');
    }
    return this.#finishSync(f, sig);
  }

  /**
   * Opens one envelope with any store and verifier. Envelopes that fail a stateless check (size,
   * decoding, key checks, freshness, the restart bound) reject at once; the others settle, and are
   * committed, in call order per (kid, stream), even when signatures finish out of order. The
   * input may be reused as soon as this returns: everything needed later is copied first.
   *
   * @throws {ProtocolError} as {@link Receiver.openSync} (as a rejection).
   * @example
   * ```ts
   * ws.on('message', async (data) => {
   *   const { payload, identity } = await receiver.open(data)
   * })
   * ```
   */
  open(envelope: Uint8Array, ctx: OpenContext = {}): Promise<Opened> {
    let f: Front;
    try {
      f = this.#front(envelope, ctx);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#store.synchronous) {
      // A synchronous store: the pre-check, the hook and the start of the signature check run now,
      // on the caller's bytes (the verifier gets its own copy of the signing input). With nothing
      // pending anywhere a synchronous verdict finishes here; otherwise the result and the commit
      // wait their turn on the (kid, stream) chain, as do refusals, so outcomes keep call order.
      const idle = this.#chains.size === 0;
      let sig: boolean | Promise<boolean>;
      try {
        this.#precheckSync(f);
        sig = this.#startVerify(f);
        if (typeof sig === 'boolean' && idle) return Promise.resolve(this.#finishSync(f, sig));
      } catch (err) {
        if (idle) return Promise.reject(err);
        return this.#enqueue(detachResult(f), Promise.reject(err));
      }
      return this.#enqueue(detachResult(f), sig);
    }
    return this.#enqueue(detach(f), undefined);
  }

  #now(ctxNow: number | undefined): number {
    if (ctxNow !== undefined) {
      assertMs(ctxNow, 'now', 0, Number.MAX_SAFE_INTEGER);
      return ctxNow;
    }
    const now = this.#clock();
    if (typeof now !== 'number' || !Number.isSafeInteger(now) || now < 0) {
      throw new TypeError('"clock" expected to return a non-negative safe integer (ms)');
    }
    return now;
  }

  // Steps up to the replay pre-check that need no state: size, decode, header, key, freshness.
  #front(envelope: Uint8Array, ctx: OpenContext): Front {
    if (ctx === null || typeof ctx !== 'object') throw new TypeError('"ctx" expected object');
    const { aad, binding, beforeSignature, sessionStartedAt } = ctx;
    if (aad !== undefined) assertBytes(aad, 'aad');
    if (binding !== undefined) assertBytes(binding, 'binding', SESSION_BINDING_LENGTH);
    if (beforeSignature !== undefined && typeof beforeSignature !== 'function') {
      throw new TypeError('"beforeSignature" expected function');
    }
    if (sessionStartedAt !== undefined) {
      assertMs(sessionStartedAt, 'sessionStartedAt', 0, Number.MAX_SAFE_INTEGER);
      if (binding === undefined) throw new TypeError('"sessionStartedAt" requires "binding"');
    }
    const now = this.#now(ctx.now);
    const resolved = resolveEnvelope(envelope, this.#open);
    const h = resolved.decoded.header;
    checkFreshness(h.ts, now, this.#skew, this.#maxAge);
    // §7.3: before startedAt, a receiver with lost state may have accepted envelopes stamped up
    // to startedAt + skew, on any stream; the store cannot know them. A session born after
    // startedAt cannot carry them.
    const startedAt = this.#store.startedAt;
    if (h.ts <= startedAt + this.#skew && !(sessionStartedAt !== undefined && sessionStartedAt > startedAt)) {
      throw new ProtocolError('ERR_STATE_LOST', 'envelope may predate the receiver restart');
    }
    const req: ReplayRequest = { kid: h.kid, stream: h.stream, seq: h.seq, ts: h.ts, now, expiresAt: h.ts + this.#maxAge };
    return { resolved, req, aad, binding, hook: beforeSignature };
  }

  #precheckSync(f: Front): void {
    let v: ReplayVerdict;
    try {
      v = this.#store.check(f.req) as ReplayVerdict;
    } catch (err) {
      throw storeError(err);
    }
    if (v !== 'ok') throw verdictError(v);
    this.#runHook(f);
  }

  #runHook(f: Front): void {
    if (f.hook === undefined) return;
    const h = f.resolved.decoded.header;
    f.hook({ header: h, identity: f.resolved.entry.identity, kid: h.kid });
  }

  #startVerify(f: Front): boolean | Promise<boolean> {
    const { decoded, entry } = f.resolved;
    const sig = decoded.signature;
    if (this.#verify === undefined) {
      // Synchronous backends finish before anything else runs: the reused buffer is safe here.
      return verifyStrict(entry.key.backend, entry.key.handle, signingInputScratch(f.resolved, f.aad, f.binding), sig);
    }
    // Policy: the strict rule's byte checks stay here, so a plugged-in verifier cannot loosen them.
    if (sig.length !== 64 || !isCanonicalPoint(sig.subarray(0, 32)) || !isCanonicalScalar(sig.subarray(32, 64))) return false;
    // A verifier done with its arguments when it returns (VerifyPool) gets the reused buffer and a
    // view; any other gets bytes of its own, which may outlive this call and the caller's envelope.
    const r = this.#verifyCopies
      ? this.#verify(entry.key, signingInputScratch(f.resolved, f.aad, f.binding), sig)
      : this.#verify(entry.key, signingInput(f.resolved, f.aad, f.binding), sig.slice());
    if (typeof r === 'boolean') return r;
    if (r !== null && typeof r === 'object' && typeof (r as Promise<boolean>).then === 'function') {
      // Only a literal true is valid: settle() below and openSync's refusal both apply that rule to
      // the resolved value, so a native promise is passed on as is (one microtask fewer).
      return r instanceof Promise ? r : Promise.resolve(r);
    }
    return false;
  }

  #finishSync(f: Front, ok: boolean): Opened {
    if (!ok) throw new ProtocolError('ERR_BAD_SIGNATURE', SIGNATURE_FAILED);
    let v: ReplayVerdict;
    try {
      v = this.#store.commit(f.req) as ReplayVerdict;
    } catch (err) {
      throw storeError(err);
    }
    if (v !== 'ok') throw verdictError(v);
    return toOpened(f.resolved);
  }

  #enqueue(f: Front, started: boolean | Promise<boolean> | undefined): Promise<Opened> {
    const id = chainId(f.req.kid, f.req.stream);
    const prev = this.#chains.get(id);
    const result = started === undefined ? this.#run(f, prev) : this.#runStarted(f, prev, started);
    const tail = result.then(noop, noop);
    this.#chains.set(id, tail);
    void tail.then(() => {
      if (this.#chains.get(id) === tail) this.#chains.delete(id);
    });
    return result;
  }

  // A synchronous store, the verification started at call time: its verdict is awaited first, so a
  // rejection is handled at once while this call waits its turn, with no promise or object to carry it.
  async #runStarted(f: Front, prev: Promise<void> | undefined, started: boolean | Promise<boolean>): Promise<Opened> {
    let ok = false;
    let failed = false;
    let error: unknown;
    try {
      ok = (await started) === true;
    } catch (err) {
      failed = true;
      error = err;
    }
    // Settle in call order: wait for the previous call on this stream, whatever its outcome.
    if (prev !== undefined) await prev;
    if (failed) throw error;
    return this.#finishSync(f, ok);
  }

  async #run(f: Front, prev: Promise<void> | undefined): Promise<Opened> {
    const sig = (async (): Promise<Settled> => {
      let v: ReplayVerdict;
      try {
        v = await this.#store.check(f.req);
      } catch (err) {
        return { error: storeError(err) };
      }
      if (v !== 'ok') return { error: verdictError(v) };
      try {
        this.#runHook(f);
        return await settle(this.#startVerify(f));
      } catch (err) {
        return { error: err };
      }
    })();
    // Settle in call order: wait for the previous call on this stream, whatever its outcome.
    if (prev !== undefined) await prev;
    const s = await sig;
    if (s.error !== undefined) throw s.error;
    if (s.ok !== true) throw new ProtocolError('ERR_BAD_SIGNATURE', SIGNATURE_FAILED);
    let v: ReplayVerdict;
    try {
      // A synchronous store's verdict needs no extra turn of the microtask queue.
      const c = this.#store.commit(f.req);
      v = typeof c === 'string' ? c : await c;
    } catch (err) {
      throw storeError(err);
    }
    if (v !== 'ok') throw verdictError(v);
    return toOpened(f.resolved);
  }
}

// A verification result that can never become an unhandled rejection while it waits its turn.
function settle(sig: boolean | Promise<boolean>): Promise<Settled> {
  return Promise.resolve(sig).then(
    (ok) => ({ ok: ok === true }),
    (error: unknown) => ({ error }),
  );
}
