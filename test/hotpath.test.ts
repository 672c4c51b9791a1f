// The hot-path optimisations of issue 7 item 5 keep behaviour identical: these tests pin the cases
// a cache or a reused buffer could get wrong.
import { describe, expect, it } from 'vitest';
import { KeyRing, generateKeyPair, importPublicKey, isProtocolError } from '../src/index.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isProtocolError(err) ? err.code : String(err);
  }
  return undefined;
}

describe('KeyRing.resolve last-entry cache', () => {
  it('sees a revocation made after the entry was cached', () => {
    const ring = new KeyRing();
    const a = ring.add(generateKeyPair().publicKey);
    expect(ring.resolve(a.kid, 1)).toBe(a);
    ring.revokeKey(a.kid);
    expect(code(() => ring.resolve(a.kid, 1))).toBe('ERR_KEY_REVOKED');
  });

  it('sees an identity revocation and still applies the validity window to a cached entry', () => {
    const ring = new KeyRing();
    const a = ring.add(generateKeyPair().publicKey, { identity: 'alice', notBefore: 10, notAfter: 20, issuedAt: 10 });
    expect(ring.resolve(a.kid, 15)).toBe(a);
    expect(code(() => ring.resolve(a.kid, 9))).toBe('ERR_KEY_NOT_YET_VALID');
    expect(code(() => ring.resolve(a.kid, 21))).toBe('ERR_KEY_EXPIRED');
    ring.revokeIdentity('alice', 11);
    expect(code(() => ring.resolve(a.kid, 15))).toBe('ERR_KEY_REVOKED');
  });

  it('returns the right entry when kids alternate, differ in one byte, or differ in length', () => {
    const ring = new KeyRing();
    const kidA = new Uint8Array(32).fill(1);
    const kidB = kidA.slice();
    kidB[31] = 2;
    const a = ring.add(importPublicKey(generateKeyPair().publicKey, { kid: kidA }));
    const b = ring.add(importPublicKey(generateKeyPair().publicKey, { kid: kidB }));
    for (let i = 0; i < 3; i++) {
      expect(ring.resolve(kidA, 1)).toBe(a);
      expect(ring.resolve(kidB, 1)).toBe(b);
    }
    expect(code(() => ring.resolve(kidA.subarray(0, 31), 1))).toBe('ERR_UNKNOWN_KEY');
    const unknown = kidA.slice();
    unknown[0] = 9;
    expect(code(() => ring.resolve(unknown, 1))).toBe('ERR_UNKNOWN_KEY');
    expect(ring.resolve(kidA, 1)).toBe(a);
  });

  it('is not fooled by a caller mutating the kid it resolved with', () => {
    const ring = new KeyRing();
    const a = ring.add(generateKeyPair().publicKey);
    const kid = a.kid.slice();
    expect(ring.resolve(kid, 1)).toBe(a);
    kid[0]! ^= 1;
    expect(code(() => ring.resolve(kid, 1))).toBe('ERR_UNKNOWN_KEY');
  });
});

describe('KeyRing.resolve cache and the entries callers can reach', () => {
  it('keeps resolving by the kid the key was added under even if a caller mutates entry.kid', () => {
    const ring = new KeyRing();
    const a = ring.add(generateKeyPair().publicKey);
    const original = a.kid.slice();
    expect(ring.resolve(original, 1)).toBe(a);
    (a.kid as Uint8Array)[0]! ^= 1;
    expect(ring.resolve(original, 1)).toBe(a);
    expect(code(() => ring.resolve(a.kid, 1))).toBe('ERR_UNKNOWN_KEY');
  });
});
