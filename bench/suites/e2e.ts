// HOOK for the end-to-end socket benchmarks of issue 7 item 1 (ws and uWS adapters over
// 127.0.0.1; unsigned vs sealwire msgs/s and p50/p99 latency; client and server in separate
// processes, bounded in count and time). They need the adapters, which are not in the tree yet.
//
// To add them: write bench/e2e/server.ts and bench/e2e/client.ts (spawned with runChild-like
// helpers from lib.ts so each side has its own process), then return their figures here with a
// target { what: 'sealwire over uWS / bare verify ceiling of the cores used', goal: 0.9 }.
import { existsSync } from 'node:fs';
import type { Keys } from '../fixtures.js';
import type { Profile, SuiteReport } from '../lib.js';

export async function e2eSuite(_profile: Profile, _keys: Keys): Promise<SuiteReport> {
  const ws = existsSync(new URL('../../src/adapters/ws/index.ts', import.meta.url));
  const uws = existsSync(new URL('../../src/adapters/uws/index.ts', import.meta.url));
  return {
    title: 'End to end over sockets',
    markdown: [
      '**Not measured yet.** The socket benchmarks (unsigned vs sealwire msgs/s, p50/p99 latency, ws and',
      'uWS adapters, client and server in separate processes) are a hook in bench/suites/e2e.ts waiting',
      `for the adapters (in tree now: ws ${ws ? 'yes' : 'no'}, uWS ${uws ? 'yes' : 'no'}). The issue 7 target`,
      '"sealwire over uWS ≥ 0.9× the bare verify ceiling of the cores used" is therefore not assessed.',
    ].join('\n'),
    targets: [],
  };
}
