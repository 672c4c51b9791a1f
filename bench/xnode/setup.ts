// The cross-node rooms bench's setups (bench/suites/xnode.ts): node processes (bench/xnode/node.ts)
// on one redis-server or in memory, the members in a subscriber process of the rooms bench
// (bench/rooms/subscriber.ts), and what sends: node A's `server.publish`, or a client author on
// node A (bench/xnode/author.ts). A phase measures post/publish → delivery at every member and,
// across nodes, what Redis ran (INFO) and the round trips the nodes made (their wrapped functions).
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { Proc } from '../e2e/proc.js';
import type { SubscriberCommand, SubscriberReply } from '../rooms/protocol.js';
import type { AuthorCommand, AuthorReply, NodeCommand, NodeReply, RedisCalls } from './protocol.js';

type Node = Proc<NodeCommand, NodeReply>;
type Subscriber = Proc<SubscriberCommand, SubscriberReply>;
type Author = Proc<AuthorCommand, AuthorReply>;
/** Sends a phase's messages; when each was sent, and how often the author waited for `drain`. */
type Source = (p: Phase) => Promise<{ sentAt: number[]; drains?: number }>;
export const SIZE = 64;
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
  /** A client author: how often its outbox was full and it waited for the node's receipts. */
  readonly drains?: number;
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
  const out: RedisCalls = { command: 0, reader: 0, resume: 0, argBytes: 0, byName: {} };
  after.forEach((a, i) => {
    const b = before[i]!;
    out.command += a.command - b.command;
    out.reader += a.reader - b.reader;
    out.resume += a.resume - b.resume;
    out.argBytes += a.argBytes - b.argBytes;
    for (const [k, v] of Object.entries(a.byName)) out.byName[k] = (out.byName[k] ?? 0) + v - (b.byName[k] ?? 0);
  });
  return out;
}

const stats = async (nodes: Node[]): Promise<RedisCalls[]> =>
  Promise.all(nodes.map(async (n) => ((await n.call({ op: 'stats' }, CALL_MS)) as Extract<NodeReply, { op: 'stats' }>).calls));

async function phase(nodes: Node[], send: Source, sub: Subscriber, members: number, p: Phase, admin: Redis | undefined): Promise<PhaseResult> {
  const info0 = admin ? await redisInfo(admin) : undefined;
  const calls0 = admin ? await stats(nodes) : undefined;
  const expecting = sub.call({ op: 'expect', messages: p.count }, CALL_MS);
  const pub = await send(p);
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
    ...(pub.drains !== undefined ? { drains: pub.drains } : {}),
    ...(info0 && info1 ? { redis: delta(info0, info1) } : {}),
    ...(calls0 && calls1 ? { calls: callsDelta(calls0, calls1) } : {}),
    load: loadavg()[0]!,
  };
}

export interface SetupOptions {
  /** The messages come from a client author on node A (a ClientSession posting), not `server.publish`. */
  readonly author?: boolean;
  /** The nodes share resume state in the same redis-server (needs `redisPort`). */
  readonly resume?: boolean;
}

/**
 * One setup, started and closed here: node A (and node B when `redisPort` is given, both on the
 * redis-server's room streams), `members` members on the node that is not the publisher's when
 * there are two, the client author on node A if asked, then each phase in turn after a warm-up.
 */
export async function runSetup(members: number, phases: readonly Phase[], redisPort?: number, o: SetupOptions = {}): Promise<PhaseResult[]> {
  if (o.resume && redisPort === undefined) throw new Error('xnode bench: shared resume state needs the redis-server');
  const nodes: Node[] = [];
  let sub: Subscriber | undefined;
  let author: Author | undefined;
  const admin = redisPort === undefined ? undefined : new Redis({ host: '127.0.0.1', port: redisPort, maxRetriesPerRequest: 1 });
  try {
    const redis = redisPort === undefined ? undefined : { port: redisPort, prefix: `xbench${process.pid}-${Date.now()}:` };
    const urls: string[] = [];
    let serverKey = '';
    for (let i = 0; i < (redis ? 2 : 1); i++) {
      const node = (await Proc.start<NodeCommand, NodeReply>('../xnode/node.ts', [])).proc;
      nodes.push(node);
      const l = (await node.call({ op: 'listen', members, seed: SEED, ...(redis ? { redis, resume: o.resume === true } : {}) }, CALL_MS)) as Extract<
        NodeReply,
        { op: 'listening' }
      >;
      urls.push(l.url);
      serverKey = l.serverKey;
    }
    sub = (await Proc.start<SubscriberCommand, SubscriberReply>('../rooms/subscriber.ts', [])).proc;
    await sub.call({ op: 'connect', mode: 'signed', url: urls[urls.length - 1]!, serverKey, first: 0, count: members }, CALL_MS);
    await sub.call({ op: 'join', room: 'bench' }, CALL_MS);
    let send: Source = async (p) =>
      (await nodes[0]!.call({ op: 'publish', count: p.count, size: SIZE, perTick: p.perTick, gapMs: p.gapMs }, CALL_MS)) as Extract<
        NodeReply,
        { op: 'published' }
      >;
    if (o.author) {
      const a = (author = (await Proc.start<AuthorCommand, AuthorReply>('../xnode/author.ts', [])).proc);
      await a.call({ op: 'connect', url: urls[0]!, serverKey, index: members }, CALL_MS);
      send = async (p) => {
        const r = (await a.call({ op: 'post', count: p.count, size: SIZE, perTick: p.perTick, gapMs: p.gapMs }, CALL_MS)) as Extract<
          AuthorReply,
          { op: 'posted' }
        >;
        if (r.refused.length > 0) throw new Error(`xnode bench: node A refused posts (${r.refused.join(', ')})`);
        return r;
      };
    }
    await phase(nodes, send, sub, members, { count: 20, perTick: 1, gapMs: 5 }, undefined); // warm-up: room loaded everywhere
    const out: PhaseResult[] = [];
    for (const p of phases) out.push(await phase(nodes, send, sub, members, p, admin));
    return out;
  } finally {
    if (author) {
      await author.call({ op: 'close' }).catch(() => undefined);
      await author.end();
    }
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
