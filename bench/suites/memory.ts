import type { Keys } from '../fixtures.js';
import type { Profile, SuiteReport } from '../lib.js';
export async function memorySuite(_p: Profile, _k: Keys): Promise<SuiteReport> {
  return { title: 'memory', markdown: 'TODO', targets: [] };
}
