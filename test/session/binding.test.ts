// The session core on an in-memory link: binding of envelopes to their session and direction,
// revocation and expiry of live sessions.
import { describe, expect, it } from 'vitest';
import { ClientSession, KeyRing, SecureServer, generateKeyPair, importPublicKey, importSigningKey, seal } from '../../src/index.js';
import { makeServer, connect, servers } from '../helpers/session-core.js';
import { memoryLink } from '../helpers/net-memory.js';

describe('session binding', () => {
  it('an envelope replayed into another session of the same key is refused (shared replay state)', async () => {
    const { server } = makeServer();
    const first = connect(server, 'alice');
    await first.client.ready;
    await first.client.join('lobby');
    const second = connect(server, 'alice', { key: first.key });
    await second.client.ready;
    second.link.injectToServer(first.link.fromClient[first.link.fromClient.length - 1]!);
    expect((await second.client.closed).reason).toBe('ERR_REPLAY');
  });

  it('an envelope bound to one session fails its signature in another, even on an unseen stream', async () => {
    const { server } = makeServer();
    const first = connect(server, 'alice');
    await first.client.ready;
    const second = connect(server, 'alice', { key: first.key });
    await second.client.ready;
    // What the client would have sent in the first session, intercepted before it arrived.
    const sid = Uint8Array.from(first.client.sessionId!.match(/../g)!.map((h) => parseInt(h, 16)));
    const intercepted = seal(first.key, Uint8Array.of(0x82, 0x01, 0x61, 0x78), {
      seq: 0,
      stream: crypto.getRandomValues(new Uint8Array(16)),
      binding: Uint8Array.of(...sid, 0x01),
      contentType: 60,
    });
    second.link.injectToServer(intercepted);
    expect(await second.client.closed).toMatchObject({ code: 4025, reason: 'ERR_BAD_SIGNATURE' });
    // Control: in the session it was made for, the same bytes are a valid Join of room "x".
    first.link.injectToServer(intercepted);
    await new Promise((r) => setTimeout(r, 20));
    expect(first.client.state).toBe('open');
    expect(server.members('x').length).toBe(1);
  });

  it('a reflected envelope (server → client sent back to the server) is refused before its signature', async () => {
    const { server } = makeServer();
    const a = connect(server, 'alice');
    await a.client.ready;
    await a.client.join('lobby');
    const fromServer = a.link.fromServer[a.link.fromServer.length - 1]!; // the join Result
    a.link.injectToServer(fromServer);
    expect((await a.client.closed).reason).toBe('ERR_UNKNOWN_KEY');
  });

  it('direction is bound: with one key on both ends, a reflected envelope fails its signature', async () => {
    // Server and client share a key, so only the direction byte tells the two directions apart.
    const shared = generateKeyPair();
    const sharedKey = importSigningKey(shared.secretKey);
    const keys = new KeyRing();
    keys.add(shared.publicKey, { identity: 'self' });
    // No authenticate hook: static device keys, identity from the ring ([HS-5.1]).
    const server = new SecureServer({ key: sharedKey, keys, authorize: () => true });
    servers.push(server);
    const link = memoryLink();
    const session = server.accept(link.server, server.admit({}));
    const client = new ClientSession(link.client, { key: sharedKey, serverKey: importPublicKey(shared.publicKey) });
    link.connect(session, client);
    await client.ready;
    // Reflected before the client sent any data: its stream is not pinned yet ([HS-6.7] would
    // stop a reflection on the server's stream earlier), so only the direction byte can refuse it.
    const got = new Promise((r) => client.on('message', r));
    session.send(null, Uint8Array.of(1));
    await got;
    link.injectToServer(link.fromServer[link.fromServer.length - 1]!);
    expect((await client.closed).reason).toBe('ERR_BAD_SIGNATURE');
  });

  it('a replayed envelope in the same session is ERR_REPLAY', async () => {
    const { server } = makeServer();
    const a = connect(server, 'alice');
    await a.client.ready;
    await a.client.join('lobby');
    a.link.injectToServer(a.link.fromClient[a.link.fromClient.length - 1]!);
    expect((await a.client.closed).reason).toBe('ERR_REPLAY');
  });
});

describe('revocation and expiry', () => {
  it('revoking the key closes its live sessions at once with ERR_KEY_REVOKED, and it cannot come back', async () => {
    const { server } = makeServer();
    const a = connect(server, 'alice');
    const b = connect(server, 'bob');
    await Promise.all([a.client.ready, b.client.ready]);
    const sessionOfAlice = [...server.sessions].find((s) => s.identity === 'alice')!;
    server.keys.revokeKey(a.key.kid);
    expect(sessionOfAlice.state).toBe('closed'); // synchronously, inside revokeKey
    expect(await a.client.closed).toMatchObject({ code: 4021, reason: 'ERR_KEY_REVOKED' });
    expect(b.client.state).toBe('open');
    const again = connect(server, 'alice', { key: a.key });
    await expect(again.client.ready).rejects.toMatchObject({ code: 'ERR_KEY_REVOKED' });
  });

  it('a key revoked before it was ever seen is refused at step 7, before the credential hook runs', async () => {
    let hookCalls = 0;
    const { server } = makeServer({
      authenticate: () => {
        hookCalls++;
        return { identity: 'mallory', roles: ['user'] };
      },
    });
    const stolen = importSigningKey(generateKeyPair().secretKey);
    server.keys.revokeKey(stolen.kid); // e.g. reported compromised by another node
    const m = connect(server, 'mallory', { key: stolen });
    await expect(m.client.ready).rejects.toMatchObject({ code: 'ERR_KEY_REVOKED' });
    expect(hookCalls).toBe(0);
  });

  it('revokeIdentity closes every session of that identity', async () => {
    const { server } = makeServer();
    const a1 = connect(server, 'alice');
    const a2 = connect(server, 'alice');
    await Promise.all([a1.client.ready, a2.client.ready]);
    server.keys.revokeIdentity('alice', Date.now() + 1);
    const [c1, c2] = await Promise.all([a1.client.closed, a2.client.closed]);
    expect([c1.code, c2.code]).toEqual([4021, 4021]);
  });

  it('ends the session when the credential expires (ERR_CREDENTIAL_EXPIRED)', async () => {
    const { server } = makeServer({ authenticate: () => ({ identity: 'alice', expiresAt: Date.now() + 150 }) });
    const a = connect(server, 'alice');
    await a.client.ready;
    expect(a.client.expires).toBeGreaterThan(Date.now());
    expect(await a.client.closed).toMatchObject({ code: 4045 });
  });

  it('one key names one identity', async () => {
    const { server } = makeServer();
    const a = connect(server, 'alice');
    await a.client.ready;
    const b = connect(server, 'bob', { key: a.key });
    await expect(b.client.ready).rejects.toMatchObject({ code: 'ERR_UNAUTHENTICATED' });
  });
});
