// The server's ClientAuth checks one by one ([HS-3.4]): each step refused with its code, and a
// message failing several steps refused with the code of the earliest, in spec order.
import { describe, expect, it } from 'vitest';
import { randomBytes } from '../../../src/bytes.js';
import { KeyRing } from '../../../src/keys/keyring.js';
import { generateKeyPair, importSigningKey, keyId, type SigningKey } from '../../../src/keys/keys.js';
import {
  CB_NONE,
  CB_TLS_EXPORTER,
  HANDSHAKE_VERSION,
  MSG_AUTH,
  channelBindingHash,
  clientSignatureInput,
  encodeAuthBody,
  encodeHello,
  encodeSigned,
  transcriptHash,
  type AuthBody,
} from '../../../src/session/handshake.js';
import {
  checkCredential,
  checkExpiry,
  checkIdentityAdmission,
  checkKeyIdentity,
  checkResume,
  proveClientAuth,
  type ClientAuthRules,
  type SessionPeer,
} from '../../../src/session/server-handshake.js';
import { serverKey } from '../../helpers/server-fixture.js';

const NOW = 1_750_000_000_000;
const ORIGIN = 'https://ok.example';
const newKey = (): SigningKey => importSigningKey(generateKeyPair().secretKey);
const hello = encodeHello({
  versions: [HANDSHAKE_VERSION],
  nonce: randomBytes(32),
  key: serverKey.publicKey,
  time: NOW,
  limits: { maxSkewMs: 5000, maxMessageSize: 65536, window: 1024, handshakeTimeoutMs: 10_000 },
});

function rules(over: Partial<ClientAuthRules> = {}): ClientAuthRules {
  return { maxHandshakeSize: 8192, maxSkewMs: 5000, requireChannelBinding: false, keys: new KeyRing(), allowsOrigin: (o) => o === ORIGIN, ...over };
}

/** A ClientAuth by `client` (signed by `signer`, default the client itself) for our hello. */
function clientAuth(client: SigningKey, body: Partial<AuthBody> = {}, signer: SigningKey = client): Uint8Array {
  const full: AuthBody = {
    version: HANDSHAKE_VERSION,
    nonce: randomBytes(32),
    key: client.publicKey,
    time: NOW,
    origin: ORIGIN,
    cbType: CB_NONE,
    cb: new Uint8Array(0),
    credential: null,
    resume: null,
    ...body,
  };
  const bodyBytes = encodeAuthBody(full);
  return encodeSigned(MSG_AUTH, bodyBytes, signer.sign(clientSignatureInput(transcriptHash(hello, bodyBytes))));
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
  return undefined;
}

// An encoding of the identity point: small order, refused by the strict import rule.
const IDENTITY_POINT = Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 0));

describe('[HS-3.4] steps 1-8 (proveClientAuth)', () => {
  it('accepts a good ClientAuth and returns the transcript hash and the proven key', () => {
    const client = newKey();
    const bytes = clientAuth(client);
    const proven = proveClientAuth(bytes, hello, rules(), {}, NOW);
    expect(proven.clientKey.kid).toEqual(keyId(client.publicKey));
    expect(proven.existing).toBeUndefined();
    expect(proven.th).toEqual(transcriptHash(hello, proven.auth.bodyBytes));
  });

  it('refuses each step with its code', () => {
    const client = newKey();
    const ok = clientAuth(client);
    const prove = (bytes: Uint8Array, r: Partial<ClientAuthRules> = {}, peer: SessionPeer = {}) => codeOf(() => proveClientAuth(bytes, hello, rules(r), peer, NOW));
    expect(prove(ok, { maxHandshakeSize: ok.length - 1 })).toBe('ERR_TOO_LARGE');
    expect(prove(hello)).toBe('ERR_UNEXPECTED_MESSAGE');
    expect(prove(Uint8Array.of(0xd2, 0x84))).toBe('ERR_UNEXPECTED_MESSAGE');
    expect(prove(ok.subarray(0, ok.length - 1))).toMatch(/^ERR_/);
    expect(prove(clientAuth(client, { version: 2 }))).toBe('ERR_UNSUPPORTED_VERSION');
    expect(prove(clientAuth(client, { time: NOW - 5001 }))).toBe('ERR_CLOCK_SKEW');
    expect(prove(clientAuth(client, { time: NOW + 5000 }))).toBeUndefined();
    expect(prove(clientAuth(client, { origin: 'https://evil.example' }))).toBe('ERR_ORIGIN');
    expect(prove(ok, {}, { origin: 'https://other.example' })).toBe('ERR_ORIGIN');
    const exporter = randomBytes(32);
    const bound = clientAuth(client, { cbType: CB_TLS_EXPORTER, cb: channelBindingHash(exporter) });
    expect(prove(bound)).toBe('ERR_CHANNEL_BINDING'); // we have no exporter
    expect(prove(bound, {}, { tlsExporter: randomBytes(32) })).toBe('ERR_CHANNEL_BINDING'); // another TLS connection
    expect(prove(bound, {}, { tlsExporter: exporter })).toBeUndefined();
    expect(prove(ok, { requireChannelBinding: true })).toBe('ERR_CHANNEL_BINDING');
    expect(prove(clientAuth(client, { key: IDENTITY_POINT }))).toBe('ERR_BAD_KEY');
    const revoked = new KeyRing();
    revoked.revokeKey(keyId(client.publicKey));
    expect(prove(ok, { keys: revoked })).toBe('ERR_KEY_REVOKED');
    expect(prove(clientAuth(client, {}, newKey()))).toBe('ERR_BAD_SIGNATURE');
  });

  it('gives a message failing several steps the code of the earliest, in spec order', () => {
    const client = newKey();
    const revoked = new KeyRing();
    revoked.revokeKey(keyId(client.publicKey));
    // Each failure from step k on is applied at once; the verdict must be step k's code.
    const steps: Array<{ code: string; body?: Partial<AuthBody>; rules?: Partial<ClientAuthRules>; badSignature?: true }> = [
      { code: 'ERR_UNSUPPORTED_VERSION', body: { version: 7 } },
      { code: 'ERR_CLOCK_SKEW', body: { time: NOW - 60_000 } },
      { code: 'ERR_ORIGIN', body: { origin: 'https://evil.example' } },
      { code: 'ERR_CHANNEL_BINDING', rules: { requireChannelBinding: true } },
      { code: 'ERR_KEY_REVOKED', rules: { keys: revoked } },
      { code: 'ERR_BAD_SIGNATURE', badSignature: true },
    ];
    for (let k = 0; k < steps.length; k++) {
      const later = steps.slice(k);
      const body = Object.assign({}, ...later.map((s) => s.body ?? {})) as Partial<AuthBody>;
      const r = Object.assign({}, ...later.map((s) => s.rules ?? {})) as Partial<ClientAuthRules>;
      const bytes = clientAuth(client, body, later.some((s) => s.badSignature) ? newKey() : client);
      expect(codeOf(() => proveClientAuth(bytes, hello, rules(r), {}, NOW)), `from step ${steps[k]!.code}`).toBe(steps[k]!.code);
      // Size and message type come before all of them.
      expect(codeOf(() => proveClientAuth(bytes, hello, rules({ ...r, maxHandshakeSize: 16 }), {}, NOW))).toBe('ERR_TOO_LARGE');
    }
    // A bad key (step 7) is refused before its signature is looked at (step 8).
    expect(codeOf(() => proveClientAuth(clientAuth(client, { key: IDENTITY_POINT }, newKey()), hello, rules(), {}, NOW))).toBe('ERR_BAD_KEY');
  });
});

describe('[HS-3.4] steps 9-11', () => {
  it('step 9: without a hook, the key must be in the ring with an identity', async () => {
    const client = newKey();
    const keys = new KeyRing();
    const proven = proveClientAuth(clientAuth(client), hello, rules({ keys }), {}, NOW);
    await expect(checkCredential(proven, undefined, {})).rejects.toMatchObject({ code: 'ERR_UNAUTHENTICATED' });
    keys.add(client.publicKey, { identity: 'alice' });
    const known = proveClientAuth(clientAuth(client), hello, rules({ keys }), {}, NOW);
    await expect(checkCredential(known, undefined, {})).resolves.toEqual({ identity: 'alice' });
  });

  it('step 9: the hook sees a copy of the credential, and a malformed answer is its bug (TypeError)', async () => {
    const client = newKey();
    const proven = proveClientAuth(clientAuth(client, { credential: Uint8Array.of(1, 2) }), hello, rules(), { address: '10.0.0.9' }, NOW);
    let seen: unknown;
    const who = await checkCredential(proven, (credential, _key, ctx) => ((seen = { credential, ctx }), { identity: 'bob', expiresAt: NOW + 1 }), { address: '10.0.0.9' });
    expect(who.identity).toBe('bob');
    expect(seen).toEqual({ credential: Uint8Array.of(1, 2), ctx: { origin: ORIGIN, peer: '10.0.0.9', resume: null } });
    await expect(checkCredential(proven, () => ({ identity: '' }), {})).rejects.toBeInstanceOf(TypeError);
    expect(codeOf(() => checkExpiry(who, NOW + 1))).toBe('ERR_CREDENTIAL_EXPIRED');
    expect(codeOf(() => checkExpiry(who, NOW))).toBeUndefined();
  });

  it('step 10: the session rate, then the cap ([POL-4.3]); one key names one identity ([HS-5.4])', () => {
    expect(codeOf(() => checkIdentityAdmission('ERR_RATE_LIMITED'))).toBe('ERR_RATE_LIMITED');
    expect(codeOf(() => checkIdentityAdmission('ERR_TOO_MANY_CONNECTIONS'))).toBe('ERR_TOO_MANY_CONNECTIONS');
    expect(codeOf(() => checkIdentityAdmission('ERR_STORE'))).toBe('ERR_STORE');
    const slot = (): void => {};
    expect(checkIdentityAdmission(slot)).toBe(slot);
    const keys = new KeyRing();
    const entry = keys.add(newKey().publicKey, { identity: 'alice' });
    expect(codeOf(() => checkKeyIdentity(entry, 'alice'))).toBeUndefined();
    expect(codeOf(() => checkKeyIdentity(entry, 'mallory'))).toBe('ERR_UNAUTHENTICATED');
    expect(codeOf(() => checkKeyIdentity(undefined, 'mallory'))).toBeUndefined();
    keys.revokeKey(entry.kid);
    expect(codeOf(() => checkKeyIdentity(keys.get(entry.kid), 'alice'))).toBe('ERR_KEY_REVOKED');
  });

  it('step 11: an unknown session, or one of another key or identity, is refused', () => {
    expect(codeOf(() => checkResume(undefined, 'ab', 'alice'))).toBe('ERR_RESUME_REFUSED');
    const entry = { kid: 'ab', identity: 'alice', delivery: { outbox: { resealsSinceReceipt: 0 }, signing: { broken: false } } } as unknown as Parameters<typeof checkResume>[0];
    expect(checkResume(entry, 'ab', 'alice')).toBe(entry);
    expect(codeOf(() => checkResume(entry, 'cd', 'alice'))).toBe('ERR_RESUME_REFUSED');
    expect(codeOf(() => checkResume(entry, 'ab', 'bob'))).toBe('ERR_RESUME_REFUSED');
  });
});
