// Author positions across nodes sharing a room through a real redis-server ([ROOM-11.8]): a Post
// another node appended, offered again on this node by a session of the same key (as a session
// resumed on another node resends what its dead node never acknowledged), is a resent duplicate
// here too. Two SecureServers in this process, each on its own ws listener on 127.0.0.1 and its own
// ioredis connections. Every way a node learns the stream is covered: its reader, its load, and the
// read by id after an append that found the head moved (the Post then already queued is dropped).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { KeyRing, SecureServer, generateKeyPair, importSigningKey, type ClientSession, type SigningKey } from '../../src/index.js';
import { shareRooms, type SharedRoomStore } from '../../src/replay/redis.js';
import { connect } from '../../src/adapters/ws/index.js';
import type { RoomNotice } from '../../src/rooms/member.js';
import { wsAdapter, type RunningAdapter } from '../helpers/net-adapters.js';
import { serverKey, serverPublic } from '../helpers/server-fixture.js';
import { REDIS_SERVER, redisAvailable, startRedis } from '../helpers/redis-server.js';

const available = redisAvailable();
if (!available && process.env['CI']) throw new Error(`${REDIS_SERVER} is missing: .ci/run installs it`);

let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
beforeAll(async () => {
  if (available) redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const text = new TextDecoder();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const keys = new Map<string, SigningKey>(['alice', 'carol', 'dave'].map((id) => [id, importSigningKey(generateKeyPair().secretKey)]));
let prefixes = 0;

/**
 * The store as given, but its reads find nothing new while `gate.closed`: a reader that lags (a
 * slow link, a reconnect). Head checks and reads by id still see the stream.
 */
function lagging(store: SharedRoomStore, gate: { closed: boolean }): SharedRoomStore {
  return {
    appendTimeoutMs: store.appendTimeoutMs,
    graceMs: store.graceMs,
    readTimeoutMs: store.readTimeoutMs,
    blockMs: store.blockMs,
    checkMs: store.checkMs,
    head: (room, ttl) => store.head(room, ttl),
    reset: (room, fresh, seen, ttl) => store.reset(room, fresh, seen, ttl),
    append: (room, req) => store.append(room, req),
    range: (room, after, count) => store.range(room, after, count),
    statements: (room) => store.statements(room),
    read: async (after) => {
      if (gate.closed) await sleep(store.blockMs);
      else {
        const got = await store.read(after);
        if (!gate.closed) return got; // a read that was waiting when the gate closed finds nothing either
      }
      return new Map();
    },
  };
}

async function node(prefix: string, o: { gate?: { closed: boolean }; checkMs?: number } = {}): Promise<RunningAdapter> {
  const ring = new KeyRing();
  for (const [identity, k] of keys) ring.add(k.publicKey, { identity });
  const opts = { host: '127.0.0.1', port: redis!.port, maxRetriesPerRequest: 1, retryStrategy: () => 50 };
  const [cmd, rd] = [new Redis(opts), new Redis(opts)];
  const checkMs = o.checkMs ?? 100;
  const store = shareRooms({ command: (c, args) => cmd.call(c, ...args), reader: (c, args) => rd.call(c, ...args), prefix, blockMs: 100, checkMs });
  const shared = o.gate === undefined ? store : lagging(store, o.gate);
  const server = new SecureServer({ key: serverKey, keys: ring, authorize: () => true, rooms: { positionMs: 200, shared } });
  const adapter = await wsAdapter.start(server, {});
  cleanup.push(async () => {
    await adapter.close();
    cmd.disconnect();
    rd.disconnect();
  });
  return adapter;
}

interface Member {
  client: ClientSession;
  got: { text: string; offset: number | undefined }[];
  notices: RoomNotice[];
  refused: string[];
  /** The session payloads this client sent (a Post's carries its author envelope). */
  sent: Uint8Array[];
}

/** The session's own sending, which the tests call to hand a node a payload another session sent. */
type Raw = { sendPayload(payload: Uint8Array): number };

async function member(url: string, id: string, history = false): Promise<Member> {
  const client = await connect(url, { WebSocket, key: keys.get(id)!, serverKey: serverPublic });
  cleanup.push(() => client.close());
  const m: Member = { client, got: [], notices: [], refused: [], sent: [] };
  const raw = client as unknown as Raw;
  const send = raw.sendPayload.bind(client);
  raw.sendPayload = (payload) => (m.sent.push(payload.slice()), send(payload));
  client.on('message', (msg) => m.got.push({ text: text.decode(msg.payload), offset: msg.offset }));
  client.on('room', (n) => m.notices.push(n));
  client.on('refused', (r) => m.refused.push(r.code));
  await client.join('lobby', { history });
  return m;
}

async function waitFor(p: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!p()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(5);
  }
}

/** Events the room's stream holds (the `c` field of every entry). */
async function eventsInStream(prefix: string): Promise<number> {
  const admin = new Redis({ host: '127.0.0.1', port: redis!.port });
  try {
    const held = (await admin.call('XRANGE', `{${prefix}lobby}:s`, '-', '+')) as [string, string[]][];
    return held.reduce((n, [, f]) => n + Number(f[f.indexOf('c') + 1]), 0);
  } finally {
    admin.disconnect();
  }
}

/** The Post alice sends on her first node: the session payload that carries its author envelope. */
function postOn(alice: Member, body: string): Uint8Array {
  const before = alice.sent.length;
  alice.client.send('lobby', body);
  expect(alice.sent.length).toBe(before + 1);
  return alice.sent[before]!;
}

const seen = (m: Member): string[] => m.got.map((g) => `${g.offset}:${g.text}`);
const trouble = (m: Member): RoomNotice[] => m.notices.filter((n) => n.type !== 'position' || n.status !== 'current');

describe.skipIf(!available)('author positions on nodes sharing a room [ROOM-11.8]', () => {
  // [ROOM-11.8] through the reader ([ROOM-11.4]): node b held the room when node a appended
  it('a Post node a appended, resent on node b that holds the room, is dropped there as a duplicate', async () => {
    const prefix = `t${process.pid}-authors-${prefixes++}:`;
    const [a, b] = [await node(prefix), await node(prefix)];
    const carol = await member(a.url, 'carol');
    const dave = await member(b.url, 'dave');
    const alice = await member(a.url, 'alice');
    const post = postOn(alice, 'hello');
    await waitFor(() => carol.got.length === 1 && dave.got.length === 1, 'hello on both nodes');
    // Alice's session goes on on node b (its node died, say) and resends the Post it had sent.
    const again = await member(b.url, 'alice');
    (again.client as unknown as Raw).sendPayload(post);
    again.client.send('lobby', 'after');
    await waitFor(() => carol.got.length >= 2 && dave.got.length >= 2, 'the next post on both nodes');
    await sleep(300); // nothing more arrives
    for (const m of [carol, dave]) {
      expect(seen(m)).toEqual(['0:hello', '1:after']);
      expect(trouble(m)).toEqual([]);
    }
    expect(again.refused).toEqual([]); // a duplicate is dropped without a Result ([ROOM-3.3])
    expect(await eventsInStream(prefix)).toBe(2);
  });

  // [ROOM-11.8] through a load ([ROOM-11.5]): node b loads the room after node a appended
  it('a Post node a appended, resent on node b that loads the room afterwards, is dropped there as a duplicate', async () => {
    const prefix = `t${process.pid}-authors-${prefixes++}:`;
    const [a, b] = [await node(prefix), await node(prefix)];
    const carol = await member(a.url, 'carol');
    const alice = await member(a.url, 'alice');
    const post = postOn(alice, 'hello');
    await waitFor(() => carol.got.length === 1, 'hello on node a');
    const again = await member(b.url, 'alice'); // node b loads the room here
    (again.client as unknown as Raw).sendPayload(post);
    again.client.send('lobby', 'after');
    await waitFor(() => carol.got.length >= 2, 'the next post on node a');
    const dave = await member(b.url, 'dave', true);
    await waitFor(() => dave.got.length >= 2, 'history on node b');
    await sleep(300);
    for (const m of [carol, dave]) {
      expect(seen(m)).toEqual(['0:hello', '1:after']);
      expect(trouble(m)).toEqual([]);
    }
    expect(again.refused).toEqual([]);
    expect(await eventsInStream(prefix)).toBe(2);
  });

  // [ROOM-11.8] for a Post node b checked before it read the entry that holds it: its append finds
  // the head moved, the entries read by id name the post, and it is dropped rather than sealed again
  it('a Post node b accepted before it read that node a appended it is dropped when its append reads the stream, not appended twice', async () => {
    const prefix = `t${process.pid}-authors-${prefixes++}:`;
    const gate = { closed: false };
    // Node b's reader lags and its head checks are rare: only its own append can find the post.
    const [a, b] = [await node(prefix), await node(prefix, { gate, checkMs: 60_000 })];
    const carol = await member(a.url, 'carol');
    const dave = await member(b.url, 'dave');
    const alice = await member(a.url, 'alice');
    await sleep(300); // node b's reader ran its first head check (it checks once at the start)
    gate.closed = true;
    const post = postOn(alice, 'hello');
    await waitFor(() => carol.got.length === 1, 'hello on node a');
    expect(dave.got).toEqual([]); // node b has not read it
    const again = await member(b.url, 'alice');
    (again.client as unknown as Raw).sendPayload(post);
    again.client.send('lobby', 'after');
    await waitFor(() => carol.got.length >= 2 && dave.got.length >= 2, 'the next post on both nodes');
    await sleep(300);
    for (const m of [carol, dave]) {
      expect(seen(m)).toEqual(['0:hello', '1:after']);
      expect(trouble(m)).toEqual([]);
    }
    expect(again.refused).toEqual([]);
    expect(await eventsInStream(prefix)).toBe(2);
    // Dropped, it is acknowledged all the same ([ROOM-11.9]): no outbox slot stays taken by it.
    await waitFor(() => again.client.unacknowledged === 0, `the dropped Post acknowledged (${again.client.unacknowledged} not)`);
  });
});
