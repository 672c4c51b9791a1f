// Policy building blocks on an injected clock (spec/policy.md §3, §4).
import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/protocol.js';
import { ConnectionCounter } from '../../../src/policy/limits.js';
import { assertRateLimit } from '../../../src/policy/rate-limit.js';

describe('TokenBucket [POL-3.1]', () => {
  it('allows a burst, then refills at the configured rate', () => {
    const b = new TokenBucket({ perSecond: 10, burst: 3 }, 0);
    expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false]);
    expect(b.take(50)).toBe(false); // half a token
    expect(b.take(100)).toBe(true); // one token after 100 ms at 10/s
    expect(b.take(100)).toBe(false);
    expect(b.isFull(10_000)).toBe(true); // never above burst, however long idle
    expect([b.take(10_000), b.take(10_000), b.take(10_000), b.take(10_000)]).toEqual([true, true, true, false]);
  });

  it('a clock stepping back refills nothing', () => {
    const b = new TokenBucket({ perSecond: 1000, burst: 1 }, 5_000);
    expect(b.take(5_000)).toBe(true);
    expect(b.take(1_000)).toBe(false);
    expect(b.take(5_000)).toBe(false);
    expect(b.take(5_001)).toBe(true);
  });

  it('refuses invalid limits, naming them', () => {
    for (const bad of [null, {}, { perSecond: 0, burst: 1 }, { perSecond: Infinity, burst: 1 }, { perSecond: 1, burst: 0.5 }, { perSecond: 1, burst: 0 }]) {
      expect(() => assertRateLimit(bad, 'rateLimit.connection')).toThrow(/rateLimit\.connection/);
    }
  });
});

describe('ConnectionCounter [POL-4.2]', () => {
  it('caps per key and frees on release', () => {
    const c = new ConnectionCounter(2);
    expect([c.acquire('a'), c.acquire('a'), c.acquire('a'), c.acquire('b')]).toEqual([true, true, false, true]);
    c.release('a');
    expect(c.count('a')).toBe(1);
    expect(c.acquire('a')).toBe(true);
    c.release('b');
    c.release('b'); // never below zero
    expect(c.count('b')).toBe(0);
  });
});
