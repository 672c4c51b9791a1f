// Receiver (src/envelope/receiver.ts) with real Ed25519: check order, freshness bounds, replay
// verdicts with their close codes, forgeries leaving state untouched, the async store and
// verifier paths, the stream cap and receiver restarts (spec/replay.md §3–§7).
import { describe, expect, it } from 'vitest';
import {
  AsyncMemoryReplayStore,
  KeyRing,
  MemoryReplayStore,
  ProtocolError,
  Receiver,
  generateKeyPair,
  importPublicKey,
  importSigningKey,
  seal,
  type ReplayStore,
} from '../../../src/index.js';
import { verifyStrict } from '../../../src/crypto/ed25519.js';

const T0 = 1_700_000_000_000;
const SKEW = 5_000;
const AGE = 60_000;
const enc = new TextEncoder();
const alice = generateKeyPair();
const signer = importSigningKey(alice.secretKey);
const ring = new KeyRing();
ring.add(alice.publicKey, { identity: 'alice' });
const stream = new Uint8Array(16).fill(0x5a);

function env(seq: number, ts = T0, s = stream): Uint8Array {
  return seal(signer, enc.encode(`m${seq}`), { seq, ts, stream: s });
}

function forge(e: Uint8Array): Uint8Array {
  const f = e.slice();
  f[f.length - 40]! ^= 0x01; // inside S, below its top byte: still canonical, wrong signature
  return f;
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return err.code;
    throw err;
  }
  return 'ok';
}

async function codeAsync(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ProtocolError) return err.code;
    throw err;
  }
  return 'ok';
}

function receiver(extra: Partial<ConstructorParameters<typeof Receiver>[0]> = {}): Receiver {
  const startedAt = extra.store === undefined ? { startedAt: T0 - 3_600_000 } : {};
  return new Receiver({ keys: ring, clock: () => T0, ...startedAt, ...extra });
}

describe('Receiver basics', () => {
  it('accepts once, refuses the replay with ERR_REPLAY (close code 4030)', () => {
    const r = receiver();
    const e = env(0);
    const o = r.openSync(e);
    expect(o).toMatchObject({ seq: 0, ts: T0, identity: 'alice' });
    expect(new TextDecoder().decode(o.payload)).toBe('m0');
    let err: unknown;
    try {
      r.openSync(e);
    } catch (x) {
      err = x;
    }
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err).toMatchObject({ code: 'ERR_REPLAY', closeCode: 4030, message: 'envelope already accepted' });
  });

  it('reports a seq behind the window as ERR_TOO_OLD (4031)', () => {
    const r = receiver({ window: 32 });
    r.openSync(env(100));
    expect(code(() => r.openSync(env(68)))).toBe('ERR_TOO_OLD');
    expect(code(() => r.openSync(env(69)))).toBe('ok');
  });

  it('works with one PublicKey instead of a ring', () => {
    const r = receiver({ keys: importPublicKey(alice.publicKey) });
    expect(r.openSync(env(3)).identity).toBeUndefined();
  });

  it('rejects bad options and arguments as developer misuse, naming them', () => {
    expect(() => new Receiver({} as never)).toThrow(/"options.keys"/);
    expect(() => receiver({ maxAgeMs: 0 })).toThrow(/"maxAgeMs"/);
    expect(() => receiver({ maxFutureSkewMs: -1 })).toThrow(/"maxFutureSkewMs"/);
    expect(() => receiver({ window: 100 })).toThrow(/"window"/);
    expect(() => receiver({ store: new MemoryReplayStore({ window: 64 }), window: 128 })).toThrow(/"window"/);
    expect(() => receiver({ store: {} as ReplayStore })).toThrow(/"store"/);
    const r = receiver();
    expect(() => r.openSync([1, 2] as never)).toThrow(TypeError);
    expect(() => r.openSync(env(0), { binding: new Uint8Array(32) })).toThrow(/"binding"/);
    expect(() => r.openSync(env(0), { now: -1 })).toThrow(/"now"/);
    expect(() => r.openSync(env(0), { sessionStartedAt: T0 })).toThrow(/"sessionStartedAt"/);
  });

  it('refuses a shared store recorded with other freshness settings ([RPL-9.2]), at construction', () => {
    const first = receiver({ maxAgeMs: 30_000, maxFutureSkewMs: 2_000 });
    expect(first.store.maxAgeMs).toBe(30_000);
    expect(first.store.maxFutureSkewMs).toBe(2_000);
    // A second node on the first one's store: same settings pass, any other is refused.
    expect(() => receiver({ store: first.store, maxAgeMs: 30_000, maxFutureSkewMs: 2_000 })).not.toThrow();
    expect(() => receiver({ store: first.store, maxFutureSkewMs: 2_000 })).toThrow(/"maxAgeMs" differs/);
    expect(() => receiver({ store: first.store, maxAgeMs: 30_000 })).toThrow(/"maxFutureSkewMs" differs/);
    const recorded = new AsyncMemoryReplayStore({ maxAgeMs: 10_000, maxFutureSkewMs: 0 });
    expect(() => receiver({ store: recorded, maxAgeMs: 10_000, maxFutureSkewMs: 0 })).not.toThrow();
    expect(() => receiver({ store: recorded, maxAgeMs: 10_001, maxFutureSkewMs: 0 })).toThrow(RangeError);
    // A store that records nothing is not checked; bad recorded values are refused by the store.
    expect(() => receiver({ store: new MemoryReplayStore({}), maxAgeMs: 1 })).not.toThrow();
    expect(() => new MemoryReplayStore({ maxAgeMs: 0 })).toThrow(/"maxAgeMs"/);
    expect(() => new MemoryReplayStore({ maxFutureSkewMs: -1 })).toThrow(/"maxFutureSkewMs"/);
  });

  it('turns hostile bytes into ProtocolError codes, never another exception', () => {
    const r = receiver();
    const e = env(9);
    for (const bad of [new Uint8Array(0), new Uint8Array(100_000), e.subarray(0, e.length - 1), Uint8Array.of(0xd2, 0x84), forge(e)]) {
      expect(() => r.openSync(bad)).toThrow(ProtocolError);
    }
    expect(r.openSync(e).seq).toBe(9);
  });
});

describe('freshness against the receiver clock', () => {
  it('accepts ts = now + maxFutureSkew and refuses one ms more with ERR_FUTURE (4032)', () => {
    const r = receiver({ maxFutureSkewMs: SKEW });
    expect(code(() => r.openSync(env(1, T0 + SKEW)))).toBe('ok');
    expect(code(() => r.openSync(env(2, T0 + SKEW + 1)))).toBe('ERR_FUTURE');
  });

  it('accepts ts = now - maxAge and refuses one ms less with ERR_STALE (4033)', () => {
    const r = receiver({ maxAgeMs: AGE });
    expect(code(() => r.openSync(env(1, T0 - AGE)))).toBe('ok');
    expect(code(() => r.openSync(env(2, T0 - AGE - 1)))).toBe('ERR_STALE');
  });

  it('uses ctx.now over the clock', () => {
    const r = receiver();
    expect(code(() => r.openSync(env(1, T0 + 100_000), { now: T0 + 100_000 }))).toBe('ok');
  });

  it('checks freshness before the signature and the replay state', () => {
    const r = receiver();
    const e = env(1);
    r.openSync(e);
    expect(code(() => r.openSync(forge(env(5, T0 + SKEW + 1))))).toBe('ERR_FUTURE');
    expect(code(() => r.openSync(e, { now: T0 + AGE + 1 }))).toBe('ERR_STALE');
  });
});

describe('check order and the atomic commit', () => {
  it('a forged envelope never moves a window', () => {
    const store = new MemoryReplayStore({ window: 64, startedAt: 0 });
    const r = receiver({ store });
    r.openSync(env(10));
    const before = store.peek(signer.kid, stream);
    for (const seq of [11, 12, 500, 10 + 64, 2 ** 40]) {
      expect(code(() => r.openSync(forge(env(seq))))).toBe('ERR_BAD_SIGNATURE');
    }
    // A forged envelope on a new stream creates no state either.
    expect(code(() => r.openSync(forge(env(0, T0, new Uint8Array(16)))))).toBe('ERR_BAD_SIGNATURE');
    expect(store.size).toBe(1);
    expect(store.peek(signer.kid, stream)).toEqual(before);
    // The genuine envelopes with those numbers are still accepted.
    for (const seq of [11, 12, 500]) expect(r.openSync(env(seq)).seq).toBe(seq);
  });

  it('the pre-check refuses a duplicate before the signature is computed', () => {
    let verifies = 0;
    const r = receiver({
      verify: (k, m, s) => {
        verifies++;
        return verifyStrict(k.backend, k.handle, m, s);
      },
    });
    const e = env(4);
    r.openSync(e);
    expect(verifies).toBe(1);
    expect(code(() => r.openSync(e))).toBe('ERR_REPLAY');
    expect(code(() => r.openSync(forge(e)))).toBe('ERR_REPLAY');
    expect(verifies).toBe(1);
  });

  it('runs beforeSignature after the pre-check and before the signature; a throw moves nothing', () => {
    const store = new MemoryReplayStore({ startedAt: 0 });
    const r = receiver({ store });
    const calls: number[] = [];
    const limited = (info: { header: { seq: number }; identity: string | undefined }): void => {
      calls.push(info.header.seq);
      expect(info.identity).toBe('alice');
      throw new ProtocolError('ERR_STREAM_LIMIT', 'rate limited');
    };
    expect(code(() => r.openSync(env(1), { beforeSignature: limited }))).toBe('ERR_STREAM_LIMIT');
    expect(store.size).toBe(0);
    r.openSync(env(1));
    expect(code(() => r.openSync(env(1), { beforeSignature: limited }))).toBe('ERR_REPLAY');
    expect(code(() => r.openSync(env(2, T0 + SKEW + 1), { beforeSignature: limited }))).toBe('ERR_FUTURE');
    expect(calls).toEqual([1]);
  });

  // [RPL-5.6]: an unavailable store fails closed
  it('fails closed with ERR_STORE (4036) when the store throws', () => {
    const broken: ReplayStore = {
      window: 1024,
      strict: false,
      maxStreams: 10,
      startedAt: 0,
      synchronous: true,
      check: () => 'ok',
      commit: () => {
        throw new Error('connection reset');
      },
    };
    const r = receiver({ store: broken });
    expect(code(() => r.openSync(env(1)))).toBe('ERR_STORE');
    const liar = { ...broken, commit: () => 'yes' as never };
    expect(code(() => receiver({ store: liar }).openSync(env(1)))).toBe('ERR_STORE');
  });

  it('binds aad and session binding into the signature', () => {
    const r = receiver();
    const binding = new Uint8Array(33).fill(1);
    const e = seal(signer, enc.encode('x'), { seq: 1, ts: T0, stream, binding });
    expect(code(() => r.openSync(e))).toBe('ERR_BAD_SIGNATURE');
    expect(r.openSync(e, { binding }).seq).toBe(1);
  });
});

describe('stream cap', () => {
  it('refuses a new stream with ERR_STREAM_LIMIT (4034) until a tracked one has expired', () => {
    let now = T0;
    const r = receiver({ maxStreams: 2, clock: () => now });
    r.openSync(env(0, T0, new Uint8Array(16).fill(1)));
    r.openSync(env(0, T0, new Uint8Array(16).fill(2)));
    expect(code(() => r.openSync(env(0, T0, new Uint8Array(16).fill(3))))).toBe('ERR_STREAM_LIMIT');
    now = T0 + AGE + 1;
    expect(code(() => r.openSync(env(0, now, new Uint8Array(16).fill(3))))).toBe('ok');
  });
});

describe('asynchronous store and verifier', () => {
  it('open() works with an async store; openSync() refuses it with TypeError', async () => {
    const store = new AsyncMemoryReplayStore({ delay: 1, startedAt: 0 });
    const r = receiver({ store });
    expect((await r.open(env(1))).seq).toBe(1);
    expect(await codeAsync(r.open(env(1)))).toBe('ERR_REPLAY');
    expect(await codeAsync(r.open(forge(env(2))))).toBe('ERR_BAD_SIGNATURE');
    expect(store.inner.peek(signer.kid, stream)?.top).toBe(1);
    expect(() => r.openSync(env(3))).toThrow(TypeError);
  });

  // [RPL-5.3]: the commit is atomic under concurrent opens
  it('accepts exactly one of two concurrent copies of an envelope', async () => {
    for (const store of [new MemoryReplayStore({ startedAt: 0 }), new AsyncMemoryReplayStore({ startedAt: 0 })]) {
      const r = receiver({ store, verify: async (k, m, s) => verifyStrict(k.backend, k.handle, m, s) });
      const e = env(7);
      const results = await Promise.all([r.open(e), r.open(e), r.open(e)].map(codeAsync));
      expect(results.sort()).toEqual(['ERR_REPLAY', 'ERR_REPLAY', 'ok']);
    }
  });

  // [RPL-5.5]: commit order under out-of-order signature verification
  it('commits and settles in call order per stream when signatures finish out of order', async () => {
    // Strict mode would refuse any commit out of order, so all ten passing proves the order.
    const delays = [9, 1, 7, 0, 5, 3, 8, 2, 6, 4];
    let i = 0;
    const r = receiver({
      strict: true,
      verify: (k, m, s) => {
        const d = delays[i++ % delays.length]!;
        return new Promise((resolve) => setTimeout(() => resolve(verifyStrict(k.backend, k.handle, m, s)), d));
      },
    });
    const settled: number[] = [];
    const all = delays.map((_, seq) => r.open(env(seq)).then((o) => settled.push(o.seq)));
    await Promise.all(all);
    expect(settled).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('a forged envelope among concurrent genuine ones moves nothing and fails alone', async () => {
    const store = new AsyncMemoryReplayStore({ startedAt: 0, delay: (op, q) => (op === 'commit' ? 0 : q.seq % 3) });
    const r = receiver({ store });
    const out = await Promise.all([r.open(env(1)), r.open(forge(env(2))), r.open(env(3))].map(codeAsync));
    expect(out).toEqual(['ok', 'ERR_BAD_SIGNATURE', 'ok']);
    expect(await codeAsync(r.open(env(2)))).toBe('ok');
  });

  it('copies its input before waiting: mutating the buffer after open() changes nothing', async () => {
    const r = receiver({ store: new AsyncMemoryReplayStore({ startedAt: 0, delay: 2 }) });
    const e = env(11);
    const p = r.open(e);
    e.fill(0);
    const o = await p;
    expect(o.seq).toBe(11);
    expect(new TextDecoder().decode(o.payload)).toBe('m11');
  });

  it('fails closed with ERR_STORE when an async store rejects', async () => {
    const inner = new AsyncMemoryReplayStore({ startedAt: 0 });
    const store: ReplayStore = {
      window: inner.window,
      strict: inner.strict,
      maxStreams: inner.maxStreams,
      startedAt: 0,
      synchronous: false,
      check: (q) => inner.check(q),
      commit: () => Promise.reject(new Error('redis down')),
    };
    expect(await codeAsync(receiver({ store }).open(env(1)))).toBe('ERR_STORE');
  });
});

describe('receiver restart', () => {
  it('with persisted state: a new Receiver over the same store refuses what the old one accepted', () => {
    const store = new MemoryReplayStore({ startedAt: T0 - 3_600_000 });
    const before = receiver({ store });
    const old = [env(1), env(2), env(40)];
    for (const e of old) before.openSync(e);
    const after = receiver({ store });
    for (const e of old) expect(code(() => after.openSync(e))).toBe('ERR_REPLAY');
    expect(after.openSync(env(3)).seq).toBe(3);
  });

  it('with an empty store: refuses ts <= startedAt + skew (ERR_STATE_LOST, 4037) on every stream, accepts after', () => {
    const first = receiver();
    const e = env(1, T0);
    first.openSync(e);
    // Restart at T1 with nothing persisted.
    const T1 = T0 + 1000;
    let now = T1;
    const fresh = new Receiver({ keys: ring, clock: () => now, startedAt: T1, maxFutureSkewMs: SKEW });
    expect(code(() => fresh.openSync(e))).toBe('ERR_STATE_LOST');
    // Even an envelope sealed after the restart waits out the skew: its ts cannot be told apart.
    expect(code(() => fresh.openSync(env(2, T1 + SKEW)))).toBe('ERR_STATE_LOST');
    now = T1 + SKEW + 1;
    expect(fresh.openSync(env(2, T1 + SKEW + 1)).seq).toBe(2);
    // Once the stream is known again, its new window has never seen seq 1: the bound still holds.
    expect(code(() => fresh.openSync(e))).toBe('ERR_STATE_LOST');
    expect(code(() => fresh.openSync(env(3, T1 + SKEW)))).toBe('ERR_STATE_LOST');
    expect(fresh.openSync(env(3, T1 + SKEW + 1)).seq).toBe(3);
  });

  it('a session established after the restart is exempt from the bound', () => {
    const T1 = T0;
    const r = new Receiver({ keys: ring, clock: () => T1, startedAt: T1 });
    const binding = new Uint8Array(33).fill(9);
    const e = seal(signer, enc.encode('x'), { seq: 0, ts: T1, stream, binding });
    expect(code(() => r.openSync(e, { binding, sessionStartedAt: T1 }))).toBe('ERR_STATE_LOST');
    expect(r.openSync(e, { binding, sessionStartedAt: T1 + 1 }).seq).toBe(0);
  });

  it('uses the clock at construction as startedAt by default', () => {
    const r = new Receiver({ keys: ring, clock: () => T0 });
    expect(r.store.startedAt).toBe(T0);
    expect(code(() => r.openSync(env(0, T0)))).toBe('ERR_STATE_LOST');
  });
});
