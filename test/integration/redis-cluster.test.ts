// Rooms and resume state on a real Redis Cluster of three masters (spec/rooms.md §11.1,
// spec/handshake.md §7.1, issue #19 item 9): each room's keys share one hash tag and each session
// state its own, so rooms spread over the shards; with `slotOf` a node reads each slot's rooms with
// an XREAD of its own. Two nodes, three rooms on three different masters: what alice posts on node
// A reaches bob on node B in every room; bob's connection is cut and he resumes on node A.
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { KeyRing, generateKeyPair, importSigningKey, type ClientSession } from '../../src/index.js';
import { connect, type WebSocketConstructor } from '../../src/adapters/ws/index.js';
import { shareResume, shareRooms } from '../../src/replay/redis.js';
import { ADAPTERS, type RunningAdapter } from '../helpers/net-adapters.js';
import { deviceServer } from '../helpers/device-server.js';
import { TrackedWebSocket } from '../helpers/tracked-ws.js';
import { waitUntil } from '../helpers/exchange.js';
import { redisClusterAvailable, startRedisCluster } from '../helpers/redis-cluster.js';

const available = redisClusterAvailable();
if (!available && process.env['CI']) throw new Error('redis-server and redis-cli are missing: .ci/run installs them');
const ws = ADAPTERS.find((a) => a.name === 'ws')!;
const text = new TextDecoder();

let cluster: Awaited<ReturnType<typeof startRedisCluster>> | undefined;
const clients: Cluster[] = [];
const running: RunningAdapter[] = [];
const sessions: ClientSession[] = [];
beforeAll(async () => {
  if (available) cluster = await startRedisCluster();
}, 60_000);
afterAll(async () => {
  for (const s of sessions) s.close();
  for (const r of running.splice(0)) await r.close();
  for (const c of clients) c.disconnect();
  await cluster?.stop();
});

function client(): Cluster {
  const c = new Cluster([{ host: '127.0.0.1', port: cluster!.ports[0]! }], { redisOptions: { maxRetriesPerRequest: 1 } });
  c.on('error', () => {});
  clients.push(c);
  return c;
}

/** Which master serves a slot, as redis-cli --cluster create splits them among three. */
const shardOf = (slot: number): number => (slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2);

describe.skipIf(!available)('rooms and resume state on Redis Cluster', () => {
  it('rooms on three masters reach a member on another node; a cut member resumes on the other node', async () => {
    const prefix = `c${process.pid}:`;
    const admin = client();
    // Three rooms whose streams live on three different masters (slots 0–5460, 5461–10922, 10923–16383).
    const slots = new Map<string, number>();
    const rooms: string[] = [];
    for (let i = 0; rooms.length < 3; i++) {
      const key = `{${prefix}room${i}}:s`;
      const slot = Number(await admin.call('CLUSTER', 'KEYSLOT', key));
      slots.set(key, slot);
      if (!rooms.some((r) => shardOf(slots.get(`{${prefix}${r}}:s`)!) === shardOf(slot))) rooms.push(`room${i}`);
    }
    const slotOf = (key: string): number => slots.get(key) ?? 0;
    const [alice, bob] = [importSigningKey(generateKeyPair().secretKey), importSigningKey(generateKeyPair().secretKey)];
    // Every store call answers: a read naming keys of several slots would fail (CROSSSLOT), and the
    // nodes would still catch up by their head checks, so the failures are what shows it.
    const failures: string[] = [];
    const logger = {
      info: () => {},
      warn: (f: Record<string, unknown>, m: string) => failures.push(`${m}: ${String(f['err'])}`),
      error: (f: Record<string, unknown>, m: string) => failures.push(`${m}: ${String(f['err'])}`),
    };
    const nodes: { url: string }[] = [];
    let options!: Parameters<typeof connect>[1];
    for (let n = 0; n < 2; n++) {
      const [command, reader] = [client(), client()];
      const keys = new KeyRing();
      keys.add(bob.publicKey, { identity: 'bob' });
      const shared = shareRooms({ command: (c, a) => command.call(c, ...a), reader: (c, a) => reader.call(c, ...a), prefix, slotOf, blockMs: 100 });
      const resume = shareResume({ command: (c, a) => command.call(c, ...a), prefix: `${prefix}resume:` });
      const d = await deviceServer(ws, alice, running, { keys, rooms: { shared }, resume: { shared: resume }, logger });
      nodes.push({ url: d.adapter.url });
      options = d.options;
    }
    const got: string[] = [];
    const join = async (s: ClientSession): Promise<void> => {
      sessions.push(s);
      s.on('message', (m) => got.push(`${m.room}:${text.decode(m.payload)}`));
      s.on('error', () => {});
    };
    const a = await connect(nodes[0]!.url, { ...options, WebSocket: WebSocket as unknown as WebSocketConstructor });
    sessions.push(a);
    const b = await connect(nodes[1]!.url, { ...options, key: bob });
    await join(b);
    for (const r of rooms) {
      await a.join(r);
      await b.join(r);
    }
    for (const r of rooms) a.send(r, 'hello');
    await waitUntil(() => got.length === 3, `bob got alice's posts in every room (${got.join(', ')})`, 10_000);
    expect(got.sort()).toEqual(rooms.map((r) => `${r}:hello`).sort());
    // Bob's connection is cut; he resumes on node A, which takes his state from its master.
    TrackedWebSocket.last!.terminate();
    await b.closed;
    const again = await connect(nodes[0]!.url, { ...options, key: bob, resumeFrom: b });
    await join(again);
    expect(again.resumed).toBe(true);
    for (const r of rooms) a.send(r, 'again');
    await waitUntil(() => got.filter((g) => g.endsWith(':again')).length === 3, 'bob got the posts after his resume', 10_000);
    expect(failures).toEqual([]);
  }, 60_000);
});
