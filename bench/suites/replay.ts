import type { Keys } from '../fixtures.js';
import type { Profile, SuiteReport } from '../lib.js';
export async function replaySuite(_p: Profile, _k: Keys): Promise<SuiteReport> {
  return { title: 'replay', markdown: 'TODO', targets: [] };
}
