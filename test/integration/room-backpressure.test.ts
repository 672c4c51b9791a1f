// Slow and bursting members of a room stream on real sockets (spec/rooms.md §7, spec/policy.md
// §8), for every adapter. A member that stops reading is never closed and never makes the server
// buffer past its cap: it is dropped from live delivery (ws: at half the cap; uWS: over
// maxBackpressure), and when it reads again it recovers every event, once and in order, from the
// room's history. A member bursting to its rate limit closes nobody who keeps reading.
import { afterEach, describe, expect, it } from 'vitest';
import { KeyRing, SecureServer, generateKeyPair, importSigningKey, type ClientSession, type ServerSession, type SigningKey } from '../../src/index.js';
import { connect, type ConnectOptions, type WebSocketConstructor } from '../../src/adapters/ws/index.js';
import type { RoomNotice } from '../../src/rooms/member.js';
import { ADAPTERS, nativeUws, type RunningAdapter } from '../helpers/net-adapters.js';
import { serverKey, serverPublic } from '../helpers/server-fixture.js';
import { TrackedWebSocket } from '../helpers/tracked-ws.js';

const text = new TextDecoder();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const running: RunningAdapter[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
});

const CAP = 256 * 1024;
const PAYLOAD = 16 * 1024;
const PUBLISHED = 400;

it('uWebSockets.js is the native binary, not the JS fallback', () => {
  expect(() => nativeUws()).not.toThrow();
});

async function waitFor(p: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!p()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(2);
  }
}

function setup(identities: string[], extra: { burst?: number } = {}) {
  const keys = new KeyRing();
  const clientKeys = new Map<string, SigningKey>();
  for (const id of identities) {
    const k = importSigningKey(generateKeyPair().secretKey);
    keys.add(k.publicKey, { identity: id });
    clientKeys.set(id, k);
  }
  const rate = extra.burst === undefined ? { perSecond: 1e6, burst: 1e6 } : { perSecond: 1, burst: extra.burst };
  const server = new SecureServer({
    key: serverKey,
    keys,
    authorize: () => true,
    limits: { maxBufferedAmount: CAP },
    rooms: { historyCount: 2 * PUBLISHED, positionMs: 200 },
    rateLimit: { connection: rate, identity: rate },
  });
  const options = (id: string): ConnectOptions =>
    ({ WebSocket: TrackedWebSocket as unknown as WebSocketConstructor, key: clientKeys.get(id)!, serverKey: serverPublic }) as ConnectOptions;
  return { server, options };
}

const numbered = (got: number[]) => (m: { payload: Uint8Array }) => got.push(Number(text.decode(m.payload.subarray(0, 8))));

for (const factory of ADAPTERS) {
  describe(`room members over ${factory.name}`, () => {
    // [ROOM-7.1], [ROOM-6.4], [ROOM-6.5], [POL-8.1], [POL-8.2], [POL-8.3], [POL-8.4]
    it('a member that stops reading is not closed, its buffer stays under the cap, and it recovers every event once, in order', async () => {
      const { server, options } = setup(['fast', 'slow']);
      const adapter = await factory.start(server, {});
      running.push(adapter);
      const sessions = new Map<string, ServerSession>();
      server.on('session', (s) => sessions.set(s.identity!, s));
      const fast = await connect(adapter.url, options('fast'));
      const fastGot: number[] = [];
      fast.on('message', numbered(fastGot));
      await fast.join('r');
      const slow = await connect(adapter.url, options('slow'));
      const slowGot: number[] = [];
      slow.on('message', numbered(slowGot));
      const notices: RoomNotice[] = [];
      slow.on('room', (n) => notices.push(n));
      await slow.join('r');
      const slowSocket = TrackedWebSocket.last!;
      slowSocket.pause(); // TCP fills, then the server's buffer for this member
      const slowServer = sessions.get('slow')!;

      let maxBuffered = 0;
      const payload = new Uint8Array(PAYLOAD);
      for (let i = 0; i < PUBLISHED; i++) {
        payload.set(new TextEncoder().encode(String(i).padEnd(8, ' ')));
        server.publish('r', payload);
        maxBuffered = Math.max(maxBuffered, slowServer.bufferedAmount);
        if (i % 8 === 0) await sleep(1);
        maxBuffered = Math.max(maxBuffered, slowServer.bufferedAmount);
      }
      // One signature per event at most, whatever the audience (batches make it fewer).
      expect(server.roomSignatures).toBeLessThanOrEqual(PUBLISHED);
      await waitFor(() => fastGot.length === PUBLISHED, `fast member got ${fastGot.length} of ${PUBLISHED}`);
      expect(fastGot).toEqual(Array.from({ length: PUBLISHED }, (_, i) => i));
      // The slow member held the server to its cap, and stayed open.
      expect(maxBuffered).toBeGreaterThan(0);
      expect(maxBuffered).toBeLessThanOrEqual(CAP);
      expect(slowServer.state).toBe('open');
      expect(slowGot.length).toBeLessThan(PUBLISHED);

      slowSocket.resume();
      await waitFor(() => slowGot.length >= PUBLISHED, `slow member got ${slowGot.length} of ${PUBLISHED}`);
      await sleep(50);
      expect(slowGot).toEqual(Array.from({ length: PUBLISHED }, (_, i) => i));
      expect(notices.some((n) => n.type === 'position' && n.status === 'recovered' && n.count > 0)).toBe(true);
      expect(notices.filter((n) => n.type === 'refused')).toEqual([]);
      expect(slow.state).toBe('open');
      expect(fast.state).toBe('open');
      slow.close();
      fast.close();
    }, 60_000);

    // [ROOM-7.1]: the hostile case of issue "rooms as signed streams": one member bursts to its limit
    it('a member bursting to its rate limit closes nobody else; every reading member gets 100%', async () => {
      const BURST = 200;
      const { server, options } = setup(['burster', 'a', 'b', 'c'], { burst: BURST + 8 });
      const adapter = await factory.start(server, {});
      running.push(adapter);
      const readers: { client: ClientSession; got: number[] }[] = [];
      for (const id of ['a', 'b', 'c']) {
        const client = await connect(adapter.url, options(id));
        const got: number[] = [];
        client.on('message', numbered(got));
        await client.join('r');
        readers.push({ client, got });
      }
      const burster = await connect(adapter.url, options('burster'));
      await burster.join('r');
      // As fast as its outbox lets an honest client go.
      for (let i = 0; i < BURST; i++) {
        while (!burster.writable) await sleep(0);
        burster.send('r', String(i).padEnd(8, ' '));
      }
      for (const r of readers) await waitFor(() => r.got.length === BURST, `reader got ${r.got.length} of ${BURST}`);
      for (const r of readers) {
        expect(r.got).toEqual(Array.from({ length: BURST }, (_, i) => i));
        expect(r.client.state).toBe('open');
      }
      expect(burster.state).toBe('open');
      for (const c of [...readers.map((r) => r.client), burster]) c.close();
    }, 30_000);
  });
}
