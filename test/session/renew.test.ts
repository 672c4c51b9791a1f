// [HS-8.6]: a Renew hands a live session a new credential. The session then outlives its first
// credential's expiry ([HS-5.5]) and decides with the new roles; a refused Renew (another
// identity, already expired, a server without credentials) changes nothing and ends nothing.
import { describe, expect, it } from 'vitest';
import { ClientSession, KeyRing, SecureServer, generateKeyPair, importSigningKey } from '../../src/index.js';
import { memoryLink } from '../helpers/net-memory.js';
import { closedAfterEach, serverKey, serverPublic } from '../helpers/server-fixture.js';
import { sleep } from '../helpers/exchange.js';

const servers = closedAfterEach();
const token = (identity: string, roles: string[], ttlMs: number): string => JSON.stringify({ identity, roles, expiresAt: Date.now() + ttlMs });

function server(withHook = true): SecureServer {
  const keys = new KeyRing();
  const s = new SecureServer({
    key: serverKey,
    keys,
    // The credential is its own claims, as a verified token's would be.
    ...(withHook ? { authenticate: (c: Uint8Array | null) => JSON.parse(new TextDecoder().decode(c ?? new Uint8Array())) as { identity: string } } : {}),
    authorize: ({ roles, room }) => room !== 'staff' || roles.includes('admin'),
  });
  servers.push(s);
  return s;
}

async function connect(s: SecureServer, credential?: string, key = importSigningKey(generateKeyPair().secretKey)): Promise<ClientSession> {
  const link = memoryLink();
  const session = s.accept(link.server, s.admit({ address: '127.0.0.1' }));
  const client = new ClientSession(link.client, { key, serverKey: serverPublic, ...(credential !== undefined ? { credential } : {}) });
  link.connect(session, client);
  await client.ready;
  return client;
}

describe('Renew [HS-8.6]', () => {
  it('a renewed session outlives its first credential and decides with the new roles', async () => {
    const s = server();
    const client = await connect(s, token('alice', ['user'], 400));
    await expect(client.join('staff')).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    await client.renew(token('alice', ['user', 'admin'], 5_000));
    await sleep(600); // past the first credential's expiry
    expect(client.state).toBe('open');
    await client.join('staff');
  });

  it('without a Renew the session ends when the credential does (the same setup, as a control)', async () => {
    const s = server();
    const client = await connect(s, token('alice', ['user'], 300));
    const info = await client.closed;
    expect(info.error?.code).toBe('ERR_CREDENTIAL_EXPIRED');
  });

  it('another identity, an expired credential, a server with no credentials: refused, nothing changes', async () => {
    const s = server();
    const client = await connect(s, token('alice', ['user'], 5_000));
    await expect(client.renew(token('mallory', ['admin'], 5_000))).rejects.toMatchObject({ code: 'ERR_UNAUTHENTICATED' });
    await expect(client.renew(token('alice', ['admin'], -1))).rejects.toMatchObject({ code: 'ERR_CREDENTIAL_EXPIRED' });
    await expect(client.join('staff')).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' }); // roles unchanged
    expect(client.state).toBe('open');

    const keys = new KeyRing();
    const key = importSigningKey(generateKeyPair().secretKey);
    keys.add(key.publicKey, { identity: 'bob' });
    const plain = new SecureServer({ key: serverKey, keys, authorize: () => true });
    servers.push(plain);
    const bob = await connect(plain, undefined, key);
    await expect(bob.renew('anything')).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    expect(bob.state).toBe('open');
  });
});
