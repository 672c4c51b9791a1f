// Property tests of the replay guard (spec/replay.md) with real Ed25519 signatures.
//
// Over arbitrary interleavings of sealing, delivering, re-delivering (duplicates, reordering),
// forging, clock steps and receiver restarts (with persisted state, and with an empty store under
// the start-time bound):
//   safety   — no envelope is ever accepted twice (nor a second one with its (kid, stream, seq)
//              while the stream is remembered: the exact verdicts below); no forgery is ever accepted; every
//              accepted envelope was fresh and after the restart bound; a forgery moves no window;
//              hostile input only ever yields a ProtocolError;
//   liveness — every genuine envelope that is fresh, after the restart bound, never accepted
//              before and inside the window of the current receiver incarnation is accepted.
//
// CI runs a fixed seed and a small number of runs. For a larger local run:
//   REPLAY_PROP_RUNS=2000 npx vitest run test/unit/replay/properties.test.ts
//   REPLAY_PROP_SEED=12345 REPLAY_PROP_RUNS=500 npx vitest run test/unit/replay/properties.test.ts
// (REPLAY_PROP_SEED=random picks a new seed each run; a failure prints its seed and path.)
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AsyncMemoryReplayStore,
  KeyRing,
  MemoryReplayStore,
  ProtocolError,
  Receiver,
  generateKeyPair,
  importSigningKey,
  seal,
  type PublicKey,
  type ReplayStore,
} from '../../../src/index.js';
import { toHex } from '../../../src/bytes.js';
import { verifyStrict } from '../../../src/crypto/ed25519.js';
import { MAX_UINT } from '../../../src/wire/envelope.js';

const RUNS = Number(process.env['REPLAY_PROP_RUNS'] ?? 60);
const SEED_ENV = process.env['REPLAY_PROP_SEED'];
const SEED = SEED_ENV === 'random' ? undefined : Number(SEED_ENV ?? 0x5ea1);
const params = (numRuns: number): fc.Parameters<unknown> => ({ numRuns, ...(SEED === undefined ? {} : { seed: SEED }) });

const T0 = 1_700_000_000_000;
const SKEW = 100;
const AGE = 1_000;
const STREAMS = 3;
// tsOff values at or above EDGE select an exact boundary instead of an offset.
const EDGE = 1_000_000;

const alice = generateKeyPair();
const signer = importSigningKey(alice.secretKey);
const ring = new KeyRing();
ring.add(alice.publicKey, { identity: 'alice' });
// The attacker signs with its own key under alice's kid: well-formed, fresh, wrong signature.
const mallory = importSigningKey(generateKeyPair().secretKey, { kid: signer.kid });
const streamIds = Array.from({ length: STREAMS }, (_, i) => new Uint8Array(16).fill(0x10 + i));

type Mode = 'next' | 'skip' | 'block' | 'behind' | 'edge';
type Action =
  | { t: 'seal'; s: number; mode: Mode; k: number; tsOff: number; deliver: boolean }
  | { t: 'forge'; s: number; mode: Mode; k: number; tsOff: number }
  | { t: 'mutate'; i: number; at: number }
  | { t: 'deliver'; i: number }
  | { t: 'tick'; ms: number }
  | { t: 'restart'; persisted: boolean };

function actions(window: number): fc.Arbitrary<Action[]> {
  const seqParts = {
    s: fc.nat(STREAMS - 1),
    mode: fc.constantFrom<Mode>('next', 'next', 'skip', 'block', 'behind', 'behind', 'edge'),
    k: fc.nat(3 * window),
    // Mostly random offsets from now; one in four lands exactly on a bound (see tsOf).
    tsOff: fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: -(AGE + 50), max: SKEW + 50 }) },
      { weight: 1, arbitrary: fc.integer({ min: EDGE, max: EDGE + 5 }) },
    ),
  };
  const action: fc.Arbitrary<Action> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ t: fc.constant('seal' as const), ...seqParts, deliver: fc.boolean() }) },
    { weight: 5, arbitrary: fc.record({ t: fc.constant('deliver' as const), i: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('forge' as const), ...seqParts }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('mutate' as const), i: fc.nat(), at: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('tick' as const), ms: fc.nat(400) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('restart' as const), persisted: fc.boolean() }) },
  );
  return fc.array(action, { minLength: 1, maxLength: 80, size: 'max' });
}

interface Sealed {
  readonly bytes: Uint8Array;
  readonly s: number;
  readonly seq: number;
  readonly ts: number;
  readonly genuine: boolean;
  /** A bit-flipped copy: its header may no longer say what `s`, `seq` and `ts` say. */
  readonly mutated?: true;
}

interface Delivery {
  readonly env: Sealed;
  readonly now: number;
}

// One possible state of a stream in the store; `null` = not held (never seen, or forgotten).
interface Cand {
  readonly top: number;
  readonly seen: ReadonlySet<number>;
  readonly exp: number;
}

/**
 * The oracle: the exact outcome the spec prescribes, independent of the store's internals. The
 * only freedom the spec leaves is WHEN an expired stream is forgotten (§6.2), so each stream has
 * a set of candidate states: an expired one may also have become `null`. An outcome must match
 * some candidate, and only the matching candidates survive.
 */
class Model {
  readonly accepted = new Set<string>();
  streams = new Map<number, (Cand | null)[]>();
  startedAt = 0;
  checked = 0;

  constructor(
    readonly window: number,
    readonly strict: boolean,
    /** Concurrent open(): pre-checks see a prefix of the commits; forgetting may run ahead. */
    readonly concurrent = false,
  ) {}

  #verdicts(c: Cand | null, e: Sealed): string[] {
    if (c === null) return ['ok'];
    if (e.seq > c.top) return ['ok'];
    if (this.strict) return [e.seq === c.top ? 'ERR_REPLAY' : 'ERR_TOO_OLD'];
    if (c.top - e.seq >= this.window) return ['ERR_TOO_OLD'];
    return [c.seen.has(e.seq) ? 'ERR_REPLAY' : 'ok'];
  }

  /** Checks one outcome against the spec, then records it. `latest` bounds the clock of any commit so far. */
  observe(d: Delivery, outcome: unknown, latest = d.now): void {
    const { env: e, now } = d;
    // A replay is a copy of an accepted envelope: same bytes (Ed25519 signatures are deterministic,
    // so the same signed content is the same bytes). Reusing a seq with new content is the
    // sender's bug (§8), and after the stream is forgotten the receiver may accept it (§6.2).
    const id = `${e.s}:${e.seq}:${toHex(e.bytes)}`;
    if (outcome !== 'ok') expect(outcome, `non-ProtocolError for ${id}`).toBeInstanceOf(ProtocolError);
    const got = outcome === 'ok' ? 'ok' : (outcome as ProtocolError).code;
    if (e.mutated === true) {
      expect(got, `bit-flipped envelope accepted: ${id}`).not.toBe('ok');
      return;
    }
    this.checked++;
    const fixed =
      e.ts > now + SKEW ? 'ERR_FUTURE' : e.ts < now - AGE ? 'ERR_STALE' : e.ts <= this.startedAt + SKEW ? 'ERR_STATE_LOST' : undefined;
    if (fixed !== undefined) {
      expect(got, `${id} at ts ${e.ts - T0}, now ${now - T0}`).toBe(fixed);
      return;
    }
    const cands: { c: Cand | null }[] = [];
    for (const c of this.streams.get(e.s) ?? [null]) {
      cands.push({ c });
      if (c !== null && latest > c.exp) cands.push({ c: null });
    }
    // Concurrent commits of other streams may run at a later clock and forget state whose expiry
    // is not after this envelope's: the forgetting horizon (§6.2) then refuses it as stale.
    const horizon = this.concurrent && e.ts + AGE < latest ? ['ERR_STALE'] : [];
    const allowed = (x: { c: Cand | null }): string[] => {
      let v = this.#verdicts(x.c, e);
      // A concurrent pre-check sees an earlier state of the window: a seq that is too old now may
      // have been refused there as a replay, and vice versa. Either way it is refused.
      if (this.concurrent && v[0] !== 'ok') v = ['ERR_REPLAY', 'ERR_TOO_OLD'];
      if (e.genuine) return [...v, ...horizon];
      const out = v.map((y) => (y === 'ok' ? 'ERR_BAD_SIGNATURE' : y));
      // A concurrent pre-check may run before the commit that makes this a replay.
      return this.concurrent ? [...out, 'ERR_BAD_SIGNATURE', ...horizon] : out;
    };
    const consistent = cands.filter((x) => allowed(x).includes(got));
    expect(
      consistent.length,
      `${e.genuine ? 'genuine' : 'forged'} ${id} gave ${got}; spec allows ${[...new Set(cands.flatMap(allowed))].join('|')}`,
    ).toBeGreaterThan(0);
    if (got === 'ok') {
      expect(e.genuine, `forgery accepted: ${id}`).toBe(true);
      expect(this.accepted.has(id), `accepted twice: ${id}`).toBe(false);
      this.accepted.add(id);
    }
    const next = new Map<string, Cand | null>();
    for (const { c } of consistent) {
      let n = c;
      if (got === 'ok') {
        n = c === null
          ? { top: e.seq, seen: new Set([e.seq]), exp: e.ts + AGE }
          : { top: Math.max(c.top, e.seq), seen: new Set([...c.seen, e.seq]), exp: Math.max(c.exp, e.ts + AGE) };
      }
      next.set(n === null ? 'null' : `${n.top}/${n.exp}/${[...n.seen].sort((a, b) => a - b).join(',')}`, n);
    }
    this.streams.set(e.s, [...next.values()]);
  }

  restartEmpty(now: number): void {
    this.startedAt = now;
    this.streams = new Map();
  }
}

/** Turns actions into envelopes and deliveries; calls `deliver` for each delivery in order. */
function interpret(
  list: Action[],
  window: number,
  hooks: { deliver: (d: Delivery) => void; restart: (persisted: boolean, now: number) => void },
): void {
  let now = T0;
  let restartedAt = 0;
  const tsOf = (off: number): number => {
    if (off < EDGE) return Math.max(0, now + off);
    const edges = [now + SKEW, now + SKEW + 1, now - AGE, now - AGE - 1, restartedAt + SKEW, restartedAt + SKEW + 1];
    return Math.max(0, edges[off - EDGE]!);
  };
  const pool: Sealed[] = [];
  const maxSeq = new Map<number, number>();
  const pickSeq = (s: number, mode: Mode, k: number): number => {
    const m = maxSeq.get(s) ?? -1;
    let seq: number;
    if (mode === 'next') seq = m + 1;
    else if (mode === 'skip') seq = m + 1 + k;
    // Into the next 32-bit block or the one after: where the bitmap slides.
    else if (mode === 'block') seq = (Math.floor(m / 32) + 1 + (k % 2)) * 32 + (k % 32);
    else if (mode === 'behind') seq = Math.max(0, m - (k % 2 === 0 ? window - 2 + (k % 6) / 2 : k % (window + 3)));
    else seq = [0, 1, MAX_UINT - 1, MAX_UINT][k % 4]!;
    return Math.min(seq, MAX_UINT);
  };
  for (const a of list) {
    if (a.t === 'seal' || a.t === 'forge') {
      const seq = pickSeq(a.s, a.mode, a.k);
      const ts = tsOf(a.tsOff);
      const key = a.t === 'seal' ? signer : mallory;
      const bytes = seal(key, Uint8Array.of(a.s, seq & 0xff), { seq, ts, stream: streamIds[a.s]! });
      const e: Sealed = { bytes, s: a.s, seq, ts, genuine: a.t === 'seal' };
      if (a.t === 'seal') {
        maxSeq.set(a.s, Math.max(maxSeq.get(a.s) ?? -1, seq));
        pool.push(e);
        if (a.deliver) hooks.deliver({ env: e, now });
      } else {
        hooks.deliver({ env: e, now });
      }
    } else if (a.t === 'mutate') {
      if (pool.length === 0) continue;
      const src = pool[a.i % pool.length]!;
      const bytes = src.bytes.slice();
      // Flip one bit anywhere: header, payload or signature.
      const at = a.at % (bytes.length * 8);
      bytes[at >> 3]! ^= 1 << (at & 7);
      hooks.deliver({ env: { ...src, bytes, genuine: false, mutated: true }, now });
    } else if (a.t === 'deliver') {
      if (pool.length > 0) hooks.deliver({ env: pool[a.i % pool.length]!, now });
    } else if (a.t === 'tick') {
      now += a.ms;
    } else {
      if (!a.persisted) restartedAt = now;
      hooks.restart(a.persisted, now);
    }
  }
}

function outcomeOf(fn: () => unknown): unknown {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return err;
  }
}

for (const [window, strict] of [
  [32, false],
  [64, false],
  [1024, false],
  [32, true],
] as const) {
  describe(`replay guard properties (window ${window}${strict ? ', strict' : ''})`, () => {
    it('synchronous path: never twice, never a forgery, always the fresh in-window ones; across restarts', () => {
      fc.assert(
        fc.property(actions(window), (list) => {
          const model = new Model(window, strict);
          const makeStore = (startedAt: number): MemoryReplayStore => new MemoryReplayStore({ window, strict, startedAt });
          let store = makeStore(0);
          const mk = (): Receiver => new Receiver({ keys: ring, store, maxFutureSkewMs: SKEW, maxAgeMs: AGE });
          let r = mk();
          interpret(list, window, {
            deliver: (d) => {
              const before = d.env.genuine ? undefined : store.peek(signer.kid, streamIds[d.env.s]!);
              const outcome = outcomeOf(() => r.openSync(d.env.bytes, { now: d.now }));
              model.observe(d, outcome);
              if (!d.env.genuine) expect(store.peek(signer.kid, streamIds[d.env.s]!)).toEqual(before);
            },
            restart: (persisted, now) => {
              if (!persisted) {
                // Lost state: a new, empty store whose life starts now (§7.3).
                store = makeStore(now);
                model.restartEmpty(now);
              }
              r = mk();
            },
          });
        }),
        params(RUNS),
      );
    });
  });
}

describe('replay guard properties (asynchronous store and verifier)', () => {
  it('concurrent open() calls keep safety and liveness, in call order per stream', async () => {
    const window = 32;
    await fc.assert(
      fc.asyncProperty(actions(window), fc.array(fc.nat(3), { minLength: 1, maxLength: 16 }), async (list, delays) => {
        const model = new Model(window, false, true);
        let n = 0;
        const delay = (): number => delays[n++ % delays.length]!;
        const makeStore = (startedAt: number): ReplayStore => new AsyncMemoryReplayStore({ window, startedAt, delay });
        const verify = (k: PublicKey, m: Uint8Array, s: Uint8Array): Promise<boolean> =>
          new Promise((resolve) => setTimeout(() => resolve(verifyStrict(k.backend, k.handle, m, s)), delay()));
        const mk = (store: ReplayStore): Receiver => new Receiver({ keys: ring, store, maxFutureSkewMs: SKEW, maxAgeMs: AGE, verify });
        // Deliveries between restarts run concurrently; a restart waits for them (a clean shutdown).
        type Batch = { receiver: Receiver; startedAt: number; fresh: boolean; items: Delivery[] };
        const batches: Batch[] = [];
        let store = makeStore(0);
        let current: Batch = { receiver: mk(store), startedAt: 0, fresh: false, items: [] };
        batches.push(current);
        interpret(list, window, {
          deliver: (d) => current.items.push(d),
          restart: (persisted, now) => {
            if (!persisted) store = makeStore(now);
            current = { receiver: mk(store), startedAt: persisted ? current.startedAt : now, fresh: !persisted, items: [] };
            batches.push(current);
          },
        });
        for (const b of batches) {
          if (b.fresh) model.restartEmpty(b.startedAt);
          const outcomes = await Promise.all(
            b.items.map((d) => b.receiver.open(d.env.bytes, { now: d.now }).then(() => 'ok' as unknown, (err: unknown) => err)),
          );
          // Per stream, calls settle and commit in call order, so observing in call order is exact.
          const latest = b.items.reduce((m, d) => Math.max(m, d.now), 0);
          b.items.forEach((d, i) => model.observe(d, outcomes[i], latest));
        }
      }),
      params(Math.max(10, Math.floor(RUNS / 3))),
    );
    // Timers make this one slow: give large local runs time in proportion.
  }, Math.max(30_000, RUNS * 150));
});
