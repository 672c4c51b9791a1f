// [POL-8.5]: the receiving side of a session under a burst. Frames that arrive in one read (as
// `ws` emits a TCP chunk's frames back to back) queue for verification; the session pauses reading
// where it can, and closes only a peer that has more in flight than acknowledgements allow.
import { describe, expect, it } from 'vitest';
import {
  ClientSession,
  SecureServer,
  generateKeyPair,
  importSigningKey,
  type CloseInfo,
} from '../../src/index.js';
import { burstLink } from '../helpers/net-memory.js';
import { closedAfterEach, serverKey, serverPublic } from '../helpers/server-fixture.js';

const servers = closedAfterEach();

async function setup() {
  const server = new SecureServer({
    key: serverKey,
    authenticate: () => ({ identity: 'alice', roles: ['user'] }),
    authorize: () => true,
    rateLimit: { connection: { perSecond: 1e6, burst: 1e6 }, identity: { perSecond: 1e6, burst: 1e6 } },
  });
  servers.push(server);
  const link = burstLink();
  const session = server.accept(link.server, server.admit({ address: '127.0.0.1' }));
  const client = new ClientSession(link.client, {
    key: importSigningKey(generateKeyPair().secretKey),
    serverKey: serverPublic,
    credential: 'alice',
    outboxCapacity: 1024,
  });
  link.connect(session, client);
  await client.ready;
  await client.join('r');
  return { server, link, client, session };
}

describe('receiving bursts ([POL-8.5])', () => {
  it('an honest client with a full window in flight is paused and resumed, never closed', async () => {
    const { server, link, client, session } = await setup();
    let received = 0;
    server.on('message', () => received++);
    link.hold();
    for (let i = 0; i < 1000; i++) client.send('r', `m${i}`);
    expect(link.held.length).toBe(1000);
    link.burst();
    await expect.poll(() => received, { timeout: 10_000 }).toBe(1000);
    expect(session.state).toBe('open');
    expect(link.calls).toEqual(['pause', 'resume']);
  });

  it('a peer with more in flight than acknowledgements allow is closed with ERR_RATE_LIMITED', async () => {
    const { link, client, session } = await setup();
    link.hold();
    for (let i = 0; client.writable; i++) client.send('r', `m${i}`);
    // Replays on top of a full window, past the hard cap of 1,088: no honest peer does this.
    const copies = link.held.slice(0, 1089 - link.held.length);
    link.burst(copies);
    const info: CloseInfo = await session.closed;
    expect(info.reason).toBe('ERR_RATE_LIMITED');
  });
});
