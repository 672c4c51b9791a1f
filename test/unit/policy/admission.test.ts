// The admission policy on an injected clock ([POL-4.2], [POL-4.3], [POL-5.1], [POL-3.1]): the order
// of its checks, the rate of new sessions per address and per identity, and bounded bucket maps.
import { describe, expect, it } from 'vitest';
import { AdmissionPolicy, type AdmissionLimits } from '../../../src/policy/admission.js';
import { BucketMap } from '../../../src/policy/buckets.js';
import { decide } from '../../../src/policy/decide.js';

const LIMITS: AdmissionLimits = {
  origins: new Set(['https://ok.example']),
  maxConnectionsPerIp: 2,
  maxConnectionsPerIdentity: 2,
  ipSessionRate: { perSecond: 1, burst: 3 },
  identitySessionRate: { perSecond: 1, burst: 3 },
  identityRate: { perSecond: 1, burst: 1 },
};

function policy(limits: Partial<AdmissionLimits> = {}): { p: AdmissionPolicy; clock: { now: number } } {
  const clock = { now: 0 };
  return { p: new AdmissionPolicy({ ...LIMITS, ...limits }, () => clock.now), clock };
}

describe('AdmissionPolicy at the upgrade [POL-4.3]', () => {
  it('refuses new sessions past the burst even when none is open, and refills at the rate', () => {
    const { p, clock } = policy();
    for (let i = 0; i < 3; i++) {
      expect(p.admitPeer('10.0.0.1', 'https://ok.example')).toBeNull();
      p.releasePeer('10.0.0.1');
    }
    expect(p.admitPeer('10.0.0.1', 'https://ok.example')).toBe('ERR_RATE_LIMITED');
    // Another address has its own bucket.
    expect(p.admitPeer('10.0.0.2', 'https://ok.example')).toBeNull();
    clock.now = 1000; // one token at 1/s
    expect(p.admitPeer('10.0.0.1', 'https://ok.example')).toBeNull();
    expect(p.admitPeer('10.0.0.1', 'https://ok.example')).toBe('ERR_RATE_LIMITED');
  });

  it('checks origin, then rate, then the connection cap: each refusal gets the earliest code', () => {
    const { p } = policy({ ipSessionRate: { perSecond: 1, burst: 2 } });
    expect(p.admitPeer('a', 'https://ok.example')).toBeNull();
    expect(p.admitPeer('a', 'https://ok.example')).toBeNull();
    // Out of tokens and at the cap: the rate comes first; a bad origin before both.
    expect(p.admitPeer('a', 'https://ok.example')).toBe('ERR_RATE_LIMITED');
    expect(p.admitPeer('a', 'https://evil.example')).toBe('ERR_ORIGIN');
    expect(p.admitPeer('a', undefined)).toBe('ERR_ORIGIN');
    const { p: q } = policy({ ipSessionRate: { perSecond: 1, burst: 10 } });
    expect(q.admitPeer('a', 'https://ok.example')).toBeNull();
    expect(q.admitPeer('a', 'https://ok.example')).toBeNull();
    expect(q.admitPeer('a', 'https://ok.example')).toBe('ERR_TOO_MANY_CONNECTIONS');
    q.releasePeer('a');
    expect(q.admitPeer('a', 'https://ok.example')).toBeNull();
  });

  it('allows any origin without a list', () => {
    const { p } = policy({ origins: undefined });
    expect(p.allowsOrigin(undefined)).toBe(true);
    expect(p.admitPeer('a', 'https://any.example')).toBeNull();
  });
});

describe('AdmissionPolicy for an identity [POL-4.3], [POL-4.2]', () => {
  it('charges the session rate before the connection cap, per identity', () => {
    const { p, clock } = policy({ identitySessionRate: { perSecond: 1, burst: 3 } });
    const first = p.admitIdentity('alice');
    expect(first).toBeTypeOf('function');
    expect(p.admitIdentity('alice')).toBeTypeOf('function');
    expect(p.admitIdentity('alice')).toBe('ERR_TOO_MANY_CONNECTIONS'); // third token spent, cap 2
    expect(p.admitIdentity('alice')).toBe('ERR_RATE_LIMITED'); // at the cap and out of tokens: the rate first
    (first as () => void)();
    (first as () => void)(); // a slot is given back once, however often it is called
    expect(p.admitIdentity('alice')).toBe('ERR_RATE_LIMITED'); // a free slot does not refill the bucket
    expect(p.admitIdentity('bob')).toBeTypeOf('function');
    clock.now = 1000;
    expect(p.admitIdentity('alice')).toBeTypeOf('function');
    clock.now = 2000;
    expect(p.admitIdentity('alice')).toBe('ERR_TOO_MANY_CONNECTIONS'); // the double release freed one slot, not two
  });

  it('keeps a connected identity\'s message bucket, shared by its connections', () => {
    const { p } = policy();
    expect(p.admitIdentity('alice')).toBeTypeOf('function');
    const b = p.messageBucket('alice');
    expect(b.take(0)).toBe(true);
    expect(p.messageBucket('alice')).toBe(b);
    expect(p.messageBucket('alice').take(0)).toBe(false);
  });
});

describe('BucketMap', () => {
  it('forgets only full buckets of keys not in use, so it stays bounded under churn', () => {
    const inUse = new Set(['keep']);
    const m = new BucketMap({ perSecond: 1, burst: 1 }, (k) => inUse.has(k));
    const kept = m.get('keep', 0);
    const spent = m.get('spent', 0);
    spent.take(0);
    for (let i = 0; i < 5000; i++) m.get(`k${i}`, 0);
    // Full, unused buckets were dropped along the way: far fewer than 5002 remain.
    expect(m.size).toBeLessThanOrEqual(2048);
    expect(m.get('keep', 0)).toBe(kept);
    expect(m.get('spent', 0)).toBe(spent); // not full: forgetting it would hand out a fresh burst
    expect(m.take('spent', 0)).toBe(false);
  });
});

describe('decide [POL-2.1]', () => {
  it('allows only a literal true; a throw, a rejection or a truthy object refuses', async () => {
    expect(decide(() => true, 0)).toBe(true);
    expect(decide(() => 1 as unknown as boolean, 0)).toBe(false);
    expect(decide(() => ({}) as unknown as boolean, 0)).toBe(false);
    expect(
      decide(() => {
        throw new Error('x');
      }, 0),
    ).toBe(false);
    await expect(decide(() => Promise.resolve(true), 0)).resolves.toBe(true);
    await expect(decide(() => Promise.reject(new Error('x')), 0)).resolves.toBe(false);
  });
});
