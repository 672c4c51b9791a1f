// Room streams shared by three nodes through a real redis-server (spec/rooms.md §11.1,
// [ROOM-11.2]–[ROOM-11.7]): three SecureServers in this process, each with its own ws listener on
// 127.0.0.1 and its own two ioredis connections (commands, and the blocking reader). Offsets are
// assigned in Redis, so members on every node see one order; a Redis that lost the room, paused or
// dropped its connections is met as the spec says.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { KeyRing, SecureServer, generateKeyPair, importSigningKey, type ClientSession, type SigningKey } from '../../src/index.js';
import { shareRooms, type SharedRoomStore } from '../../src/replay/redis.js';
import { compareIds } from '../../src/rooms/shared.js';
import { connect, type WebSocketConstructor } from '../../src/adapters/ws/index.js';
import type { RoomNotice } from '../../src/rooms/member.js';
import { isRoomFrame } from '../../src/rooms/frames.js';
import { ROOM_CONTENT_TYPE } from '../../src/rooms/wire.js';
import { decodeEnvelope } from '../../src/wire/envelope.js';
import { wsAdapter, type RunningAdapter } from '../helpers/net-adapters.js';
import { serverKey, serverPublic } from '../helpers/server-fixture.js';
import { REDIS_SERVER, redisAvailable, startRedis } from '../helpers/redis-server.js';

const available = redisAvailable();
if (!available && process.env['CI']) throw new Error(`${REDIS_SERVER} is missing: .ci/run installs it`);

type RedisProcess = Awaited<ReturnType<typeof startRedis>>;
let shared: RedisProcess | undefined;
beforeAll(async () => {
  if (available) shared = await startRedis();
});
afterAll(async () => {
  await shared?.stop();
});

const text = new TextDecoder();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const ids = ['alice', 'bob', 'carol', 'dave'];
const keys = new Map<string, SigningKey>(ids.map((id) => [id, importSigningKey(generateKeyPair().secretKey)]));

/** A client socket that keeps every frame it receives. */
class RecordingWebSocket extends WebSocket {
  static last: RecordingWebSocket | undefined;
  readonly received: Uint8Array[] = [];
  constructor(url: string, protocols?: string | string[], options?: WebSocket.ClientOptions) {
    super(url, protocols, options);
    RecordingWebSocket.last = this;
  }
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'message' && args[1] === true) this.received.push(new Uint8Array(args[0] as ArrayBuffer).slice());
    return super.emit(event, ...args);
  }
}

/** Room event frames (single events and bundles), hex, in the order received. */
const eventFrames = (s: RecordingWebSocket): string[] =>
  s.received
    .filter((f) => isRoomFrame(f) && (f[0] === 0x82 || decodeEnvelope(f).header.contentType === ROOM_CONTENT_TYPE))
    .map((f) => Buffer.from(f).toString('hex'));

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

let prefixes = 0;

/**
 * The store as given, but its reads lose every `every`-th entry for good, as an at-most-once link
 * between nodes does: later reads start after it, so only reading by id can fill the gap.
 */
function lossy(store: SharedRoomStore, every: number, lost: { count: number }): SharedRoomStore {
  const skip = new Map<string, string>();
  let n = 0;
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
      const from = new Map(after);
      for (const [room, id] of skip) if (from.has(room) && compareIds(id, from.get(room)!) > 0) from.set(room, id);
      const got = await store.read(from);
      for (const [room, entries] of got) {
        const kept = entries.filter((e) => {
          if (++n % every !== 0) return true;
          skip.set(room, e.id);
          lost.count++;
          return false;
        });
        got.set(room, kept);
      }
      return got;
    },
  };
}

async function node(redisPort: number, prefix: string, o: { wrap?: (s: SharedRoomStore) => SharedRoomStore; checkMs?: number; historyCount?: number } = {}) {
  const { wrap = (s: SharedRoomStore) => s, checkMs = 100, historyCount = 1000 } = o;
  const ring = new KeyRing();
  for (const [identity, k] of keys) ring.add(k.publicKey, { identity });
  // Fail fast while Redis is away: a command is not retried across a reconnect.
  const opts = { host: '127.0.0.1', port: redisPort, maxRetriesPerRequest: 1, retryStrategy: () => 50 };
  const [cmd, rd] = [new Redis(opts), new Redis(opts)];
  const errors: unknown[] = [];
  cmd.on('error', () => {});
  rd.on('error', () => {});
  const store = shareRooms({
    command: (c, args) => cmd.call(c, ...args),
    reader: (c, args) => rd.call(c, ...args),
    prefix,
    blockMs: 100,
    checkMs,
    appendTimeoutMs: 400,
    graceMs: 200,
    readTimeoutMs: 400,
  });
  const log = (fields: Record<string, unknown>, message: string): void => {
    errors.push(fields['err']);
    if (process.env['DEBUG_SHARED'] !== undefined) console.error(message, fields['err']);
  };
  const logger = { info: () => {}, warn: log, error: log };
  const server = new SecureServer({ key: serverKey, keys: ring, authorize: () => true, logger, rooms: { positionMs: 200, historyCount, shared: wrap(store) } });
  const adapter: RunningAdapter = await wsAdapter.start(server, {});
  cleanup.push(async () => {
    await adapter.close();
    cmd.disconnect();
    rd.disconnect();
  });
  return { server, adapter, errors };
}

interface Member {
  client: ClientSession;
  socket: RecordingWebSocket;
  got: { from: string; text: string; offset: number | undefined }[];
  notices: RoomNotice[];
  refused: string[];
}

async function member(url: string, id: string, room: string, history = false): Promise<Member> {
  const client = await connect(url, { WebSocket: RecordingWebSocket as unknown as WebSocketConstructor, key: keys.get(id)!, serverKey: serverPublic });
  const socket = RecordingWebSocket.last!;
  cleanup.push(() => client.close());
  const m: Member = { client, socket, got: [], notices: [], refused: [] };
  client.on('message', (msg) => m.got.push({ from: msg.identity, text: text.decode(msg.payload), offset: msg.offset }));
  client.on('room', (n) => m.notices.push(n));
  client.on('refused', (r) => m.refused.push(r.code));
  await client.join(room, { history });
  return m;
}

async function waitFor(p: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!p()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(5);
  }
}

describe.skipIf(!available)('room streams shared by nodes on Redis [ROOM-11.2]', () => {
  // [ROOM-11.2], [ROOM-11.4], [ROOM-11.5]
  it('concurrent posts on three nodes: every member sees one order, offsets 0..n-1, identical bytes; a late joiner recovers it all', async () => {
    const prefix = `t${process.pid}-${prefixes++}:`;
    const nodes = [await node(shared!.port, prefix), await node(shared!.port, prefix), await node(shared!.port, prefix)];
    const members = [
      await member(nodes[0]!.adapter.url, 'alice', 'lobby'),
      await member(nodes[1]!.adapter.url, 'bob', 'lobby'),
      await member(nodes[2]!.adapter.url, 'carol', 'lobby'),
    ];
    const PER = 25;
    // Every member posts at once, in bursts interleaved across the nodes.
    for (let i = 0; i < PER; i++) {
      for (const [j, m] of members.entries()) m.client.send('lobby', `${ids[j]} ${i}`);
      if (i % 5 === 4) await sleep(1);
    }
    const total = PER * members.length;
    // A client does not hand its own posts back to the application: each member gets the others'.
    const others = PER * (members.length - 1);
    await waitFor(() => members.every((m) => m.got.length >= others), `all ${others} messages of others at each member`);
    await sleep(300); // nothing more arrives: no duplicate
    const byOffset = new Map<number, string>();
    for (const m of members) for (const g of m.got) byOffset.set(g.offset!, `${g.offset}:${g.text}`);
    // One order: no offset names two messages, and together they are 0..n-1 without a gap.
    expect([...byOffset.keys()].sort((x, y) => x - y)).toEqual(Array.from({ length: total }, (_, i) => i));
    const order = [...byOffset.entries()].sort(([x], [y]) => x - y).map(([, v]) => v);
    for (const [j, m] of members.entries()) {
      expect(m.got).toHaveLength(others);
      expect(m.got.map((g) => `${g.offset}:${g.text}`)).toEqual(order.filter((o) => !o.includes(`:${ids[j]} `)));
      expect(m.refused).toEqual([]);
      expect(m.notices.filter((n) => n.type === 'refused' || n.type === 'gap')).toEqual([]);
    }
    // Each author's posts in the order they were sent.
    for (const id of ids.slice(0, 3)) {
      const mine = order.filter((o) => o.includes(`:${id} `)).map((o) => o.slice(o.indexOf(':') + 1));
      expect(mine).toEqual(Array.from({ length: PER }, (_, i) => `${id} ${i}`));
    }
    // The identical frames on every node, sealed once.
    const frames = eventFrames(members[0]!.socket);
    for (const m of members) expect(eventFrames(m.socket)).toEqual(frames);
    // A member joining a fourth node afterwards recovers every message from offset 0.
    const fourth = await node(shared!.port, prefix);
    const dave = await member(fourth.adapter.url, 'dave', 'lobby', true);
    await waitFor(() => dave.got.length >= total, 'dave recovers history');
    expect(dave.got.map((g) => `${g.offset}:${g.text}`)).toEqual(order);
    expect(dave.notices.filter((n) => n.type === 'refused')).toEqual([]);
    expect(eventFrames(dave.socket)).toEqual(frames);
  });

  // [ROOM-11.3]
  it('Redis restarted empty: the room moves to a new epoch on every node, members are told and go on in it', async () => {
    let redis = await startRedis();
    cleanup.push(() => redis.stop());
    const prefix = `t${process.pid}-${prefixes++}:`;
    const [a, b] = [await node(redis.port, prefix), await node(redis.port, prefix)];
    const [alice, bob] = [await member(a.adapter.url, 'alice', 'lobby'), await member(b.adapter.url, 'bob', 'lobby')];
    alice.client.send('lobby', 'before');
    await waitFor(() => bob.got.length === 1, 'the first message');
    const before = alice.client.position('lobby')!;
    await redis.stop();
    redis = await startRedis(redis.port);
    for (const m of [alice, bob]) await waitFor(() => m.notices.some((n) => n.type === 'position' && n.status === 'lost'), 'told the history was lost');
    const after = alice.client.position('lobby')!;
    expect(Buffer.from(after.epoch).equals(Buffer.from(before.epoch))).toBe(false);
    expect(Buffer.from(bob.client.position('lobby')!.epoch)).toEqual(Buffer.from(after.epoch));
    bob.client.send('lobby', 'after');
    await waitFor(() => alice.got.length === 1, 'the message in the new epoch');
    expect(alice.got[0]).toMatchObject({ text: 'after', offset: 0 });
  });

  // [ROOM-11.6], [ROOM-11.4]
  it('Redis paused: a post is refused with ERR_STORE and never delivered; after it resumes, and after its connections drop, posts flow again without a gap', async () => {
    const redis = await startRedis();
    cleanup.push(() => redis.stop());
    const prefix = `t${process.pid}-${prefixes++}:`;
    const [a, b] = [await node(redis.port, prefix), await node(redis.port, prefix)];
    const [alice, bob] = [await member(a.adapter.url, 'alice', 'lobby'), await member(b.adapter.url, 'bob', 'lobby')];
    const carol = await member(a.adapter.url, 'carol', 'lobby'); // on alice's node
    alice.client.send('lobby', 'one');
    await waitFor(() => bob.got.length === 1 && carol.got.length === 1, 'the first message');
    redis.signal('SIGSTOP');
    alice.client.send('lobby', 'lost in a pause');
    // A room this node does not hold cannot load: the Join is refused too ([ROOM-11.5]).
    await expect(bob.client.join('elsewhere')).rejects.toMatchObject({ code: 'ERR_STORE' });
    await waitFor(() => alice.refused.includes('ERR_STORE'), 'the post refused with ERR_STORE', 3000);
    await sleep(200);
    redis.signal('SIGCONT');
    // The append Redis runs after its deadline appends nothing: the refused post never shows.
    await sleep(500);
    alice.client.send('lobby', 'two');
    await waitFor(() => bob.got.length === 2 && carol.got.length === 2, 'the next message');
    // Every client connection dropped (a failover, a network blip): readers continue from their last id.
    const admin = new Redis({ host: '127.0.0.1', port: redis.port });
    cleanup.push(() => void admin.disconnect());
    await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    alice.client.send('lobby', 'three');
    bob.client.send('lobby', 'four');
    await waitFor(() => carol.got.length === 4 && bob.got.length === 3 && alice.got.length === 1, 'messages after the reconnect');
    const seen = carol.got.map((g) => `${g.offset}:${g.text}`);
    expect(seen.slice(0, 2)).toEqual(['0:one', '1:two']);
    expect(carol.got.map((g) => g.offset)).toEqual([0, 1, 2, 3]);
    expect(bob.got.map((g) => `${g.offset}:${g.text}`)).toEqual(seen.filter((t) => !t.endsWith('four')));
    expect(alice.got.map((g) => `${g.offset}:${g.text}`)).toEqual(seen.filter((t) => t.endsWith('four')));
    for (const m of [alice, bob, carol]) expect(m.got.map((g) => g.text)).not.toContain('lost in a pause');
    expect(bob.refused).toEqual([]);
  });

  // [ROOM-11.4]: a read that lost entries (at-most-once links lose them) shows a gap, read by id
  it('entries a node never read are read by id before anything after them; a member whose node died recovers on another, each message once', async () => {
    const prefix = `t${process.pid}-${prefixes++}:`;
    const lost = { count: 0 };
    const a = await node(shared!.port, prefix);
    // Head checks are rare: reading by id fills what the reads lost once a later entry shows the gap
    // (a lost last entry shows at the next check).
    const b = await node(shared!.port, prefix, { wrap: (s) => lossy(s, 3, lost), checkMs: 1000 });
    const alice = await member(a.adapter.url, 'alice', 'lobby');
    const bob = await member(b.adapter.url, 'bob', 'lobby');
    const sent = Array.from({ length: 30 }, (_, i) => `m${i}`);
    for (const t of sent) {
      alice.client.send('lobby', t);
      await sleep(2); // one entry per message, mostly: more reads, more losses
    }
    await waitFor(() => bob.got.length === sent.length, 'every message at bob');
    expect(lost.count).toBeGreaterThan(3);
    expect(bob.got.map((g) => `${g.offset}:${g.text}`)).toEqual(sent.map((t, i) => `${i}:${t}`));
    expect(bob.notices.filter((n) => n.type !== 'position' || n.status !== 'current')).toEqual([]);
    // Bob's node dies; alice goes on; bob reconnects to node a from where he stood.
    const position = bob.client.position('lobby')!;
    await b.adapter.close();
    await bob.client.closed;
    for (let i = 0; i < 5; i++) alice.client.send('lobby', `later ${i}`);
    const carol = await member(a.adapter.url, 'carol', 'lobby', true);
    await waitFor(() => carol.got.length === sent.length + 5, 'the later messages written');
    const again = await connect(a.adapter.url, {
      WebSocket: RecordingWebSocket as unknown as WebSocketConstructor,
      key: keys.get('bob')!,
      serverKey: serverPublic,
    });
    cleanup.push(() => again.close());
    const got: string[] = [];
    const notices: RoomNotice[] = [];
    again.on('message', (m) => got.push(`${m.offset}:${text.decode(m.payload)}`));
    again.on('room', (n) => notices.push(n));
    await again.join('lobby', { from: position });
    await waitFor(() => got.length === 5, 'the missed messages');
    await sleep(200);
    expect(got).toEqual(Array.from({ length: 5 }, (_, i) => `${sent.length + i}:later ${i}`));
    expect(notices[0]).toMatchObject({ type: 'position', status: 'recovered', count: 5 });
  });

  // [ROOM-11.4]: an entry this library did not write is passed over, not a reason to stop reading
  it('an entry another writer put in the room stream is passed over; the room goes on on every node', async () => {
    const prefix = `t${process.pid}-${prefixes++}:`;
    const [a, b] = [await node(shared!.port, prefix), await node(shared!.port, prefix)];
    const [alice, bob] = [await member(a.adapter.url, 'alice', 'lobby'), await member(b.adapter.url, 'bob', 'lobby')];
    alice.client.send('lobby', 'one');
    await waitFor(() => bob.got.length === 1, 'the first message');
    const admin = new Redis({ host: '127.0.0.1', port: shared!.port });
    cleanup.push(() => void admin.disconnect());
    await admin.call('XADD', `{${prefix}lobby}:s`, '1-*', 'f', '%%%', 'c', 'x');
    await admin.call('XADD', `{${prefix}lobby}:s`, '1-*', 'junk', 'yes');
    // A statement entry of the room's epoch whose frame is no envelope, in the stream and in the
    // statement set a joining node loads: passed over too.
    const epoch = String(await admin.call('HGET', `{${prefix}lobby}:m`, 'epoch'));
    await admin.call('XADD', `{${prefix}lobby}:s`, '1-*', 'f', 'AAAA', 'c', '0', 't', '0', 'e', epoch, 'k', 'ab');
    await admin.call('HSET', `{${prefix}lobby}:k`, 'ab', 'AAAA');
    alice.client.send('lobby', 'two');
    await waitFor(() => bob.got.length === 2, 'the next message past the junk');
    const carol = await member(b.adapter.url, 'carol', 'lobby', true);
    await waitFor(() => carol.got.length === 2, 'history past the junk');
    for (const m of [bob, carol]) expect(m.got.map((g) => `${g.offset}:${g.text}`)).toEqual(['0:one', '1:two']);
    for (const m of [alice, bob, carol]) expect(m.notices.filter((n) => n.type !== 'position' || n.status !== 'current')).toEqual([]);
  });

  // [ROOM-11.7], [ROOM-6.2]: the stream keeps what history keeps
  it('the stream is trimmed to the history settings; a joiner on another node recovers what history holds', async () => {
    const prefix = `t${process.pid}-${prefixes++}:`;
    const [a, b] = [await node(shared!.port, prefix, { historyCount: 10 }), await node(shared!.port, prefix, { historyCount: 10 })];
    const alice = await member(a.adapter.url, 'alice', 'lobby');
    for (let i = 0; i < 40; i++) {
      alice.client.send('lobby', `m${i}`);
      await sleep(1);
    }
    const bob = await member(b.adapter.url, 'bob', 'lobby', true);
    await waitFor(() => bob.got.some((g) => g.text === 'm39'), 'the last message at bob');
    const admin = new Redis({ host: '127.0.0.1', port: shared!.port });
    cleanup.push(() => void admin.disconnect());
    const held = (await admin.call('XRANGE', `{${prefix}lobby}:s`, '-', '+')) as [string, string[]][];
    const events = held.filter(([, f]) => f[f.indexOf('c') + 1] !== '0');
    // The events of the last 10 offsets, a bundle kept whole: never all 40, never fewer than 10.
    const firstHeld = Number(events[0]![0].split('-')[0]);
    expect(firstHeld).toBeLessThanOrEqual(30);
    expect(firstHeld).toBeGreaterThan(0);
    const last = events[events.length - 1]!;
    expect(Number(last[0].split('-')[0]) + Number(last[1][last[1].indexOf('c') + 1])).toBe(40);
    expect(bob.got.map((g) => g.offset)).toEqual(Array.from({ length: bob.got.length }, (_, i) => 40 - bob.got.length + i));
    expect(bob.got.length).toBeGreaterThanOrEqual(10);
    expect(bob.got.length).toBeLessThan(40);
  });
});
