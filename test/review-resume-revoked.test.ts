// Review: a key revoked while the server re-authorizes a resumed session's rooms ([HS-7.3] awaits
// the authorize hook) must not get an established session: revocation closes live sessions only
// once they are registered ([POL-6.1]), so the handshake must check again after its last await.
import { describe, expect, it } from 'vitest';
import {
  ClientSession,
  KeyRing,
  SecureServer,
  generateKeyPair,
  importSigningKey,
} from '../src/index.js';
import { memoryLink } from './helpers/net-memory.js';
import { closedAfterEach, serverKey, serverPublic } from './helpers/server-fixture.js';

const servers = closedAfterEach();

describe('review: resume and revocation', () => {
  it('a key revoked while a resume re-authorizes its rooms does not get a session', async () => {
    const keys = new KeyRing();
    const alice = importSigningKey(generateKeyPair().secretKey);
    keys.add(alice.publicKey, { identity: 'alice' });
    let hold: ((ok: boolean) => void) | undefined;
    let holding = false;
    const server = new SecureServer({
      key: serverKey,
      keys,
      authorize: () => (holding ? new Promise<boolean>((resolve) => (hold = resolve)) : true),
    });
    servers.push(server);

    const l1 = memoryLink();
    const s1 = server.accept(l1.server, server.admit({ address: '127.0.0.1' }));
    const c1 = new ClientSession(l1.client, { key: alice, serverKey: serverPublic });
    l1.connect(s1, c1);
    await c1.ready;
    await c1.join('r');
    l1.cut();
    await c1.closed;

    holding = true;
    const l2 = memoryLink();
    const s2 = server.accept(l2.server, server.admit({ address: '127.0.0.1' }));
    const c2 = new ClientSession(l2.client, { key: alice, serverKey: serverPublic, resumeFrom: c1 });
    l2.connect(s2, c2);
    await expect.poll(() => hold !== undefined).toBe(true);
    // Revoked while the server awaits the authorize hook for the resumed room.
    keys.revokeKey(alice.kid);
    hold!(true);
    await expect(c2.ready).rejects.toMatchObject({ code: 'ERR_KEY_REVOKED' });
    const info = await s2.closed;
    expect(info.error?.code).toBe('ERR_KEY_REVOKED');
    expect(server.members('r')).not.toContain(s2);
  });
});
