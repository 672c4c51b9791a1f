// The live-socket suite (conformance/live/) against our own server over ws and native uWS, and our
// own client through --live-client: every check passes, on 127.0.0.1 port 0, in bounded time.
import { afterEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { ADAPTERS, type RunningAdapter } from '../helpers/net-adapters.js';
import { liveNodeSet, liveSecureServer } from '../../conformance/live/our-server.js';
import { liveOperatorKey } from '../../conformance/live/keys.js';
import { liveMode, liveServerChecks, runLiveClient, runLiveServer } from '../../conformance/live/run-live.js';
import { CLIENT_CHECKS } from '../../conformance/live/client-checks.js';

const running: RunningAdapter[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
});

describe('live mode', () => {
  it('takes --ping-interval and --operator-key once each, the key as 64 hex digits', () => {
    const key = 'ab'.repeat(32);
    const url = 'ws://127.0.0.1:1/live';
    expect(liveMode(['--live-server', url, '--operator-key', key, '--ping-interval', '500'])).toBeTypeOf('function');
    expect(liveMode(['--live-server', url, '--ping-interval', '500'])).toBeTypeOf('function');
    for (const bad of [
      ['--operator-key', 'ab'.repeat(31)],
      ['--operator-key', 'zz'.repeat(32)],
      ['--operator-key'],
      ['--operator-key', key, '--operator-key', key],
    ]) {
      expect(() => liveMode(['--live-server', url, ...bad])).toThrow(/usage/);
    }
    expect(liveServerChecks({}).some((c) => c.covers.includes('NODE-3.3'))).toBe(false);
    expect(liveServerChecks({ operatorKey: new Uint8Array(32) }).some((c) => c.covers.includes('NODE-3.3'))).toBe(true);
  });

  // Liveness ([POL-5.6]): ws pings every 500 ms; uWS pings by itself within its idleTimeout of 8 s
  // (its minimum), so it is declared as pinging at most every 5 s.
  const liveness: Record<string, { start: { heartbeatMs?: number; idleTimeout?: number }; pingIntervalMs: number }> = {
    ws: { start: { heartbeatMs: 500 }, pingIntervalMs: 500 },
    uws: { start: { idleTimeout: 8 }, pingIntervalMs: 5_000 },
  };
  for (const adapter of ADAPTERS.filter((a) => a.name === 'ws' || a.name === 'uws')) {
    it(`our test client passes every check against our server over ${adapter.name}, the node-set checks included`, { timeout: 60_000 }, async () => {
      const { start, pingIntervalMs } = liveness[adapter.name]!;
      // The server presents a node set of the live operator key (`--operator-key`, [NODE-3.3]).
      const r = await adapter.start(liveSecureServer({ nodeSet: liveNodeSet(1) }), start);
      running.push(r);
      const lines: string[] = [];
      const options = { pingIntervalMs, operatorKey: liveOperatorKey().publicKey };
      const checks = liveServerChecks(options);
      const report = await runLiveServer(r.url, (l) => lines.push(l), options);
      expect(lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
      expect(lines.filter((l) => l.includes('[NODE-3.3]'))).toHaveLength(1);
      expect(report).toEqual({ passed: checks.length, failed: 0 });
      expect(lines.at(-1)).toBe(`${checks.length} passed, 0 failed`);
    });
  }

  it('our client passes every check against our test server (--live-client)', { timeout: 50_000 }, async () => {
    const client = fileURLToPath(new URL('../../conformance/live/our-client.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
    const lines: string[] = [];
    const report = await runLiveClient(`"${tsx}" "${client}"`, (l) => lines.push(l));
    expect(lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
    expect(report).toEqual({ passed: CLIENT_CHECKS.length, failed: 0 });
  });

  it('a client that misbehaves fails the suite (exit 0 without posting)', { timeout: 50_000 }, async () => {
    const lines: string[] = [];
    const report = await runLiveClient('node -e "process.exit(0)"', (l) => lines.push(l));
    expect(report.failed).toBe(CLIENT_CHECKS.length);
    expect(lines.at(-1)).toBe(`0 passed, ${CLIENT_CHECKS.length} failed`);
  });
});
