// The JWT credential helper against real jose-issued tokens ([HS-5.2]).
import { describe, expect, it, beforeAll } from 'vitest';
import { SignJWT, UnsecuredJWT, calculateJwkThumbprint, exportJWK, generateKeyPair as joseKeyPair, type CryptoKey as JoseKey } from 'jose';
import { generateKeyPair, importPublicKey, jwkThumbprint, toHex } from '../../../src/index.js';
import { jwtAuthenticator } from '../../../src/session/jwt.js';

const enc = new TextEncoder();
const client = generateKeyPair();
const clientKey = importPublicKey(client.publicKey);
const NOW = 1_700_000_000_000;
let issuer: { privateKey: JoseKey; publicKey: JoseKey };
beforeAll(async () => {
  issuer = await joseKeyPair('EdDSA', { crv: 'Ed25519' });
});

function jwt(claims: Record<string, unknown> = {}, opts: { exp?: number | null; iss?: string; aud?: string | string[]; alg?: string; crit?: boolean } = {}): SignJWT {
  const t = new SignJWT({ roles: ['user', 'moderator'], cnf: { jkt: jwkThumbprint(client.publicKey) }, ...claims })
    .setProtectedHeader({ alg: opts.alg ?? 'EdDSA', ...(opts.crit === true ? { crit: ['x-ext'], 'x-ext': 1 } : {}) })
    .setIssuer(opts.iss ?? 'https://auth.test')
    .setAudience(opts.aud ?? 'chat')
    .setSubject('alice');
  if (opts.exp !== null) t.setExpirationTime(Math.floor((opts.exp ?? NOW + 60_000) / 1000));
  return t;
}

const ctx = { origin: '', peer: undefined, resume: null };

describe('jwtAuthenticator', () => {
  it('jwkThumbprint is the RFC 7638 thumbprint jose computes', async () => {
    const x = Buffer.from(client.publicKey).toString('base64url');
    expect(jwkThumbprint(client.publicKey)).toBe(await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x }));
    expect(toHex(Buffer.from(jwkThumbprint(client.publicKey), 'base64url'))).toBe(toHex(clientKey.kid));
  });

  it('accepts a key-bound token: identity from sub, roles, expiry from exp (key as CryptoKey or JWK)', async () => {
    for (const key of [issuer.publicKey, await exportJWK(issuer.publicKey)]) {
      const auth = jwtAuthenticator({ key, issuer: 'https://auth.test', audience: 'chat', clock: () => NOW });
      const token = await jwt().sign(issuer.privateKey);
      expect(await auth(enc.encode(token), clientKey, ctx)).toEqual({
        identity: 'alice',
        roles: ['user', 'moderator'],
        expiresAt: Math.floor((NOW + 60_000) / 1000) * 1000,
      });
    }
  });

  // [HS-5.2] readings every verifier must share: seconds, nbf, crit, alg names, aud arrays.
  it('reads exp in seconds, accepts alg Ed25519 (RFC 9864) and an aud array that names the audience', async () => {
    const auth = jwtAuthenticator({ key: issuer.publicKey, issuer: 'https://auth.test', audience: 'chat', clock: () => NOW });
    const fully = await jwt({}, { alg: 'Ed25519' }).sign(issuer.privateKey);
    expect(await auth(enc.encode(fully), clientKey, ctx)).toMatchObject({ identity: 'alice' });
    const many = await jwt({}, { aud: ['other', 'chat'] }).sign(issuer.privateKey);
    expect(await auth(enc.encode(many), clientKey, ctx)).toMatchObject({ identity: 'alice' });
    // exp is seconds: one second after NOW (in s) is still valid, and expiresAt is that second in ms.
    const soon = await jwt({}, { exp: NOW + 1000 }).sign(issuer.privateKey);
    expect(await auth(enc.encode(soon), clientKey, ctx)).toMatchObject({ expiresAt: NOW + 1000 });
  });

  const cases: [string, () => Promise<Uint8Array | null>, string][] = [
    ['nbf later than now', async () => enc.encode(await jwt().setNotBefore(Math.floor(NOW / 1000) + 10).sign(issuer.privateKey)), 'ERR_UNAUTHENTICATED'],
    ['a crit header', async () => enc.encode(await jwt({}, { crit: true }).sign(issuer.privateKey, { crit: { 'x-ext': true } })), 'ERR_UNAUTHENTICATED'],
    ['an aud array without the audience', async () => enc.encode(await jwt({}, { aud: ['other', 'more'] }).sign(issuer.privateKey)), 'ERR_UNAUTHENTICATED'],
    ['no credential', async () => null, 'ERR_UNAUTHENTICATED'],
    ['not UTF-8', async () => Uint8Array.of(0xff, 0xfe), 'ERR_UNAUTHENTICATED'],
    ['too long', async () => new Uint8Array(5000).fill(0x61), 'ERR_UNAUTHENTICATED'],
    ['garbage', async () => enc.encode('a.b.c'), 'ERR_UNAUTHENTICATED'],
    ['wrong issuer', async () => enc.encode(await jwt({}, { iss: 'https://evil.test' }).sign(issuer.privateKey)), 'ERR_UNAUTHENTICATED'],
    ['wrong audience', async () => enc.encode(await jwt({}, { aud: 'other' }).sign(issuer.privateKey)), 'ERR_UNAUTHENTICATED'],
    ['no exp', async () => enc.encode(await jwt({}, { exp: null }).sign(issuer.privateKey)), 'ERR_UNAUTHENTICATED'],
    ['signed by another issuer key', async () => enc.encode(await jwt().sign((await joseKeyPair('EdDSA', { crv: 'Ed25519' })).privateKey)), 'ERR_UNAUTHENTICATED'],
    ['alg none', async () => enc.encode(new UnsecuredJWT({ sub: 'alice', cnf: { jkt: jwkThumbprint(client.publicKey) } }).setIssuer('https://auth.test').setAudience('chat').setExpirationTime(Math.floor(NOW / 1000) + 60).encode()), 'ERR_UNAUTHENTICATED'],
    ['HS256 with the public key bytes as secret', async () => enc.encode(await jwt({}, { alg: 'HS256' }).sign(new Uint8Array(32))), 'ERR_UNAUTHENTICATED'],
    ['expired', async () => enc.encode(await jwt({}, { exp: NOW - 1000 }).sign(issuer.privateKey)), 'ERR_CREDENTIAL_EXPIRED'],
    ['no cnf (a bearer token)', async () => enc.encode(await jwt({ cnf: undefined }).sign(issuer.privateKey)), 'ERR_CREDENTIAL_KEY_MISMATCH'],
    ['bound to another key', async () => enc.encode(await jwt({ cnf: { jkt: jwkThumbprint(generateKeyPair().publicKey) } }).sign(issuer.privateKey)), 'ERR_CREDENTIAL_KEY_MISMATCH'],
    ['cnf.jkt of the wrong type', async () => enc.encode(await jwt({ cnf: { jkt: 42 } }).sign(issuer.privateKey)), 'ERR_CREDENTIAL_KEY_MISMATCH'],
  ];
  for (const [name, make, code] of cases) {
    it(`refuses ${name} with ${code}`, async () => {
      const auth = jwtAuthenticator({ key: issuer.publicKey, issuer: 'https://auth.test', audience: 'chat', clock: () => NOW });
      await expect(auth(await make(), clientKey, ctx)).rejects.toMatchObject({ name: 'ProtocolError', code });
    });
  }

  it('refuses developer misuse at construction', () => {
    expect(() => jwtAuthenticator({ key: issuer.publicKey, issuer: '', audience: 'chat' })).toThrow(TypeError);
    expect(() => jwtAuthenticator({ key: issuer.publicKey, issuer: 'x', audience: 'chat', algorithms: ['none'] })).toThrow(RangeError);
    expect(() => jwtAuthenticator(null as never)).toThrow(TypeError);
  });
});
