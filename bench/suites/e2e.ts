import type { Keys } from '../fixtures.js';
import type { Profile, SuiteReport } from '../lib.js';
export async function e2eSuite(_p: Profile, _k: Keys): Promise<SuiteReport> {
  return { title: 'e2e', markdown: 'TODO', targets: [] };
}
