import type { Keys } from '../fixtures.js';
import type { Profile, SuiteReport } from '../lib.js';
export async function poolSuite(_p: Profile, _k: Keys): Promise<SuiteReport> {
  return { title: 'pool', markdown: 'TODO', targets: [] };
}
