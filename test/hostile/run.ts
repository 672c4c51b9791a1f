// `npm run hostile [-- --short] [-- --seed=N]`: the hostile suite. Envelope, handshake and room
// frame mutation fuzzers, floods with an honest client measuring what it keeps, and connection
// floods counting sockets held beyond their caps, on ws and uWS. Loopback only, bounded in count
// and time (short: under 1 minute, full: under 5). Prints one table; exits 1 when anything was
// accepted, crashed, an honest client kept less than 90%, or a socket was held beyond its cap.
import { ADAPTERS } from '../helpers/net-adapters.js';
import { fuzzEnvelopes, fuzzHandshake } from './fuzz.js';
import { fuzzRoomFrames } from './fuzz-rooms.js';
import { pausedFlood, preUpgradeFlood, runFloods } from './floods.js';

const args = process.argv.slice(2);
const short = args.includes('--short');
const seedArg = args.find((a) => a.startsWith('--seed='));
const seed = seedArg !== undefined ? Number(seedArg.slice(7)) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
const started = Date.now();
console.log(`hostile suite (${short ? 'short' : 'full'}), seed ${seed} (rerun with --seed=${seed})`);

const rows: string[][] = [];
let failed = false;
const add = (area: string, adapter: string, tried: number, accepted: number, crashed: number, kept: string, held: string, bad: boolean): void => {
  rows.push([area, adapter, String(tried), String(accepted), String(crashed), kept, held, bad ? 'FAIL' : 'ok']);
  if (bad) failed = true;
};

const env = fuzzEnvelopes(short ? 100_000 : 1_000_000, seed);
add('envelope mutants', '–', env.tried, env.accepted, env.crashed, '–', '–', env.accepted > 0 || env.crashed > 0);
const hs = await fuzzHandshake(short ? 2_000 : 20_000, seed);
add('ClientAuth mutants', '–', hs.tried, hs.accepted, hs.crashed, '–', '–', hs.accepted > 0 || hs.crashed > 0);
// Room frames: raw mutants, then mutants signed again with the server's key (test/hostile/fuzz-rooms.ts).
for (const [mode, area] of [
  ['raw', 'room frame mutants'],
  ['resigned', 'room frame mutants, re-signed'],
] as const) {
  const r = await fuzzRoomFrames(short ? 10_000 : 100_000, seed, mode);
  add(area, '–', r.tried, r.accepted, r.crashed, '–', '–', r.accepted > 0 || r.crashed > 0);
  if (r.finding !== undefined) console.log(`room fuzzer finding: ${r.finding}`);
}

for (const r of await runFloods(ADAPTERS, short ? 2000 : 6000, short ? 4 : 8)) {
  const bad = r.accepted > 0 || r.kept < 90;
  add(`flood: ${r.flood}`, r.adapter, r.attempts, r.accepted, 0, `${r.kept.toFixed(1)}%`, '–', bad);
}
for (const factory of ADAPTERS) {
  const r = await pausedFlood(factory, short ? 8 : 32);
  add(r.flood, r.adapter, r.opened, 0, 0, '–', String(r.heldBeyondCap), r.heldBeyondCap > 0);
}
for (const r of await preUpgradeFlood(short ? 300 : 2000, short ? 50 : 300)) {
  add(r.flood, r.adapter, r.opened, 0, 0, '–', String(r.heldBeyondCap), r.heldBeyondCap > 0);
}

const head = ['check', 'adapter', 'tried', 'accepted', 'crashed', 'honest kept', 'sockets beyond cap', 'verdict'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
console.log(line(head));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const r of rows) console.log(line(r));
console.log(`${failed ? 'FAILED' : 'passed'} in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${seed})`);
process.exit(failed ? 1 : 0);
