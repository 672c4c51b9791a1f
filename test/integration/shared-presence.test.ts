// Presence across the nodes of one service (spec/rooms.md [ROOM-11.1]): three SecureServers in this
// process, each with its own ws listener on 127.0.0.1 and its own ioredis connection, share who is
// in which room through a real redis-server started here. A node that stops refreshing (as a
// crashed one does) loses its members by itself.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { KeyRing, SecureServer, generateKeyPair, importSigningKey, type ClientSession, type SigningKey } from '../../src/index.js';
import { sharePresence, type SharedPresence } from '../../src/replay/redis.js';
import { connect, type WebSocketConstructor } from '../../src/adapters/ws/index.js';
import { wsAdapter, type RunningAdapter } from '../helpers/net-adapters.js';
import { serverKey, serverPublic } from '../helpers/server-fixture.js';
import { REDIS_SERVER, redisAvailable, startRedis } from '../helpers/redis-server.js';

const available = redisAvailable();
if (!available && process.env['CI']) throw new Error(`${REDIS_SERVER} is missing: .ci/run installs it`);

let redisServer: { stop(): void } | undefined;
let port = 0;
const connections: Redis[] = [];
beforeAll(async () => {
  if (!available) return;
  const started = await startRedis();
  redisServer = started;
  port = started.port;
});
afterAll(() => {
  for (const r of connections) r.disconnect();
  redisServer?.stop();
});

const keys = new Map<string, SigningKey>(['alice', 'bob', 'carol'].map((id) => [id, importSigningKey(generateKeyPair().secretKey)]));
const running: { adapter: RunningAdapter; presence: SharedPresence }[] = [];
const sessions: ClientSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) s.close();
  for (const r of running.splice(0)) {
    await r.presence.close().catch(() => {});
    await r.adapter.close();
  }
});

let prefixes = 0;
const REFRESH = 100;

/** A node; `alive` false makes its Redis commands fail, as a crashed node's stop. */
async function node(prefix: string, name: string) {
  const ring = new KeyRing();
  for (const [identity, k] of keys) ring.add(k.publicKey, { identity });
  const server = new SecureServer({ key: serverKey, keys: ring, authorize: () => true });
  const r = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
  connections.push(r);
  const state = { alive: true };
  const presence = await sharePresence(server, {
    command: async (c, args) => {
      if (!state.alive) throw new Error('this node is gone');
      return r.call(c, ...args);
    },
    node: name,
    prefix,
    refreshMs: REFRESH,
    onError: () => {},
  });
  const adapter = await wsAdapter.start(server, {});
  running.push({ adapter, presence });
  return { presence, adapter, state };
}

async function member(url: string, id: string, room: string): Promise<ClientSession> {
  const s = await connect(url, { WebSocket: WebSocket as unknown as WebSocketConstructor, key: keys.get(id)!, serverKey: serverPublic });
  sessions.push(s);
  await s.join(room);
  return s;
}

async function eventually(p: () => Promise<boolean>, ms: number, what: string): Promise<number> {
  const t0 = Date.now();
  while (!(await p())) {
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - t0;
}

describe.skipIf(!available)('presence across nodes [ROOM-11.1]', () => {
  it('a member shows on every node within a refresh; leaving and closing take it away', async () => {
    const prefix = `{p${process.pid}-${prefixes++}}:presence:`;
    const [a, b, c] = [await node(prefix, 'a'), await node(prefix, 'b'), await node(prefix, 'c')];
    const alice = await member(a.adapter.url, 'alice', 'lobby');
    await member(b.adapter.url, 'bob', 'lobby');
    await member(c.adapter.url, 'carol', 'dev');
    const shown = await eventually(async () => (await c.presence.members('lobby')).join() === 'alice,bob', 5 * REFRESH, 'alice and bob at c');
    expect(shown).toBeLessThanOrEqual(3 * REFRESH);
    expect(await a.presence.members('dev')).toEqual(['carol']);
    expect(await b.presence.members('nowhere')).toEqual([]);
    await alice.leave('lobby');
    await eventually(async () => (await b.presence.members('lobby')).join() === 'bob', 5 * REFRESH, 'alice gone after her Leave');
    // A node that closes removes its entry at once.
    await b.presence.close();
    expect(await a.presence.members('lobby')).toEqual([]);
  });

  it("a node that stops refreshing loses its members by itself within three refreshes", async () => {
    const prefix = `{p${process.pid}-${prefixes++}}:presence:`;
    const [a, b] = [await node(prefix, 'a'), await node(prefix, 'b')];
    await member(a.adapter.url, 'alice', 'lobby');
    await member(b.adapter.url, 'bob', 'lobby');
    await eventually(async () => (await b.presence.members('lobby')).join() === 'alice,bob', 5 * REFRESH, 'both');
    a.state.alive = false; // crashed: no more refreshes, nothing removed
    const gone = await eventually(async () => (await b.presence.members('lobby')).join() === 'bob', 10 * REFRESH, "alice gone with her node");
    expect(gone).toBeLessThanOrEqual(3 * REFRESH + 2 * REFRESH);
  });
});
