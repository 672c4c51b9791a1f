// Per-identity limits across the nodes of one service (spec/policy.md §4.1, [POL-4.4] to [POL-4.7]):
// three SecureServers in this process, each with its own ws listener on 127.0.0.1 and its own
// ioredis connection, share one identity's connection cap, new-session rate and message rate
// through a real redis-server started here. A node that dies is played by one whose Redis commands
// all fail (no renewal, no release) and whose listener closes, and by a node in a process of its
// own (test/helpers/limits-node.ts) killed with SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import {
  KeyRing,
  SecureServer,
  generateKeyPair,
  importPublicKey,
  importSigningKey,
  type ClientSession,
  type SecureServerOptions,
  type SigningKey,
} from '../../src/index.js';
import { shareLimits, type SharedLimits, type ShareLimitsOptions } from '../../src/replay/redis.js';
import { connect, type WebSocketConstructor } from '../../src/adapters/ws/index.js';
import { wsAdapter, type RunningAdapter } from '../helpers/net-adapters.js';
import { serverKey, serverPublic } from '../helpers/server-fixture.js';
import { redisForFile } from '../helpers/redis-server.js';

// One redis-server for this file (CI installs it; elsewhere a machine without it skips these tests).
const redisServer = redisForFile();
const available = redisServer.available;
let admin: Redis;

beforeAll(() => {
  if (available) admin = redis();
});

function redis(): Redis {
  const r = new Redis({ host: '127.0.0.1', port: redisServer.port, maxRetriesPerRequest: 1 });
  return redisServer.track(r);
}

// Four keys of one identity, and one of another: a key per connection.
const alice = Array.from({ length: 4 }, () => importSigningKey(generateKeyPair().secretKey));
const bob = importSigningKey(generateKeyPair().secretKey);

interface Node {
  readonly server: SecureServer;
  readonly limits: SharedLimits;
  readonly adapter: RunningAdapter;
  /** False: every Redis command of this node fails, as a dead node's would never be sent. */
  alive: boolean;
  /** Requests this node accepted (server 'message' events). */
  accepted: number;
}

const nodes: Node[] = [];
const sessions: ClientSession[] = [];
let prefixes = 0;

afterEach(async () => {
  for (const s of sessions.splice(0)) s.close();
  for (const n of nodes.splice(0)) {
    n.limits.close();
    await n.adapter.close();
  }
});

async function startNode(prefix: string, server: Partial<SecureServerOptions>, share: Partial<ShareLimitsOptions> = {}): Promise<Node> {
  const ring = new KeyRing();
  for (const k of alice) ring.add(k.publicKey, { identity: 'alice' });
  ring.add(bob.publicKey, { identity: 'bob' });
  const s = new SecureServer({ key: serverKey, keys: ring, authorize: () => true, ...server });
  const command = redis();
  const node = { alive: true, accepted: 0 } as { -readonly [K in keyof Node]: Node[K] };
  node.limits = await shareLimits(s, {
    command: (name, args) => (node.alive ? command.call(name, ...args) : Promise.reject(new Error('this node is gone'))),
    prefix,
    ...share,
  });
  s.on('message', () => node.accepted++);
  node.server = s;
  node.adapter = await wsAdapter.start(s, {});
  nodes.push(node);
  return node;
}

async function cluster(n: number, server: Partial<SecureServerOptions>, share: Partial<ShareLimitsOptions> = {}): Promise<{ nodes: Node[]; prefix: string }> {
  const prefix = `t${process.pid}-${prefixes++}:limits:`;
  const started: Node[] = [];
  for (let i = 0; i < n; i++) started.push(await startNode(prefix, server, share));
  return { nodes: started, prefix };
}

async function dial(node: Node, key: SigningKey): Promise<ClientSession> {
  const session = await connect(node.adapter.url, { WebSocket: WebSocket as unknown as WebSocketConstructor, key, serverKey: serverPublic });
  sessions.push(session);
  return session;
}

/** Dials until a session opens; resolves with the ms it took. */
async function dialUntilOpen(node: Node, key: SigningKey, ms: number, what: string): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    try {
      await dial(node, key);
      return performance.now() - t0;
    } catch (err) {
      if (performance.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms (last: ${String((err as { code?: string }).code)})`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!available)('identity limits shared over Redis', () => {
  it('[POL-4.4] [POL-4.6] the connection cap holds across nodes: with cap 2, a third connection on any node is refused', async () => {
    const {
      nodes: [a, b, c],
    } = await cluster(3, { limits: { maxConnectionsPerIdentity: 2 } });
    const first = await dial(a!, alice[0]!);
    await dial(b!, alice[1]!);
    for (const n of [a!, b!, c!]) await expect(dial(n, alice[2]!)).rejects.toMatchObject({ code: 'ERR_TOO_MANY_CONNECTIONS' });
    // Another identity is not counted with alice.
    await dial(c!, bob);
    // The slot given back on A is free on C.
    first.close();
    await first.closed;
    await dialUntilOpen(c!, alice[2]!, 1000, 'a connection on C once A released its slot');
    await expect(dial(b!, alice[3]!)).rejects.toMatchObject({ code: 'ERR_TOO_MANY_CONNECTIONS' });
  });

  it('[POL-4.4] [POL-4.5] the identity message rate holds across nodes: three nodes together accept at most burst + refill', async () => {
    const rate = { perSecond: 2, burst: 30 };
    const { nodes: all } = await cluster(3, { rateLimit: { identity: rate } });
    const clients = [await dial(all[0]!, alice[0]!), await dial(all[1]!, alice[1]!), await dial(all[2]!, alice[2]!)];
    const t0 = performance.now();
    // Each connection alone stays within its own bucket (50/s, burst 100): only the identity's can refuse.
    const sent = clients.map(async (s) => {
      const results: Promise<unknown>[] = [];
      for (let i = 0; i < 40 && s.state === 'open'; i++) {
        results.push(s.request('ping').catch(() => {}));
        await new Promise((r) => setTimeout(r, 2));
      }
      await Promise.all(results);
      return s.state === 'open' ? s : s.closed;
    });
    const ends = await Promise.all(sent);
    const seconds = (performance.now() - t0) / 1000;
    const accepted = all.reduce((sum, n) => sum + n.accepted, 0);
    console.info(`3 nodes accepted ${accepted} of 120 requests in ${seconds.toFixed(2)} s (burst ${rate.burst}, ${rate.perSecond}/s)`);
    // Every envelope costs a token (requests, receipts): accepted requests are fewer than tokens granted.
    expect(accepted).toBeLessThanOrEqual(rate.burst + Math.ceil(seconds * rate.perSecond));
    // Without sharing each node would have given a whole burst: far more than one.
    expect(accepted).toBeGreaterThan(rate.burst / 2);
    const refused = ends.filter((e) => 'code' in e && e.code === 4072);
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(refused[0]).toMatchObject({ code: 4072, reason: 'ERR_RATE_LIMITED' });
  });

  it('[POL-4.4] the identity new-session rate holds across nodes', async () => {
    const {
      nodes: [a, b],
    } = await cluster(2, { rateLimit: { identitySessions: { perSecond: 0.01, burst: 3 } } });
    for (const [n, k] of [
      [a, alice[0]],
      [b, alice[1]],
      [a, alice[2]],
    ] as const) {
      const s = await dial(n!, k!);
      s.close();
      await s.closed;
    }
    await expect(dial(b!, alice[3]!)).rejects.toMatchObject({ code: 'ERR_RATE_LIMITED' });
    await expect(dial(a!, alice[3]!)).rejects.toMatchObject({ code: 'ERR_RATE_LIMITED' });
    await dial(b!, bob);
  });

  it('[POL-4.6] a node that dies without releasing: its connections stop counting within one lease', async () => {
    const leaseMs = 600;
    const {
      nodes: [a, b],
      prefix,
    } = await cluster(2, { limits: { maxConnectionsPerIdentity: 2 } }, { leaseMs });
    await dial(a!, alice[0]!);
    await dial(a!, alice[1]!);
    await expect(dial(b!, alice[2]!)).rejects.toMatchObject({ code: 'ERR_TOO_MANY_CONNECTIONS' });
    // A dies: nothing it does reaches Redis any more, and its connections go.
    a!.alive = false;
    const died = performance.now();
    await a!.adapter.close();
    const entries = `${prefix}{${Buffer.from('alice').toString('hex')}}:c`;
    expect(await admin.zcard(entries)).toBe(2); // not released
    await expect(dial(b!, alice[2]!)).rejects.toMatchObject({ code: 'ERR_TOO_MANY_CONNECTIONS' });
    await dialUntilOpen(b!, alice[2]!, leaseMs + 1000, 'a connection once the dead node’s leases ended');
    const ms = performance.now() - died;
    console.info(`the dead node's connections stopped counting after ${ms.toFixed(0)} ms (lease ${leaseMs} ms)`);
    expect(ms).toBeLessThanOrEqual(leaseMs + 400);
    // The dead node's two count no more; B's new one and one more do.
    await dial(b!, alice[3]!);
    await expect(dial(b!, alice[0]!)).rejects.toMatchObject({ code: 'ERR_TOO_MANY_CONNECTIONS' });
    // Idle buckets and ended entries leave nothing for good: every key has an expiry.
    for (const k of await admin.keys(`${prefix}*`)) expect(await admin.pttl(k)).toBeGreaterThan(0);
  });

  it('[POL-4.7] Redis paused: new sessions and the upgrade are refused with ERR_STORE, a session past its granted tokens is closed with ERR_STORE; all recover when Redis returns', async () => {
    const {
      nodes: [a, b],
    } = await cluster(2, { rateLimit: { identity: { perSecond: 1, burst: 20 } } }, { timeoutMs: 200, retryMs: 100 });
    const live = await dial(a!, alice[0]!);
    await live.request('ping');
    const pausedFor = 1500;
    await admin.call('CLIENT', 'PAUSE', String(pausedFor), 'ALL');
    const paused = performance.now();
    // The handshake's admission gets no answer: refused with ERR_STORE, and the node marks the store down.
    await expect(dial(b!, alice[1]!)).rejects.toMatchObject({ code: 'ERR_STORE' });
    expect(b!.limits.ready).toBe(false);
    expect(() => b!.server.admit({ address: '127.0.0.1' })).toThrow(expect.objectContaining({ code: 'ERR_STORE' }));
    const raw = new WebSocket(b!.adapter.url);
    const res = await new Promise<{ status: number | undefined; header: unknown }>((resolve) =>
      raw.once('unexpected-response', (_req, r) => resolve({ status: r.statusCode, header: r.headers['x-sealwire-error'] })),
    );
    expect(res).toEqual({ status: 503, header: 'ERR_STORE' });
    // The live session spends what A was granted, then waits for a grant that does not come.
    for (let i = 0; i < 10 && live.state === 'open'; i++) void live.request('ping').catch(() => {});
    expect(await live.closed).toMatchObject({ code: 4036, reason: 'ERR_STORE' });
    expect(performance.now() - paused).toBeLessThan(pausedFor);
    // Redis returns: both nodes admit again, without a restart.
    const back = await dialUntilOpen(b!, alice[1]!, pausedFor + 2000, 'a session on B after the pause');
    console.info(`B admitted again ${(performance.now() - paused).toFixed(0)} ms after the pause began (${back.toFixed(0)} ms of retries)`);
    expect(b!.limits.ready).toBe(true);
    const again = await dialUntilOpen(a!, alice[2]!, 2000, 'a session on A after the pause');
    expect(again).toBeLessThan(2000);
    const s = sessions.at(-1)!;
    await s.request('ping');
  });
});

/** A node in a process of its own (test/helpers/limits-node.ts), with cap 2 for alice. */
async function processNode(prefix: string, leaseMs: number): Promise<{ child: ChildProcess; url: string; serverKey: string }> {
  const helper = fileURLToPath(new URL('../helpers/limits-node.ts', import.meta.url));
  const keys = alice.map((k) => `alice:${Buffer.from(k.publicKey).toString('hex')}`);
  const child = spawn(process.execPath, ['--import', 'tsx', helper, String(redisServer.port), prefix, String(leaseMs), ...keys], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the node process exited with ${code}`)));
  });
  return { child, ...(JSON.parse(line) as { url: string; serverKey: string }) };
}

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

describe.skipIf(!available)('connection entries [POL-4.6]', () => {
  const entriesOf = (prefix: string): string => `${prefix}{${Buffer.from('alice').toString('hex')}}:c`;

  it('a node process killed with SIGKILL: its connections stop counting within one lease', async () => {
    const leaseMs = 600;
    const {
      nodes: [b],
      prefix,
    } = await cluster(1, { limits: { maxConnectionsPerIdentity: 2 } }, { leaseMs });
    const a = await processNode(prefix, leaseMs);
    const options = { WebSocket: WebSocket as unknown as WebSocketConstructor, serverKey: importPublicKey(Buffer.from(a.serverKey, 'hex')) };
    for (const key of [alice[0]!, alice[1]!]) sessions.push(await connect(a.url, { ...options, key }));
    await expect(dial(b!, alice[2]!)).rejects.toMatchObject({ code: 'ERR_TOO_MANY_CONNECTIONS' });
    const exited = new Promise((resolve) => a.child.once('exit', resolve));
    a.child.kill('SIGKILL');
    await exited;
    const killed = performance.now();
    await expect(dial(b!, alice[2]!)).rejects.toMatchObject({ code: 'ERR_TOO_MANY_CONNECTIONS' });
    await dialUntilOpen(b!, alice[2]!, leaseMs + 1000, 'a connection once the killed node’s leases ended');
    const ms = performance.now() - killed;
    console.info(`the killed node's connections stopped counting after ${ms.toFixed(0)} ms (lease ${leaseMs} ms)`);
    expect(ms).toBeLessThanOrEqual(leaseMs + 400);
  });

  it('a node that stops sharing still renews the entries of its open sessions, so they keep counting', async () => {
    const leaseMs = 300;
    const {
      nodes: [a, b],
    } = await cluster(2, { limits: { maxConnectionsPerIdentity: 1 } }, { leaseMs });
    const s = await dial(a!, alice[0]!);
    a!.limits.close();
    await new Promise((r) => setTimeout(r, 2 * leaseMs));
    await expect(dial(b!, alice[1]!)).rejects.toMatchObject({ code: 'ERR_TOO_MANY_CONNECTIONS' });
    s.close();
    await s.closed;
    await dialUntilOpen(b!, alice[1]!, 1000, 'a connection on B once the session on A ended');
  });

  it('entries the store lost come back at the next renewal while their connections live', async () => {
    const leaseMs = 300;
    const {
      nodes: [a],
      prefix,
    } = await cluster(1, {}, { leaseMs });
    await dial(a!, alice[0]!);
    await dial(a!, alice[1]!);
    await admin.del(entriesOf(prefix)); // as a Redis restarted without persistence
    await expect.poll(() => admin.zcard(entriesOf(prefix)), { timeout: 2 * leaseMs, interval: 20 }).toBe(2);
  });
});

describe.skipIf(!available)('shared message grants [POL-4.5]', () => {
  it('an envelope past its node’s granted tokens waits for the next grant: a burst within the shared budget is all accepted', async () => {
    const {
      nodes: [a],
    } = await cluster(1, { rateLimit: { identity: { perSecond: 0.01, burst: 40 } } }, { grantSize: 2 });
    const s = await dial(a!, alice[0]!);
    // Twenty requests in one go, ten times the grant: none is refused while the bucket has tokens.
    await Promise.all(Array.from({ length: 20 }, () => s.request('ping')));
    expect(a!.accepted).toBe(20);
    expect(s.state).toBe('open');
  });

  it('tokens a node holds unspent go back when the identity’s last connection there ends', async () => {
    const {
      nodes: [a],
      prefix,
    } = await cluster(1, { rateLimit: { identity: { perSecond: 0.01, burst: 20 } } }, { grantSize: 10 });
    const bucket = `${prefix}{${Buffer.from('alice').toString('hex')}}:m`;
    const s = await dial(a!, alice[0]!);
    await expect.poll(() => admin.hget(bucket, 'v')).toBe('10.000000'); // ten granted to A, ten left
    s.close();
    await s.closed;
    // Given back: the bucket is full again, so its key is gone.
    await expect.poll(() => admin.exists(bucket), { timeout: 2000, interval: 20 }).toBe(0);
  });
});

describe('shareLimits arguments', () => {
  const server = (): SecureServer => new SecureServer({ key: serverKey, keys: new KeyRing(), authorize: () => true });
  const command = (): Promise<unknown> => Promise.resolve('OK');

  it('refuses a malformed server or option with TypeError or RangeError', async () => {
    const s = server();
    await expect(shareLimits(null as never, { command })).rejects.toThrow(TypeError);
    await expect(shareLimits({} as never, { command })).rejects.toThrow(TypeError);
    await expect(shareLimits(s, null as never)).rejects.toThrow(TypeError);
    await expect(shareLimits(s, { command: 'no' as never })).rejects.toThrow(TypeError);
    await expect(shareLimits(s, { command, prefix: '' })).rejects.toThrow(TypeError);
    await expect(shareLimits(s, { command, node: '' })).rejects.toThrow(TypeError);
    await expect(shareLimits(s, { command, leaseMs: 10 })).rejects.toThrow(RangeError);
    await expect(shareLimits(s, { command, timeoutMs: 0 })).rejects.toThrow(RangeError);
    await expect(shareLimits(s, { command, retryMs: 1.5 })).rejects.toThrow(RangeError);
    await expect(shareLimits(s, { command, grantSize: 0 })).rejects.toThrow(RangeError);
    expect(() => s.useLimitStore({} as never)).toThrow(TypeError);
    s.close();
  });

  it('[POL-4.7] rejects when the store does not answer at start, and leaves the server as it was', async () => {
    const s = server();
    await expect(shareLimits(s, { command: () => new Promise(() => {}), timeoutMs: 50 })).rejects.toThrow('did not answer');
    await expect(shareLimits(s, { command: () => Promise.resolve('not the script') })).rejects.toThrow('SCRIPT LOAD');
    s.admit({ address: '127.0.0.1' }).release();
    s.close();
  });
});
