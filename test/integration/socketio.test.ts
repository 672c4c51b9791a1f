// sealwire over Socket.IO (sealwire/socket.io), on both Socket.IO transports, with real sockets on
// 127.0.0.1: handshake, rooms and relay between sessions, admission refused in the middleware
// before any handshake work, and exactly-once delivery across forced transport closes while
// Socket.IO's own reconnection and connection-state recovery are on.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as IoServer } from 'socket.io';
import { io as ioClient, type Socket as ClientSocket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyRing, SecureServer, generateKeyPair, importSigningKey, type ClientSession, type SecurityEvent, type ServerSession, type SigningKey } from '../../src/index.js';
import { attach, connect } from '../../src/adapters/socket.io/index.js';
import { serverKey, serverPublic } from '../helpers/server-fixture.js';
import { sendDownstream, sleep, waitUntil } from '../helpers/exchange.js';

const UNLIMITED = { perSecond: 1e6, burst: 1e6 };
const text = new TextDecoder();

interface Setup {
  secure: SecureServer;
  io: IoServer;
  url: string;
  events: SecurityEvent[];
  keys: Record<'alice' | 'bob', SigningKey>;
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(extra: { origins?: string[] | ((own: string) => string[]); maxConnectionsPerIp?: number } = {}): Promise<Setup> {
  const keys = { alice: importSigningKey(generateKeyPair().secretKey), bob: importSigningKey(generateKeyPair().secretKey) };
  const ring = new KeyRing();
  ring.add(keys.alice.publicKey, { identity: 'alice' });
  ring.add(keys.bob.publicKey, { identity: 'bob' });
  const events: SecurityEvent[] = [];
  const http: HttpServer = createServer();
  const io = new IoServer(http, { connectionStateRecovery: { maxDisconnectionDuration: 10_000 } });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const own = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const origins = typeof extra.origins === 'function' ? extra.origins(own) : extra.origins;
  const secure = new SecureServer({
    key: serverKey,
    keys: ring,
    authorize: ({ room }) => room !== 'vault',
    rateLimit: { connection: UNLIMITED, identity: UNLIMITED, ipSessions: UNLIMITED, identitySessions: UNLIMITED },
    onEvent: (e) => events.push(e),
    ...(origins !== undefined ? { origins } : {}),
    ...(extra.maxConnectionsPerIp !== undefined ? { limits: { maxConnectionsPerIp: extra.maxConnectionsPerIp } } : {}),
  });
  const attached = attach(secure, io.of('/chat'));
  cleanup.push(async () => {
    attached.close();
    await new Promise<void>((r) => io.close(() => r()));
  });
  return { secure, io, url: `${own}/chat`, events, keys };
}

function socketOf(s: Setup, transport: 'websocket' | 'polling', origin?: string, headers: Record<string, string> = {}): ClientSocket {
  const socket = ioClient(s.url, {
    transports: [transport],
    reconnectionDelay: 20,
    reconnectionDelayMax: 50,
    extraHeaders: { ...headers, ...(origin !== undefined ? { origin } : {}) },
  });
  cleanup.push(() => void socket.disconnect());
  return socket;
}

for (const transport of ['websocket', 'polling'] as const) {
  describe(`sealwire over Socket.IO (${transport})`, () => {
    it('handshake, join, a signed Send relayed to the other member, a refused join answered', async () => {
      const s = await setup();
      const received: { identity: string; room: string | null; text: string }[] = [];
      s.secure.on('message', (m) => received.push({ identity: m.identity, room: m.room, text: text.decode(m.payload) }));
      const alice = await connect(socketOf(s, transport), { key: s.keys.alice, serverKey: serverPublic });
      const bob = await connect(socketOf(s, transport), { key: s.keys.bob, serverKey: serverPublic });
      await alice.join('lobby');
      await bob.join('lobby');
      await expect(bob.join('vault')).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
      const relayed = new Promise<{ identity: string; text: string }>((resolve) => bob.on('message', (m) => resolve({ identity: m.identity, text: text.decode(m.payload) })));
      alice.send('lobby', 'hello from alice');
      expect(await relayed).toEqual({ identity: 'alice', text: 'hello from alice' });
      await waitUntil(() => received.length === 1, 'the server application');
      expect(received).toEqual([{ identity: 'alice', room: 'lobby', text: 'hello from alice' }]);
      alice.close();
      bob.close();
    });

    it('the origin allow-list and the per-IP cap refuse in the middleware, before any handshake', async () => {
      const s = await setup({ origins: ['https://ok.example'], maxConnectionsPerIp: 1 });
      await expect(connect(socketOf(s, transport, 'https://evil.example'), { key: s.keys.alice, serverKey: serverPublic })).rejects.toMatchObject({
        code: 'ERR_ORIGIN',
      });
      const first = await connect(socketOf(s, transport, 'https://ok.example'), { key: s.keys.alice, serverKey: serverPublic, origin: 'https://ok.example' });
      await expect(connect(socketOf(s, transport, 'https://ok.example'), { key: s.keys.bob, serverKey: serverPublic })).rejects.toMatchObject({
        code: 'ERR_TOO_MANY_CONNECTIONS',
      });
      const handshakes = s.events.filter((e) => e.type === 'handshake');
      expect(handshakes.map((e) => [e.outcome, e.identity])).toEqual([['accept', 'alice']]);
      expect(s.events.filter((e) => e.type === 'upgrade' && e.outcome === 'reject').map((e) => e.code)).toEqual(['ERR_ORIGIN', 'ERR_TOO_MANY_CONNECTIONS']);
      first.close();
    });

    // [POL-5.5]: a browser's same-origin GET carries no Origin, only Sec-Fetch-Site (which page scripts cannot set).
    it('with no Origin header, Sec-Fetch-Site: same-origin stands for the request\'s own origin; nothing else does', async () => {
      const s = await setup({ origins: (own) => [own] });
      const own = new URL(s.url).origin;
      const options = { key: s.keys.alice, serverKey: serverPublic, origin: own };
      await expect(connect(socketOf(s, transport), options)).rejects.toMatchObject({ code: 'ERR_ORIGIN' });
      await expect(connect(socketOf(s, transport, undefined, { 'sec-fetch-site': 'cross-site' }), options)).rejects.toMatchObject({ code: 'ERR_ORIGIN' });
      const ok = await connect(socketOf(s, transport, undefined, { 'sec-fetch-site': 'same-origin' }), options);
      expect(ok.state).toBe('open');
      ok.close();
    });

    it('frames tagged for another session are dropped; a text frame of this session closes it with ERR_MALFORMED', async () => {
      const s = await setup();
      const closes: (string | undefined)[] = [];
      s.secure.on('session', (ss) => void ss.closed.then((info) => closes.push(info.error?.code)));
      const socket = socketOf(s, transport);
      let tag: unknown;
      socket.onAnyOutgoing((event: string, ...args: unknown[]) => {
        if (event === 'sealwire:ready') tag = args[0];
      });
      const alice = await connect(socket, { key: s.keys.alice, serverKey: serverPublic });
      await alice.join('lobby');
      // An earlier session's frame, as Socket.IO could flush it after a reconnection: not this session's.
      socket.emit('sealwire', '00'.repeat(8), new Uint8Array([0xd2, 0x84, 0x40]));
      await alice.join('other'); // answered: the session is still open
      expect(alice.state).toBe('open');
      socket.emit('sealwire', tag, 'not binary');
      await alice.closed;
      await waitUntil(() => closes.length === 1, 'the server session to close');
      expect(closes).toEqual(['ERR_MALFORMED']);
    });

    it('forced transport closes with Socket.IO reconnection and state recovery on: every message once, in order, both ways', async () => {
      const s = await setup();
      const n = 300;
      const up: number[] = [];
      const down: number[] = [];
      const serverSessions: ServerSession[] = [];
      s.secure.on('message', (m) => up.push(Number(text.decode(m.payload).slice(1))));
      s.secure.on('session', (ss) => serverSessions.push(ss));
      const socket = socketOf(s, transport);
      const options = { key: s.keys.alice, serverKey: serverPublic };
      let client!: ClientSession;
      let stopped = false;
      const adopt = (session: ClientSession): void => {
        client = session;
        session.on('message', (m) => down.push(Number(text.decode(m.payload).slice(1))));
        void session.closed.then(async () => {
          // Socket.IO reconnects by itself; sealwire resumes on the new connection.
          while (!stopped) {
            await waitUntil(() => socket.connected, 'Socket.IO to reconnect');
            try {
              adopt(await connect(socket, { ...options, resumeFrom: session }));
              return;
            } catch (err) {
              if ((err as { code?: string }).code === 'ERR_RESUME_REFUSED') throw err;
              await sleep(5);
            }
          }
        });
      };
      adopt(await connect(socket, options));
      await client.join('r');
      const downstream = sendDownstream(serverSessions, n, 16, 1);
      const cuts = new Set([40, 120, 200, 260]);
      let cutCount = 0;
      for (let i = 0; i < n; ) {
        const c = client;
        if (c.state !== 'open' || !c.writable) {
          await sleep(1);
          continue;
        }
        c.send('r', `u${i++}`);
        if (cuts.delete(i)) {
          // Alternately the client's engine and the server's drop the transport: no close event, no goodbye.
          // The loop goes on sending on the old session until it notices: those sends must not
          // reach the next session from Socket.IO's buffers, only through sealwire's resume.
          if (cutCount++ % 2 === 0) socket.io.engine.close();
          else for (const [, sock] of s.io.of('/chat').sockets) sock.conn.close();
        } else if (i % 16 === 0) {
          await sleep(1);
        }
      }
      await downstream;
      await waitUntil(() => up.length >= n && down.length >= n, `all messages (up ${up.length}, down ${down.length} of ${n})`, 30_000);
      stopped = true;
      const range = Array.from({ length: n }, (_, i) => i);
      expect(up).toEqual(range);
      expect(down).toEqual(range);
      expect(cutCount).toBe(4);
      client.close();
    }, 60_000);
  });
}
