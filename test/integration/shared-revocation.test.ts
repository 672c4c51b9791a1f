// Revocation across the nodes of one service (spec/policy.md §6.1, [POL-6.3] to [POL-6.6]): three
// SecureServers in this process, each with its own key ring, its own ioredis connections and its
// own ws listener on 127.0.0.1, sharing revocations through a real redis-server started here.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { KeyRing, SecureServer, generateKeyPair, importSigningKey, type ClientSession, type SigningKey } from '../../src/index.js';
import { shareRevocations, type SharedRevocations } from '../../src/replay/redis.js';
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

function redis(options: { name?: string; retryMs?: number } = {}): Redis {
  const r = new Redis({
    host: '127.0.0.1',
    port: redisServer.port,
    maxRetriesPerRequest: 1,
    ...(options.name !== undefined ? { connectionName: options.name } : {}),
    ...(options.retryMs !== undefined ? { retryStrategy: () => options.retryMs } : {}),
  });
  return redisServer.track(r);
}

interface Node {
  readonly name: string;
  readonly server: SecureServer;
  readonly shared: SharedRevocations;
  readonly adapter: RunningAdapter;
  readonly sub: Redis;
}

const nodes: Node[] = [];
const sessions: ClientSession[] = [];
let prefixes = 0;

afterEach(async () => {
  for (const s of sessions.splice(0)) s.close();
  for (const n of nodes.splice(0)) {
    await n.shared.close();
    await n.adapter.close();
  }
});

/** A node: its own ring holding every given key, its own two Redis connections, its own listener. */
interface NodeOptions {
  /** How long the subscriber waits before reconnecting. */
  subRetryMs?: number;
  /** Awaited before each command the node sends on its command connection. */
  beforeCommand?: (name: string) => Promise<void>;
}

async function startNode(name: string, prefix: string, keys: { key: SigningKey; identity: string }[], options: NodeOptions = {}): Promise<Node> {
  const { subRetryMs, beforeCommand } = options;
  const ring = new KeyRing();
  for (const k of keys) ring.add(k.key.publicKey, { identity: k.identity, issuedAt: Date.now() - 60_000 });
  const server = new SecureServer({ key: serverKey, keys: ring, authorize: () => true });
  const command = redis();
  const sub = redis({ name: `${prefix.replace(/\W/g, '')}-${name}-sub`, ...(subRetryMs !== undefined ? { retryMs: subRetryMs } : {}) });
  const shared = await shareRevocations(server, {
    command: async (name, args) => {
      await beforeCommand?.(name);
      return command.call(name, ...args);
    },
    subscriber: {
      subscribe: (channel) => sub.subscribe(channel),
      on: (e) => sub.on('message', e.message).on('ready', e.up).on('close', e.down),
    },
    prefix,
  });
  const adapter = await wsAdapter.start(server, {});
  const node = { name, server, shared, adapter, sub };
  nodes.push(node);
  return node;
}

async function threeNodes(keys: { key: SigningKey; identity: string }[], cOptions: NodeOptions = {}): Promise<{ a: Node; b: Node; c: Node; prefix: string }> {
  const prefix = `{t${process.pid}-${prefixes++}}:revoked:`;
  const a = await startNode('a', prefix, keys);
  const b = await startNode('b', prefix, keys);
  const c = await startNode('c', prefix, keys, cOptions);
  return { a, b, c, prefix };
}

async function dial(node: Node, key: SigningKey): Promise<ClientSession> {
  const session = await connect(node.adapter.url, { WebSocket: WebSocket as unknown as WebSocketConstructor, key, serverKey: serverPublic });
  sessions.push(session);
  return session;
}

/** `p`, or a failure naming `what` after `ms`: a missed revocation fails here, not at the test timeout. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

const newKey = (): SigningKey => importSigningKey(generateKeyPair().secretKey);

/** CLIENT KILL of the connection named `name`, from another connection. */
async function kill(name: string): Promise<void> {
  const list = String(await admin.call('CLIENT', 'LIST'));
  const line = list.split('\n').find((l) => l.includes(` name=${name} `));
  if (line === undefined) throw new Error(`no connection named ${name}`);
  const id = /\bid=(\d+)/.exec(line)![1]!;
  await admin.call('CLIENT', 'KILL', 'ID', id);
}

describe.skipIf(!available)('shared revocation over Redis (three nodes)', () => {
  it('[POL-6.4] revokeKey on node A closes the session on node C within 1 s, and node B refuses the key', async () => {
    const k = newKey();
    const other = newKey();
    const { a, b, c } = await threeNodes([
      { key: k, identity: 'alice' },
      { key: other, identity: 'carol' },
    ]);
    const alice = await dial(c, k);
    const carol = await dial(c, other);
    const closed = alice.closed;
    const t0 = performance.now();
    await a.shared.revokeKey(k.kid);
    const info = await closed;
    const ms = performance.now() - t0;
    console.info(`revokeKey on A closed the session on C after ${ms.toFixed(1)} ms`);
    expect(ms).toBeLessThan(1000);
    expect(info).toMatchObject({ code: 4021, reason: 'ERR_KEY_REVOKED' });
    expect(carol.state).toBe('open');
    expect(b.server.keys.isRevoked(k.kid)).toBe(true);
    await expect(dial(b, k)).rejects.toMatchObject({ code: 'ERR_KEY_REVOKED' });
    await expect(dial(a, k)).rejects.toMatchObject({ code: 'ERR_KEY_REVOKED' });
  });

  it('[POL-6.4] revokeIdentity on node A closes the identity’s session on node B within 1 s; node C refuses it', async () => {
    const k = newKey();
    const { a, b, c } = await threeNodes([{ key: k, identity: 'bob' }]);
    const bob = await dial(b, k);
    const closed = bob.closed;
    const t0 = performance.now();
    await a.shared.revokeIdentity('bob', Date.now());
    const info = await closed;
    const ms = performance.now() - t0;
    console.info(`revokeIdentity on A closed the session on B after ${ms.toFixed(1)} ms`);
    expect(ms).toBeLessThan(1000);
    expect(info).toMatchObject({ code: 4021, reason: 'ERR_KEY_REVOKED' });
    await expect(dial(c, k)).rejects.toMatchObject({ code: 'ERR_KEY_REVOKED' });
  });

  it('[POL-6.3] a revocation is stored: a node started afterwards refuses the key; unbounded records have no TTL', async () => {
    const k = newKey();
    const { a, prefix } = await threeNodes([{ key: k, identity: 'alice' }]);
    await a.shared.revokeKey(k.kid);
    await a.shared.revokeIdentity('dave', 5);
    const late = await startNode('late', prefix, [{ key: newKey(), identity: 'dave' }]);
    expect(late.server.keys.isRevoked(k.kid)).toBe(true);
    expect(late.server.keys.keysOf('dave')[0]!.revoked).toBe(false); // issued after the cutoff 5
    const names = (await admin.keys(`${prefix}*`)).sort();
    expect(names).toHaveLength(2);
    for (const n of names) expect(await admin.pttl(n)).toBe(-1);
  });

  it('[POL-6.5] [POL-6.6] a node whose subscriber was killed refuses new transports with ERR_STORE, then reloads the set it missed and closes the session', async () => {
    const k = newKey();
    const other = newKey();
    // Node C's subscriber waits 600 ms before reconnecting: the revocation falls in that gap.
    const { a, c } = await threeNodes(
      [
        { key: k, identity: 'alice' },
        { key: other, identity: 'erin' },
      ],
      { subRetryMs: 600 },
    );
    const alice = await dial(c, k);
    const subName = c.sub.options.connectionName!;
    const down = new Promise<void>((resolve) => c.sub.once('close', () => resolve()));
    await kill(subName);
    await down;
    expect(c.shared.ready).toBe(false);
    expect(() => c.server.admit({ address: '127.0.0.1' })).toThrow(expect.objectContaining({ code: 'ERR_STORE' }));
    await expect(dial(c, other)).rejects.toMatchObject({ code: 'ERR_STORE' });
    // Published while C is not subscribed: the push never reaches C.
    await a.shared.revokeKey(k.kid);
    expect(c.server.keys.isRevoked(k.kid)).toBe(false);
    expect(alice.state).toBe('open');
    // C comes back, subscribes, loads the stored set: the session closes, the key is refused.
    const info = await within(alice.closed, 3000, 'the reload after reconnecting closes the session');
    expect(info).toMatchObject({ code: 4021, reason: 'ERR_KEY_REVOKED' });
    await expect.poll(() => c.shared.ready).toBe(true);
    await expect(dial(c, k)).rejects.toMatchObject({ code: 'ERR_KEY_REVOKED' });
    const erin = await dial(c, other);
    expect(erin.state).toBe('open');
  });

  it('[POL-6.5] [POL-6.6] once subscribed again, a node admits no one until it has loaded the stored set', async () => {
    let loading: Promise<void> | undefined;
    let release!: () => void;
    let scanning!: () => void;
    const scanned = new Promise<void>((resolve) => (scanning = resolve));
    const { c } = await threeNodes([], {
      subRetryMs: 100,
      beforeCommand: async (name) => {
        if (name !== 'SCAN' || loading === undefined) return;
        scanning();
        await loading;
      },
    });
    loading = new Promise<void>((resolve) => (release = resolve));
    await kill(c.sub.options.connectionName!);
    await within(scanned, 3000, 'the reload after reconnecting');
    expect(c.sub.status).toBe('ready');
    expect(c.shared.ready).toBe(false);
    expect(() => c.server.admit({ address: '127.0.0.1' })).toThrow(expect.objectContaining({ code: 'ERR_STORE' }));
    release();
    await expect.poll(() => c.shared.ready).toBe(true);
    c.server.admit({ address: '127.0.0.1' }).release();
  });

  it('[POL-6.3] a bounded revocation expires from Redis after its until; a key with an end is kept past it by graceMs', async () => {
    const k = newKey();
    const { a, prefix } = await threeNodes([{ key: k, identity: 'alice' }]);
    await a.shared.revokeKey(k.kid, { until: Date.now() + 300 });
    const name = `${prefix}k:${Buffer.from(k.kid).toString('hex')}`;
    const ttl = await admin.pttl(name);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300);
    await expect.poll(() => admin.exists(name), { timeout: 2000, interval: 50 }).toBe(0);
    // The ring still refuses it: revocation in a ring is for good.
    expect(a.server.keys.isRevoked(k.kid)).toBe(true);

    const ending = newKey();
    const notAfter = Date.now() + 10_000;
    a.server.keys.add(ending.publicKey, { identity: 'frank', notAfter });
    await a.shared.revokeKey(ending.kid);
    const kept = await admin.pttl(`${prefix}k:${Buffer.from(ending.kid).toString('hex')}`);
    expect(kept).toBeGreaterThan(60_000);
    expect(kept).toBeLessThanOrEqual(70_000);

    await a.shared.revokeIdentity('gina', Date.now(), { until: Date.now() + 300 });
    const [idName] = await admin.keys(`${prefix}i:*`);
    expect(await admin.pttl(idName!)).toBeLessThanOrEqual(300);
    await expect.poll(() => admin.exists(idName!), { timeout: 2000, interval: 50 }).toBe(0);
  });

  it('[POL-6.6] shareRevocations rejects when the store cannot be read, and leaves no admission check behind', async () => {
    const ring = new KeyRing();
    const server = new SecureServer({ key: serverKey, keys: ring, authorize: () => true });
    await expect(
      shareRevocations(server, {
        command: () => Promise.reject(new Error('down')),
        subscriber: { subscribe: () => Promise.resolve(), on: () => {} },
      }),
    ).rejects.toThrow('down');
    expect(() => server.admit({ address: '127.0.0.1' }).release()).not.toThrow();
    server.close();
  });
});

describe('SecureServer.addAdmissionCheck', () => {
  it('[POL-6.6] refuses upgrades with ERR_STORE while a check says so or throws, and admits again once removed', () => {
    const server = new SecureServer({ key: serverKey, keys: new KeyRing(), authorize: () => true });
    let up = false;
    const remove = server.addAdmissionCheck(() => (up ? null : 'ERR_STORE'));
    const removeThrowing = server.addAdmissionCheck(() => {
      throw new Error('broken');
    });
    expect(() => server.admit({ address: '127.0.0.1' })).toThrow(expect.objectContaining({ code: 'ERR_STORE' }));
    up = true;
    expect(() => server.admit({ address: '127.0.0.1' })).toThrow(expect.objectContaining({ code: 'ERR_STORE' }));
    removeThrowing();
    server.admit({ address: '127.0.0.1' }).release();
    up = false;
    remove();
    server.admit({ address: '127.0.0.1' }).release();
    expect(() => server.addAdmissionCheck('no' as never)).toThrow(TypeError);
    server.close();
  });
});
