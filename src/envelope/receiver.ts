// The live verifying side: stateless checks of open.ts, then freshness and the replay guard, in
// the order of spec/replay.md §5: size → decode → header → key and validity → freshness → replay
// pre-check → [beforeSignature] → signature → replay commit (atomic check-and-set).
import { ProtocolError, SIGNATURE_FAILED } from '../errors.js';
import { assertBytes } from '../bytes.js';
import { isCanonicalPoint, isCanonicalScalar, verifyStrict } from '../crypto/ed25519.js';
import { KeyRing } from '../keys/keyring.js';
import { isPublicKey } from '../keys/keys.js';
import { checkFreshness, DEFAULT_MAX_AGE_MS, DEFAULT_MAX_FUTURE_SKEW_MS, MAX_AGE_LIMIT_MS, MAX_FUTURE_SKEW_LIMIT_MS } from '../replay/freshness.js';
import type { ReplayRequest, ReplayStore, ReplayVerdict } from '../replay/store.js';
import { SESSION_BINDING_LENGTH } from '../wire/envelope.js';
import { StreamQueue } from './stream-queue.js';
import { timed, type Timing } from './open-timing.js';
import { DEFAULT_MAX_ENVELOPE_SIZE, resolveEnvelope, signingInput, signingInputScratch, toOpened, type Opened, type OpenOptions } from './open.js';
import { assertMs, resolveStore, resolveVerify, type OpenContext, type ReceiverOptions, type VerifyFunction } from './receiver-options.js';
import { detach, detachResult, settle, storeError, verdictError, type Front, type Settled } from './receiver-front.js';

export type { OpenContext, ReceiverOptions, Verifier, VerifyFunction } from './receiver-options.js';

function noop(): void {}

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
  readonly #verify: VerifyFunction | undefined;
  readonly #verifyCopies: boolean;
  #timing: Timing | undefined;
  // The pending opens per (kid, stream): commits and results follow call order.
  readonly #queue = new StreamQueue();

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
    [this.#verify, this.#verifyCopies] = resolveVerify(options.verify);
    this.#store = resolveStore(options, this.#maxAge, this.#skew, () => this.#now(undefined));
  }

  /** @internal Whether a signature check may answer later: a `verify` hook (a pool) was given. */
  get verifiesLater(): boolean {
    return this.#verify !== undefined;
  }

  /**
   * @internal A session's open in the envelope's turn, after every earlier envelope of the session
   * was processed. With a synchronous store, when nothing is pending on the (kid, stream) and the
   * signature check was synchronous, the envelope is committed and returned (or refused, by a
   * throw) before this returns; otherwise a promise, as {@link Receiver.open} gives.
   */
  openInTurn(envelope: Uint8Array, ctx: OpenContext): Opened | Promise<Opened> {
    if (!this.#store.synchronous) return this.open(envelope, ctx);
    if (this.#timing !== undefined) return timed(this.#timing, () => this.#openGated(envelope, ctx, undefined, true));
    return this.#openGated(envelope, ctx, undefined, true);
  }

  /**
   * @internal A session's pipelined open (spec/policy.md [POL-8.5]): everything up to the
   * signature runs now, in call order (pre-check, `beforeSignature`, start of the signature check);
   * the commit waits for `gate`, which the session resolves with `true` once it has fully
   * processed the envelopes received before this one, or `false` when it stopped (then
   * {@link GateClosed}). Without a gate, the commit is not held back. `envelope` must be owned by
   * the caller and never change: the decoded views into it are kept instead of copied. Requires a
   * synchronous store.
   */
  openAhead(envelope: Uint8Array, ctx: OpenContext, gate: Promise<boolean> | undefined): Promise<Opened> {
    if (this.#timing !== undefined) return timed(this.#timing, () => this.#openGated(envelope, ctx, gate, false) as Promise<Opened>);
    return this.#openGated(envelope, ctx, gate, false) as Promise<Opened>;
  }

  /** @internal sealwire/metrics: times one in `every` of the sessions' opens; `undefined` stops. */
  timeOpens(observe: ((seconds: number) => void) | undefined, every: number): void {
    this.#timing = observe === undefined ? undefined : { observe, every, n: 0 };
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
    const key = this.#queue.keyOf(f.req.kid, f.req.stream);
    const prev = this.#queue.tail(key);
    if (gate === undefined && prev === undefined && typeof sig === 'boolean') {
      if (now) return this.#finishSync(f, sig);
      try {
        return Promise.resolve(this.#finishSync(f, sig));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return this.#queue.append(key, f.req.kid, f.req.stream, this.#runGated(f, prev, gate, sig));
  }

  async #runGated(f: Front, prev: Promise<void> | undefined, gate: Promise<boolean> | undefined, started: boolean | Promise<boolean>): Promise<Opened> {
    const sig = settle(started);
    // Commits stay in call order per (kid, stream) ([RPL-5.5]), and after the session's earlier envelopes.
    if (prev !== undefined) await prev;
    if (gate !== undefined && (await gate) !== true) throw new GateClosed();
    const s = await sig;
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- the verifier's own failure, as thrown
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
      const idle = this.#queue.idle;
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
    if (r !== null && typeof r === 'object' && typeof r.then === 'function') {
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
    const key = this.#queue.keyOf(f.req.kid, f.req.stream);
    const prev = this.#queue.tail(key);
    const result = started === undefined ? this.#run(f, prev) : this.#runStarted(f, prev, started);
    return this.#queue.append(key, f.req.kid, f.req.stream, result);
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
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- the verifier's own failure, as thrown
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
