// RedisReplayStore against a real redis-server started here on 127.0.0.1 (spec/replay.md §9): the
// same verdicts as MemoryReplayStore on random traffic, the forgetting, horizon and cap of §6,
// shared settings, and nodes sharing one store through real Receivers and a real SecureServer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import {
  KeyRing,
  MemoryReplayStore,
  Receiver,
  SecureServer,
  Sender,
  generateKeyPair,
  importSigningKey,
  type ReplayRequest,
} from '../../src/index.js';
import { RedisReplayStore, type RedisEval, type RedisEvalSha } from '../../src/replay/redis.js';
import { connect, type WebSocketConstructor } from '../../src/adapters/ws/index.js';
import { wsAdapter, type RunningAdapter } from '../helpers/net-adapters.js';
import { serverKey, serverPublic } from '../helpers/server-fixture.js';
import { readVectorFile } from '../helpers/vectors.js';
import { REDIS_SERVER, redisAvailable, startRedis } from '../helpers/redis-server.js';
import { fromHex } from '../../src/bytes.js';

// CI installs redis-server (.ci/run); elsewhere a machine without it skips these tests.
const available = redisAvailable();
if (!available && process.env['CI']) throw new Error(`${REDIS_SERVER} is missing: .ci/run installs it`);

let redisServer: { stop(): void } | undefined;
let port = 0;
const clients: Redis[] = [];

function client(): Redis {
  const r = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
  clients.push(r);
  return r;
}
const evalOn = (r: Redis): RedisEval => (script, keys, args) => r.eval(script, keys.length, ...keys, ...args);
const evalShaOn = (r: Redis): RedisEvalSha => (sha, keys, args) => r.evalsha(sha, keys.length, ...keys, ...args);

let prefixes = 0;
/** A prefix of its own per store, so tests share one server without sharing state. */
const freshPrefix = (): string => `{t${process.pid}-${prefixes++}}:`;

beforeAll(async () => {
  if (!available) return;
  const started = await startRedis();
  redisServer = started;
  port = started.port;
});

afterAll(async () => {
  for (const r of clients) r.disconnect();
  redisServer?.stop();
});

const KID = new Uint8Array(32).fill(7);
const streamOf = (i: number): Uint8Array => new Uint8Array(16).fill(i + 1);
const MAX_AGE = 60_000;
const T0 = 1_800_000_000_000;

function request(stream: number, seq: number, now: number, ts = now): ReplayRequest {
  return { kid: KID, stream: streamOf(stream), seq, ts, now, expiresAt: ts + MAX_AGE };
}

describe.skipIf(!available)('RedisReplayStore', () => {
  it('creates the shared settings once; a node with other settings is refused at connect', async () => {
    const prefix = freshPrefix();
    const run = evalOn(client());
    const first = await RedisReplayStore.connect({ eval: run, prefix, window: 64, clock: () => 1000 });
    expect(first).toMatchObject({ window: 64, strict: false, maxStreams: 100_000, maxAgeMs: 60_000, maxFutureSkewMs: 5_000, startedAt: 1000, synchronous: false });
    // A restarted node finds the state as it was: startedAt is the shared state's, not its own ([RPL-7.1]).
    const again = await RedisReplayStore.connect({ eval: evalOn(client()), prefix, window: 64, clock: () => 9000 });
    expect(again.startedAt).toBe(1000);
    await expect(RedisReplayStore.connect({ eval: run, prefix, window: 128 })).rejects.toThrow(/"window" is 128 here but 64/);
    await expect(RedisReplayStore.connect({ eval: run, prefix, window: 64, maxAgeMs: 30_000 })).rejects.toThrow(/maxAgeMs/);
    await expect(RedisReplayStore.connect({ eval: run, prefix, window: 64, strict: true })).rejects.toThrow(/strict/);
    await expect(RedisReplayStore.connect({ eval: run, prefix: freshPrefix(), window: 100 })).rejects.toThrow(RangeError);
    await expect(RedisReplayStore.connect({ eval: 'x' as never })).rejects.toThrow(TypeError);
  });

  for (const strict of [false, true]) {
    it(`gives MemoryReplayStore's verdicts on random traffic (${strict ? 'strict' : 'window 64'})`, async () => {
      const r = client();
      const run = evalOn(r);
      const runSha = evalShaOn(r);
      const seen = new Set<string>();
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ stream: fc.nat(2), back: fc.integer({ min: -70, max: 80 }), gap: fc.nat(50) }), { minLength: 30, maxLength: 80 }),
          async (steps) => {
            const redis = await RedisReplayStore.connect({ eval: run, evalSha: runSha, prefix: freshPrefix(), window: 64, strict, clock: () => T0 });
            const memory = new MemoryReplayStore({ window: 64, strict, startedAt: T0 });
            const top = [0, 0, 0];
            let now = T0;
            for (const s of steps) {
              // Around the stream's highest seq: repeats, reorderings, too-old ones and jumps.
              const seq = Math.max(0, top[s.stream]! - s.back);
              now += s.gap; // never past maxAge: nothing expires, so forgetting cannot differ
              const req = request(s.stream, seq, now);
              expect(await redis.check(req)).toBe(memory.check(req));
              const verdict = memory.commit(req);
              expect(await redis.commit(req)).toBe(verdict);
              seen.add(verdict);
              if (verdict === 'ok' && seq > top[s.stream]!) top[s.stream] = seq;
            }
          },
        ),
        { numRuns: 40 },
      );
      // The traffic reached every verdict a window gives, so agreeing meant something.
      expect([...seen].sort()).toEqual(['ERR_REPLAY', 'ERR_TOO_OLD', 'ok']);
    });
  }

  // [RPL-6.1], [RPL-6.2], [RPL-6.5]: forgetting is part of the verdict, not of when memory is
  // reclaimed. Memory reclaims a few streams per commit and sweeps at the cap; the script reclaims
  // two per commit and up to 64 at the cap: same verdicts anyway, with expiry, a cap of 2 over 4
  // streams, and a clock that sometimes steps back past maxAge.
  it("gives MemoryReplayStore's verdicts when streams expire, at the cap, and when the clock steps back", async () => {
    const r = client();
    const run = evalOn(r);
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ stream: fc.nat(3), back: fc.integer({ min: -3, max: 3 }), gap: fc.integer({ min: -2 * MAX_AGE, max: MAX_AGE }), stale: fc.nat(2 * MAX_AGE), old: fc.boolean() }), {
          minLength: 20,
          maxLength: 60,
        }),
        async (steps) => {
          const redis = await RedisReplayStore.connect({ eval: run, prefix: freshPrefix(), window: 64, maxStreams: 2, clock: () => T0 });
          const memory = new MemoryReplayStore({ window: 64, maxStreams: 2, startedAt: T0 });
          const top = [0, 0, 0, 0];
          let now = T0;
          for (const s of steps) {
            const seq = Math.max(0, top[s.stream]! + s.back);
            now = Math.max(T0, now + s.gap);
            // Some envelopes are older than the clock (as a receiver with a lagging clock sees them).
            const req = request(s.stream, seq, now, s.old ? now - Math.min(s.stale, MAX_AGE) : now);
            expect(await redis.check(req)).toBe(memory.check(req));
            const verdict = memory.commit(req);
            expect(await redis.commit(req)).toBe(verdict);
            seen.add(verdict);
            if (verdict === 'ok' && seq > top[s.stream]!) top[s.stream] = seq;
          }
        },
      ),
      { numRuns: 60 },
    );
    expect([...seen].sort()).toEqual(['ERR_REPLAY', 'ERR_STALE', 'ERR_STREAM_LIMIT', 'ok']);
  });

  it('with evalSha the script travels once, and again after Redis forgets its scripts', async () => {
    const r = client();
    let sent = 0;
    const counting: RedisEval = (script, keys, args) => {
      if (keys.length === 4) sent++; // the check-and-commit script, not the settings one
      return evalOn(r)(script, keys, args);
    };
    const store = await RedisReplayStore.connect({ eval: counting, evalSha: evalShaOn(r), prefix: freshPrefix(), clock: () => T0 });
    for (let seq = 0; seq < 20; seq++) expect(await store.commit(request(0, seq, T0))).toBe('ok');
    expect(sent).toBeLessThanOrEqual(1);
    await r.script('FLUSH');
    expect(await store.commit(request(0, 5, T0))).toBe('ERR_REPLAY');
    expect(await store.commit(request(0, 20, T0))).toBe('ok');
    expect(sent).toBeLessThanOrEqual(2);
    // An evalSha that fails otherwise is a failure, not a reason to send the script.
    const broken = await RedisReplayStore.connect({ eval: counting, evalSha: () => Promise.reject(new Error('connection lost')), prefix: freshPrefix(), clock: () => T0 });
    await expect(broken.commit(request(0, 0, T0))).rejects.toThrow('connection lost');
  });

  it('edges of the window: a seq at 2^53 - 1, a jump of a whole window, the oldest seq still inside', async () => {
    const store = await RedisReplayStore.connect({ eval: evalOn(client()), prefix: freshPrefix(), window: 32, clock: () => T0 });
    const big = Number.MAX_SAFE_INTEGER;
    expect(await store.commit(request(0, big - 40, T0))).toBe('ok');
    expect(await store.commit(request(0, big, T0))).toBe('ok');
    expect(await store.commit(request(0, big - 31, T0))).toBe('ok'); // W - 1 behind the top
    expect(await store.commit(request(0, big - 32, T0))).toBe('ERR_TOO_OLD');
    expect(await store.commit(request(0, big - 31, T0))).toBe('ERR_REPLAY');
    expect(await store.commit(request(0, big, T0))).toBe('ERR_REPLAY');
  });

  it('forgets expired streams, keeps the horizon, and refuses new streams at the cap until one expires', async () => {
    const store = await RedisReplayStore.connect({ eval: evalOn(client()), prefix: freshPrefix(), window: 32, maxStreams: 2, clock: () => T0 });
    expect(await store.commit(request(0, 0, T0))).toBe('ok');
    expect(await store.commit(request(1, 0, T0 + 10))).toBe('ok');
    // At the cap: a third stream waits until a held one may be forgotten ([RPL-6.5]).
    expect(await store.check(request(2, 0, T0 + 20))).toBe('ERR_STREAM_LIMIT');
    expect(await store.commit(request(2, 0, T0 + 20))).toBe('ERR_STREAM_LIMIT');
    // Streams held keep working at the cap ([RPL-6.6]).
    expect(await store.commit(request(0, 1, T0 + 30))).toBe('ok');
    // Stream 1 (expiresAt T0 + 10 + maxAge) expires first: now the third stream fits.
    const later = T0 + 10 + MAX_AGE + 1;
    expect(await store.check(request(2, 0, later))).toBe('ok');
    expect(await store.commit(request(2, 0, later))).toBe('ok');
    // An envelope of the forgotten state, were a node's clock behind, is stale ([RPL-6.2]).
    expect(await store.commit(request(1, 0, T0 + 5, T0 + 10))).toBe('ERR_STALE');
    expect(await store.commit(request(1, 0, T0 + 5, T0 + 9))).toBe('ERR_STALE');
  });

  it('commits reclaim expired streams a few at a time, below the cap too ([RPL-6.1])', async () => {
    const r = client();
    const prefix = freshPrefix();
    const store = await RedisReplayStore.connect({ eval: evalOn(r), prefix, window: 32, clock: () => T0 });
    for (let i = 0; i < 3; i++) expect(await store.commit(request(i, 0, T0))).toBe('ok');
    expect(await r.zcard(`${prefix}streams`)).toBe(3);
    // Past their expiry each commit forgets two of them, and records the horizon.
    const later = T0 + MAX_AGE + 1;
    expect(await store.commit(request(0, 1, later))).toBe('ok');
    expect(await r.keys(`${prefix}s:*`)).toHaveLength(2);
    expect(Number(await r.get(`${prefix}horizon`))).toBe(T0 + MAX_AGE);
  });

  it('a check changes nothing; a refused commit changes nothing', async () => {
    const r = client();
    const prefix = freshPrefix();
    const store = await RedisReplayStore.connect({ eval: evalOn(r), prefix, window: 32, clock: () => T0 });
    expect(await store.check(request(0, 5, T0))).toBe('ok');
    expect(await r.keys(`${prefix}s:*`)).toEqual([]);
    expect(await store.commit(request(0, 5, T0))).toBe('ok');
    const before = await r.hgetallBuffer(`${prefix}s:${'07'.repeat(32)}:${'01'.repeat(16)}`);
    expect(await store.commit(request(0, 5, T0 + 1))).toBe('ERR_REPLAY');
    expect(await store.check(request(0, 40, T0 + 1))).toBe('ok');
    expect(await r.hgetallBuffer(`${prefix}s:${'07'.repeat(32)}:${'01'.repeat(16)}`)).toEqual(before);
  });

  it('Redis losing the state refuses the envelope in hand and moves startedAt on every node ([RPL-9.5])', async () => {
    const r = client();
    const prefix = freshPrefix();
    let now = T0;
    const a = await RedisReplayStore.connect({ eval: evalOn(r), prefix, window: 32, clock: () => now });
    const b = await RedisReplayStore.connect({ eval: evalOn(client()), prefix, window: 32, clock: () => now + 1 });
    expect(await a.commit(request(0, 0, T0))).toBe('ok');
    // A Redis restart without persistence: every key gone.
    await r.del(...(await r.keys(`${prefix}*`)));
    now = T0 + 500;
    await expect(a.commit(request(0, 0, now))).rejects.toThrow(/lost/);
    expect(a.startedAt).toBe(T0 + 500);
    // The other node finds the state started again by the first, takes its start, refuses one envelope.
    await expect(b.check(request(0, 1, now))).rejects.toThrow(/lost/);
    expect(b.startedAt).toBe(T0 + 500);
    // From then on both judge envelopes again, against the new state.
    expect(await b.commit(request(0, 0, now + 1))).toBe('ok');
    expect(await a.commit(request(0, 0, now + 2))).toBe('ERR_REPLAY');
  });

  it('through a Receiver: after the loss, envelopes older than the new start are refused (ERR_STATE_LOST)', async () => {
    const key = importSigningKey(generateKeyPair().secretKey);
    const ring = new KeyRing();
    ring.add(key.publicKey, { identity: 'device' });
    const r = client();
    const prefix = freshPrefix();
    let now = Date.now();
    // Created a minute ago, so the restart bound does not hold up this test's first envelopes.
    let created: number | undefined = now - 60_000;
    const store = await RedisReplayStore.connect({ eval: evalOn(r), prefix, clock: () => created ?? now });
    created = undefined;
    const receiver = new Receiver({ keys: ring, store, clock: () => now });
    const sender = new Sender(key, { clock: () => now });
    const early = sender.seal(Uint8Array.of(1));
    const kept = sender.seal(Uint8Array.of(2));
    expect((await receiver.open(early)).seq).toBe(0);
    await r.del(...(await r.keys(`${prefix}*`)));
    await expect(receiver.open(kept)).rejects.toMatchObject({ code: 'ERR_STORE' });
    // Without the moved start, the replay of `early` would now be accepted: Redis forgot it.
    await expect(receiver.open(early)).rejects.toMatchObject({ code: 'ERR_STATE_LOST' });
    now += 10_000;
    expect((await receiver.open(sender.seal(Uint8Array.of(3)))).seq).toBe(2);
  });

  for (const file of ['replay_window', 'replay_freshness']) {
    it(`passes conformance/vectors/${file}.json with its state in Redis`, async () => {
      const r = client();
      type Step = { op: string; envelope?: string; now: number; persist?: boolean; result: string; code?: string };
      type Reset = { keys: { publicKey: string }[]; startedAt: number; window: number; strict?: boolean; maxStreams?: number; maxAgeMs: number; maxFutureSkewMs: number };
      const vectors = readVectorFile<{ testGroups: { tests: { tcId: number; reset: Reset; steps: Step[] }[] }[] }>(`${file}.json`);
      let count = 0;
      for (const t of vectors.testGroups.flatMap((g) => g.tests)) {
        const ring = new KeyRing();
        for (const k of t.reset.keys) ring.add(fromHex(k.publicKey));
        const { keys: _keys, startedAt, ...settings } = t.reset;
        // An empty store starts at the reset's time, or at a restart's ([RPL-7.2]).
        const empty = (at: number) => RedisReplayStore.connect({ eval: evalOn(r), prefix: freshPrefix(), ...settings, clock: () => at });
        const timing = { maxAgeMs: settings.maxAgeMs, maxFutureSkewMs: settings.maxFutureSkewMs };
        let store = await empty(startedAt);
        let receiver = new Receiver({ keys: ring, store, ...timing });
        for (const [i, step] of t.steps.entries()) {
          const where = `tcId ${t.tcId} step ${i}`;
          if (step.op === 'restart') {
            if (!step.persist) store = await empty(step.now);
            receiver = new Receiver({ keys: ring, store, ...timing });
            continue;
          }
          const outcome = await receiver.open(fromHex(step.envelope!), { now: step.now }).then(
            () => 'valid',
            (err: { code?: string }) => err.code,
          );
          expect(outcome, where).toBe(step.result === 'valid' ? 'valid' : step.code);
          count++;
        }
      }
      expect(count).toBeGreaterThan(10);
    });
  }

  describe('nodes sharing the store', () => {
    const key = importSigningKey(generateKeyPair().secretKey);
    const ring = new KeyRing();
    ring.add(key.publicKey, { identity: 'device' });
    const start = Date.now();

    async function nodes(): Promise<[Receiver, Receiver]> {
      const prefix = freshPrefix();
      // Two nodes: each its own Redis connection and its own Receiver, one shared state.
      const a = await RedisReplayStore.connect({ eval: evalOn(client()), prefix, clock: () => start - 60_000 });
      const b = await RedisReplayStore.connect({ eval: evalOn(client()), prefix });
      return [new Receiver({ keys: ring, store: a }), new Receiver({ keys: ring, store: b })];
    }

    it('an envelope accepted by one node is a replay on the other', async () => {
      const [a, b] = await nodes();
      const sender = new Sender(key);
      const first = sender.seal(new TextEncoder().encode('once'));
      expect((await a.open(first)).seq).toBe(0);
      await expect(b.open(first)).rejects.toMatchObject({ code: 'ERR_REPLAY' });
      expect((await b.open(sender.seal(Uint8Array.of(1)))).seq).toBe(1);
    });

    it('the same envelope opened on both nodes at once is accepted exactly once', async () => {
      const [a, b] = await nodes();
      const sender = new Sender(key);
      for (let i = 0; i < 50; i++) {
        const envelope = sender.seal(Uint8Array.of(i));
        const results = await Promise.allSettled([a.open(envelope), b.open(envelope)]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'ERR_REPLAY' } });
      }
    });

    it('an unreachable Redis fails closed with ERR_STORE', async () => {
      const r = client();
      const store = await RedisReplayStore.connect({ eval: evalOn(r), prefix: freshPrefix(), clock: () => start - 60_000 });
      const receiver = new Receiver({ keys: ring, store });
      r.disconnect();
      await expect(receiver.open(new Sender(key).seal(Uint8Array.of(1)))).rejects.toMatchObject({ code: 'ERR_STORE' });
    });
  });

  it('a SecureServer on the ws adapter with its replay state in Redis: a session end to end', async () => {
    const clientKey = importSigningKey(generateKeyPair().secretKey);
    const keys = new KeyRing();
    keys.add(clientKey.publicKey, { identity: 'alice' });
    const store = await RedisReplayStore.connect({ eval: evalOn(client()), prefix: freshPrefix(), clock: () => Date.now() - 60_000 });
    const secure = new SecureServer({ key: serverKey, keys, receiver: new Receiver({ keys, store }), authorize: () => true });
    const got: string[] = [];
    secure.on('message', (m) => got.push(new TextDecoder().decode(m.payload)));
    const adapter: RunningAdapter = await wsAdapter.start(secure, {});
    try {
      const session = await connect(adapter.url, { WebSocket: WebSocket as unknown as WebSocketConstructor, key: clientKey, serverKey: serverPublic });
      await session.join('r');
      for (let i = 0; i < 20; i++) session.send('r', `m${i}`);
      await expect.poll(() => got.length).toBe(20);
      expect(got).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
      session.close();
    } finally {
      await adapter.close();
    }
  });
});
