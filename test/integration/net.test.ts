// sealwire/net: sessions over raw TCP on 127.0.0.1 with length-prefixed frames. The exactly-once
// resume suite runs over it too (resume.test.ts); here, what is particular to a byte stream: the
// framing at every chunk boundary, the size cap read from a frame's header, and admission before
// any handshake work.
import { connect as tcpConnect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyRing, SecureServer, generateKeyPair, importSigningKey, type SecurityEvent } from '../../src/index.js';
import { attach, connect } from '../../src/adapters/net/index.js';
import { FrameReader, closeFrame, messageFrame } from '../../src/adapters/net/framing.js';
import { serverKey, serverPublic } from '../helpers/server-fixture.js';
import { waitUntil } from '../helpers/exchange.js';

const UNLIMITED = { perSecond: 1e6, burst: 1e6 };
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

async function start(extra: { maxConnectionsPerIp?: number } = {}) {
  const alice = importSigningKey(generateKeyPair().secretKey);
  const bob = importSigningKey(generateKeyPair().secretKey);
  const keys = new KeyRing();
  keys.add(alice.publicKey, { identity: 'alice' });
  keys.add(bob.publicKey, { identity: 'bob' });
  const events: SecurityEvent[] = [];
  const secure = new SecureServer({
    key: serverKey,
    keys,
    authorize: () => true,
    onEvent: (e) => events.push(e),
    rateLimit: { connection: UNLIMITED, identity: UNLIMITED, ipSessions: UNLIMITED, identitySessions: UNLIMITED },
    limits: { maxMessageSize: 4096, ...(extra.maxConnectionsPerIp !== undefined ? { maxConnectionsPerIp: extra.maxConnectionsPerIp } : {}) },
  });
  const tcp: Server = createServer();
  const attached = attach(secure, tcp);
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  const port = (tcp.address() as AddressInfo).port;
  cleanup.push(() => {
    attached.close();
    tcp.close();
  });
  return { secure, port, alice, bob, events };
}

/** Everything the server writes to a raw socket, until it closes. */
function raw(port: number): { socket: Socket; received: Promise<Uint8Array> } {
  const socket = tcpConnect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const received = new Promise<Uint8Array>((resolve) => socket.on('close', () => resolve(Buffer.concat(chunks))));
  cleanup.push(() => socket.destroy());
  return { socket, received };
}

/** The close frame at the end of what the server wrote: [code, reason]. */
function closeOf(bytes: Uint8Array): [number, string] {
  const out: [number, string][] = [];
  new FrameReader(1 << 20, { message: () => {}, close: (code, reason) => out.push([code, reason]), invalid: () => out.push([0, 'invalid']) }).push(bytes);
  return out.at(-1)!;
}

describe('framing', () => {
  it('reads the same frames whatever the chunk boundaries, every split point', () => {
    const frames = [messageFrame(new Uint8Array([1, 2, 3])), messageFrame(new Uint8Array(0)), closeFrame(4009, 'ERR_TOO_LARGE')];
    const stream = Buffer.concat(frames);
    for (let a = 0; a <= stream.length; a++) {
      for (let b = a; b <= stream.length; b++) {
        const got: string[] = [];
        const reader = new FrameReader(16, { message: (p) => got.push(`m${[...p].join(',')}`), close: (c, r) => got.push(`c${c}${r}`), invalid: (w) => got.push(w) });
        for (const part of [stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)]) reader.push(part);
        expect(got).toEqual(['m1,2,3', 'm', 'c4009ERR_TOO_LARGE']);
      }
    }
  });

  it('refuses an oversized length from the header alone, an unknown type and a malformed close', () => {
    const verdicts: string[] = [];
    const sink = { message: () => verdicts.push('message'), close: () => verdicts.push('close'), invalid: (w: string) => verdicts.push(w) };
    new FrameReader(16, sink).push(Uint8Array.of(0, 0xff, 0xff, 0xff, 0xff));
    new FrameReader(16, sink).push(Uint8Array.of(7, 0, 0, 0, 0));
    new FrameReader(16, sink).push(Uint8Array.of(1, 0, 0, 0, 1, 0));
    expect(verdicts).toEqual(['too-large', 'malformed', 'malformed']);
  });
});

describe('sessions over TCP', () => {
  it('handshake, join and a Send relayed to the other member', async () => {
    const s = await start();
    const alice = await connect({ host: '127.0.0.1', port: s.port }, { key: s.alice, serverKey: serverPublic });
    const bob = await connect({ host: '127.0.0.1', port: s.port }, { key: s.bob, serverKey: serverPublic });
    await alice.join('lobby');
    await bob.join('lobby');
    const got = new Promise<string>((resolve) => bob.on('message', (m) => resolve(`${m.identity}: ${new TextDecoder().decode(m.payload)}`)));
    alice.send('lobby', 'over a plain byte stream');
    expect(await got).toBe('alice: over a plain byte stream');
    alice.close();
    bob.close();
    await alice.closed;
    expect(alice.closeInfo?.code).toBe(1000);
  });

  it('a frame header over the size limit ends the session with ERR_TOO_LARGE, nothing buffered for it', async () => {
    const s = await start();
    const { socket, received } = raw(s.port);
    socket.write(Uint8Array.of(0, 0x7f, 0xff, 0xff, 0xff));
    expect(closeOf(await received)).toEqual([4009, 'ERR_TOO_LARGE']);
  });

  it('the per-IP cap refuses at the connection, before any handshake work', async () => {
    const s = await start({ maxConnectionsPerIp: 1 });
    const first = await connect({ host: '127.0.0.1', port: s.port }, { key: s.alice, serverKey: serverPublic });
    const { received } = raw(s.port);
    expect(closeOf(await received)).toEqual([4073, 'ERR_TOO_MANY_CONNECTIONS']);
    expect(s.events.filter((e) => e.type === 'handshake').length).toBe(1);
    first.close();
    await first.closed;
    // The slot comes back once the socket is gone.
    await waitUntil(() => s.secure.sessions.size === 0, 'the first session to end');
    const again = await connect({ host: '127.0.0.1', port: s.port }, { key: s.bob, serverKey: serverPublic });
    again.close();
  });
});
