// The transport-agnostic session core on an in-memory link: handshake, rooms, policy, binding.
import { describe, expect, it } from 'vitest';
import {
  ClientSession,
  ProtocolError,
  generateKeyPair,
  importPublicKey,
  importSigningKey,
  seal,
  type SessionMessage,
  type CloseInfo,
} from '../../src/index.js';
import { makeServer, connect, nextMessage } from '../helpers/session-core.js';
import { memoryLink } from '../helpers/net-memory.js';
import { serverPublic } from '../helpers/server-fixture.js';

describe('session handshake over a memory link', () => {
  it('authenticates both ends and agrees on one session id', async () => {
    const { server, events } = makeServer();
    const opened = new Promise<string | undefined>((resolve) => server.on('session', (s) => resolve(s.sessionId)));
    const { client } = connect(server, 'alice');
    await client.ready;
    expect(client.identity).toBe('alice');
    expect(client.roles).toEqual(['user']);
    expect(client.sessionId).toMatch(/^[0-9a-f]{64}$/);
    expect(await opened).toBe(client.sessionId);
    expect(events.find((e) => e.type === 'handshake' && e.outcome === 'accept')).toMatchObject({ identity: 'alice', session: client.sessionId });
  });

  it('refuses a client with no credential: ERR_UNAUTHENTICATED on both ends', async () => {
    const { server, events } = makeServer();
    const { client } = connect(server, undefined);
    await expect(client.ready).rejects.toMatchObject({ code: 'ERR_UNAUTHENTICATED' });
    expect((await client.closed).code).toBe(4044);
    expect(events.find((e) => e.type === 'handshake')).toMatchObject({ outcome: 'reject', code: 'ERR_UNAUTHENTICATED' });
  });

  it('refuses a server whose key is not the pinned one (ERR_SERVER_IDENTITY)', async () => {
    const { server } = makeServer();
    const { client } = connect(server, 'alice', { serverKey: importPublicKey(generateKeyPair().publicKey) });
    await expect(client.ready).rejects.toMatchObject({ code: 'ERR_SERVER_IDENTITY' });
  });

  it('a client clock 10 s off gets ERR_CLOCK_SKEW from the hello, before any envelope', async () => {
    const { server } = makeServer();
    const { client, link } = connect(server, 'alice', { clock: () => Date.now() + 10_000 });
    await expect(client.ready).rejects.toMatchObject({ code: 'ERR_CLOCK_SKEW', closeCode: 4042 });
    expect(link.fromClient).toHaveLength(0);
  });

  it('the server refuses a skewed ClientAuth too (a client that ignores the hello time)', async () => {
    // The client sees the hello with a server clock that matches its own, then the server judges.
    let offset = 0;
    const { server } = makeServer({ clock: () => Date.now() + offset });
    const { client } = connect(server, 'alice');
    offset = 20_000; // the server clock jumps after the hello
    await expect(client.ready).rejects.toMatchObject({ code: 'ERR_CLOCK_SKEW' });
  });

  it('closes a silent client with ERR_HANDSHAKE_TIMEOUT', async () => {
    const { server, events } = makeServer({ limits: { handshakeTimeoutMs: 50 } });
    const link = memoryLink();
    const session = server.accept(link.server, server.admit({}));
    const info = await session.closed;
    expect(info).toMatchObject({ code: 4041, reason: 'ERR_HANDSHAKE_TIMEOUT' });
    expect(events.some((e) => e.type === 'handshake' && e.code === 'ERR_HANDSHAKE_TIMEOUT')).toBe(true);
    expect(server.sessions.size).toBe(0);
  });

  it('refuses a data envelope before the handshake (ERR_UNEXPECTED_MESSAGE)', async () => {
    const { server } = makeServer();
    const link = memoryLink();
    const session = server.accept(link.server, server.admit({}));
    const k = importSigningKey(generateKeyPair().secretKey);
    session.receive(seal(k, new Uint8Array(1), { seq: 0, stream: new Uint8Array(16) }));
    expect((await session.closed).code).toBe(4048);
  });

  it('refuses oversized and malformed handshake messages with their codes', async () => {
    const { server } = makeServer();
    for (const [bytes, code] of [
      [new Uint8Array(9000), 'ERR_TOO_LARGE'],
      [Uint8Array.of(0x83, 0x02, 0x40), 'ERR_TRUNCATED'],
      [Uint8Array.of(0x83, 0x02, 0x40, 0x40), 'ERR_HANDSHAKE_MALFORMED'],
      [Uint8Array.of(0xf7), 'ERR_MALFORMED'],
      [Uint8Array.of(0xff), 'ERR_INDEFINITE_LENGTH'],
    ] as const) {
      const session = server.accept(memoryLink().server, server.admit({}));
      session.receive(bytes);
      expect((await session.closed).reason, code).toBe(code);
    }
  });
});

describe('rooms and policy', () => {
  // [HS-8.3], [HS-8.4], [ROOM-2.3]: members only, not shown back to the sender; identity and roles from the key statement
  it('delivers a room message to members only, with the verified sender identity', async () => {
    const { server } = makeServer();
    const a = connect(server, 'alice');
    const b = connect(server, 'bob');
    const c = connect(server, 'carol');
    await Promise.all([a.client.ready, b.client.ready, c.client.ready]);
    await a.client.join('lobby');
    await b.client.join('lobby');
    const seenByCarol: SessionMessage[] = [];
    c.client.on('message', (m) => seenByCarol.push(m));
    const seenByAlice: SessionMessage[] = [];
    a.client.on('message', (m) => seenByAlice.push(m));
    const got = nextMessage(b.client);
    const serverGot = new Promise<SessionMessage>((r) => server.on('message', r));
    a.client.send('lobby', 'hello');
    const m = await got;
    // Signed by alice on her author stream (seq 0), at the room stream's first offset (spec/rooms.md).
    expect(m).toMatchObject({ identity: 'alice', roles: ['user'], room: 'lobby', action: 'send', seq: 0, offset: 0, verified: 'author' });
    expect(new TextDecoder().decode(m.payload)).toBe('hello');
    expect((await serverGot).identity).toBe('alice');
    // A round trip later: nothing reached the non-member or echoed to the sender.
    await b.client.join('other');
    expect(seenByCarol).toHaveLength(0);
    expect(seenByAlice).toHaveLength(0);
  });

  // [POL-2.1], [POL-2.3]: authorize decides the Join; a refused Join makes no member
  it('refuses an unauthorized join, and a send to that room is never delivered', async () => {
    const { server, events } = makeServer();
    const admin = connect(server, 'admin');
    const mallory = connect(server, 'mallory');
    await Promise.all([admin.client.ready, mallory.client.ready]);
    await admin.client.join('staff');
    const adminSaw: SessionMessage[] = [];
    admin.client.on('message', (m) => adminSaw.push(m));
    await expect(mallory.client.join('staff')).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    const refused = new Promise((r) => mallory.client.on('refused', r));
    mallory.client.send('staff', 'let me in');
    expect(await refused).toMatchObject({ code: 'ERR_NOT_JOINED' });
    expect(mallory.client.state).toBe('open'); // refusals keep the session
    await admin.client.join('lobby'); // a round trip: anything sent would have arrived by now
    expect(adminSaw).toHaveLength(0);
    expect(server.members('staff').map((s) => s.identity)).toEqual(['admin']);
    expect(events.some((e) => e.type === 'join' && e.outcome === 'reject' && e.code === 'ERR_FORBIDDEN' && e.identity === 'mallory')).toBe(true);
  });

  it('runs the validation hook before delivery (ERR_PAYLOAD_INVALID)', async () => {
    const { server } = makeServer({ validate: ({ payload }) => !new TextDecoder().decode(payload).includes('<script') });
    const a = connect(server, 'alice');
    const b = connect(server, 'bob');
    await Promise.all([a.client.ready, b.client.ready]);
    await a.client.join('lobby');
    await b.client.join('lobby');
    const bobSaw: SessionMessage[] = [];
    b.client.on('message', (m) => bobSaw.push(m));
    const refused = new Promise((r) => a.client.on('refused', r));
    a.client.send('lobby', '<script>alert(1)</script>');
    expect(await refused).toMatchObject({ code: 'ERR_PAYLOAD_INVALID' });
    await expect(a.client.request('ping', '<script>')).rejects.toMatchObject({ code: 'ERR_PAYLOAD_INVALID' });
    expect(bobSaw).toHaveLength(0);
  });

  it('custom actions reach the server application after authorization', async () => {
    const { server } = makeServer({ authorize: ({ action, roles }) => action !== 'broadcast' || roles.includes('admin') });
    const admin = connect(server, 'admin');
    const user = connect(server, 'user1');
    await Promise.all([admin.client.ready, user.client.ready]);
    const seen: SessionMessage[] = [];
    server.on('message', (m) => seen.push(m));
    await expect(user.client.request('broadcast', 'x', 'lobby')).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    await admin.client.request('broadcast', 'maintenance', 'lobby');
    expect(seen.map((m) => [m.identity, m.action, m.room])).toEqual([['admin', 'broadcast', 'lobby']]);
  });

  // [POL-1.1], [POL-1.2], [POL-3.2]: rate limits charged before the signature, the session closed
  it('closes a flooding connection with ERR_RATE_LIMITED, charged before the signature', async () => {
    const { server, events } = makeServer({ rateLimit: { connection: { perSecond: 1, burst: 5 } } });
    const a = connect(server, 'alice');
    await a.client.ready;
    await a.client.join('lobby');
    for (let i = 0; i < 20; i++) a.client.send('lobby', `m${i}`);
    const info: CloseInfo = await a.client.closed;
    expect(info).toMatchObject({ code: 4072, reason: 'ERR_RATE_LIMITED' });
    expect(info.error?.code).toBe('ERR_RATE_LIMITED');
    expect(events.some((e) => e.type === 'close' && e.code === 'ERR_RATE_LIMITED')).toBe(true);
    expect(events.some((e) => e.type === 'message' && e.outcome === 'reject' && e.code === 'ERR_RATE_LIMITED' && e.identity === 'alice')).toBe(true);
  });

  it('shares the identity bucket across connections of one identity', async () => {
    const { server } = makeServer({ rateLimit: { identity: { perSecond: 1, burst: 4 } } });
    const a1 = connect(server, 'alice');
    const a2 = connect(server, 'alice');
    await Promise.all([a1.client.ready, a2.client.ready]);
    await a1.client.join('x');
    await a2.client.join('x');
    a1.client.send('x', '1');
    a2.client.send('x', '2');
    a1.client.send('x', '3');
    const closes = await Promise.race([a1.client.closed, a2.client.closed]);
    expect(closes.code).toBe(4072);
  });

  it('caps connections per identity (ERR_TOO_MANY_CONNECTIONS) and frees the slot on close', async () => {
    const { server } = makeServer({ limits: { maxConnectionsPerIdentity: 1 } });
    const a1 = connect(server, 'alice');
    await a1.client.ready;
    const a2 = connect(server, 'alice');
    await expect(a2.client.ready).rejects.toMatchObject({ code: 'ERR_TOO_MANY_CONNECTIONS' });
    a1.client.close();
    await a1.client.closed;
    await new Promise((r) => setImmediate(r));
    const a3 = connect(server, 'alice');
    await a3.client.ready;
  });

  it('caps connections per address at admission', () => {
    const { server, events } = makeServer({ limits: { maxConnectionsPerIp: 2 } });
    const t1 = server.admit({ address: '10.0.0.1' });
    server.admit({ address: '10.0.0.1' });
    expect(() => server.admit({ address: '10.0.0.1' })).toThrow(expect.objectContaining({ code: 'ERR_TOO_MANY_CONNECTIONS' }));
    t1.release();
    t1.release(); // idempotent: a double release must not free someone else's slot
    server.admit({ address: '10.0.0.1' });
    expect(() => server.admit({ address: '10.0.0.1' })).toThrow(ProtocolError);
    expect(events.filter((e) => e.type === 'upgrade' && e.outcome === 'reject')).toHaveLength(2);
  });

  it('applies the origin allow-list at admission and checks the declared origin in the handshake', async () => {
    const { server } = makeServer({ origins: ['https://chat.example'] });
    expect(() => server.admit({ origin: 'https://evil.example' })).toThrow(expect.objectContaining({ code: 'ERR_ORIGIN' }));
    expect(() => server.admit({})).toThrow(expect.objectContaining({ code: 'ERR_ORIGIN' }));
    // A client claiming another origin than its transport reported.
    const link = memoryLink();
    const session = server.accept(link.server, server.admit({ origin: 'https://chat.example' }));
    const client = new ClientSession(link.client, {
      key: importSigningKey(generateKeyPair().secretKey),
      serverKey: serverPublic,
      credential: 'alice',
      origin: 'https://other.example',
    });
    link.connect(session, client);
    await expect(client.ready).rejects.toMatchObject({ code: 'ERR_ORIGIN' });
  });
});
