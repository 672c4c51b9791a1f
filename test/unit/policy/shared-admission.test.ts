// The admission policy with a shared limit store (spec/policy.md §4.1): what it asks the store and
// when, on an in-process store that records every call. Redis itself is in
// test/integration/shared-limits.test.ts.
import { describe, expect, it } from 'vitest';
import { AdmissionPolicy, type AdmissionLimits } from '../../../src/policy/admission.js';
import type { LimitStore, SharedRefusal } from '../../../src/policy/limit-store.js';
import type { RateLimit } from '../../../src/policy/rate-limit.js';
import { ProtocolError } from '../../../src/errors.js';

const LIMITS: AdmissionLimits = {
  origins: undefined,
  maxConnectionsPerIp: 8,
  maxConnectionsPerIdentity: 2,
  ipSessionRate: { perSecond: 1, burst: 8 },
  identitySessionRate: { perSecond: 1, burst: 8 },
  identityRate: { perSecond: 1, burst: 40 },
};

/** A store in this process: one bucket of `tokens`, every call recorded. */
class Recording implements LimitStore {
  calls: string[] = [];
  tokens = 40;
  answer: SharedRefusal | null | 'throw' | 'reject' = null;
  failGrants = false;
  readonly grantSize = 4;
  admit(identity: string, slot: string, _s: RateLimit, cap: number): Promise<SharedRefusal | null> {
    this.calls.push(`admit ${identity} ${slot} cap ${cap}`);
    if (this.answer === 'throw') throw new Error('broken store');
    if (this.answer === 'reject') return Promise.reject(new Error('broken store'));
    return Promise.resolve(this.answer);
  }
  release(identity: string, slot: string): void {
    this.calls.push(`release ${identity} ${slot}`);
  }
  grant(identity: string, _m: RateLimit, n: number): Promise<number> {
    this.calls.push(`grant ${identity} ${n}`);
    if (this.failGrants) return Promise.reject(new Error('no answer'));
    const took = Math.min(n, this.tokens);
    this.tokens -= took;
    return Promise.resolve(took);
  }
  refund(identity: string, _m: RateLimit, n: number): void {
    this.calls.push(`refund ${identity} ${n}`);
    this.tokens += n;
  }
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe('AdmissionPolicy with a shared store [POL-4.4]', () => {
  it('asks the store for each identity slot, gives each back once, and refunds unspent tokens with the last', async () => {
    const store = new Recording();
    const p = new AdmissionPolicy(LIMITS, () => 0);
    p.share(store);
    const one = await p.admitIdentity('alice');
    const two = await p.admitIdentity('alice');
    expect(one).toBeTypeOf('function');
    const bucket = p.messageBucket('alice');
    expect(p.messageBucket('alice')).toBe(bucket);
    await tick();
    expect(bucket.take(0)).toBe(true); // of the 4 granted
    (one as () => void)();
    (one as () => void)();
    expect(store.calls.filter((c) => c.startsWith('refund'))).toEqual([]); // alice still has a connection here
    (two as () => void)();
    expect(store.calls).toEqual(['admit alice 0 cap 2', 'admit alice 1 cap 2', 'grant alice 4', 'release alice 0', 'release alice 1', 'refund alice 3']);
    expect(store.tokens).toBe(39);
  });

  it('[POL-4.7] a store that refuses, throws or rejects: the refusal, ERR_STORE, ERR_STORE', async () => {
    const store = new Recording();
    const p = new AdmissionPolicy(LIMITS, () => 0);
    p.share(store);
    store.answer = 'ERR_TOO_MANY_CONNECTIONS';
    expect(await p.admitIdentity('alice')).toBe('ERR_TOO_MANY_CONNECTIONS');
    store.answer = 'throw';
    expect(await p.admitIdentity('alice')).toBe('ERR_STORE');
    store.answer = 'reject';
    expect(await p.admitIdentity('alice')).toBe('ERR_STORE');
    p.share(undefined);
    expect(p.admitIdentity('alice')).toBeTypeOf('function'); // back to this process's own counts
  });

  it('[POL-4.5] [POL-4.7] spends only granted tokens; with none left, waits for a grant, and a grant with no answer refuses with ERR_STORE', async () => {
    const store = new Recording();
    store.tokens = 5;
    const p = new AdmissionPolicy(LIMITS, () => 0);
    p.share(store);
    await p.admitIdentity('alice');
    const bucket = p.messageBucket('alice');
    expect(bucket.ready?.()).toBeInstanceOf(Promise); // the first grant is on its way
    await bucket.ready?.();
    let spent = 0;
    for (;;) {
      const wait = bucket.ready?.();
      if (wait !== undefined) await wait;
      if (!bucket.take(0)) break;
      spent++;
    }
    expect(spent).toBe(5); // the store's five, no more
    store.tokens = 1;
    store.failGrants = true;
    await bucket.ready?.();
    expect(() => bucket.take(0)).toThrow(expect.objectContaining({ code: 'ERR_STORE' }) as ProtocolError);
    store.failGrants = false;
    await bucket.ready?.();
    expect(bucket.take(0)).toBe(true); // the store answers again
    // A store that grants more than asked, or no count at all, is taken as one that did not answer.
    for (const bad of [5, 1.5, Number.NaN, -1]) {
      store.grant = () => Promise.resolve(bad);
      await bucket.ready?.(); // a grant asked earlier may still be on its way: the next one is this
      await bucket.ready?.();
      expect(() => bucket.take(0)).toThrow(expect.objectContaining({ code: 'ERR_STORE' }) as ProtocolError);
    }
  });
});
