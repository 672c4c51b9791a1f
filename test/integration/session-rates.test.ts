// [POL-4.3]: new sessions per peer address and per identity are rate-limited, not only counted,
// on real sockets (127.0.0.1) for every adapter. Each session closes before the next opens, so the
// connection caps ([POL-4.2]) never apply: only the rate can refuse.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, generateKeyPair as joseKeyPair, type CryptoKey as JoseKey } from 'jose';
import WebSocket from 'ws';
import { ClientSession, SecureServer, generateKeyPair, importSigningKey, jwkThumbprint, type SecureServerOptions, type SecurityEvent } from '../../src/index.js';
import { jwtAuthenticator } from '../../src/session/jwt.js';
import { connect } from '../../src/adapters/ws/index.js';
import { ADAPTERS, type RunningAdapter } from '../helpers/net-adapters.js';
import { serverKey, serverPublic } from '../helpers/server-fixture.js';

const ISSUER = 'https://auth.test';
const AUDIENCE = 'sealwire-test';
// Refills one token in 100 s: within a test, the burst is all there is.
const SLOW = 0.01;

let issuer: { privateKey: JoseKey; publicKey: JoseKey };
beforeAll(async () => {
  issuer = await joseKeyPair('EdDSA', { crv: 'Ed25519' });
});

for (const adapter of ADAPTERS) {
  describe(`[POL-4.3] ${adapter.name} adapter: the rate of new sessions`, () => {
    let running: RunningAdapter | undefined;
    let events: SecurityEvent[] = [];

    async function start(options: Partial<SecureServerOptions>): Promise<void> {
      events = [];
      const server = new SecureServer({
        key: serverKey,
        authenticate: jwtAuthenticator({ key: issuer.publicKey, issuer: ISSUER, audience: AUDIENCE }),
        authorize: () => true,
        onEvent: (e) => events.push(e),
        ...options,
      });
      running = await adapter.start(server, {});
    }

    async function client(sub: string): Promise<ClientSession> {
      const key = importSigningKey(generateKeyPair().secretKey);
      const credential = await new SignJWT({ cnf: { jkt: jwkThumbprint(key.publicKey) } })
        .setProtectedHeader({ alg: 'EdDSA' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject(sub)
        .setExpirationTime('10m')
        .sign(issuer.privateKey);
      return connect(running!.url, { WebSocket, key, serverKey: serverPublic, credential, ...(adapter.channelBinding ? {} : { channelBinding: false }) });
    }

    /** A full session that ends before the next one starts: churn, not concurrency. */
    async function churn(sub: string): Promise<void> {
      const s = await client(sub);
      expect(s.identity).toBe(sub);
      s.close();
      await s.closed;
    }

    afterEach(async () => {
      await running?.close();
      running = undefined;
    });

    it('refuses the upgrade from an address past its burst (HTTP 429, ERR_RATE_LIMITED), with no connection open', async () => {
      await start({ rateLimit: { ipSessions: { perSecond: SLOW, burst: 2 } } });
      await churn('alice');
      await churn('bob');
      await expect(client('carol')).rejects.toMatchObject({ code: 'ERR_RATE_LIMITED' });
      // The HTTP answer itself, on a plain WebSocket.
      const raw = new WebSocket(running!.url);
      const res = await new Promise<{ status: number | undefined; header: unknown }>((resolve) =>
        raw.once('unexpected-response', (_req, r) => resolve({ status: r.statusCode, header: r.headers['x-sealwire-error'] })),
      );
      expect(res).toEqual({ status: 429, header: 'ERR_RATE_LIMITED' });
      const rejected = events.filter((e) => e.type === 'upgrade' && e.outcome === 'reject');
      expect(rejected.map((e) => e.code)).toEqual(['ERR_RATE_LIMITED', 'ERR_RATE_LIMITED']);
      // No handshake work was done for the refused ones.
      expect(events.filter((e) => e.type === 'handshake')).toHaveLength(2);
    });

    it('closes the handshake of an identity past its burst (4072 ERR_RATE_LIMITED); other identities still get in', async () => {
      await start({ rateLimit: { identitySessions: { perSecond: SLOW, burst: 2 } } });
      await churn('alice');
      await churn('alice');
      await expect(client('alice')).rejects.toMatchObject({ code: 'ERR_RATE_LIMITED', closeCode: 4072 });
      await churn('bob');
      const refused = events.filter((e) => e.type === 'handshake' && e.outcome === 'reject');
      expect(refused).toHaveLength(1);
      // Refused after the proof of possession: the event names the key that asked.
      expect(refused[0]).toMatchObject({ code: 'ERR_RATE_LIMITED', keyId: expect.stringMatching(/^[0-9a-f]{64}$/) });
    });
  });
}
