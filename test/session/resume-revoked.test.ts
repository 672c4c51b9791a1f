// Review: while a resume re-authorizes the rooms of the session it continues ([HS-7.3] awaits the
// authorize hook), the client's authority can end: its key revoked ([POL-6.1] closes registered
// sessions only) or its credential expired ([HS-5.5]). The handshake must check again after its
// last await, so neither gets an established session, a Welcome or the rooms' traffic.
import { describe, expect, it } from 'vitest';
import {
  ClientSession,
  KeyRing,
  SecureServer,
  generateKeyPair,
  importSigningKey,
  type SecureServerOptions,
  type ServerSession,
} from '../../src/index.js';
import { memoryLink, type MemoryLink } from '../helpers/net-memory.js';
import { closedAfterEach, serverKey, serverPublic } from '../helpers/server-fixture.js';

const servers = closedAfterEach();

/**
 * A session that joins room 'r' and drops, then a resume of it held inside the server's authorize
 * hook for 'r': `release` lets the hook answer.
 */
async function resumeHeldInAuthorize(options: Partial<SecureServerOptions>, client: { clock?: () => number; credential?: Uint8Array }) {
  const alice = importSigningKey(generateKeyPair().secretKey);
  let hold: ((ok: boolean) => void) | undefined;
  let holding = false;
  const keys = options.keys ?? new KeyRing();
  if (options.authenticate === undefined) keys.add(alice.publicKey, { identity: 'alice' });
  const server = new SecureServer({
    key: serverKey,
    keys,
    ...options,
    authorize: () => (holding ? new Promise<boolean>((resolve) => (hold = resolve)) : true),
  });
  servers.push(server);
  const open = (resumeFrom?: ClientSession): { link: MemoryLink; session: ServerSession; client: ClientSession } => {
    const link = memoryLink();
    const session = server.accept(link.server, server.admit({ address: '127.0.0.1' }));
    const c = new ClientSession(link.client, { key: alice, serverKey: serverPublic, ...client, ...(resumeFrom ? { resumeFrom } : {}) });
    link.connect(session, c);
    return { link, session, client: c };
  };
  const first = open();
  await first.client.ready;
  await first.client.join('r');
  first.link.cut();
  await first.client.closed;
  holding = true;
  const second = open(first.client);
  await expect.poll(() => hold !== undefined).toBe(true);
  return { server, keys, alice, ...second, release: () => hold!(true) };
}

describe('review: resume and the end of the client\'s authority', () => {
  it('a key revoked while a resume re-authorizes its rooms does not get a session', async () => {
    const r = await resumeHeldInAuthorize({}, {});
    r.keys.revokeKey(r.alice.kid);
    r.release();
    await expect(r.client.ready).rejects.toMatchObject({ code: 'ERR_KEY_REVOKED' });
    expect((await r.session.closed).error?.code).toBe('ERR_KEY_REVOKED');
    expect(r.server.members('r')).not.toContain(r.session);
  });

  it('a credential that expires while a resume re-authorizes its rooms gets no Welcome ([HS-5.5])', async () => {
    let now = Date.now();
    const r = await resumeHeldInAuthorize(
      { clock: () => now, authenticate: () => ({ identity: 'alice', expiresAt: now + 1000 }) },
      { clock: () => now, credential: new Uint8Array([1]) },
    );
    now += 1000;
    r.release();
    await expect(r.client.ready).rejects.toMatchObject({ code: 'ERR_CREDENTIAL_EXPIRED' });
    expect((await r.session.closed).error?.code).toBe('ERR_CREDENTIAL_EXPIRED');
    expect(r.link.fromServer.length).toBe(1); // the ServerHello only
    expect(r.server.members('r')).not.toContain(r.session);
  });
});
