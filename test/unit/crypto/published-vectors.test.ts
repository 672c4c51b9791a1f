// Backend agreement on every published Ed25519 vector (issue 2, item 5): the strict rule of
// spec/verification.md gives each RFC 8032, Wycheproof, CCTV and speccheck vector the verdict its
// source implies, on BOTH backends, through the public path (importPublicKey → verifyStrict).
import { Point } from '@noble/ed25519';
import { describe, expect, it } from 'vitest';
import { getBackend, importPublicKey, importSigningKey, isProtocolError, toHex } from '../../../src/index.js';
import type { Ed25519Backend } from '../../../src/index.js';
import { verifyStrict } from '../../../src/crypto/ed25519.js';
import {
  cctvVectors,
  msg,
  rfc8032Vectors,
  speccheckVectors,
  testBackendNames,
  wycheproofVectors,
  type Ed25519Vector,
  type Verdict,
} from '../../helpers/vectors.js';

const BACKENDS: Ed25519Backend[] = testBackendNames().map(getBackend);

/** The verdict of sealwire's public path for one backend. Anything but ERR_BAD_KEY propagates. */
export function strictVerdict(backend: Ed25519Backend, v: Pick<Ed25519Vector, 'publicKey' | 'message' | 'signature'>): Verdict {
  let key;
  try {
    key = importPublicKey(v.publicKey, { backend });
  } catch (err) {
    if (isProtocolError(err, 'ERR_BAD_KEY')) return 'bad-key';
    throw err;
  }
  return verifyStrict(backend, key.handle, v.message, v.signature) ? 'accept' : 'reject';
}

function checkAll(vectors: Ed25519Vector[]): void {
  for (const v of vectors) {
    const verdicts = BACKENDS.map((b) => strictVerdict(b, v));
    for (let i = 0; i < BACKENDS.length; i++) {
      expect(verdicts[i], msg(v, `backend=${BACKENDS[i]!.name}`)).toBe(v.expected);
    }
  }
}

function counts(vectors: Ed25519Vector[]): Record<Verdict, number> {
  const c: Record<Verdict, number> = { accept: 0, 'bad-key': 0, reject: 0 };
  for (const v of vectors) c[v.expected]++;
  return c;
}

describe('RFC 8032 §7.1', () => {
  const vectors = rfc8032Vectors();
  it('loads all 5 tests', () => expect(vectors.length).toBe(5));
  it.each(vectors.map((v) => [v.id, v] as const))('%s verifies on both backends', (_id, v) => checkAll([v]));
  it.each(vectors.map((v) => [v.id, v] as const))('%s: both backends sign it byte for byte', (_id, v) => {
    for (const backend of BACKENDS) {
      const signer = importSigningKey(v.secretKey, { backend });
      expect(toHex(signer.publicKey), msg(v, backend.name)).toBe(toHex(v.publicKey));
      expect(toHex(signer.sign(v.message)), msg(v, backend.name)).toBe(toHex(v.signature));
    }
  });
});

describe('Wycheproof ed25519_test.json', () => {
  const vectors = wycheproofVectors();
  it('loads 151 tests: 88 valid, 63 invalid', () => {
    expect(vectors.length).toBe(151);
    expect(counts(vectors)).toEqual({ accept: 88, 'bad-key': 0, reject: 63 });
  });
  it.each(vectors.map((v) => [v.id, v] as const))('%s', (_id, v) => checkAll([v]));
});

describe('C2SP CCTV ed25519vectors.json', () => {
  const vectors = cctvVectors();
  it('loads 914 vectors and the flag rule leaves a non-trivial accept set', () => {
    expect(vectors.length).toBe(914);
    const c = counts(vectors);
    expect(c.accept).toBeGreaterThan(0);
    expect(c.reject).toBeGreaterThan(0);
    expect(c['bad-key']).toBeGreaterThan(0);
  });
  it.each(vectors.map((v) => [v.id, v] as const))('%s', (_id, v) => checkAll([v]));
});

describe('speccheck ("Taming the many EdDSAs", Table 5)', () => {
  const vectors = speccheckVectors();

  // Re-derives the paper's description of each case with noble's raw point arithmetic (not with
  // sealwire's checks), so the annotated table cannot silently drift from the data.
  function classify(bytes: Uint8Array): { cls: 'small' | 'mixed' | 'prime'; canonical: boolean } {
    const P = Point.fromBytes(bytes, true); // zip215 decoding: accepts non-canonical encodings
    const cls = P.isSmallOrder() ? 'small' : P.isTorsionFree() ? 'prime' : 'mixed';
    return { cls, canonical: toHex(P.toBytes()) === toHex(bytes) };
  }

  it.each(vectors.map((v) => [v.id, v] as const))('%s matches its table row', (_id, v) => {
    const A = classify(v.publicKey);
    const R = classify(v.signature.subarray(0, 32));
    expect(A.cls, msg(v, 'A class')).toBe(v.table.A);
    expect(R.cls, msg(v, 'R class')).toBe(v.table.R);
    expect(A.canonical, msg(v, 'A canonical')).toBe(v.table.nonCanonical !== 'A');
    expect(R.canonical, msg(v, 'R canonical')).toBe(v.table.nonCanonical !== 'R');
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(v.signature[i]!);
    expect(s >= Point.CURVE().n, msg(v, 'S >= L')).toBe(v.table.sAtLeastL === true);
  });

  it.each(vectors.map((v) => [v.id, v] as const))('%s gets the strict verdict on both backends', (_id, v) => checkAll([v]));

  it('the strict rule rejects all 12 cases', () => {
    expect(counts(vectors).accept).toBe(0);
  });
});
