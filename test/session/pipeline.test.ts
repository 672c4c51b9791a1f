// [POL-8.5]: a session starts the checks and the signature of every envelope as it arrives, so a
// verify pool can work on several at once, and still commits and delivers them one after another
// in arrival order; a refused envelope ends the session and nothing after it is committed or delivered.
import { describe, expect, it } from 'vitest';
import {
  ClientSession,
  KeyRing,
  Receiver,
  SecureServer,
  generateKeyPair,
  importSigningKey,
  type PublicKey,
} from '../../src/index.js';
import { burstLink } from '../helpers/net-memory.js';
import { verifyStrict } from '../../src/crypto/ed25519.js';
import { decodeEnvelope } from '../../src/wire/envelope.js';
import { closedAfterEach, serverKey, serverPublic } from '../helpers/server-fixture.js';

const servers = closedAfterEach();

/** A verifier whose verdicts (the real ones) are released by the test, in any order. */
function heldVerifier() {
  const calls: { release: () => void; seq: number }[] = [];
  let active = false;
  const verify = (key: PublicKey, message: Uint8Array, signature: Uint8Array): boolean | Promise<boolean> => {
    const ok = verifyStrict(key.backend, key.handle, message, signature);
    if (!active) return ok;
    return new Promise<boolean>((resolve) => calls.push({ release: () => resolve(ok), seq: -1 }));
  };
  return { calls, verify, start: () => void (active = true) };
}

async function setup() {
  const keys = new KeyRing();
  const v = heldVerifier();
  const receiver = new Receiver({ keys, verify: v.verify });
  const server = new SecureServer({
    key: serverKey,
    keys,
    receiver,
    authenticate: () => ({ identity: 'alice', roles: ['user'] }),
    authorize: () => true,
    rateLimit: { connection: { perSecond: 1e6, burst: 1e6 }, identity: { perSecond: 1e6, burst: 1e6 } },
  });
  servers.push(server);
  const l = burstLink();
  const session = server.accept(l.server, server.admit({ address: '127.0.0.1' }));
  const client = new ClientSession(l.client, {
    key: importSigningKey(generateKeyPair().secretKey),
    serverKey: serverPublic,
    credential: 'alice',
  });
  l.connect(session, client);
  await client.ready;
  await client.join('r');
  const seen: number[] = [];
  // Each send is a post whose author seq n travels in session envelope n + 1 (the join took 0).
  server.on('message', (m) => seen.push(m.seq + 1));
  return { server, receiver, link: l, client, session, v, seen };
}

describe('pipelined verification in a session ([POL-8.5])', () => {
  it('verifies a burst concurrently and delivers it in arrival order, whatever order the verdicts come in', async () => {
    const { link: l, client, session, v, seen } = await setup();
    l.hold();
    for (let i = 0; i < 6; i++) client.send('r', `m${i}`);
    const frames = l.held.splice(0);
    const seqs = frames.map((f) => decodeEnvelope(f).header.seq);
    v.start();
    l.burst(frames);
    // Every signature check started at arrival, before any verdict came back.
    expect(v.calls.length).toBe(6);
    for (const c of [...v.calls].reverse()) c.release();
    await expect.poll(() => seen.length).toBe(6);
    expect(seen).toEqual(seqs);
    expect(session.state).toBe('open');
  });

  it('at most 32 envelopes of one session verify ahead of their turn; the rest are checked in turn, in order', async () => {
    const { link: l, client, session, v, seen } = await setup();
    l.hold();
    for (let i = 0; i < 100; i++) client.send('r', `m${i}`);
    const frames = l.held.splice(0);
    const seqs = frames.map((f) => decodeEnvelope(f).header.seq);
    v.start();
    l.burst(frames);
    // One flooding session cannot put more than 32 verifications into a shared pool's queue.
    expect(v.calls.length).toBe(32);
    for (let released = 0; released < v.calls.length; released++) {
      v.calls[released]!.release();
      await new Promise((r) => setImmediate(r));
    }
    await expect.poll(() => seen.length).toBe(100);
    expect(seen).toEqual(seqs);
    expect(session.state).toBe('open');
  });

  it('a forged envelope in a burst: those before it are delivered, none after it is committed or delivered', async () => {
    const { link: l, client, session, receiver, v, seen } = await setup();
    l.hold();
    for (let i = 0; i < 6; i++) client.send('r', `m${i}`);
    const frames = l.held.splice(0);
    const seqs = frames.map((f) => decodeEnvelope(f).header.seq);
    // The last payload byte (the signature's bstr head and 64 bytes follow): the signature fails.
    const forged = frames[3]!.slice();
    forged[forged.length - 67]! ^= 1;
    frames[3] = forged;
    v.start();
    l.burst(frames);
    expect(v.calls.length).toBe(6);
    // Later verdicts first: still nothing after the forgery may be committed.
    for (const c of [...v.calls].reverse()) c.release();
    const info = await session.closed;
    expect(info.reason).toBe('ERR_BAD_SIGNATURE');
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual(seqs.slice(0, 3));
    const h = decodeEnvelope(frames[4]!).header;
    const now = Date.now();
    for (const f of frames.slice(3)) {
      const { seq } = decodeEnvelope(f).header;
      expect(receiver.store.check({ kid: h.kid, stream: h.stream, seq, ts: h.ts, now, expiresAt: now + 60_000 }), `seq ${seq}`).toBe('ok');
    }
    expect(receiver.store.check({ kid: h.kid, stream: h.stream, seq: seqs[2]!, ts: h.ts, now, expiresAt: now + 60_000 })).toBe('ERR_REPLAY');
  });

  it('a session closed while envelopes are verified commits none of those still waiting for their turn', async () => {
    const { link: l, client, session, receiver, v, seen } = await setup();
    l.hold();
    for (let i = 0; i < 4; i++) client.send('r', `m${i}`);
    const frames = l.held.splice(0);
    v.start();
    l.burst(frames);
    expect(v.calls.length).toBe(4);
    session.close();
    for (const c of v.calls) c.release();
    await new Promise((r) => setTimeout(r, 20));
    // The first had no earlier envelope to wait for: committed, so delivered ([HS-7.7]).
    const first = decodeEnvelope(frames[0]!).header;
    expect(seen).toEqual([first.seq]);
    const now = Date.now();
    for (const f of frames.slice(1)) {
      const h = decodeEnvelope(f).header;
      expect(receiver.store.check({ kid: h.kid, stream: h.stream, seq: h.seq, ts: h.ts, now, expiresAt: now + 60_000 })).toBe('ok');
    }
  });
});
