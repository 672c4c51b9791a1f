// A server that admits client keys through `authenticate` puts them in its key ring; it takes them
// out again once no session and no resumable state holds them (spec/handshake.md [HS-5.6],
// [ENV-7.8]), so the ring does not grow with every client ever seen. Keys that were in the ring
// before a handshake are the operator's and stay.
import { describe, expect, it } from 'vitest';
import {
  ClientSession,
  KeyRing,
  SecureServer,
  generateKeyPair,
  importSigningKey,
  type SigningKey,
} from '../../src/index.js';
import { memoryLink } from '../helpers/net-memory.js';
import { closedAfterEach, serverKey, serverPublic } from '../helpers/server-fixture.js';

const servers = closedAfterEach();

const TTL = 60_000;
let now = Date.now();

function server(keys = new KeyRing(), options: { maxResumable?: number } = {}): SecureServer {
  const s = new SecureServer({
    key: serverKey,
    keys,
    clock: () => now,
    // The identity is the credential's text, as a token's `sub` would be.
    authenticate: (credential) => ({ identity: new TextDecoder().decode(credential ?? new Uint8Array()) }),
    authorize: () => true,
    limits: { resumeTtlMs: TTL, ...(options.maxResumable !== undefined ? { maxResumable: options.maxResumable } : {}) },
  });
  servers.push(s);
  return s;
}

async function connect(s: SecureServer, key: SigningKey, identity: string): Promise<ClientSession> {
  const link = memoryLink();
  const session = s.accept(link.server, s.admit({ address: '127.0.0.1' }));
  const client = new ClientSession(link.client, { key, serverKey: serverPublic, clock: () => now, credential: new TextEncoder().encode(identity) });
  link.connect(session, client);
  await client.ready;
  return client;
}

async function hangUp(client: ClientSession): Promise<void> {
  client.close(1000, 'bye');
  await client.closed;
  // The server learns of the close on its side of the link a turn later.
  await new Promise((resolve) => setImmediate(resolve));
}

const newKey = (): SigningKey => importSigningKey(generateKeyPair().secretKey);

describe('learned client keys leave the ring ([HS-5.6])', () => {
  it('stays while a session or its resumable state holds it, and goes when the state is forgotten', async () => {
    now = Date.now();
    const s = server();
    const alice = newKey();
    const a1 = await connect(s, alice, 'alice');
    const a2 = await connect(s, alice, 'alice');
    expect(s.keys.get(alice.kid)?.identity).toBe('alice');
    await hangUp(a1);
    expect(s.keys.get(alice.kid)).toBeDefined(); // a2 is still open
    await hangUp(a2);
    expect(s.keys.get(alice.kid)).toBeDefined(); // both sessions are resumable for TTL
    now += TTL + 1;
    // The registry forgets expired states when it next looks (here: bob's handshake).
    const bob = newKey();
    const b = await connect(s, bob, 'bob');
    expect(s.keys.get(alice.kid)).toBeUndefined();
    expect(s.keys.get(bob.kid)?.identity).toBe('bob');
    // Alice comes back later: admitted afresh, her key learned again.
    const a3 = await connect(s, alice, 'alice');
    expect(s.keys.get(alice.kid)?.identity).toBe('alice');
    await hangUp(a3);
    await hangUp(b);
    s.close(); // forgets every resumable state
    expect(s.keys.size).toBe(0);
  });

  it('a key the operator put in the ring is never removed by the server', async () => {
    now = Date.now();
    const ring = new KeyRing();
    const device = newKey();
    ring.add(device.publicKey, { identity: 'sensor-7' });
    const s = server(ring);
    await hangUp(await connect(s, device, 'sensor-7'));
    now += TTL + 1;
    await hangUp(await connect(s, newKey(), 'someone'));
    s.close();
    expect(ring.get(device.kid)?.identity).toBe('sensor-7');
    expect(ring.size).toBe(1);
  });

  it('many one-off clients leave a ring no larger than the resumable states kept', async () => {
    now = Date.now();
    const s = server(new KeyRing(), { maxResumable: 3 });
    for (let i = 0; i < 20; i++) await hangUp(await connect(s, newKey(), `client-${i}`));
    // The oldest ended states are forgotten beyond maxResumable, and their keys with them.
    expect(s.keys.size).toBeLessThanOrEqual(4);
  });

  it('a removed learned key that was revoked stays refused', async () => {
    now = Date.now();
    const s = server();
    const mallory = newKey();
    const m = await connect(s, mallory, 'mallory');
    s.keys.revokeKey(mallory.kid);
    await m.closed.catch(() => {});
    await new Promise((resolve) => setImmediate(resolve));
    s.close();
    expect(s.keys.get(mallory.kid)).toBeUndefined();
    expect(s.keys.isRevoked(mallory.kid)).toBe(true);
    const s2 = server(s.keys);
    await expect(connect(s2, mallory, 'mallory')).rejects.toMatchObject({ code: 'ERR_KEY_REVOKED' });
  });
});
