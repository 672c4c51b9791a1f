// Issue 19: a room shared by nodes through Redis Streams (src/rooms/shared-redis.ts) against one
// node with the room in memory. Node A publishes, or a client author connected to node A posts
// (bench/xnode/author.ts), with and without the nodes sharing resume state in the same Redis; the
// members sit on node B (cross) or on node A itself (one node), in a subscriber process of the rooms
// bench (bench/rooms/subscriber.ts) that handshakes and joins over `ws`, then counts frames off its
// sockets and fully verifies 1 in 64.
// Redis is a redis-server started here on 127.0.0.1; it, both nodes and the members share the
// machine's cores, which the section says next to its figures.
import { loadavg, cpus } from 'node:os';
import { fmtHz, table, type Profile, type SuiteReport } from '../lib.js';
import { SIZE, runSetup, type Phase, type PhaseResult } from '../xnode/setup.js';
import { redisAvailable, startRedis } from '../../test/helpers/redis-server.js';

const ms = (x: number): string => `${x.toFixed(1)} ms`;
const per = (x: number, n: number): string => (x / n).toFixed(x / n < 0.1 ? 3 : 2);
const byCount = (m: Record<string, number>, n: number): string =>
  Object.entries(m)
    .filter(([, v]) => v !== 0)
    .sort(([, a], [, b]) => b - a)
    .map(([k, v]) => `${k} ${per(v, n)}`)
    .join(', ');

interface Setup {
  readonly name: string;
  readonly redis: boolean;
  readonly author?: boolean;
  readonly resume?: boolean;
}

const SETUPS: readonly Setup[] = [
  { name: 'one node, in memory', redis: false },
  { name: 'node A → node B via Redis', redis: true },
  { name: 'client author on A → B via Redis', redis: true, author: true },
  { name: 'client author on A → B via Redis, shared resume', redis: true, author: true, resume: true },
];

export async function xnodeSuite(profile: Profile): Promise<SuiteReport> {
  const title = 'Rooms across nodes: Redis Streams vs one node';
  if (!redisAvailable()) return { title, markdown: 'Not measured: no redis-server on this machine.', targets: [] };
  const members = profile.quick ? 10 : 100;
  const paced: Phase = { count: profile.quick ? 50 : 500, perTick: 1, gapMs: 2 };
  const saturating: Phase = { count: profile.quick ? 200 : 4000, perTick: 64, gapMs: 0 };
  const rounds = profile.quick ? 1 : 2;
  const redis = await startRedis();
  const rows: string[][] = [];
  const redisRows: string[][] = [];
  const resumeRows: string[][] = [];
  let loads: number[] = [loadavg()[0]!];
  try {
    const results: [number, Setup, PhaseResult, PhaseResult][] = [];
    // Every setup in turn, twice (ABCD ABCD): a change of load hits all of them alike.
    for (let r = 1; r <= rounds; r++) {
      for (const su of SETUPS) {
        const [p, s] = await runSetup(members, [paced, saturating], su.redis ? redis.port : undefined, {
          author: su.author === true,
          resume: su.resume === true,
        });
        results.push([r, su, p!, s!]);
      }
    }
    for (const [run, su, p, s] of results) {
      if (p.verified !== p.sampled || s.verified !== s.sampled) throw new Error(`xnode bench: sampled frames did not verify (${su.name})`);
      loads.push(p.load, s.load);
      rows.push([
        String(run),
        su.name,
        `${ms(p.p50)} / ${ms(p.p99)}`,
        `${ms(s.p50)} / ${ms(s.p99)}`,
        fmtHz(s.messagesPerSecond),
        fmtHz(s.messagesPerSecond * members),
        s.drains === undefined ? '–' : String(s.drains),
        `${s.verified}/${s.sampled}`,
      ]);
      const kind = su.author ? (su.resume ? 'author + resume' : 'author') : 'publish';
      for (const [label, x] of [
        [`run ${run}, ${kind}, paced, ${p.messages} msgs`, p],
        [`run ${run}, ${kind}, saturating, ${s.messages} msgs`, s],
      ] as [string, PhaseResult][]) {
        if (!x.redis || !x.calls) continue;
        redisRows.push([
          label,
          per(x.calls.command + x.calls.reader + x.calls.resume, x.messages),
          byCount(x.calls.byName, x.messages),
          (x.messages / (x.redis.byCommand['xadd'] ?? NaN)).toFixed(1),
          per(x.redis.commands, x.messages),
          byCount(x.redis.byCommand, x.messages),
          `${Math.round(x.redis.bytesIn / x.messages)} B / ${Math.round(x.redis.bytesOut / x.messages)} B`,
        ]);
      }
      if (!su.resume) continue;
      // What sharing resume state adds: this run's author setup with it, less the one without.
      const base = results.find(([r, b]) => r === run && b.author && !b.resume);
      if (!base) continue;
      for (const [label, x, y] of [
        [`run ${run}, paced`, p, base[2]],
        [`run ${run}, saturating`, s, base[3]],
      ] as [string, PhaseResult, PhaseResult][]) {
        const diff: Record<string, number> = {};
        for (const k of new Set([...Object.keys(x.redis!.byCommand), ...Object.keys(y.redis!.byCommand)])) {
          diff[k] = (x.redis!.byCommand[k] ?? 0) - (y.redis!.byCommand[k] ?? 0);
        }
        resumeRows.push([
          label,
          per(x.calls!.resume, x.messages),
          byCount(Object.fromEntries(Object.entries(x.calls!.byName).filter(([k]) => k.startsWith('resume '))), x.messages),
          per(x.redis!.commands - y.redis!.commands, x.messages),
          byCount(diff, x.messages),
          `${Math.round((x.redis!.bytesIn - y.redis!.bytesIn) / x.messages)} B`,
        ]);
      }
    }
    process.stderr.write(`  xnode: ${rows.map((r) => `${r[1]}: ${r[2]}, ${r[4]}`).join('; ')}\n`);
  } finally {
    await redis.stop();
  }
  loads = loads.filter((x) => Number.isFinite(x));
  const cores = cpus().length;
  const markdown = [
    `Measured ${new Date().toISOString()} (this section can come from a run of this suite alone: \`--only=xnode\`).`,
    '',
    `A room whose stream lives in Redis (\`rooms.shared: shareRooms(...)\`, ioredis) on two SecureServer nodes on uWS,`,
    `against one node with the room in memory. Node A publishes ${SIZE}-byte payloads (\`server.publish\`), or a`,
    `client author posts them: one ClientSession connected over \`ws\` to node A, joined to the room, calling`,
    "`send(room, data)`, which seals a Post (the author's own envelope inside a session envelope, spec/rooms.md §3).",
    'The author setups run once with the nodes sharing resume state in the same redis-server',
    "(`resume: { shared: shareResume(...) }` on the rooms' command connection, spec/handshake.md §7.1 [HS-7.13]) and once without.",
    `${members} members sit on node B (across nodes) or on node A (one node). They handshake and join over \`ws\` on`,
    '127.0.0.1, then count frames off their sockets; 1 frame in 64 is fully verified (last column).',
    `**Everything shares this machine's ${cores} cores**: the redis-server (on the same machine), node A, node B, the member process`,
    `and the author process (1-minute load average ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} during the run; other engineers'`,
    `tests may have run at the same time). Each setup is run ${rounds === 1 ? 'once' : `${rounds} times, in turn (A B C D A B C D)`}, each run with its own processes.`,
    `Latency: publish on node A, or \`send\` in the author's process → the last of the ${members} members received it, p50 / p99.`,
    `Paced: ${paced.count} messages, one every ~${paced.gapMs} ms. Saturating: ${saturating.count} messages, ${saturating.perTick} a turn of the sender's`,
    "event loop (the room stream signs a turn's events as one batch). The author holds at most its outbox (128 unacknowledged",
    "posts): when full it waits for node A's receipts (`drain`; the count is in its column) and a post's time starts when `send`",
    'takes it, so that wait is not in its latency. Throughput: messages/s delivered to every member',
    '= messages ÷ (last delivery − first publish); deliveries/s = that × members. Saturating latency is mostly',
    'queueing: the sender sends faster than the members are served. Across nodes the work is split over two',
    'processes (node A seals and appends, node B reads and fans out), while one node does both in one event',
    'loop: on 2 cores that can make the shared room faster under saturation; it is not less work per message.',
    '',
    table(
      [
        'run',
        'setup',
        'paced p50 / p99',
        'saturating p50 / p99',
        'messages/s (saturating)',
        'deliveries/s',
        'author waits for drain (saturating)',
        'sample verified',
      ],
      rows,
    ),
    '',
    "Redis work per message, across nodes. Round trips: calls the two nodes made through the rooms' `command` and",
    "`reader` functions and the resume store's `command` (counted by a wrapper around each). EVALSHA is the rooms'",
    "append script (TIME, HMGET of the room's head, XADD per stream entry, HSET of the next offset, ZCARD and PEXPIRE",
    "of the room's four keys; a post's entry also goes into the author index, HSET and ZADD) and the head checks",
    '(HMGET, PEXPIRE ×4, every second); XREAD the blocking reads, which return early when entries arrive.',
    "`resume EVALSHA` is the store's write script (src/session/shared-resume.ts): HGET checks this node still holds",
    "the session's state, HSET stores what changed (`rec`, the acknowledgement record of the author's stream, written",
    'before the receipt that states it leaves and only once the posts it covers are appended; `meta`; `p:*`, data',
    'payloads the node sends, none here: room events are not data envelopes), HDEL drops acknowledged payloads,',
    'PEXPIRE keeps the state alive. `resume PEXPIRE`: every 20 s (a third of the 60 s resume TTL) each node refreshes',
    "every live state and session id, one command per key: the members' sessions on node B too. Changes of one turn",
    'go out as one write, one write at a time per session, so the writes per post fall as posts come faster.',
    'Commands: `INFO commandstats` before and after the phase (CONFIG RESETSTAT not used), which counts the commands the',
    'scripts run inside Redis too. Bytes: `INFO stats` total_net_input/output_bytes, per message, including',
    "the blocking reads' idle returns and the bench's own two INFO replies. Time-based traffic (head checks",
    'every second, XREAD returning every 250 ms when idle, resume refreshes) is included, so the paced figure is higher.',
    'Node A may still write a record after the last delivery; what it writes after the phase ends is not counted.',
    '',
    table(
      [
        'phase',
        'round trips / msg',
        'round trips by command / msg',
        'messages per stream entry (XADD)',
        'Redis commands / msg',
        'by command / msg',
        'bytes in / out per msg',
      ],
      redisRows,
    ),
    '',
    "What sharing resume state adds per message: round trips are the resume store's own (exact); commands and bytes",
    'in are the author setup with shared resume less the one without in the same run (separate runs, so the',
    'difference includes their noise: batching differs when timing does, and a refresh falls in one phase and not',
    'the other).',
    '',
    table(['phase', 'resume round trips / msg', 'by command / msg', 'Redis commands added / msg', 'by command / msg', 'bytes in added / msg'], resumeRows),
  ].join('\n');
  return { title, markdown, targets: [] };
}
