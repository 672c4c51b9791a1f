// Hostile input at every session entry point: only typed ProtocolErrors and deliberate closes,
// never acceptance, never a crash; developer misuse is a TypeError/RangeError naming the argument.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ClientSession,
  ERROR_CODES,
  ProtocolError,
  SecureServer,
  generateKeyPair,
  importPublicKey,
  importSigningKey,
} from '../../src/index.js';
import { decodeAuth, decodeHello, decodeWelcome } from '../../src/session/handshake.js';
import { decodeClientMessage, decodeServerMessage } from '../../src/session/messages.js';
import { attach, connect } from '../../src/adapters/ws/index.js';
import { memoryLink } from '../helpers/net-memory.js';

const serverPair = generateKeyPair();
const serverKey = importSigningKey(serverPair.secretKey);
const CLOSE_CODES = new Set<number>(Object.values(ERROR_CODES));
const HOSTILE: unknown[] = [undefined, null, NaN, -1, 0, 2 ** 53, '', 'x', [], {}, new DataView(new ArrayBuffer(4)), [1, 2, 3], () => {}, Symbol('s'), { length: 32 }];

function newServer(): SecureServer {
  return new SecureServer({ key: serverKey, authenticate: () => ({ identity: 'alice' }), authorize: () => true });
}

describe('decoders', () => {
  it('throw only ProtocolError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        for (const decode of [decodeHello, decodeAuth, decodeWelcome, decodeClientMessage, decodeServerMessage]) {
          try {
            decode(bytes);
          } catch (err) {
            if (!(err instanceof ProtocolError)) throw err;
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});

async function handshake(): Promise<{ server: SecureServer; link: ReturnType<typeof memoryLink>; client: ClientSession; auth: Uint8Array }> {
  const server = newServer();
  const link = memoryLink();
  const session = server.accept(link.server, server.admit({}));
  const client = new ClientSession(link.client, { key: importSigningKey(generateKeyPair().secretKey), serverKey: importPublicKey(serverPair.publicKey), credential: 'x' });
  link.connect(session, client);
  await client.ready;
  return { server, link, client, auth: link.fromClient[0]! };
}

describe('server sessions', () => {
  it('never accept a mutated ClientAuth, and close with a protocol code', async () => {
    const clientKey = importSigningKey(generateKeyPair().secretKey);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 400 }), fc.integer({ min: 0, max: 255 }), async (at, xor) => {
        // The client's ClientAuth is intercepted, one byte flipped, then handed to the server.
        const server = newServer();
        let auth: Uint8Array | undefined;
        let client: ClientSession | undefined;
        const session = server.accept(
          { send: (b) => setImmediate(() => client?.receive(b.slice())), close: () => {} },
          server.admit({}),
        );
        client = new ClientSession(
          { send: (b) => void (auth = b.slice()), close: () => {} },
          { key: clientKey, serverKey: importPublicKey(serverPair.publicKey), credential: 'x' },
        );
        while (auth === undefined) await new Promise((r) => setImmediate(r));
        const bad = auth.slice();
        bad[at % bad.length]! ^= xor;
        session.receive(bad);
        if (xor === 0) {
          // Control: the untouched ClientAuth is accepted, so every refusal below is the flip's doing.
          await client.ready;
          expect(session.state).toBe('open');
          server.close();
          return;
        }
        const info = await session.closed;
        expect(info.error).toBeInstanceOf(ProtocolError);
        expect(CLOSE_CODES.has(info.code)).toBe(true);
        client.close();
        server.close();
      }),
      { numRuns: 150, examples: [[0, 0]] },
    );
  });

  it('close with a protocol code on arbitrary data-phase bytes, leaving other sessions alone', async () => {
    const { server, link, client } = await handshake();
    const other = await handshake();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), async (bytes) => {
        const { server: s, link: l, client: c } = await handshake();
        l.injectToServer(bytes);
        const info = await c.closed;
        expect(CLOSE_CODES.has(info.code)).toBe(true);
        s.close();
      }),
      { numRuns: 60 },
    );
    expect(client.state).toBe('open');
    expect(other.client.state).toBe('open');
    server.close();
    other.server.close();
    void link;
  });
});

describe('developer misuse', () => {
  it('SecureServer names the bad option', () => {
    for (const v of HOSTILE) {
      expect(() => new SecureServer(v as never)).toThrow(TypeError);
      expect(() => new SecureServer({ key: v as never, authorize: () => true })).toThrow(/"key"/);
      if (typeof v !== 'function') expect(() => new SecureServer({ key: serverKey, authorize: v as never })).toThrow(/"authorize"/);
    }
    expect(() => new SecureServer({ key: serverKey, authorize: () => true, limits: { maxMessageSize: 0 } })).toThrow(/limits.maxMessageSize/);
    expect(() => new SecureServer({ key: serverKey, authorize: () => true, rateLimit: { connection: { perSecond: NaN, burst: 1 } } })).toThrow(RangeError);
    expect(() => new SecureServer({ key: serverKey, authorize: () => true, origins: 'https://x' as never })).toThrow(/"origins"/);
    expect(() => new SecureServer({ key: importSigningKey(serverPair.secretKey, { kid: Uint8Array.of(1) }), authorize: () => true })).toThrow(/default key id/);
  });

  it('ClientSession, accept, admit and the ws adapter name the bad argument', () => {
    const link = memoryLink();
    for (const v of HOSTILE) {
      expect(() => new ClientSession(v as never, { key: serverKey, serverKey: importPublicKey(serverPair.publicKey) })).toThrow(/"transport"/);
      expect(() => new ClientSession(link.client, { key: serverKey, serverKey: v as never })).toThrow(/"serverKey"/);
      expect(() => newServer().accept(link.server, v as never)).toThrow(/"admission"/);
      expect(() => attach(newServer(), v as never)).toThrow(TypeError);
      if (v !== undefined) expect(() => connect('ws://127.0.0.1:1', { WebSocket: v as never, key: serverKey, serverKey: importPublicKey(serverPair.publicKey) })).toThrow(/"WebSocket"/);
    }
  });
});
