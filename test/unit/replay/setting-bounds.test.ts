// [RPL-3.4]: the freshness settings have bounds, and a receiver or store refuses to be configured
// outside them (a setting, never a verdict): maxAge 1 ms to 7 days, maxFutureSkew 0 to 1 day.
import { describe, expect, it } from 'vitest';
import { KeyRing, MemoryReplayStore, Receiver } from '../../../src/index.js';

const DAY = 86_400_000;

describe('freshness setting bounds [RPL-3.4]', () => {
  it('a receiver takes maxAge up to 7 days and maxFutureSkew up to 1 day, and refuses more', () => {
    const keys = new KeyRing();
    expect(() => new Receiver({ keys, maxAgeMs: 7 * DAY, maxFutureSkewMs: DAY })).not.toThrow();
    expect(() => new Receiver({ keys, maxAgeMs: 0 })).toThrow(RangeError);
    expect(() => new Receiver({ keys, maxAgeMs: 7 * DAY + 1 })).toThrow(RangeError);
    expect(() => new Receiver({ keys, maxFutureSkewMs: DAY + 1 })).toThrow(RangeError);
    expect(() => new Receiver({ keys, maxFutureSkewMs: 0 })).not.toThrow();
  });

  it('a store that records the settings refuses the same', () => {
    expect(() => new MemoryReplayStore({ maxAgeMs: 7 * DAY, maxFutureSkewMs: DAY })).not.toThrow();
    expect(() => new MemoryReplayStore({ maxAgeMs: 7 * DAY + 1 })).toThrow(RangeError);
    expect(() => new MemoryReplayStore({ maxFutureSkewMs: DAY + 1 })).toThrow(RangeError);
  });
});
