// Runs one suite in a fresh process and prints its report as JSON on stdout. Used where a suite
// needs a clean heap (memory), process flags (--expose-gc), or isolation from other libraries
// (cose-kit and @auth0/cose both register a global cbor-x extension for tag 18).
import { makeKeys } from './fixtures.js';
import { FULL, QUICK, type Profile, type SuiteReport } from './lib.js';
import type { Keys } from './fixtures.js';

const [suite, profileName, ...rest] = process.argv.slice(2);
const profile: Profile = profileName === 'quick' ? QUICK : FULL;
const keys = makeKeys();

type Run = (profile: Profile, keys: Keys, args: string[]) => Promise<SuiteReport>;
let run: Run;
if (suite === 'peer') run = (await import('./suites/peers.js')).peerChild;
else if (suite === 'memory') run = (await import('./suites/memory.js')).memoryChild;
else throw new Error(`unknown child suite ${String(suite)}`);
process.stdout.write(JSON.stringify(await run(profile, keys, rest)));
