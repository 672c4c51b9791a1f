// Integration: real servers and clients on 127.0.0.1 (port 0), plain and TLS, for every adapter in
// ADAPTERS. Credentials are real JWTs (jose) bound to the client key; the client is sealwire's one
// WebSocket client, on `ws` and on a standard-API-only view of it (the browser path).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, generateKeyPair as joseKeyPair, type CryptoKey as JoseKey } from 'jose';
import WebSocket from 'ws';
import {
  ClientSession,
  ProtocolError,
  SecureServer,
  generateKeyPair,
  importPublicKey,
  importSigningKey,
  jwkThumbprint,
  type SessionMessage,
  type SecureServerOptions,
  type SecurityEvent,
  type AsyncSigningKey,
  type SigningKey,
} from '../../src/index.js';
import { jwtAuthenticator } from '../../src/session/jwt.js';
import { connect, type ConnectOptions } from '../../src/adapters/ws/index.js';
import { ADAPTERS, type RunningAdapter } from '../helpers/net-adapters.js';
import { RecordingWebSocket, standardOnly, startTlsRelay } from '../helpers/net-clients.js';
import { selfSignedCertificate, type TestCertificate } from '../helpers/net-tls.js';
import { serverKey, serverPublic } from '../helpers/server-fixture.js';

const ISSUER = 'https://auth.test';
const AUDIENCE = 'sealwire-test';

let issuer: { privateKey: JoseKey; publicKey: JoseKey };
let cert: TestCertificate;
beforeAll(async () => {
  issuer = await joseKeyPair('EdDSA', { crv: 'Ed25519' });
  cert = selfSignedCertificate();
});

async function token(sub: string, boundTo: Uint8Array, options: { roles?: string[]; expiresAt?: number } = {}): Promise<string> {
  return new SignJWT({ roles: options.roles ?? ['user'], cnf: { jkt: jwkThumbprint(boundTo) } })
    .setProtectedHeader({ alg: 'EdDSA' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor((options.expiresAt ?? Date.now() + 600_000) / 1000))
    .sign(issuer.privateKey);
}

function newKey(): SigningKey {
  return importSigningKey(generateKeyPair().secretKey);
}

function waitFor<T>(subscribe: (cb: (v: T) => void) => unknown): Promise<T> {
  return new Promise((resolve) => subscribe(resolve));
}

for (const adapter of ADAPTERS) {
  for (const mode of ['plain', 'tls'] as const) {
    describe(`${adapter.name} adapter, ${mode}`, () => {
      let running: RunningAdapter | undefined;
      let server: SecureServer;
      let events: SecurityEvent[];
      const open: ClientSession[] = [];

      async function start(options: Partial<SecureServerOptions> = {}): Promise<void> {
        events = [];
        server = new SecureServer({
          key: serverKey,
          authenticate: jwtAuthenticator({ key: issuer.publicKey, issuer: ISSUER, audience: AUDIENCE }),
          authorize: ({ roles, room }) => room !== 'staff' || roles.includes('admin'),
          onEvent: (e) => events.push(e),
          ...options,
        });
        running = await adapter.start(server, mode === 'tls' ? { tls: cert } : {});
      }

      function clientOptions(key: SigningKey | AsyncSigningKey, credential: string | undefined, extra: Partial<ConnectOptions> = {}): ConnectOptions {
        return {
          WebSocket,
          key,
          serverKey: serverPublic,
          ...(credential !== undefined ? { credential } : {}),
          ...(mode === 'tls' ? { wsOptions: { ca: cert.cert } } : {}),
          // A server that cannot read the TLS exporter refuses a bound client ([HS-4.3]).
          ...(adapter.channelBinding ? {} : { channelBinding: false }),
          ...extra,
        } as ConnectOptions;
      }

      async function client(sub: string, extra: Partial<ConnectOptions> & { roles?: string[] } = {}): Promise<ClientSession> {
        const key = extra.key ?? newKey();
        const { roles, ...rest } = extra;
        const session = await connect(running!.url, clientOptions(key, await token(sub, key.publicKey, roles ? { roles } : {}), rest));
        open.push(session);
        return session;
      }

      afterEach(async () => {
        for (const s of open.splice(0)) s.close();
        await running?.close();
        running = undefined;
      });

      it('completes the handshake and relays a room message between two clients', async () => {
        await start();
        const alice = await client('alice');
        const bob = await client('bob', { WebSocket: standardOnly() }); // the browser code path
        expect(alice.identity).toBe('alice');
        expect(bob.roles).toEqual(['user']);
        await alice.join('lobby');
        await bob.join('lobby');
        const got = waitFor<SessionMessage>((cb) => bob.on('message', cb));
        alice.send('lobby', 'hi bob');
        const m = await got;
        expect(m).toMatchObject({ identity: 'alice', room: 'lobby', action: 'send' });
        expect(new TextDecoder().decode(m.payload)).toBe('hi bob');
        expect(events.filter((e) => e.type === 'handshake' && e.outcome === 'accept')).toHaveLength(2);
        expect(events.every((e) => !('payload' in e))).toBe(true);
      });

      it('refuses a token bound to another key (ERR_CREDENTIAL_KEY_MISMATCH, 4046)', async () => {
        await start();
        const key = newKey();
        const stolen = await token('alice', newKey().publicKey);
        const err = await connect(running!.url, clientOptions(key, stolen)).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ProtocolError);
        expect(err).toMatchObject({ code: 'ERR_CREDENTIAL_KEY_MISMATCH', closeCode: 4046 });
        expect(events.find((e) => e.type === 'handshake')).toMatchObject({ outcome: 'reject', code: 'ERR_CREDENTIAL_KEY_MISMATCH' });
      });

      it('refuses an expired token (ERR_CREDENTIAL_EXPIRED, 4045)', async () => {
        await start();
        const key = newKey();
        const expired = await token('alice', key.publicKey, { expiresAt: Date.now() - 60_000 });
        await expect(connect(running!.url, clientOptions(key, expired))).rejects.toMatchObject({ code: 'ERR_CREDENTIAL_EXPIRED' });
      });

      it('refuses a client without a credential, and a client pinning the wrong server key', async () => {
        await start();
        await expect(connect(running!.url, clientOptions(newKey(), undefined))).rejects.toMatchObject({ code: 'ERR_UNAUTHENTICATED', closeCode: 4044 });
        const key = newKey();
        const wrongPin = clientOptions(key, await token('alice', key.publicKey), { serverKey: importPublicKey(generateKeyPair().publicKey) });
        await expect(connect(running!.url, wrongPin)).rejects.toMatchObject({ code: 'ERR_SERVER_IDENTITY' });
        expect(events.filter((e) => e.type === 'handshake' && e.outcome === 'accept')).toHaveLength(0);
      });

      // [POL-5.1]: the origin allow-list at the upgrade
      it('refuses a bad origin at the upgrade, before any handshake work (HTTP 403, ERR_ORIGIN)', async () => {
        await start({ origins: ['https://chat.example'] });
        const key = newKey();
        const credential = await token('alice', key.publicKey);
        await expect(connect(running!.url, clientOptions(key, credential, { origin: 'https://evil.example' }))).rejects.toMatchObject({ code: 'ERR_ORIGIN' });
        expect(events).toHaveLength(1);
        expect(events[0]).toMatchObject({ type: 'upgrade', outcome: 'reject', code: 'ERR_ORIGIN' });
        const ok = await connect(running!.url, clientOptions(key, credential, { origin: 'https://chat.example' }));
        open.push(ok);
        expect(ok.identity).toBe('alice');
      });

      it('refuses the upgrade over the per-IP cap (HTTP 429, ERR_TOO_MANY_CONNECTIONS)', async () => {
        await start({ limits: { maxConnectionsPerIp: 1 } });
        await client('alice');
        await expect(client('bob')).rejects.toMatchObject({ code: 'ERR_TOO_MANY_CONNECTIONS' });
      });

      // [POL-4.1], [POL-1.1]: the adapter's frame limit is max_message_size, checked before decoding
      it('refuses an oversized frame at the transport (close 1009 → ERR_TOO_LARGE)', async () => {
        await start({ limits: { maxMessageSize: 4096 } });
        const alice = await client('alice');
        await alice.join('lobby');
        alice.send('lobby', new Uint8Array(8192));
        const info = await alice.closed;
        expect(info.code).toBe(1009);
        expect(info.error?.code).toBe('ERR_TOO_LARGE');
        await waitUntil(() => events.some((e) => e.type === 'close' && e.code === 'ERR_TOO_LARGE'));
        // Counted as a rejected message too ([POL-7.1]), not only as a close.
        expect(events.some((e) => e.type === 'message' && e.outcome === 'reject' && e.code === 'ERR_TOO_LARGE')).toBe(true);
      });

      it('closes a flood with ERR_RATE_LIMITED (4072)', async () => {
        await start({ rateLimit: { connection: { perSecond: 5, burst: 10 } } });
        const alice = await client('alice');
        await alice.join('lobby');
        for (let i = 0; i < 50; i++) alice.send('lobby', `flood ${i}`);
        expect(await alice.closed).toMatchObject({ code: 4072, reason: 'ERR_RATE_LIMITED' });
      });

      // [ERR-1.5], [ERR-1.6]: the code's close code on a real socket
      it('closes a connection that never authenticates (ERR_HANDSHAKE_TIMEOUT, 4041)', async () => {
        await start({ limits: { handshakeTimeoutMs: 150 } });
        const raw = new WebSocket(running!.url, mode === 'tls' ? { ca: cert.cert } : {});
        const hello = waitFor<Buffer>((cb) => raw.once('message', cb));
        const closed = waitFor<number>((cb) => raw.once('close', cb));
        expect((await hello)[1]).toBe(1); // a ServerHello arrived, and we say nothing
        expect(await closed).toBe(4041);
      });

      it('closes on a text frame (ERR_MALFORMED) without crashing the server', async () => {
        await start();
        const raw = new WebSocket(running!.url, mode === 'tls' ? { ca: cert.cert } : {});
        await waitFor((cb) => raw.once('message', cb));
        raw.send('{"op":"join"}');
        expect(await waitFor<number>((cb) => raw.once('close', cb))).toBe(4008);
        const alice = await client('alice'); // the server is still healthy
        expect(alice.state).toBe('open');
      });

      it('refuses an envelope replayed into another session, and a reflected one', async () => {
        await start();
        RecordingWebSocket.instances.length = 0;
        const key = newKey();
        const recorded = { WebSocket: RecordingWebSocket, key };
        const first = await client('alice', recorded);
        const second = await client('alice', recorded);
        const [wsFirst, wsSecond] = RecordingWebSocket.instances;
        // Intercepted before delivery: the first session's first data envelope, valid there and
        // unseen by the replay window. As seq 0 of a stream new to the second session it passes
        // every check before the signature ([HS-6.11]), so its binding alone refuses it.
        wsFirst!.hold = true;
        const joined = first.join('lobby');
        wsFirst!.hold = false;
        const intercepted = wsFirst!.held[0]!;
        wsSecond!.inject(intercepted);
        expect(await second.closed).toMatchObject({ code: 4025, reason: 'ERR_BAD_SIGNATURE' });
        // Delivered late where it belongs, it is accepted.
        wsFirst!.inject(intercepted);
        await joined;
        // Reflection: a server envelope sent back to the server.
        wsFirst!.inject(wsFirst!.received[wsFirst!.received.length - 1]!);
        expect((await first.closed).reason).toBe('ERR_UNKNOWN_KEY');
      });

      it('revoking a key closes its live session within 1 s (ERR_KEY_REVOKED, 4021)', async () => {
        await start();
        const key = newKey();
        const alice = await client('alice', { key });
        const bob = await client('bob');
        const closed = alice.closed;
        const t0 = performance.now();
        server.keys.revokeKey(key.kid);
        const info = await closed;
        expect(performance.now() - t0).toBeLessThan(1000); // [POL-6.1] is a bound, not a speed claim
        expect(info).toMatchObject({ code: 4021, reason: 'ERR_KEY_REVOKED' });
        expect(bob.state).toBe('open');
        await expect(client('alice', { key })).rejects.toMatchObject({ code: 'ERR_KEY_REVOKED' });
      });

      it('refuses an unauthorized room; nothing sent there is ever delivered', async () => {
        await start();
        const admin = await client('root', { roles: ['admin'] });
        const mallory = await client('mallory');
        await admin.join('staff');
        const adminSaw: SessionMessage[] = [];
        admin.on('message', (m) => adminSaw.push(m));
        await expect(mallory.join('staff')).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
        const refused = waitFor((cb) => mallory.on('refused', cb));
        mallory.send('staff', 'secret plans?');
        expect(await refused).toMatchObject({ code: 'ERR_NOT_JOINED' });
        await admin.join('lobby'); // one more round trip on the admin's own session
        expect(adminSaw).toHaveLength(0);
        expect(events.some((e) => e.type === 'join' && e.outcome === 'reject' && e.identity === 'mallory')).toBe(true);
      });

      if (mode === 'tls' && adapter.channelBinding) {
        it('a relayed handshake (TLS terminated and re-originated) fails channel binding (4043)', async () => {
          await start();
          const relayCert = selfSignedCertificate();
          const relay = await startTlsRelay(relayCert, running!.port, cert.cert);
          try {
            const url = `wss://127.0.0.1:${relay.port}/sealwire`;
            const key = newKey();
            const credential = await token('alice', key.publicKey);
            const viaRelay = (extra: Partial<ConnectOptions> = {}): ConnectOptions =>
              clientOptions(key, credential, { wsOptions: { ca: relayCert.cert }, ...extra });
            await expect(connect(url, viaRelay())).rejects.toMatchObject({ code: 'ERR_CHANNEL_BINDING', closeCode: 4043 });
            expect(events.find((e) => e.type === 'handshake')).toMatchObject({ outcome: 'reject', code: 'ERR_CHANNEL_BINDING' });
            // Control: without binding the same relay gets through, so binding is what stopped it.
            const unbound = await connect(url, viaRelay({ channelBinding: false }));
            open.push(unbound);
            expect(unbound.identity).toBe('alice');
          } finally {
            await relay.close();
          }
        });

        it('a direct TLS 1.3 client is channel-bound and accepted', async () => {
          await start({ requireChannelBinding: true });
          const alice = await client('alice');
          expect(alice.state).toBe('open');
        });
      }
    });
  }
}

async function waitUntil(predicate: () => boolean, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

afterAll(() => {
  RecordingWebSocket.instances.length = 0;
});
