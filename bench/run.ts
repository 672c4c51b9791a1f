// `npm run bench` (full, writes bench/RESULTS.md) and `npm run bench:quick` (prints only).
// `--only=verify,codec` runs some suites (RESULTS.md gets only their sections when they have no
// targets); `--write` makes a quick run write RESULTS.md too.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { makeKeys } from './fixtures.js';
import { updateReadmeSpeed } from './readme-speed.js';
import { FULL, QUICK, fmtRatio, met, table, type Profile, type SuiteReport, type Target } from './lib.js';
import { codecSuite } from './suites/codec.js';
import { e2eSuite } from './suites/e2e.js';
import { keyImportSuite } from './suites/key-import.js';
import { memorySuite } from './suites/memory.js';
import { metricsSuite } from './suites/metrics.js';
import { peersSuite } from './suites/peers.js';
import { poolSuite } from './suites/pool.js';
import { replaySuite } from './suites/replay.js';
import { sealSuite, verifySuite } from './suites/verify.js';
import { socketioSuite } from './suites/socketio.js';
import { roomsSuite } from './suites/rooms.js';
import { memberSuite } from './suites/member.js';
import { e2eeSuite } from './suites/e2ee.js';
import { xnodeSuite } from './suites/xnode.js';
import type { Keys } from './fixtures.js';

type Suite = (profile: Profile, keys: Keys) => Promise<SuiteReport>;

const SUITES: Record<string, Suite> = {
  verify: verifySuite,
  keyImport: keyImportSuite,
  member: memberSuite,
  replay: replaySuite,
  pool: poolSuite,
  seal: sealSuite,
  codec: codecSuite,
  memory: memorySuite,
  peers: peersSuite,
  e2e: e2eSuite,
  metrics: metricsSuite,
  socketio: socketioSuite,
  rooms: roomsSuite,
  e2ee: e2eeSuite,
  xnode: xnodeSuite,
};

const args = process.argv.slice(2);
const profile = args.includes('--quick') ? QUICK : FULL;
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const write = !profile.quick || args.includes('--write');

const started = Date.now();
const loadBefore = loadavg()[0]!;
const keys = makeKeys();
const reports: SuiteReport[] = [];
for (const [name, suite] of Object.entries(SUITES)) {
  if (only && !only.includes(name)) continue;
  process.stderr.write(`[bench] ${name}…\n`);
  const t0 = Date.now();
  reports.push(await suite(profile, keys));
  process.stderr.write(`[bench] ${name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}
const seconds = (Date.now() - started) / 1000;
const loadAfter = loadavg()[0]!;

const targets: Target[] = reports.flatMap((r) => r.targets);
const cpu = cpus();
const lines = [
  '# sealwire benchmark results',
  '',
  '<!-- Written by `npm run bench` (bench/run.ts). Do not edit by hand: rerun the bench. -->',
  '',
  `- Date: ${new Date().toISOString()}`,
  `- Machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${process.platform}/${process.arch}`,
  `- Node ${process.version}; backends: ${keys.backends.join(', ')}`,
  `- Profile: ${profile.quick ? 'quick' : 'full'}; ${profile.rounds} rounds × ${profile.time} ms per task (after ${profile.warmup} ms warm-up), task order rotated each round; every rate is the median over rounds; each ratio of two synchronous tasks is the median of ${profile.quick ? 15 : 41} paired, interleaved ~2 ms blocks (A B, B A, …), so load from other processes hits both sides alike; ratios of async tasks (pool, peers) are medians of per-round ratios; run took ${seconds.toFixed(0)} s`,
  `- The machine is shared: other processes may have run at the same time (1-minute load average ${loadBefore.toFixed(2)} at the start, ${loadAfter.toFixed(2)} at the end, on ${cpu.length} cores). Ratios are robust to that (both sides measured in the same round); absolute rates are not, and the pool's ratio needs idle cores.`,
  '',
  '## Targets',
  '',
  table(
    ['target', 'issue', 'goal', 'measured', 'met?'],
    targets.map((t) => [
      t.what + (t.note ? ` (${t.note})` : ''),
      t.issue,
      `${t.kind === 'min' ? '≥' : '≤'} ${t.unit === '×' ? fmtRatio(t.goal) : `${t.goal} ${t.unit}`}`,
      t.unit === '×' ? fmtRatio(t.measured) : `${t.measured.toFixed(0)} ${t.unit}`,
      met(t) ? 'met' : '**NOT met**',
    ]),
  ),
  '',
  ...reports.flatMap((r) => [`## ${r.title}`, '', r.markdown, '']),
];
const text = lines.join('\n');
const RESULTS = new URL('./RESULTS.md', import.meta.url);

/**
 * A run of some suites replaces only their sections in RESULTS.md (each says its own date, load and
 * cores); the header and the targets stay the full run's, so suites with targets need a full run.
 */
function splice(old: string): string {
  let out = old;
  for (const r of reports) {
    const section = `## ${r.title}\n\n${r.markdown}\n`;
    const at = out.indexOf(`\n## ${r.title}\n`);
    if (at < 0) {
      out = `${out.trimEnd()}\n\n${section}`;
      continue;
    }
    const next = out.indexOf('\n## ', at + 1);
    out = out.slice(0, at + 1) + section + (next < 0 ? '' : out.slice(next));
  }
  return out;
}

if (write) {
  const partial = only !== undefined && targets.length === 0 && existsSync(RESULTS);
  writeFileSync(RESULTS, partial ? splice(readFileSync(RESULTS, 'utf8')) : text);
  process.stderr.write(`[bench] wrote bench/RESULTS.md${partial ? ` (only the sections of ${only.join(', ')})` : ''}\n`);
  if (!only) updateReadmeSpeed();
}

process.stdout.write(text + '\n');
