// [HS-7.9]: every resume re-seals the server's unacknowledged envelopes and keeps the hash of each
// replaced version, so a client that never acknowledges must not be resumed without bound; an
// honest client, whose receipt follows each Welcome, never meets the bound however often it drops.
// [HS-7.11]: the same bound on the client's side, against a server whose receipts never arrive.
import { describe, expect, it } from 'vitest';
import { ClientSession, KeyRing, SecureServer, generateKeyPair, importSigningKey, isProtocolError } from '../../src/index.js';
import { connect, type ConnectOptions, type WebSocketConstructor } from '../../src/adapters/ws/index.js';
import { decodeEnvelope } from '../../src/wire/envelope.js';
import { RECEIPT_CONTENT_TYPE } from '../../src/delivery/receipt.js';
import { memoryLink } from '../helpers/net-memory.js';
import { closedAfterEach, serverKey, serverPublic } from '../helpers/server-fixture.js';

const servers = closedAfterEach();

type Lost = 'client receipts' | 'server receipts' | 'nothing';

/** Whether a frame is a receipt envelope (handshake messages and data are not). */
function isReceipt(bytes: Uint8Array): boolean {
  try {
    return decodeEnvelope(bytes).header.contentType === RECEIPT_CONTENT_TYPE;
  } catch {
    return false;
  }
}

/**
 * Connects, resuming `prev` if given, leaves one envelope unacknowledged, and drops the
 * connection: the server's message when the client's receipts are lost (or none are), the
 * client's request when the server's are.
 */
async function round(server: SecureServer, key: ReturnType<typeof importSigningKey>, prev: ClientSession | undefined, lost: Lost) {
  const link = memoryLink();
  if (lost === 'client receipts') {
    // The client's hello passes; everything it sends after (its receipts) is lost.
    const send = link.client.send;
    let sent = 0;
    link.client.send = (bytes) => {
      if (sent++ === 0) send(bytes);
    };
  } else if (lost === 'server receipts') {
    const send = link.server.send;
    link.server.send = (bytes) => {
      if (!isReceipt(bytes)) send(bytes);
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
  if (lost === 'server receipts') {
    // The server gets it and acknowledges it: the receipt is what gets lost.
    await client.request('ping');
    expect(client.unacknowledged).toBeGreaterThan(0);
  } else {
    // An honest client's receipt follows the Welcome ([HS-7.5]) and acknowledges the resent message.
    if (lost === 'nothing' && prev !== undefined) await expect.poll(() => session.unacknowledged).toBe(0);
    session.send(null, new Uint8Array([1, 2, 3])); // the client gets it; its receipt is not sent yet
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
  }
  link.cut();
  await client.closed;
  return { outcome: 'ok', client };
}

/** Rounds until one is refused (at most 12): their outcomes. */
async function rounds(server: SecureServer, key: ReturnType<typeof importSigningKey>, lost: Lost) {
  const outcomes: string[] = [];
  let prev: ClientSession | undefined;
  for (let i = 0; i < 12; i++) {
    const r = await round(server, key, prev, lost);
    outcomes.push(r.outcome);
    if (r.outcome !== 'ok') break;
    prev = r.client;
  }
  return { outcomes, last: prev! };
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
    const { outcomes } = await rounds(server, alice, 'client receipts');
    expect(outcomes).toEqual([...new Array<string>(9).fill('ok'), 'ERR_RESUME_REFUSED']);
  });

  it('a client whose receipts arrive resumes as often as it drops', async () => {
    const { server, alice } = setup();
    let prev: ClientSession | undefined;
    for (let i = 0; i < 14; i++) {
      const r = await round(server, alice, prev, 'nothing');
      expect(r.outcome).toBe('ok');
      prev = r.client;
    }
  });
});

describe("the client's resumes without the server's receipts are bounded ([HS-7.11])", () => {
  it('the client refuses its ninth resume in a row with no receipt of the server applied', async () => {
    const { server, alice } = setup();
    const { outcomes, last } = await rounds(server, alice, 'server receipts');
    expect(outcomes).toEqual([...new Array<string>(9).fill('ok'), 'ERR_RESUME_REFUSED']);

    // Over a WebSocket, the refused resume opens no connection at all.
    let sockets = 0;
    const Counting = function (this: unknown) {
      sockets++;
      throw new Error('no socket should be opened');
    } as unknown as WebSocketConstructor;
    (Counting as unknown as { prototype: object }).prototype = {};
    await expect(connect('ws://127.0.0.1:9/', { WebSocket: Counting, key: alice, serverKey: serverPublic, resumeFrom: last } as ConnectOptions)).rejects.toMatchObject({
      code: 'ERR_RESUME_REFUSED',
    });
    expect(sockets).toBe(0);
  });
});
