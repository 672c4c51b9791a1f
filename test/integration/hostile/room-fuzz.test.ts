// The hostile suite's room-frame fuzzer (test/hostile/fuzz-rooms.ts) with a fixed seed: a few
// thousand raw and re-signed mutants of a statement, a single event, a post and a bundle, none
// accepted and none crashing a member. The same seed names the same frames and mutants on every
// run, so a failure here reproduces with `npm run hostile -- --seed=20261205`.
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../src/bytes.js';
import { fuzzRoomFrames, roomSeeds } from '../../hostile/fuzz-rooms.js';

const SEED = 20261205;

describe('room frame mutants [ROOM-1.3], [ROOM-4.1], [ROOM-5.2], [ROOM-8]', () => {
  it('seed frames come from the server side and are the same for a seed', async () => {
    const [a, b] = [await roomSeeds(SEED), await roomSeeds(SEED)];
    expect(a.events.map((e) => [e.offset, e.count])).toEqual([
      [0, 1],
      [1, 1],
      [2, 4],
    ]);
    expect(a.events[2]!.frame[0]).toBe(0x82);
    expect(a.honest.size).toBe(2);
    expect([a.statement, ...a.events.map((e) => e.frame)].map(toHex)).toEqual([b.statement, ...b.events.map((e) => e.frame)].map(toHex));
  });

  it.each(['raw', 'resigned'] as const)('%s: 3,000 mutants, none accepted, none crashed', async (mode) => {
    const r = await fuzzRoomFrames(3000, SEED, mode);
    expect(r.finding).toBeUndefined();
    expect({ tried: r.tried, accepted: r.accepted, crashed: r.crashed }).toEqual({ tried: 3000, accepted: 0, crashed: 0 });
  });
});
