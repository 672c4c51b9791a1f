// The cross-node rooms bench's helpers (bench/xnode/setup.ts) run end to end with tiny counts:
// node processes on a real redis-server, members over ws on 127.0.0.1, every message delivered,
// and the Redis work counted by both the command wrapper and INFO. No speed is asserted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_SERVER, redisAvailable, startRedis } from '../helpers/redis-server.js';
import { runSetup, type Phase } from '../../bench/xnode/setup.js';

const available = redisAvailable();
if (!available && process.env['CI']) throw new Error(`${REDIS_SERVER} is missing: .ci/run installs it`);

let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
beforeAll(async () => {
  if (available) redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const phases: Phase[] = [
  { count: 8, perTick: 1, gapMs: 2 },
  { count: 64, perTick: 32, gapMs: 0 },
];

describe.skipIf(!available)('cross-node rooms bench helpers', () => {
  it('across nodes: every message reaches the members on node B; Redis round trips and commands are counted', async () => {
    const [paced, saturating] = await runSetup(3, phases, redis!.port);
    for (const [r, p] of [
      [paced!, phases[0]!],
      [saturating!, phases[1]!],
    ] as const) {
      expect(r.messages).toBe(p.count);
      expect(r.sampled).toBeGreaterThan(0);
      expect(r.verified).toBe(r.sampled);
      expect(r.p99).toBeGreaterThanOrEqual(r.p50);
      // Each message was appended through the wrapped `command` (the append script) and read back
      // by node B's `reader`; Redis ran the script's XADD, and at least the payloads came in.
      expect(r.calls!.byName['EVALSHA']).toBeGreaterThanOrEqual(1);
      expect(r.calls!.reader).toBeGreaterThanOrEqual(1);
      expect(r.redis!.byCommand['xadd']).toBeGreaterThanOrEqual(1);
      expect(r.redis!.byCommand['evalsha']).toBe(r.calls!.byName['EVALSHA']);
      expect(r.redis!.byCommand['info']).toBeUndefined();
      expect(r.redis!.bytesIn).toBeGreaterThan(p.count * 64);
    }
    // Appends carry whole batches when saturating.
    expect(paced!.redis!.byCommand['xadd']).toBeLessThanOrEqual(phases[0]!.count);
    expect(saturating!.redis!.byCommand['xadd']).toBeLessThan(phases[1]!.count);
  }, 60_000);

  it('a client author on node A: its posts reach node B; shared resume state adds the journal writes, and only then', async () => {
    const [plain] = await runSetup(3, phases.slice(1), redis!.port, { author: true });
    const [shared] = await runSetup(3, phases.slice(1), redis!.port, { author: true, resume: true });
    for (const r of [plain!, shared!]) {
      expect(r.messages).toBe(phases[1]!.count);
      expect(r.sampled).toBeGreaterThan(0);
      expect(r.verified).toBe(r.sampled);
      expect(r.drains).toBeGreaterThanOrEqual(0);
      // The posts were appended by node A's append script (with the author's index) and read on B.
      expect(r.calls!.byName['EVALSHA']).toBeGreaterThanOrEqual(1);
      expect(r.calls!.reader).toBeGreaterThanOrEqual(1);
      expect(r.redis!.byCommand['xadd']).toBeGreaterThanOrEqual(1);
    }
    // Without shared resume the store is never called; with it, node A stores the author session's
    // acknowledgement record (the write script) as its posts come in.
    expect(plain!.calls!.resume).toBe(0);
    expect(shared!.calls!.byName['resume EVALSHA']).toBeGreaterThanOrEqual(1);
    expect(shared!.calls!.resume).toBeGreaterThanOrEqual(shared!.calls!.byName['resume EVALSHA']!);
    // Inside Redis only the store's write script runs HGET (the append script reads with HMGET).
    // INFO is not compared with the wrapper here: node A still writes records after the last delivery.
    expect(shared!.redis!.byCommand['hget']).toBeGreaterThanOrEqual(1);
    expect(plain!.redis!.byCommand['hget']).toBeUndefined();
  }, 60_000);

  it('one node: delivered without Redis, nothing counted', async () => {
    const [paced] = await runSetup(3, phases.slice(0, 1));
    expect(paced!.verified).toBe(paced!.sampled);
    expect(paced!.redis).toBeUndefined();
    expect(paced!.calls).toBeUndefined();
  }, 60_000);
});
