// stayConnected (sealwire/ws and sealwire/ws/client): after a lost connection the client resumes
// by itself; after a server restart it starts fresh and says so; a final refusal stops it. Real
// servers on 127.0.0.1, the restarted one on the same port.
import { afterEach, describe, expect, it } from 'vitest';
import { KeyRing, SecureServer, generateKeyPair, importSigningKey, type ClientSession } from '../../src/index.js';
import { stayConnected, type ConnectOptions, type StayConnected, type WebSocketConstructor } from '../../src/adapters/ws/index.js';
import { wsAdapter, type RunningAdapter } from '../helpers/net-adapters.js';
import { serverKey, serverPublic } from '../helpers/server-fixture.js';
import { waitUntil } from '../helpers/exchange.js';
import WebSocket from 'ws';

const running: RunningAdapter[] = [];
const clients: StayConnected[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const r of running.splice(0)) await r.close();
});

const key = importSigningKey(generateKeyPair().secretKey);

function server(): { secure: SecureServer; keys: KeyRing; got: string[] } {
  const keys = new KeyRing();
  keys.add(key.publicKey, { identity: 'alice' });
  const got: string[] = [];
  const secure = new SecureServer({ key: serverKey, keys, authorize: () => true });
  secure.on('message', (m) => got.push(new TextDecoder().decode(m.payload)));
  return { secure, keys, got };
}

async function client(url: string): Promise<{ c: StayConnected; log: string[] }> {
  const options = { WebSocket: WebSocket as unknown as WebSocketConstructor, key, serverKey: serverPublic } as ConnectOptions;
  const c = await stayConnected(url, options, { minDelayMs: 20, maxDelayMs: 100 });
  clients.push(c);
  const log: string[] = [];
  c.on('reconnecting', ({ attempt }) => log.push(`reconnecting ${attempt}`));
  c.on('session', ({ resumed }) => log.push(resumed ? 'resumed' : 'new'));
  c.on('fresh', ({ unacknowledged }) => log.push(`fresh ${unacknowledged}`));
  c.on('failed', ({ code }) => log.push(`failed ${code}`));
  return { c, log };
}

const open = (c: StayConnected): ClientSession | undefined => (c.current?.state === 'open' ? c.current : undefined);

describe('stayConnected', () => {
  it('a cut connection is resumed by itself: the same data stream, nothing lost', async () => {
    const s = server();
    const adapter = await wsAdapter.start(s.secure, {});
    running.push(adapter);
    const { c, log } = await client(adapter.url);
    const first = c.current!;
    await first.join('r');
    first.send('r', 'before');
    await waitUntil(() => s.got.length === 1, 'the first message');
    adapter.cut();
    await waitUntil(() => log.includes('resumed'), 'the resume');
    expect(log[0]).toBe('reconnecting 1');
    expect(c.current!.stream).toEqual(first.stream);
    open(c)!.send('r', 'after');
    await waitUntil(() => s.got.length === 2, 'the second message');
    expect(s.got).toEqual(['before', 'after']);
  });

  it('after a server restart (no state) it starts fresh and says so; a revoked key stops it', async () => {
    const s = server();
    const adapter = await wsAdapter.start(s.secure, {});
    const { c, log } = await client(adapter.url);
    const port = adapter.port;
    await adapter.close();
    // The same port, a new server with nothing to resume; retried until it listens.
    const s2 = server();
    let restarted: RunningAdapter | undefined;
    const { createServer } = await import('node:http');
    const { attach } = await import('../../src/adapters/ws/index.js');
    const http = createServer();
    const attached = attach(s2.secure, { server: http });
    await new Promise<void>((r) => http.listen(port, '127.0.0.1', r));
    restarted = {
      url: adapter.url,
      port,
      cut: () => {},
      close: async () => {
        await attached.close();
        http.closeAllConnections();
        await new Promise<void>((r) => http.close(() => r()));
      },
    };
    running.push(restarted);
    await waitUntil(() => log.includes('new'), 'a fresh session');
    expect(log.filter((l) => l.startsWith('fresh'))).toEqual(['fresh 0']);
    expect(open(c)).toBeDefined();
    // Revocation is final: no reconnecting after it.
    s2.keys.revokeKey(key.kid);
    await waitUntil(() => log.some((l) => l.startsWith('failed')), 'the client to give up');
    const after = log.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(log.at(-1)).toBe('failed ERR_KEY_REVOKED');
    expect(log.length).toBe(after);
  });

  it('close() while a reconnect is connecting leaves no session open', async () => {
    const s = server();
    const adapter = await wsAdapter.start(s.secure, {});
    running.push(adapter);
    let stay: StayConnected | undefined;
    let dials = 0;
    // The second socket (the reconnect) is being opened when the application closes the client.
    class ClosingOnReconnect extends WebSocket {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        if (++dials === 2) stay!.close();
      }
    }
    const options = { WebSocket: ClosingOnReconnect as unknown as WebSocketConstructor, key, serverKey: serverPublic } as ConnectOptions;
    stay = await stayConnected(adapter.url, options, { minDelayMs: 20, maxDelayMs: 100 });
    clients.push(stay);
    const sessions: ClientSession[] = [];
    stay.on('session', ({ session }) => sessions.push(session));
    adapter.cut();
    await waitUntil(() => dials === 2, 'the reconnect');
    await waitUntil(() => s.secure.sessions.size === 0, 'no session on the server');
    await new Promise((r) => setTimeout(r, 200));
    expect(s.secure.sessions.size).toBe(0);
    expect(sessions).toEqual([]);
  });

  it('given the nodes of one service, it starts on the first that answers and moves on when its node dies', async () => {
    // A node that is not listening: its port, freed at once.
    const dead = await wsAdapter.start(server().secure, {});
    await dead.close();
    const a = server();
    const b = server();
    const nodeA = await wsAdapter.start(a.secure, {});
    const nodeB = await wsAdapter.start(b.secure, {});
    running.push(nodeB);
    const options = { WebSocket: WebSocket as unknown as WebSocketConstructor, key, serverKey: serverPublic } as ConnectOptions;
    const c = await stayConnected([dead.url, nodeA.url, nodeB.url], options, { minDelayMs: 20, maxDelayMs: 100 });
    clients.push(c);
    expect(c.url).toBe(nodeA.url);
    const log: string[] = [];
    c.on('session', ({ resumed, url }) => log.push(`${resumed ? 'resumed' : 'new'} ${url === nodeB.url ? 'B' : url}`));
    c.on('fresh', () => log.push('fresh'));
    await open(c)!.join('r');
    open(c)!.send('r', 'on A');
    await waitUntil(() => a.got.length === 1, 'the message on A');
    // Node A dies: the dead node is passed over again, and B (which never held the session) starts a fresh one.
    await nodeA.close();
    await waitUntil(() => log.some((l) => l.startsWith('new')), 'a session on B');
    expect(log).toEqual(['fresh', 'new B']);
    expect(c.url).toBe(nodeB.url);
    await open(c)!.join('r');
    open(c)!.send('r', 'on B');
    await waitUntil(() => b.got.length === 1, 'the message on B');
    expect(b.got).toEqual(['on B']);
  });

  it('refuses an empty list of nodes', async () => {
    const options = { WebSocket: WebSocket as unknown as WebSocketConstructor, key, serverKey: serverPublic } as ConnectOptions;
    await expect(stayConnected([], options)).rejects.toThrow(TypeError);
  });
});
