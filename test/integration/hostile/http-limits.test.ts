// Finding 4 of issue 15 ([POL-5.3]): below the upgrade, idle TCP connections and slowloris upgrade
// requests are released within the configured header timeout, and one IP cannot open more than its
// share of connections; an honest client still connects. Real http server and sockets on 127.0.0.1.
import { createServer, type Server } from 'node:http';
import { connect as tcpConnect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { KeyRing, SecureServer, generateKeyPair, importSigningKey } from '../../../src/index.js';
import { attach, connect, limitHttpServer, type ConnectOptions, type WebSocketConstructor } from '../../../src/adapters/ws/index.js';
import { serverKey, serverPublic } from '../../helpers/server-fixture.js';
import { heldOn } from '../../hostile/sockets.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(limits: Parameters<typeof limitHttpServer>[1]): Promise<{ port: number; http: Server; secure: SecureServer; keys: KeyRing }> {
  const keys = new KeyRing();
  const secure = new SecureServer({ key: serverKey, keys, authorize: () => true });
  const http = createServer();
  limitHttpServer(http, limits);
  const attached = attach(secure, { server: http, path: '/sealwire' });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  cleanups.push(async () => {
    await attached.close();
    http.closeAllConnections();
    await new Promise<void>((r) => http.close(() => r()));
  });
  return { port: (http.address() as AddressInfo).port, http, secure, keys };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
    cleanups.push(() => void s.destroy());
  });
}

function closedWithin(s: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (s.destroyed || s.readableEnded) return resolve(true);
    const t = setTimeout(() => resolve(false), ms);
    s.once('close', () => (clearTimeout(t), resolve(true)));
    s.once('end', () => (clearTimeout(t), resolve(true)));
    s.on('error', () => {});
  });
}

describe('HTTP limits below the upgrade (ws adapter)', () => {
  it('idle TCP connections and slowloris upgrades are released within the header timeout', async () => {
    const { port } = await start({ headersTimeoutMs: 400 });
    const idle = await Promise.all(Array.from({ length: 30 }, () => open(port)));
    const slow = await Promise.all(Array.from({ length: 10 }, () => open(port)));
    for (const s of slow) s.write('GET /sealwire HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
    // A header line every 100 ms: each write alone would reset an idle timer, never the deadline.
    const drip = setInterval(() => {
      for (const s of slow) if (!s.destroyed) s.write('X-Slow: 1\r\n');
    }, 100);
    try {
      const closed = await Promise.all([...idle, ...slow].map((s) => closedWithin(s, 1500)));
      expect(closed.filter((c) => !c).length).toBe(0);
    } finally {
      clearInterval(drip);
    }
    await sleep(100);
    expect(heldOn(port)).toBe(0);
  });

  it('one IP holds at most maxConnectionsPerIp sockets, and an honest client still connects afterwards', async () => {
    const { port, keys } = await start({ headersTimeoutMs: 5000, maxConnectionsPerIp: 8 });
    const sockets = await Promise.all(Array.from({ length: 20 }, () => open(port)));
    const closed = await Promise.all(sockets.map((s) => closedWithin(s, 500)));
    expect(closed.filter((c) => c).length).toBe(12);
    for (const s of sockets) s.destroy();
    await sleep(100);
    const key = importSigningKey(generateKeyPair().secretKey);
    keys.add(key.publicKey, { identity: 'honest' });
    const client = await connect(`ws://127.0.0.1:${port}/sealwire`, {
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      key,
      serverKey: serverPublic,
    } as ConnectOptions);
    expect(client.state).toBe('open');
    client.close();
  });

  it('limits are validated', () => {
    expect(() => limitHttpServer(createServer(), { headersTimeoutMs: 0 })).toThrow(/headersTimeoutMs/);
    expect(() => limitHttpServer(createServer(), { maxConnectionsPerIp: 1.5 })).toThrow(RangeError);
  });
});
