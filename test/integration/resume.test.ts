// Exactly-once delivery across forced disconnects (spec/handshake.md §7, spec/receipts.md §6), on
// every adapter, in both directions at once: the connection is cut at seeded random points, from
// the client or the server side, mid-stream with envelopes in flight; the client resumes, both ends
// resend what was not acknowledged, and each application must see every message once, in order.
import { afterEach, describe, expect, it } from 'vitest';
import {
  ClientSession,
  KeyRing,
  SecureServer,
  generateKeyPair,
  importSigningKey,
  type AsyncSigningKey,
  type ServerSession,
  type SigningKey,
} from '../../src/index.js';
import { connect, type ConnectOptions } from '../../src/adapters/ws/index.js';
import { ADAPTERS, netAdapter, type AdapterFactory, type RunningAdapter } from '../helpers/net-adapters.js';
import { deviceServer } from '../helpers/device-server.js';
import { serverKey, serverPublic } from '../helpers/server-fixture.js';
import { TrackedWebSocket } from '../helpers/tracked-ws.js';
import { jitteryKey } from '../helpers/async-keys.js';
import { openSession, sendDownstream, sleep, waitUntil } from '../helpers/exchange.js';
import { mulberry32 } from '../helpers/numbers.js';

const text = new TextDecoder();

const running: RunningAdapter[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
});

/** The client side of `factory`: sealwire/ws unless the transport brings its own. */
function dial(factory: AdapterFactory, adapter: RunningAdapter, options: ConnectOptions): Promise<ClientSession> {
  return factory.connect?.(adapter, options) ?? connect(adapter.url, options);
}

interface Setup {
  factory: AdapterFactory;
  server: SecureServer;
  adapter: RunningAdapter;
  key: SigningKey;
  options: ConnectOptions;
}

async function setup(factory: AdapterFactory, asyncServerKey?: AsyncSigningKey): Promise<Setup> {
  // A static device key: no credential needed. A throughput test, not a flood test: the limits
  // under test here are the outbox's.
  const key = importSigningKey(generateKeyPair().secretKey);
  const { server, adapter, options } = await deviceServer(factory, key, running, asyncServerKey === undefined ? {} : { key: asyncServerKey });
  return { factory, server, adapter, key, options };
}

interface Exchange {
  /** Indexes the server application received from the client, in arrival order. */
  up: number[];
  /** Indexes the client application received from the server, in arrival order. */
  down: number[];
  sessions: ClientSession[];
  serverSessions: ServerSession[];
}

/**
 * Sends `n` messages each way at once and cuts the connection after each client send index in
 * `cuts`, alternating the client's side and the server's.
 */
async function exchange(s: Setup, n: number, cuts: readonly number[]): Promise<Exchange> {
  const up: number[] = [];
  const down: number[] = [];
  const sessions: ClientSession[] = [];
  const serverSessions: ServerSession[] = [];
  s.server.on('message', (m) => up.push(Number(text.decode(m.payload).slice(1))));
  s.server.on('session', (ss) => serverSessions.push(ss));

  let stopped = false;
  let client!: ClientSession;
  const adopt = (session: ClientSession): void => {
    client = session;
    sessions.push(session);
    session.on('message', (m) => down.push(Number(text.decode(m.payload).slice(1))));
    void session.closed.then(async () => {
      if (stopped) return;
      // Reconnect and resume; a refused attempt (server not yet aware of the cut) is retried.
      for (;;) {
        try {
          adopt(await dial(s.factory, s.adapter, { ...s.options, resumeFrom: session }));
          return;
        } catch (err) {
          if ((err as { code?: string }).code === 'ERR_RESUME_REFUSED') throw err;
          await sleep(5);
        }
      }
    });
  };
  adopt(await dial(s.factory, s.adapter, s.options));
  await client.join('r');

  const serverSide = (): ServerSession | undefined => openSession(serverSessions);
  const downstream = sendDownstream(serverSessions, n, 64, 0);

  const pending = new Set(cuts);
  let cutCount = 0;
  for (let i = 0; i < n; ) {
    const c = client;
    if (c.state !== 'open' || !c.writable) {
      await sleep(1);
      continue;
    }
    c.send('r', `u${i}`);
    i++;
    if (pending.delete(i)) {
      if (cutCount++ % 2 === 0) {
        if (s.factory.cutClient) s.factory.cutClient();
        else TrackedWebSocket.last!.terminate();
      }
      else s.adapter.cut();
      await c.closed;
    } else if (i % 64 === 0) {
      await sleep(0);
    }
  }
  await downstream;
  await waitUntil(() => up.length >= n && down.length >= n, `all messages (up ${up.length}, down ${down.length} of ${n})`);
  await waitUntil(() => client.state === 'open' && client.unacknowledged === 0 && serverSide()?.unacknowledged === 0, 'every envelope acknowledged');
  stopped = true;
  return { up, down, sessions, serverSessions };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

function seededCuts(seed: number, count: number, n: number): number[] {
  const rng = mulberry32(seed);
  const cuts = new Set<number>();
  while (cuts.size < count) cuts.add(1 + Math.floor(rng() * (n - 1)));
  return [...cuts].sort((a, b) => a - b);
}

// The same suite over raw TCP (sealwire/net): any ordered byte channel, not only a WebSocket.
for (const factory of [...ADAPTERS, netAdapter]) {
  describe(`resume over ${factory.name}`, () => {
    it('cut mid-stream from either side, both directions: every message exactly once, in order', async () => {
      const s = await setup(factory);
      const n = 600;
      const r = await exchange(s, n, [150, 151, 420]);
      expect(r.up).toEqual(range(n));
      expect(r.down).toEqual(range(n));
      // It was a resume each time, not a fresh start: one data stream per side throughout.
      expect(r.sessions).toHaveLength(4);
      const stream = r.sessions[0]!.stream!;
      for (const c of r.sessions) expect(c.stream).toEqual(stream);
      // The Join of the first session still holds: membership carried over ([HS-7.3]).
      expect(r.serverSessions.at(-1)!.rooms.has('r')).toBe(true);
    });

    it('with a server key that signs asynchronously (WebCrypto, shuffled finishing order): every message exactly once, in order', async () => {
      const s = await setup(factory, await jitteryKey(61));
      const n = 600;
      const r = await exchange(s, n, [150, 151, 420]);
      expect(r.up).toEqual(range(n));
      expect(r.down).toEqual(range(n));
      expect(r.sessions).toHaveLength(4);
    });

    it('10,000 messages each way with 10 forced disconnects at seeded random points: exactly once, in order', async () => {
      const s = await setup(factory);
      const n = 10_000;
      const cuts = seededCuts(factory.name === 'ws' ? 0x5ea1 : factory.name === 'uws' ? 0x0b5e : 0x7c9, 10, n);
      const r = await exchange(s, n, cuts);
      expect(r.up.length).toBe(n);
      expect(r.up).toEqual(range(n));
      expect(r.down).toEqual(range(n));
      // Every session but the last ended by a cut (no close frame), none by a protocol error.
      const ends = r.sessions.slice(0, -1).map((x) => `${x.closeInfo?.code} ${x.closeInfo?.reason}`);
      expect(ends.filter((e) => !e.startsWith('1006 ')), ends.join(', ')).toEqual([]);
      expect(r.sessions.length).toBeGreaterThanOrEqual(11);
    }, 60_000);

    it('a server that no longer knows the session refuses the resume (ERR_RESUME_REFUSED, 4097)', async () => {
      const s = await setup(factory);
      const first = await dial(factory, s.adapter, s.options);
      first.close();
      await first.closed;
      // A restarted server: same key, no resumable state.
      const keys = new KeyRing();
      keys.add(s.key.publicKey, { identity: 'alice' });
      const restarted = await factory.start(new SecureServer({ key: serverKey, keys, authorize: () => true }), {});
      running.push(restarted);
      const refused = dial(factory, restarted, { ...s.options, resumeFrom: first });
      await expect(refused).rejects.toMatchObject({ code: 'ERR_RESUME_REFUSED', closeCode: 4097 });
      // The original server still resumes it: a refused attempt hands nothing over.
      const resumed = await dial(factory, s.adapter, { ...s.options, resumeFrom: first });
      expect(resumed.stream).toEqual(first.stream);
      resumed.close();
    });

    // [HS-7.1], [HS-7.4]: another key cannot name the session; a state is resumed at most once
    it('only the same key can resume a session, and only once', async () => {
      const s = await setup(factory);
      const first = await dial(factory, s.adapter, s.options);
      first.close();
      const other = importSigningKey(generateKeyPair().secretKey);
      expect(() => new ClientSession({ send() {}, close() {} }, { key: other, serverKey: serverPublic, resumeFrom: first })).toThrow(RangeError);
      const second = await dial(factory, s.adapter, { ...s.options, resumeFrom: first });
      expect(() => new ClientSession({ send() {}, close() {} }, { key: s.key, serverKey: serverPublic, resumeFrom: first })).toThrow(/already resumed/);
      second.close();
    });
  });
}
