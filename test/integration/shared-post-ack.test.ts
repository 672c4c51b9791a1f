// A Post on a room shared through a real redis-server is acknowledged only once the room appended
// or refused it ([ROOM-11.9]): the node's append is held back here, and the author's receipt waits
// for it. Were it acknowledged on arrival, a node killed before the append would have acknowledged
// a post no stream holds, and the author would never resend it (shared-rooms-kill.test.ts meets
// that at random; this holds the window open).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { KeyRing, SecureServer, generateKeyPair, importSigningKey, type ClientSession, type SigningKey } from '../../src/index.js';
import { shareRooms, type SharedRoomStore } from '../../src/replay/redis.js';
import { connect, type WebSocketConstructor } from '../../src/adapters/ws/index.js';
import { wsAdapter, type RunningAdapter } from '../helpers/net-adapters.js';
import { serverKey, serverPublic } from '../helpers/server-fixture.js';
import { REDIS_SERVER, redisAvailable, startRedis } from '../helpers/redis-server.js';

const available = redisAvailable();
if (!available && process.env['CI']) throw new Error(`${REDIS_SERVER} is missing: .ci/run installs it`);

const text = new TextDecoder();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const keys = new Map<string, SigningKey>(['alice', 'bob'].map((id) => [id, importSigningKey(generateKeyPair().secretKey)]));

let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
const done: (() => unknown)[] = [];
beforeAll(async () => {
  if (available) redis = await startRedis();
});
afterAll(async () => {
  for (const d of done.reverse()) await d();
  await redis?.stop();
});

/** The store as given, but each append waits until `open()` lets appends through. */
function gated(store: SharedRoomStore): { store: SharedRoomStore; close(): void; open(): void } {
  let gate: Promise<void> = Promise.resolve();
  let release = (): void => {};
  return {
    store: {
      ...{ appendTimeoutMs: store.appendTimeoutMs, graceMs: store.graceMs, readTimeoutMs: store.readTimeoutMs, blockMs: store.blockMs, checkMs: store.checkMs },
      head: (room, ttl) => store.head(room, ttl),
      reset: (room, fresh, seen, ttl) => store.reset(room, fresh, seen, ttl),
      append: (room, req) => gate.then(() => store.append(room, req)),
      range: (room, after, count) => store.range(room, after, count),
      statements: (room) => store.statements(room),
      read: (after) => store.read(after),
    },
    close: () => void (gate = new Promise((r) => (release = r))),
    open: () => release(),
  };
}

async function member(url: string, id: string, got: string[]): Promise<ClientSession> {
  const client = await connect(url, { WebSocket: WebSocket as unknown as WebSocketConstructor, key: keys.get(id)!, serverKey: serverPublic });
  done.push(() => client.close());
  client.on('message', (m) => got.push(text.decode(m.payload)));
  await client.join('lobby');
  return client;
}

describe.skipIf(!available)('a Post on a shared room is acknowledged once appended [ROOM-11.9]', () => {
  it('no receipt covers the Post while its append is held; one does once it is appended', async () => {
    const ring = new KeyRing();
    for (const [identity, k] of keys) ring.add(k.publicKey, { identity });
    const opts = { host: '127.0.0.1', port: redis!.port, maxRetriesPerRequest: 1 };
    const [cmd, rd] = [new Redis(opts), new Redis(opts)];
    done.push(
      () => cmd.disconnect(),
      () => rd.disconnect(),
    );
    // The append's deadline is far beyond the hold: the Post is appended, not refused.
    const store = shareRooms({
      command: (c, a) => cmd.call(c, ...a),
      reader: (c, a) => rd.call(c, ...a),
      prefix: `pa${process.pid}:`,
      blockMs: 100,
      appendTimeoutMs: 5000,
    });
    const g = gated(store);
    const server = new SecureServer({ key: serverKey, keys: ring, authorize: () => true, rooms: { shared: g.store } });
    const adapter: RunningAdapter = await wsAdapter.start(server, {});
    done.push(() => adapter.close());
    const [aliceGot, bobGot] = [[] as string[], [] as string[]];
    const alice = await member(adapter.url, 'alice', aliceGot);
    await member(adapter.url, 'bob', bobGot);
    const delivered: number[] = [];
    alice.on('delivered', (seqs) => delivered.push(...seqs));
    // A Send acknowledged meanwhile shows receipts flow while the Post waits.
    await alice.request('ping', 'before').catch(() => undefined);
    g.close();
    const seq = await alice.post('lobby', 'held');
    await alice.request('ping', 'after').catch(() => undefined);
    // Receipts go out within 20 ms of an accepted envelope: ten times that, and none names the Post.
    await sleep(200);
    expect(bobGot).toEqual([]);
    expect(delivered).not.toContain(seq);
    expect(delivered).toContain(seq + 1); // the request after it
    expect(alice.unacknowledged).toBeGreaterThanOrEqual(1);
    g.open();
    const end = Date.now() + 10_000;
    while (!(delivered.includes(seq) && bobGot.includes('held'))) {
      if (Date.now() > end) throw new Error(`timed out: delivered ${delivered.join(',')}, bob ${bobGot.join(',')}`);
      await sleep(5);
    }
    expect(bobGot).toEqual(['held']);
    expect(alice.unacknowledged).toBe(0);
  }, 30_000);
});
