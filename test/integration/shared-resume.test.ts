// Resume on another node (spec/handshake.md §7.1, [HS-7.13], [HS-7.16], [HS-7.17]) through a real redis-server: two servers share
// resume state; the client's connection is cut at seeded points and each time it resumes on the
// other server, which takes the state over from the store. Both directions carry numbered
// messages at once; each application sees every message once, in order.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NodeKeys,
  generateKeyPair,
  importPublicKey,
  importSigningKey,
  signNodeSet,
  type ClientSession,
  type SecureServer,
  type ServerSession,
} from '../../src/index.js';
import { connect } from '../../src/adapters/ws/index.js';
import { shareResume } from '../../src/replay/redis.js';
import { ADAPTERS, type RunningAdapter } from '../helpers/net-adapters.js';
import { deviceServer } from '../helpers/device-server.js';
import { TrackedWebSocket } from '../helpers/tracked-ws.js';
import { openSession, sleep, waitUntil } from '../helpers/exchange.js';
import { mulberry32 } from '../helpers/numbers.js';
import { REDIS_SERVER, redisAvailable, startRedis } from '../helpers/redis-server.js';

const available = redisAvailable();
if (!available && process.env['CI']) throw new Error(`${REDIS_SERVER} is missing: .ci/run installs it`);
const text = new TextDecoder();
const ws = ADAPTERS.find((a) => a.name === 'ws')!;

let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
const clients: Redis[] = [];
const running: RunningAdapter[] = [];
beforeAll(async () => {
  if (available) redis = await startRedis();
});
afterAll(async () => {
  for (const r of running.splice(0)) await r.close();
  for (const c of clients) c.disconnect();
  await redis?.stop();
});

function store(prefix: string): ReturnType<typeof shareResume> {
  const c = new Redis({ host: '127.0.0.1', port: redis!.port, maxRetriesPerRequest: 1 });
  clients.push(c);
  return shareResume({ command: (name, args) => c.call(name, ...args), prefix });
}

const HOUR = 3_600_000;
const operator = importSigningKey(generateKeyPair().secretKey);
const nodeKeys = [importSigningKey(generateKeyPair().secretKey), importSigningKey(generateKeyPair().secretKey)];
const nodeSet = signNodeSet(operator, { service: 'chat', version: 1, notAfter: Date.now() + HOUR, nodes: nodeKeys.map((k) => ({ key: k.publicKey })) });

describe.skipIf(!available)('resume on another node [HS-7.13]', () => {
  it.each([
    ['one service key on both servers', false],
    ['a key per node under a node set (the client sees a Welcome of another key)', true],
  ])(
    'cut at seeded points, resumed on the other server each time: every message once, in order, both ways — %s',
    async (_, perNode) => {
      const seed = Number(process.env['SEED'] ?? Date.now() % 1_000_000);
      console.log(`shared resume run, seed ${seed} (SEED=${seed} replays it)`);
      const random = mulberry32(seed);
      const key = importSigningKey(generateKeyPair().secretKey);
      const prefix = `r${process.pid}:`;
      const nodes: { server: SecureServer; url: string }[] = [];
      let options!: Parameters<typeof connect>[1];
      for (let i = 0; i < 2; i++) {
        const extra = perNode ? { key: nodeKeys[i]!, nodeSet } : {};
        const d = await deviceServer(ws, key, running, { resume: { shared: store(prefix) }, ...extra });
        nodes.push({ server: d.server, url: d.adapter.url });
        options = perNode ? { ...d.options, serverKey: new NodeKeys({ operator: importPublicKey(operator.publicKey), service: 'chat' }) } : d.options;
      }
      const up: number[] = [];
      const down: number[] = [];
      const serverSessions: ServerSession[] = [];
      const opened: number[] = [];
      nodes.forEach((n, i) => {
        n.server.on('message', (m) => up.push(Number(text.decode(m.payload).slice(1))));
        n.server.on('session', (ss) => {
          serverSessions.push(ss);
          opened.push(i);
        });
      });
      const N = 400;
      const cuts = new Set(Array.from({ length: 6 }, () => 1 + Math.floor(random() * (N - 1))));
      let at = 0;
      let client!: ClientSession;
      const failures: string[] = [];
      let stopped = false;
      const adopt = (session: ClientSession): void => {
        client = session;
        session.on('message', (m) => {
          const t = text.decode(m.payload);
          if (t.startsWith('d')) down.push(Number(t.slice(1)));
        });
        void session.closed.then(async (info) => {
          // Only the cuts end sessions: none fails on what the other node sends.
          if (info.error !== undefined && info.error.code !== 'ERR_SESSION_CLOSED') failures.push(info.error.code);
          if (stopped) return;
          at = 1 - at;
          for (;;) {
            try {
              adopt(await connect(nodes[at]!.url, { ...options, resumeFrom: session }));
              return;
            } catch (err) {
              if ((err as { code?: string }).code === 'ERR_RESUME_REFUSED') throw err;
              await sleep(5);
            }
          }
        });
      };
      adopt(await connect(nodes[0]!.url, options));
      // The server's application sends on the session its client holds, and stops a few ms before that
      // client is cut: a payload a node seals on a session another node takes over before the store
      // holds it is not delivered ([HS-7.13]). A store write takes well under those ms; the client's
      // receipts come every 20 ms, so payloads still unacknowledged at each cut are resent.
      let cutting = false;
      const holding = (): ServerSession[] => (cutting ? [] : serverSessions.filter((ss) => ss.sessionId === client.sessionId));
      const downstream = (async () => {
        for (let i = 0; i < N;) {
          const ss = holding()[0];
          if (ss === undefined || ss.state !== 'open' || !ss.writable) {
            await sleep(1);
            continue;
          }
          ss.send(null, new TextEncoder().encode(`d${i++}`));
          if (i % 32 === 0) await sleep(1);
        }
      })();
      for (let i = 0; i < N;) {
        const c = client;
        if (c.state !== 'open' || !c.writable) {
          await sleep(1);
          continue;
        }
        c.request('count', `u${i}`).catch(() => undefined);
        i++;
        if (cuts.delete(i)) {
          cutting = true;
          await sleep(8);
          TrackedWebSocket.last!.terminate();
          await c.closed;
          await waitUntil(() => client !== c && client.state === 'open', 'the resumed session');
          cutting = false;
        } else if (i % 32 === 0) await sleep(1);
      }
      await downstream;
      await waitUntil(() => up.length >= N && down.length >= N, `all messages (up ${up.length}, down ${down.length} of ${N})`);
      await waitUntil(() => client.state === 'open' && client.unacknowledged === 0 && openSession(serverSessions)?.unacknowledged === 0, 'all acknowledged');
      stopped = true;
      client.close();
      const range = Array.from({ length: N }, (_, i) => i);
      expect(failures).toEqual([]);
      expect(up).toEqual(range);
      expect(down).toEqual(range);
      // The state moved between the servers at each cut.
      expect(opened.filter((n) => n === 0).length).toBeGreaterThan(1);
      expect(opened.filter((n) => n === 1).length).toBeGreaterThan(1);
    },
    60_000,
  );

  it('a client that heard nothing from the node between names an older server stream in its receipt: ignored, not refused [HS-7.16]', async () => {
    const key = importSigningKey(generateKeyPair().secretKey);
    const prefix = `q${process.pid}:`;
    const urls: string[] = [];
    let options!: Parameters<typeof connect>[1];
    for (let i = 0; i < 2; i++) {
      const d = await deviceServer(ws, key, running, { resume: { shared: store(prefix) } });
      urls.push(d.adapter.url);
      options = d.options;
    }
    // On A: a request answered, so the client holds a record of A's data stream.
    let session = await connect(urls[0]!, options);
    await session.request('count', 'a');
    await waitUntil(() => session.unacknowledged === 0, 'the request acknowledged');
    // The client's receipt for the Result reaches A and A's store: nothing of A's stream is pending there.
    await sleep(200);
    // On B, nothing on B's data stream; then back on A, which takes the state back over from B.
    for (const url of [urls[1]!, urls[0]!]) {
      TrackedWebSocket.last!.terminate();
      await session.closed;
      session = await connect(url, { ...options, resumeFrom: session });
      expect(session.resumed).toBe(true);
    }
    // Its first receipt names A's first stream, two streams back; the session goes on.
    await session.request('count', 'b');
    await sleep(50);
    expect(session.state).toBe('open');
    session.close();
  });
});
