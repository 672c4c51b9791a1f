// The `timers` option: a session's handshake timeout, credential expiry and receipt delay run on the
// timers it is given (here the conformance driver's virtual clock), so their bounds are exact
// ([HS-3.6], [HS-5.5]); without the option the platform's timers run them, as before.
import { describe, expect, it } from 'vitest';
import { ClientSession, KeyRing, SecureServer, generateKeyPair, importSigningKey, type Timers } from '../../src/index.js';
import { VirtualTime } from '../../conformance/lib/virtual-time.js';
import { memoryLink } from '../helpers/net-memory.js';
import { closedAfterEach, serverKey, serverPublic } from '../helpers/server-fixture.js';

const servers = closedAfterEach();
const T = 1_700_000_000_000;
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function server(time: VirtualTime, expiresInMs?: number): SecureServer {
  const s = new SecureServer({
    key: serverKey,
    keys: new KeyRing(),
    authenticate: () => ({ identity: 'alice', ...(expiresInMs !== undefined ? { expiresAt: T + expiresInMs } : {}) }),
    authorize: () => true,
    limits: { handshakeTimeoutMs: 500 },
    clock: time.now,
    timers: time.timers,
  });
  servers.push(s);
  return s;
}

describe('timers option', () => {
  it('the server handshake timeout fires at handshake_timeout_ms, not a millisecond before [HS-3.6]', async () => {
    const time = new VirtualTime(T);
    const s = server(time);
    const session = s.accept(memoryLink().server, s.admit({ address: '127.0.0.1' }));
    await time.advance(499, settle);
    expect(session.state).toBe('handshake');
    await time.advance(1, settle);
    expect((await session.closed).error?.code).toBe('ERR_HANDSHAKE_TIMEOUT');
  });

  it('the session ends when the server clock reaches the credential expiry [HS-5.5]', async () => {
    const time = new VirtualTime(T);
    const s = server(time, 60_000);
    const link = memoryLink();
    const session = s.accept(link.server, s.admit({ address: '127.0.0.1' }));
    const client = new ClientSession(link.client, { key: importSigningKey(generateKeyPair().secretKey), serverKey: serverPublic, clock: time.now, timers: time.timers });
    link.connect(session, client);
    await client.ready;
    await time.advance(59_999, settle);
    expect(session.state).toBe('open');
    await time.advance(1, settle);
    expect((await session.closed).error?.code).toBe('ERR_CREDENTIAL_EXPIRED');
  });

  it('the client waits for the hello on its own timers', async () => {
    const time = new VirtualTime(T);
    const client = new ClientSession(memoryLink().client, {
      key: importSigningKey(generateKeyPair().secretKey),
      serverKey: serverPublic,
      handshakeTimeoutMs: 250,
      timers: time.timers,
    });
    await time.advance(249, settle);
    expect(client.state).toBe('handshake');
    await time.advance(1, settle);
    await expect(client.ready).rejects.toMatchObject({ code: 'ERR_HANDSHAKE_TIMEOUT' });
  });

  it('refuses timers without both functions', () => {
    const bad = { setTimeout: () => 0 } as unknown as Timers;
    expect(() => new SecureServer({ key: serverKey, authorize: () => true, timers: bad })).toThrow(TypeError);
    expect(() => new ClientSession(memoryLink().client, { key: serverKey, serverKey: serverPublic, timers: bad })).toThrow(TypeError);
  });
});
