// Third-party interop (issue 2, item 6): sealwire envelopes verify in cose-kit and @auth0/cose with
// the external_aad sealwire used; the identity-point universal forgery is accepted by both of them
// and refused by sealwire; the COSE WG Ed25519 example verifies with verifySign1() and open()
// refuses it only for the profile rule (unprotected header must be empty).
//
// cose-kit and @auth0/cose both register a CBOR tag-18 extension on the one shared cbor-x module,
// so in one process only the last registration decodes tagged input into its own class; the other
// library then throws "unknown COSE type". Both accept the untagged COSE_Sign1 (RFC 9052 §2: the
// tag may be omitted when the context implies it), so they are given the envelope minus its
// one-byte tag head (0xd2). Everything signed — the protected header, payload, signature — is
// byte-for-byte the sealwire envelope.
import { Sign1 as Auth0Sign1 } from '@auth0/cose';
import { coseVerify } from 'cose-kit';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  KeyRing,
  ProtocolError,
  getBackend,
  importPublicKey,
  importSigningKey,
  keyId,
  open,
  seal,
  toHex,
} from '../../src/index.js';
import { externalAad, verifySign1 } from '../../src/protocol.js';
import type { SealOptions } from '../../src/index.js';
import { sigStructure } from '../../src/wire/envelope.js';
import { envelope as buildEnvelope, headerEntries, map } from '../helpers/cbor-builder.js';
import { IDENTITY, coseExample, testBackendNames } from '../helpers/vectors.js';

function jwkKey(publicKey: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' });
}

function untagged(envelope: Uint8Array): Uint8Array {
  expect(envelope[0], 'sealwire envelopes start with tag 18').toBe(0xd2);
  return envelope.subarray(1);
}

async function coseKitAccepts(envelope: Uint8Array, key: KeyObject, aad: Uint8Array): Promise<boolean> {
  return (await coseVerify(untagged(envelope), key, aad)).isValid;
}

async function auth0Accepts(envelope: Uint8Array, key: KeyObject, aad: Uint8Array): Promise<boolean> {
  try {
    await Auth0Sign1.decode(untagged(envelope)).verify(key, { externalAAD: aad });
    return true;
  } catch (err) {
    if ((err as Error).name === 'COSESignatureVerificationFailed') return false;
    throw err;
  }
}

const STREAM = Uint8Array.from({ length: 16 }, (_, i) => i);
const SAMPLES: { name: string; payload: Uint8Array; options: Omit<SealOptions, 'stream'> }[] = [
  { name: 'empty payload', payload: new Uint8Array(0), options: { seq: 0, ts: 1_700_000_000_000 } },
  { name: 'text payload with aad', payload: new TextEncoder().encode('hello, interop'), options: { seq: 1, ts: 1_700_000_000_001, aad: new TextEncoder().encode('room:7') } },
  { name: '4 KiB payload, media type', payload: new Uint8Array(4096).fill(0xab), options: { seq: 2 ** 52, ts: 1_700_000_000_002, contentType: 'application/cbor' } },
  { name: 'session binding', payload: Uint8Array.of(1, 2, 3), options: { seq: 3, ts: 1_700_000_000_003, binding: new Uint8Array(33).fill(0x0b), aad: Uint8Array.of(0) } },
];

for (const backendName of testBackendNames()) {
  describe(`sealwire → cose-kit and @auth0/cose (sealed on ${backendName})`, () => {
    const signer = importSigningKey(Uint8Array.from({ length: 32 }, (_, i) => 200 - i), { backend: getBackend(backendName) });
    const key = jwkKey(signer.publicKey);

    it.each(SAMPLES.map((s) => [s.name, s] as const))('%s verifies in both with our external_aad, not without it', async (_n, s) => {
      const env = seal(signer, s.payload, { ...s.options, stream: STREAM });
      const aad = externalAad(s.options.aad, s.options.binding);
      expect(await coseKitAccepts(env, key, aad), 'cose-kit').toBe(true);
      expect(await auth0Accepts(env, key, aad), '@auth0/cose').toBe(true);
      // The domain separation is really in the signature: an empty external_aad fails in both.
      expect(await coseKitAccepts(env, key, new Uint8Array(0)), 'cose-kit, empty aad').toBe(false);
      expect(await auth0Accepts(env, key, new Uint8Array(0)), '@auth0/cose, empty aad').toBe(false);
      // And the decoded payload is ours.
      expect(toHex(Auth0Sign1.decode(untagged(env)).payload)).toBe(toHex(s.payload));
    });

    it('observed: neither library knows the fully specified Ed25519 (-19) that v1 also accepts', async () => {
      const env = seal(signer, Uint8Array.of(1), { seq: 1, ts: 1, stream: STREAM, alg: -19 });
      const aad = externalAad(undefined, undefined);
      await expect(coseKitAccepts(env, key, aad)).rejects.toThrow();
      await expect(auth0Accepts(env, key, aad)).rejects.toThrow();
      expect(open(env, { keys: importPublicKey(signer.publicKey) }).seq).toBe(1);
    });
  });
}

describe('the identity-point universal forgery', () => {
  // A = identity (01 00..00), R = identity, S = 0: [0]B = O = R + [k]A for every message.
  const forgedSignature = new Uint8Array(64);
  forgedSignature.set(IDENTITY, 0);
  const forgery = buildEnvelope({
    protectedBytes: map(...headerEntries({ kid: keyId(IDENTITY), stream: STREAM })),
    payload: new TextEncoder().encode('transfer everything to mallory'),
    signature: forgedSignature,
  });
  const aad = externalAad(undefined, undefined);

  it('IS accepted by cose-kit and @auth0/cose (both verify through node:crypto/OpenSSL)', async () => {
    expect(await coseKitAccepts(forgery, jwkKey(IDENTITY), aad)).toBe(true);
    expect(await auth0Accepts(forgery, jwkKey(IDENTITY), aad)).toBe(true);
    // It is universal: any payload, any external_aad.
    expect(await coseKitAccepts(forgery, jwkKey(IDENTITY), Uint8Array.of(1, 2, 3))).toBe(true);
  });

  it('is NOT accepted by sealwire: the key is refused at import, on every backend and in a KeyRing', () => {
    for (const name of testBackendNames()) {
      expect(() => importPublicKey(IDENTITY, { backend: getBackend(name) }), name).toThrow(
        expect.objectContaining({ name: 'ProtocolError', code: 'ERR_BAD_KEY' }),
      );
    }
    const ring = new KeyRing();
    expect(() => ring.add(IDENTITY, { identity: 'mallory' })).toThrow(expect.objectContaining({ code: 'ERR_BAD_KEY' }));
    // With the key never trusted, open() can only say it does not know the key.
    expect(() => open(forgery, { keys: ring })).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_KEY' }));
  });
});

describe('COSE WG example eddsa-sig-01 (Ed25519, RFC 8032 TEST 1 key)', () => {
  const ex = coseExample('eddsa-sig-01');

  it('verifies with verifySign1() on every backend, with the published payload', () => {
    for (const name of testBackendNames()) {
      const key = importPublicKey(ex.publicKey, { backend: getBackend(name) });
      const out = verifySign1(ex.cbor, key);
      expect(new TextDecoder().decode(out.payload), `${ex.id} ${name}`).toBe(ex.plaintext);
    }
  });

  it('our Sig_structure equals the published ToBeSign bytes, and our signer reproduces the signature', () => {
    const protectedBytes = ex.cbor.subarray(3, 3 + 5); // d2 84 45 | a2 01 27 03 00
    expect(toHex(protectedBytes)).toBe('a201270300');
    const tbs = sigStructure(protectedBytes, new Uint8Array(0), new TextEncoder().encode(ex.plaintext));
    expect(toHex(tbs), ex.id).toBe(toHex(ex.toBeSigned));
    const sig = importSigningKey(ex.secretKey).sign(tbs);
    expect(toHex(sig), ex.id).toBe(toHex(ex.cbor.subarray(ex.cbor.length - 64)));
  });

  it('a flipped bit in its signature fails verifySign1 with ERR_BAD_SIGNATURE', () => {
    const bad = ex.cbor.slice();
    bad[bad.length - 1]! ^= 1;
    expect(() => verifySign1(bad, importPublicKey(ex.publicKey))).toThrow(expect.objectContaining({ code: 'ERR_BAD_SIGNATURE' }));
  });

  it('open() refuses it for the profile reason: kid in the unprotected header → ERR_UNPROTECTED_HEADER', () => {
    const key = importPublicKey(ex.publicKey, { kid: new TextEncoder().encode(ex.kid) });
    let caught: unknown;
    try {
      open(ex.cbor, { keys: key });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ProtocolError);
    expect((caught as ProtocolError).code).toBe('ERR_UNPROTECTED_HEADER');
  });

  it('the same example verifies in the two libraries too (they agree with us on the honest case)', async () => {
    const key = jwkKey(ex.publicKey);
    expect(await coseKitAccepts(ex.cbor, key, new Uint8Array(0))).toBe(true);
    expect(await auth0Accepts(ex.cbor, key, new Uint8Array(0))).toBe(true);
  });
});

describe('COSE WG example eddsa-sig-02 (Ed448 under the same EdDSA (-8) identifier)', () => {
  const ex = coseExample('eddsa-sig-02');
  it('verifySign1() with an Ed25519 key refuses it (114-byte signature) with ERR_BAD_SIGNATURE; open() with ERR_UNPROTECTED_HEADER', () => {
    const key = importPublicKey(coseExample('eddsa-sig-01').publicKey);
    expect(ex.cbor.length).toBeGreaterThan(114);
    expect(() => verifySign1(ex.cbor, key)).toThrow(expect.objectContaining({ code: 'ERR_BAD_SIGNATURE' }));
    expect(() => open(ex.cbor, { keys: key })).toThrow(expect.objectContaining({ code: 'ERR_UNPROTECTED_HEADER' }));
  });
});
