// The verification pool gives the strict rule's verdicts, fails closed, keeps the Receiver's order
// and commit rules, shuts down cleanly and survives a worker crash.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver, generateKeyPair, getBackend, importPublicKey, importSigningKey, seal, type PublicKey } from '../../../src/index.js';
import { CURVE_ORDER, bytesToNumberLE, verifyStrict } from '../../../src/crypto/ed25519.js';
import { VerifyPool } from '../../../src/pool/index.js';
import type { WorkerBatch, WorkerConfig } from '../../../src/pool/protocol.js';
import { PoolScheduler, type VerifyPoolOptions, type WorkerEvents, type WorkerLink } from '../../../src/pool/scheduler.js';
import { createHandler } from '../../../src/pool/worker.js';
import { numberToLE32, rng } from '../../helpers/numbers.js';
import { outcomeOf as outcome, outcomeOfSync } from '../../helpers/outcome.js';

const node = getBackend('node');
const alice = generateKeyPair();
const signer = importSigningKey(alice.secretKey, { backend: node });
const aliceKey = importPublicKey(alice.publicKey, { backend: node });

let pool: VerifyPool;
beforeAll(() => {
  pool = new VerifyPool({ threads: 2, backend: 'node', maxBatch: 16 });
});
afterAll(async () => {
  await pool.close();
});

describe('VerifyPool verdicts', () => {
  it('agrees with verifyStrict on valid, mutated and non-canonical signatures', async () => {
    const next = rng(7);
    const cases: { key: PublicKey; msg: Uint8Array; sig: Uint8Array }[] = [];
    const other = importPublicKey(generateKeyPair().publicKey, { backend: node });
    for (let i = 0; i < 400; i++) {
      const msg = new Uint8Array(next() % 300).map(() => next() & 0xff);
      let sig = signer.sign(msg);
      let key = aliceKey;
      switch (i % 5) {
        case 1:
          sig = sig.slice();
          sig[next() % 64]! ^= 1 << (next() % 8);
          break;
        case 2:
          key = other;
          break;
        case 3: // S + L: rejected by the pre-check, in the worker too
          sig = sig.slice();
          sig.set(numberToLE32(bytesToNumberLE(sig.subarray(32)) + CURVE_ORDER), 32);
          break;
        case 4: // R = y of p - 1 with the sign bit: a non-canonical point encoding
          sig = sig.slice();
          sig.set(
            Uint8Array.from({ length: 32 }, (_, j) => (j === 0 ? 0xec : j === 31 ? 0xff : 0xff)),
            0,
          );
          break;
      }
      cases.push({ key, msg, sig });
    }
    const got = await Promise.all(cases.map((c) => pool.verify(c.key, c.msg, c.sig)));
    const want = cases.map((c) => verifyStrict(node, c.key.handle, c.msg, c.sig));
    expect(got).toEqual(want);
    expect(want.filter(Boolean).length).toBe(80); // exactly the untouched ones
  });

  it('refuses a PublicKey that never went through importPublicKey (the identity-point forgery)', () => {
    // The identity point with R = identity, S = 0 is the universal forgery; a hand-built PublicKey
    // object must not get it past the pool (the worker re-imports strictly as a second line).
    const identity = new Uint8Array(32);
    identity[0] = 1;
    const fake = { bytes: identity, kid: new Uint8Array(32), backend: node, handle: undefined } as PublicKey;
    const sig = new Uint8Array(64);
    sig[0] = 1;
    expect(() => pool.verify(fake, new Uint8Array([1, 2, 3]), sig)).toThrow(TypeError);
  });

  it('resolves false without a worker for a signature of the wrong length', async () => {
    expect(await pool.verify(aliceKey, new Uint8Array(1), new Uint8Array(63))).toBe(false);
  });

  it('keeps every verdict in place when the staging buffer grows and the queue is compacted', async () => {
    // 6,000 requests in one tick (more than the 4,096 kept before compaction), some with messages
    // large enough to grow the 64 KiB staging buffer several times, every fifth one forged.
    const small = pool;
    const next = rng(11);
    const msgs = Array.from({ length: 6000 }, (_, i) => new Uint8Array(i % 997 === 0 ? 40_000 + (next() % 9000) : next() % 200).map(() => next() & 0xff));
    const sigs = msgs.map((m, i) => {
      const sig = signer.sign(m);
      if (i % 5 === 3) sig[i % 64]! ^= 1;
      return sig;
    });
    const got = await Promise.all(msgs.map((m, i) => small.verify(aliceKey, m, sigs[i]!)));
    expect(got).toEqual(msgs.map((_, i) => i % 5 !== 3));
    // And again after the pool went idle: the buffer starts over.
    expect(await small.verify(aliceKey, msgs[1]!, sigs[1]!)).toBe(true);
    expect(await small.verify(aliceKey, msgs[3]!, sigs[3]!)).toBe(false);
  });

  it('copies its inputs before returning', async () => {
    const msg = new Uint8Array([1, 2, 3]);
    const sig = signer.sign(msg);
    const p = pool.verify(aliceKey, msg, sig);
    msg[0] = 9;
    sig.fill(0);
    expect(await p).toBe(true);
  });

  it('throws TypeError for arguments of the wrong type, naming them', () => {
    const msg = new Uint8Array(1);
    expect(() => pool.verify({} as PublicKey, msg, new Uint8Array(64))).toThrow(/"key"/);
    expect(() => pool.verify(aliceKey, [1] as unknown as Uint8Array, new Uint8Array(64))).toThrow(/"message"/);
    expect(() => pool.verify(aliceKey, msg, 'x' as unknown as Uint8Array)).toThrow(/"signature"/);
  });

  it('validates its options', () => {
    expect(() => new VerifyPool({ threads: 0 })).toThrow(/"threads"/);
    expect(() => new VerifyPool({ maxBatch: 1.5 })).toThrow(/"maxBatch"/);
    expect(() => new VerifyPool({ maxQueue: 0 })).toThrow(/"maxQueue"/);
    expect(() => new VerifyPool({ backend: 'openssl' as 'node' })).toThrow(/"backend"/);
  });
});

describe('VerifyPool behind a Receiver', () => {
  const TS = 1_750_000_000_000;
  const opts = { keys: aliceKey, startedAt: TS - 60_000, window: 64 };

  it('gives every envelope the same outcome as a synchronous receiver, in call order', async () => {
    const next = rng(42);
    const stream = new Uint8Array(16).fill(3);
    const sealed = Array.from({ length: 120 }, (_, seq) => seal(signer, new Uint8Array([seq & 0xff]), { seq, stream, ts: TS }));
    // Deliveries: mostly in order, some reordered, duplicated, far behind, or forged.
    const deliveries: Uint8Array[] = [];
    for (let i = 0; i < 300; i++) {
      const base = Math.min(sealed.length - 1, Math.floor(i / 2.5));
      const r = next() % 10;
      if (r < 5) deliveries.push(sealed[base]!);
      else if (r < 7) deliveries.push(sealed[Math.max(0, base - (next() % 8))]!);
      else if (r < 8)
        deliveries.push(sealed[Math.max(0, base - 70)]!); // behind a 64 window
      else {
        const forged = sealed[Math.min(sealed.length - 1, base + 1)]!.slice();
        forged[forged.length - 1 - (next() % 64)]! ^= 1;
        deliveries.push(forged);
      }
    }
    const sync = new Receiver(opts);
    const want = deliveries.map((d) => outcomeOfSync(() => sync.openSync(d, { now: TS + 1 })));
    const pooled = new Receiver({ ...opts, verify: pool });
    const order: number[] = [];
    const got = await Promise.all(deliveries.map((d, i) => outcome(pooled.open(d, { now: TS + 1 }).finally(() => order.push(i)))));
    expect(got).toEqual(want);
    // Every seq delivered intact at least once is accepted exactly once.
    const intact = new Set(deliveries.filter((d) => sealed.includes(d)));
    expect(want.filter((x) => x === 'ok').length).toBe(intact.size);
    expect(new Set(want)).toEqual(new Set(['ok', 'ERR_REPLAY', 'ERR_TOO_OLD', 'ERR_BAD_SIGNATURE']));
    // Per stream, results settle in call order.
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('lends the pool reused buffers, and gives a verifier that keeps its arguments bytes of its own', async () => {
    // The pool copies its arguments before it returns, and says so.
    expect(pool.copiesInputs).toBe(true);
    const stream = new Uint8Array(16).fill(6);
    const sealed = [0, 1, 2].map((seq) => seal(signer, new Uint8Array(seq + 1).fill(seq), { seq, stream, ts: TS }));
    // This one verifies a turn later: lent views would all show the last envelope by then.
    const later = (key: PublicKey, message: Uint8Array, signature: Uint8Array): Promise<boolean> =>
      new Promise((resolve) => setImmediate(() => resolve(verifyStrict(node, key.handle, message, signature))));
    for (const verify of [later, { verify: later, copiesInputs: false }, pool]) {
      const r = new Receiver({ ...opts, verify });
      const got = await Promise.all(sealed.map((e) => outcome(r.open(e, { now: TS + 1 }))));
      expect(got).toEqual(['ok', 'ok', 'ok']);
    }
  });

  it('a check that fails (a stopped worker) refuses that envelope in its turn, never unhandled, and commits nothing', async () => {
    const stream = new Uint8Array(16).fill(7);
    const sealed = [0, 1, 2].map((seq) => seal(signer, new Uint8Array([seq]), { seq, stream, ts: TS }));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      // The first check answers late, the second fails at once, the third answers at once.
      let release!: () => void;
      const late = new Promise<void>((resolve) => (release = resolve));
      let calls = 0;
      const verify = (key: PublicKey, message: Uint8Array, signature: Uint8Array): Promise<boolean> => {
        const n = calls++;
        if (n === 0) return late.then(() => verifyStrict(node, key.handle, message, signature));
        if (n === 1) return Promise.reject(new Error('verification worker stopped'));
        return Promise.resolve(verifyStrict(node, key.handle, message, signature));
      };
      const r = new Receiver({ ...opts, verify });
      const order: number[] = [];
      const got = sealed.map((e, i) => outcome(r.open(e, { now: TS + 1 }).finally(() => order.push(i))));
      await new Promise((resolve) => setImmediate(resolve));
      expect(order).toEqual([]); // everything waits for the first
      release();
      expect(await Promise.all(got)).toEqual(['ok', 'other: Error: verification worker stopped', 'ok']);
      expect(order).toEqual([0, 1, 2]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
      // Refused, not committed: the same envelope opens once a check works.
      expect(await outcome(r.open(sealed[1]!, { now: TS + 1 }))).toBe('ok');
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('never lets a forged envelope move the window, even when the forgery is verified first', async () => {
    const stream = new Uint8Array(16).fill(4);
    const good = seal(signer, new Uint8Array([1]), { seq: 5, stream, ts: TS });
    const forged = seal(signer, new Uint8Array([2]), { seq: 1000, stream, ts: TS }).slice();
    forged[forged.length - 1]! ^= 1;
    const r = new Receiver({ ...opts, verify: pool });
    const [a, b] = await Promise.all([outcome(r.open(forged, { now: TS + 1 })), outcome(r.open(good, { now: TS + 1 }))]);
    expect([a, b]).toEqual(['ERR_BAD_SIGNATURE', 'ok']);
    // seq 900 would be too old had the forged seq 1000 been committed.
    const later = seal(signer, new Uint8Array([3]), { seq: 900, stream, ts: TS });
    expect(await outcome(r.open(later, { now: TS + 1 }))).toBe('ok');
  });
});

// The scheduler with in-thread workers that run the real worker handler only when the test says
// so: which requests travel together, and when, is then deterministic.
class ManualPool extends PoolScheduler {
  readonly posted: { worker: number; count: number; answer(): void }[] = [];
  #workers = 0;
  constructor(options: VerifyPoolOptions) {
    super({ backend: 'node', ...options }, 1);
    this.start();
  }

  protected spawn(config: WorkerConfig, events: WorkerEvents): WorkerLink {
    const worker = this.#workers++;
    const handle = createHandler(config, { postMessage: (reply) => events.message(reply as Parameters<WorkerEvents['message']>[0]) });
    return {
      post: (batch: WorkerBatch) => this.posted.push({ worker, count: batch.count, answer: () => handle(batch) }),
      busy: () => {},
      terminate: () => {},
    };
  }

  counts(): number[] {
    return this.posted.map((p) => p.count);
  }
}

const nextTask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('VerifyPool batching', () => {
  const msg = new Uint8Array([5]);
  const sig = signer.sign(msg);

  it('sends a full batch the moment it is queued, while the caller is still queueing', async () => {
    const p = new ManualPool({ threads: 2, maxBatch: 8 });
    const results: Promise<boolean>[] = [];
    for (let i = 0; i < 7; i++) results.push(p.verify(aliceKey, msg, sig));
    expect(p.posted).toEqual([]);
    results.push(p.verify(aliceKey, msg, sig));
    // Still inside the caller's synchronous run: both workers already have work.
    expect(p.counts()).toEqual([4, 4]);
    expect(p.posted.map((b) => b.worker)).toEqual([0, 1]);
    for (const b of p.posted) b.answer();
    expect(await Promise.all(results)).toEqual(new Array(8).fill(true));
  });

  it('never keeps an idle worker waiting', async () => {
    const p = new ManualPool({ threads: 2, maxBatch: 64 });
    const a = p.verify(aliceKey, msg, sig);
    await Promise.resolve();
    expect(p.counts()).toEqual([1]);
    // One worker is busy; the other is idle and takes the next request at once.
    const b = p.verify(aliceKey, msg, sig);
    await Promise.resolve();
    expect(p.counts()).toEqual([1, 1]);
    expect(p.posted.map((x) => x.worker)).toEqual([0, 1]);
    for (const x of p.posted) x.answer();
    expect(await Promise.all([a, b])).toEqual([true, true]);
  });

  it('while its worker is busy, a trickle of requests waits and leaves as one batch', async () => {
    const p = new ManualPool({ threads: 1, maxBatch: 16 });
    const forged = sig.slice();
    forged[5]! ^= 1;
    const results = [p.verify(aliceKey, msg, sig)];
    await nextTask();
    expect(p.counts()).toEqual([1]);
    // One request per event-loop task, as a server gets them from its sockets.
    for (let i = 0; i < 5; i++) {
      results.push(p.verify(aliceKey, msg, i === 2 ? forged : sig));
      await nextTask();
    }
    expect(p.counts()).toEqual([1]);
    p.posted[0]!.answer();
    expect(p.counts()).toEqual([1, 5]);
    // A full batch does not wait for the answer: it is the worker's second batch in flight.
    for (let i = 0; i < 16; i++) {
      results.push(p.verify(aliceKey, msg, sig));
      await nextTask();
    }
    expect(p.counts()).toEqual([1, 5, 16]);
    p.posted[1]!.answer();
    p.posted[2]!.answer();
    expect(await Promise.all(results)).toEqual([true, true, true, false, true, true, ...new Array(16).fill(true)]);
    expect(p.pending).toBe(0);
  });

  it('splits a small burst evenly, one batch per worker', async () => {
    const p = new ManualPool({ threads: 2, maxBatch: 64 });
    const results = Array.from({ length: 40 }, () => p.verify(aliceKey, msg, sig));
    await Promise.resolve();
    expect(p.counts()).toEqual([20, 20]);
    for (const b of p.posted) b.answer();
    expect(await Promise.all(results)).toEqual(new Array(40).fill(true));
  });

  it('a request queued while every worker is busy goes to the first that answers', async () => {
    const p = new ManualPool({ threads: 2, maxBatch: 64 });
    const first = Array.from({ length: 10 }, () => p.verify(aliceKey, msg, sig));
    await Promise.resolve();
    expect(p.counts()).toEqual([5, 5]);
    const late = p.verify(aliceKey, msg, sig);
    await Promise.resolve();
    expect(p.counts()).toEqual([5, 5]);
    p.posted[1]!.answer();
    expect(p.counts()).toEqual([5, 5, 1]);
    expect(p.posted[2]!.worker).toBe(1);
    p.posted[0]!.answer();
    p.posted[2]!.answer();
    expect(await Promise.all([...first, late])).toEqual(new Array(11).fill(true));
  });
});
