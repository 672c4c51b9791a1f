// [HS-7.9]: every resume re-seals the server's unacknowledged envelopes and keeps the hash of each
// replaced version, so a client that never acknowledges must not be resumed without bound; an
// honest client, whose receipt follows each Welcome, never meets the bound however often it drops.
import { describe, expect, it } from 'vitest';
import { ClientSession, KeyRing, SecureServer, generateKeyPair, importSigningKey, isProtocolError } from '../src/index.js';
import { memoryLink } from './helpers/net-memory.js';
import { closedAfterEach, serverKey, serverPublic } from './helpers/server-fixture.js';

const servers = closedAfterEach();

/** Connects, resuming `prev` if given, then pushes one server message and drops the connection. */
async function round(server: SecureServer, key: ReturnType<typeof importSigningKey>, prev: ClientSession | undefined, loseReceipts: boolean) {
  const link = memoryLink();
  if (loseReceipts) {
    // The client's hello passes; everything it sends after (its receipts) is lost.
    const send = link.client.send;
    let sent = 0;
    link.client.send = (bytes) => {
      if (sent++ === 0) send(bytes);
    };
  }
  const session = server.accept(link.server, server.admit({ address: '127.0.0.1' }));
  const client = new ClientSession(link.client, { key, serverKey: serverPublic, ...(prev !== undefined ? { resumeFrom: prev } : {}) });
  link.connect(session, client);
  try {
    await client.ready;
  } catch (err) {
    return { outcome: isProtocolError(err) ? err.code : String(err), client };
  }
  // An honest client's receipt follows the Welcome ([HS-7.5]) and acknowledges the resent message.
  if (!loseReceipts && prev !== undefined) await expect.poll(() => session.unacknowledged).toBe(0);
  session.send(null, new Uint8Array([1, 2, 3])); // the client gets it; its receipt is not sent yet
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  link.cut();
  await client.closed;
  return { outcome: 'ok', client };
}

function setup() {
  const keys = new KeyRing();
  const alice = importSigningKey(generateKeyPair().secretKey);
  keys.add(alice.publicKey, { identity: 'alice' });
  const server = new SecureServer({ key: serverKey, keys, authorize: () => true });
  servers.push(server);
  return { server, alice };
}

describe('resume without receipts is bounded ([HS-7.9])', () => {
  it('the ninth resume in a row with no receipt applied is refused with ERR_RESUME_REFUSED', async () => {
    const { server, alice } = setup();
    const outcomes: string[] = [];
    let prev: ClientSession | undefined;
    for (let i = 0; i < 12; i++) {
      const r = await round(server, alice, prev, true);
      outcomes.push(r.outcome);
      if (r.outcome !== 'ok') break;
      prev = r.client;
    }
    expect(outcomes).toEqual([...new Array<string>(9).fill('ok'), 'ERR_RESUME_REFUSED']);
  });

  it('a client whose receipts arrive resumes as often as it drops', async () => {
    const { server, alice } = setup();
    let prev: ClientSession | undefined;
    for (let i = 0; i < 14; i++) {
      const r = await round(server, alice, prev, false);
      expect(r.outcome).toBe('ok');
      prev = r.client;
    }
  });
});
