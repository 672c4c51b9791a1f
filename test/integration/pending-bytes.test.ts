// [POL-8.6]: where the transport cannot stop reading (uWS), the envelopes waiting for verification
// are also bounded in bytes; where it can (`ws` pauses), TCP flow control bounds them instead.
// Real servers on 127.0.0.1. Verification is held back ~200 ms per envelope by a verify hook (real
// Ed25519 underneath) so that a queue builds, as it does behind a busy pool or a remote store.
import { afterEach, describe, expect, it } from 'vitest';
import {
  ClientSession,
  KeyRing,
  Receiver,
  SecureServer,
  generateKeyPair,
  importSigningKey,
  type CloseInfo,
  type PublicKey,
  type ServerSession,
} from '../../src/index.js';
import { verifyStrict } from '../../src/crypto/ed25519.js';
import { ADAPTERS, type RunningAdapter } from '../helpers/net-adapters.js';
import { serverKey, serverPublic } from '../helpers/server-fixture.js';
import { connectRecorded, RecordingWebSocket } from '../helpers/net-clients.js';

const running: RunningAdapter[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
  RecordingWebSocket.instances.length = 0;
});

const HOLD_MS = 200;
const PAYLOAD = 60_000;

function slowVerify(key: PublicKey, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  return new Promise((resolve) => setTimeout(() => resolve(verifyStrict(key.backend, key.handle, message, signature)), HOLD_MS));
}

async function start(factory: (typeof ADAPTERS)[number], maxPendingBytes?: number) {
  const keys = new KeyRing();
  const clientKey = importSigningKey(generateKeyPair().secretKey);
  keys.add(clientKey.publicKey, { identity: 'alice' });
  const server = new SecureServer({
    key: serverKey,
    keys,
    receiver: new Receiver({ keys, verify: slowVerify }),
    authorize: () => true,
    rateLimit: { connection: { perSecond: 1e6, burst: 1e6 }, identity: { perSecond: 1e6, burst: 1e6 } },
    ...(maxPendingBytes !== undefined ? { limits: { maxPendingBytes } } : {}),
  });
  const adapter = await factory.start(server, {});
  running.push(adapter);
  let session: ServerSession | undefined;
  server.on('session', (s) => (session = s));
  let received = 0;
  server.on('message', () => received++);
  const { client, socket } = await connectRecorded(adapter.url, clientKey, factory.channelBinding);
  await client.join('r');
  return { server, client, socket, session: () => session!, received: () => received };
}

/** Sends one envelope, then `copies` raw copies of it at once: far more bytes than an honest client has in flight. */
async function flood(factory: (typeof ADAPTERS)[number], copies: number, maxPendingBytes?: number): Promise<{ info: CloseInfo; received: number }> {
  const { client, socket, session, received } = await start(factory, maxPendingBytes);
  client.send('r', new Uint8Array(PAYLOAD).fill(7));
  const frame = socket.sent.at(-1)!;
  expect(frame.length).toBeGreaterThan(PAYLOAD);
  for (let i = 0; i < copies; i++) socket.inject(frame);
  const info = await session().closed;
  return { info, received: received() };
}

describe('bytes awaiting verification ([POL-8.6])', () => {
  const uws = ADAPTERS.find((a) => a.name === 'uws')!;
  const ws = ADAPTERS.find((a) => a.name === 'ws')!;

  it('uWS (cannot pause): 4.8 MB of copies waiting is refused with ERR_RATE_LIMITED long before the 1,088-envelope cap', async () => {
    const { info, received } = await flood(uws, 80);
    expect(info.reason).toBe('ERR_RATE_LIMITED');
    expect(info.code).toBe(4072);
    // Refused on arrival: nothing was verified yet, so nothing was delivered.
    expect(received).toBe(0);
  });

  it('uWS with the cap raised: the same copies wait, and the first replay ends the session instead', async () => {
    const { info, received } = await flood(uws, 80, 64 * 1024 * 1024);
    expect(info.reason).toBe('ERR_REPLAY');
    expect(received).toBe(1);
  });

  it('ws (pauses reading): the cap does not apply; TCP holds the peer back and the first replay ends the session', async () => {
    const { info, received } = await flood(ws, 80);
    expect(info.reason).toBe('ERR_REPLAY');
    expect(received).toBe(1);
  });

  it('uWS: an honest client with its whole outbox (1 MiB) in flight is never refused', async () => {
    const { client, session, received } = await start(uws);
    // Until the outbox holds all it may: sends are refused with ERR_OUTBOX_FULL past that.
    let sent = 0;
    for (;;) {
      try {
        client.send('r', new Uint8Array(PAYLOAD).fill(sent & 255));
      } catch (err) {
        expect(err).toMatchObject({ code: 'ERR_OUTBOX_FULL' });
        break;
      }
      sent++;
    }
    expect(sent * PAYLOAD).toBeGreaterThan(900_000);
    await expect.poll(() => received(), { timeout: 20_000 }).toBe(sent);
    expect(session().state).toBe('open');
    client.close();
  });

  it('the limit is validated where it is set', () => {
    expect(() => new SecureServer({ key: serverKey, authorize: () => true, limits: { maxPendingBytes: 0 } })).toThrow(RangeError);
    expect(() => new SecureServer({ key: serverKey, authorize: () => true, limits: { maxPendingBytes: 1.5 } })).toThrow(/limits\.maxPendingBytes/);
    const transport = { send: () => {}, close: () => {} };
    const key = importSigningKey(generateKeyPair().secretKey);
    expect(() => new ClientSession(transport, { key, serverKey: serverPublic, maxPendingBytes: -1 })).toThrow(/maxPendingBytes/);
    expect(new ClientSession(transport, { key, serverKey: serverPublic, maxPendingBytes: 1 << 20 })).toBeInstanceOf(ClientSession);
  });
});
