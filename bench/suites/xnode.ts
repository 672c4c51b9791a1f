// Issue 19: a room shared by nodes through Redis Streams (src/rooms/shared-redis.ts) against one
// node with the room in memory. Node A publishes; the members sit on node B (cross) or on node A
// itself (one node), in a subscriber process of the rooms bench (bench/rooms/subscriber.ts) that
// handshakes and joins over `ws`, then counts frames off its sockets and fully verifies 1 in 64.
// Redis is a redis-server started here on 127.0.0.1; it, both nodes and the members share the
// machine's cores, which the section says next to its figures.
import { loadavg, cpus } from 'node:os';
import { Redis } from 'ioredis';
import { Proc } from '../e2e/proc.js';
import { fmtHz, table, type Profile, type SuiteReport } from '../lib.js';
import type { SubscriberCommand, SubscriberReply } from '../rooms/protocol.js';
import type { NodeCommand, NodeReply, RedisCalls } from '../xnode/protocol.js';
import { redisAvailable, startRedis } from '../../test/helpers/redis-server.js';

type Node = Proc<NodeCommand, NodeReply>;
type Subscriber = Proc<SubscriberCommand, SubscriberReply>;
const SIZE = 64;
const SEED = Array.from({ length: 32 }, (_, i) => (i * 29 + 3) & 0xff);
/** Every call of the suite answers within this, or the suite fails (Proc kills the process). */
const CALL_MS = 120_000;

export interface Phase {
  readonly count: number;
  readonly perTick: number;
  readonly gapMs: number;
}

/** What Redis saw during a phase: commands it ran (scripts' inner commands included) and bytes. */
export interface RedisDelta {
  commands: number;
  byCommand: Record<string, number>;
  bytesIn: number;
  bytesOut: number;
}

export interface PhaseResult {
  readonly messages: number;
  readonly members: number;
  /** Messages/s delivered to every member: messages ÷ (last delivery − first publish). */
  readonly messagesPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly sampled: number;
  readonly verified: number;
  readonly redis?: RedisDelta;
  /** Round trips the nodes made through `command` and `reader`, both nodes summed. */
  readonly calls?: RedisCalls;
  readonly load: number;
}

const pct = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

/** INFO commandstats and INFO stats, read on an admin connection; its own INFO calls are left out. */
export async function redisInfo(admin: Redis): Promise<{ byCommand: Record<string, number>; bytesIn: number; bytesOut: number }> {
  const text = `${String(await admin.call('INFO', 'commandstats'))}\n${String(await admin.call('INFO', 'stats'))}`;
  const byCommand: Record<string, number> = {};
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (m[1] !== 'info') byCommand[m[1]!] = Number(m[2]);
  const num = (name: string): number => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { byCommand, bytesIn: num('total_net_input_bytes'), bytesOut: num('total_net_output_bytes') };
}

function delta(a: Awaited<ReturnType<typeof redisInfo>>, b: Awaited<ReturnType<typeof redisInfo>>): RedisDelta {
  const byCommand: Record<string, number> = {};
  for (const [k, v] of Object.entries(b.byCommand)) if (v - (a.byCommand[k] ?? 0) > 0) byCommand[k] = v - (a.byCommand[k] ?? 0);
  return { commands: Object.values(byCommand).reduce((x, y) => x + y, 0), byCommand, bytesIn: b.bytesIn - a.bytesIn, bytesOut: b.bytesOut - a.bytesOut };
}

function callsDelta(before: RedisCalls[], after: RedisCalls[]): RedisCalls {
  const out: RedisCalls = { command: 0, reader: 0, argBytes: 0, byName: {} };
  after.forEach((a, i) => {
    const b = before[i]!;
    out.command += a.command - b.command;
    out.reader += a.reader - b.reader;
    out.argBytes += a.argBytes - b.argBytes;
    for (const [k, v] of Object.entries(a.byName)) out.byName[k] = (out.byName[k] ?? 0) + v - (b.byName[k] ?? 0);
  });
  return out;
}

const stats = async (nodes: Node[]): Promise<RedisCalls[]> =>
  Promise.all(nodes.map(async (n) => ((await n.call({ op: 'stats' }, CALL_MS)) as Extract<NodeReply, { op: 'stats' }>).calls));

async function phase(nodes: Node[], sub: Subscriber, members: number, p: Phase, admin: Redis | undefined): Promise<PhaseResult> {
  const info0 = admin ? await redisInfo(admin) : undefined;
  const calls0 = admin ? await stats(nodes) : undefined;
  const expecting = sub.call({ op: 'expect', messages: p.count }, CALL_MS);
  const pub = (await nodes[0]!.call({ op: 'publish', count: p.count, size: SIZE, perTick: p.perTick, gapMs: p.gapMs }, CALL_MS)) as Extract<
    NodeReply,
    { op: 'published' }
  >;
  const got = (await expecting) as Extract<SubscriberReply, { op: 'received' }>;
  const info1 = admin ? await redisInfo(admin) : undefined;
  const calls1 = admin ? await stats(nodes) : undefined;
  const latency = pub.sentAt.map((t, i) => got.lastAt[i]! - t);
  const seconds = (Math.max(...got.lastAt) - pub.sentAt[0]!) / 1000;
  return {
    messages: p.count,
    members,
    messagesPerSecond: p.count / seconds,
    p50: pct(latency, 0.5),
    p99: pct(latency, 0.99),
    sampled: got.sampled,
    verified: got.verified,
    ...(info0 && info1 ? { redis: delta(info0, info1) } : {}),
    ...(calls0 && calls1 ? { calls: callsDelta(calls0, calls1) } : {}),
    load: loadavg()[0]!,
  };
}

/**
 * One setup, started and closed here: node A (and node B when `redisPort` is given, both on the
 * redis-server's room streams), `members` members on the node that is not the publisher's when
 * there are two, then each phase in turn after a warm-up.
 */
export async function runSetup(members: number, phases: readonly Phase[], redisPort?: number): Promise<PhaseResult[]> {
  const nodes: Node[] = [];
  let sub: Subscriber | undefined;
  const admin = redisPort === undefined ? undefined : new Redis({ host: '127.0.0.1', port: redisPort, maxRetriesPerRequest: 1 });
  try {
    const redis = redisPort === undefined ? undefined : { port: redisPort, prefix: `xbench${process.pid}-${Date.now()}:` };
    const urls: string[] = [];
    let serverKey = '';
    for (let i = 0; i < (redis ? 2 : 1); i++) {
      const node = (await Proc.start<NodeCommand, NodeReply>('../xnode/node.ts', [])).proc;
      nodes.push(node);
      const l = (await node.call({ op: 'listen', members, seed: SEED, ...(redis ? { redis } : {}) }, CALL_MS)) as Extract<NodeReply, { op: 'listening' }>;
      urls.push(l.url);
      serverKey = l.serverKey;
    }
    sub = (await Proc.start<SubscriberCommand, SubscriberReply>('../rooms/subscriber.ts', [])).proc;
    await sub.call({ op: 'connect', mode: 'signed', url: urls[urls.length - 1]!, serverKey, first: 0, count: members }, CALL_MS);
    await sub.call({ op: 'join', room: 'bench' }, CALL_MS);
    await phase(nodes, sub, members, { count: 20, perTick: 1, gapMs: 5 }, undefined); // warm-up: room loaded everywhere
    const out: PhaseResult[] = [];
    for (const p of phases) out.push(await phase(nodes, sub, members, p, admin));
    return out;
  } finally {
    if (sub) {
      await sub.call({ op: 'close' }).catch(() => undefined);
      await sub.end();
    }
    for (const n of nodes) {
      await n.call({ op: 'stop' }).catch(() => undefined);
      await n.end();
    }
    admin?.disconnect();
  }
}

const ms = (x: number): string => `${x.toFixed(1)} ms`;
const per = (x: number, n: number): string => (x / n).toFixed(x / n < 0.1 ? 3 : 2);

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
  let loads: number[] = [loadavg()[0]!];
  try {
    const results: [string, PhaseResult[]][] = [];
    // One node, then across nodes, twice (ABAB): a change of load hits both sides alike.
    for (let r = 0; r < rounds; r++) {
      results.push(['one node, in memory', await runSetup(members, [paced, saturating])]);
      results.push(['node A → node B via Redis', await runSetup(members, [paced, saturating], redis.port)]);
    }
    for (const [k, [name, [p, s]]] of (results as [string, [PhaseResult, PhaseResult]][]).entries()) {
      const run = Math.floor(k / 2) + 1;
      if (p.verified !== p.sampled || s.verified !== s.sampled) throw new Error(`xnode bench: sampled frames did not verify (${name})`);
      loads.push(p.load, s.load);
      rows.push([
        String(run),
        name,
        `${ms(p.p50)} / ${ms(p.p99)}`,
        `${ms(s.p50)} / ${ms(s.p99)}`,
        fmtHz(s.messagesPerSecond),
        fmtHz(s.messagesPerSecond * members),
        `${s.verified}/${s.sampled}`,
      ]);
      for (const [label, x] of [
        [`run ${run}, paced, ${p.messages} msgs`, p],
        [`run ${run}, saturating, ${s.messages} msgs`, s],
      ] as [string, PhaseResult][]) {
        if (!x.redis || !x.calls) continue;
        const top = Object.entries(x.redis.byCommand)
          .sort(([, a], [, b]) => b - a)
          .map(([k, v]) => `${k} ${per(v, x.messages)}`)
          .join(', ');
        const trips = Object.entries(x.calls.byName)
          .filter(([, v]) => v > 0)
          .map(([k, v]) => `${k} ${per(v, x.messages)}`)
          .join(', ');
        redisRows.push([
          label,
          per(x.calls.command + x.calls.reader, x.messages),
          trips,
          (x.messages / (x.redis.byCommand['xadd'] ?? NaN)).toFixed(1),
          per(x.redis.commands, x.messages),
          top,
          `${Math.round(x.redis.bytesIn / x.messages)} B / ${Math.round(x.redis.bytesOut / x.messages)} B`,
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
    `A room whose stream lives in Redis (\`rooms.shared: shareRooms(...)\`, ioredis) on two SecureServer nodes on uWS,`,
    `against one node with the room in memory. Node A publishes ${SIZE}-byte payloads (\`server.publish\`);`,
    `${members} members sit on node B (across nodes) or on node A (one node). They handshake and join over \`ws\` on`,
    '127.0.0.1, then count frames off their sockets; 1 frame in 64 is fully verified (last column).',
    `**Everything shares this machine's ${cores} cores**: the redis-server, node A, node B and the member process`,
    `(1-minute load average ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} during the run; other engineers'`,
    `tests may have run at the same time). Each setup is run ${rounds === 1 ? 'once' : `${rounds} times, alternating (one node, across, …)`}, each run with its own processes.`,
    `Latency: publish on node A → the last of the ${members} members received it, p50 / p99. Paced: ${paced.count}`,
    `messages, one every ~${paced.gapMs} ms. Saturating: ${saturating.count} messages, ${saturating.perTick} a turn of node A's`,
    "event loop (the room stream signs a turn's events as one batch). Throughput: messages/s delivered to every member",
    '= messages ÷ (last delivery − first publish); deliveries/s = that × members. Saturating latency is mostly',
    'queueing: node A publishes faster than the members are served. Across nodes the work is split over two',
    'processes (node A seals and appends, node B reads and fans out), while one node does both in one event',
    'loop: on 2 cores that can make the shared room faster under saturation; it is not less work per message.',
    '',
    table(['run', 'setup', 'paced p50 / p99', 'saturating p50 / p99', 'messages/s (saturating)', 'deliveries/s', 'sample verified'], rows),
    '',
    'Redis work per published message, across nodes. Round trips: calls the two nodes made through the',
    '`command` and `reader` functions (counted by a wrapper around them; EVALSHA is the append script and',
    'the head checks, XREAD the blocking reads, which return early when entries arrive). Commands: `INFO',
    'commandstats` before and after the phase (CONFIG RESETSTAT not used), which counts the commands the',
    'scripts run inside Redis too. Bytes: `INFO stats` total_net_input/output_bytes, per message, including',
    "the blocking reads' idle returns and the bench's own two INFO replies. Time-based traffic (head checks",
    'every second, XREAD returning every 250 ms when idle) is included, so the paced figure is higher.',
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
  ].join('\n');
  return { title, markdown, targets: [] };
}
