// The hot-path optimisations of issue 7 item 5 keep behaviour identical: these tests pin the cases
// a cache or a reused buffer could get wrong.
import { describe, expect, it } from 'vitest';
import { KeyRing, generateKeyPair, importPublicKey, isProtocolError } from '../../../src/index.js';
import { externalAad, sigStructure } from '../../../src/wire/envelope.js';
import { sigStructureLength, sigStructureScratch, writeSigStructure } from '../../../src/wire/sig-structure.js';

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


describe('Sig_structure writer', () => {
  // Every head-length boundary of RFC 8949 for the three byte-string members.
  const lengths = [0, 1, 23, 24, 255, 256, 65535, 65536, 300_000];
  const fill = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

  it('writes exactly the bytes of the general CBOR writer, in place and in the scratch buffer', () => {
    for (const p of [0, 1, 23, 24, 89, 300]) {
      for (const a of [externalAad(undefined, undefined), externalAad(fill(300, 3), fill(33, 4))]) {
        for (const n of lengths) {
          const prot = fill(p, 1);
          const payload = fill(n, 2);
          const want = sigStructure(prot, a, payload);
          expect(sigStructureLength(prot, a, payload), `p=${p} n=${n}`).toBe(want.length);
          const out = new Uint8Array(want.length + 5).fill(0xee);
          expect(writeSigStructure(out, prot, a, payload)).toBe(want.length);
          expect(Buffer.from(out.subarray(0, want.length)).equals(Buffer.from(want)), `p=${p} n=${n}`).toBe(true);
          expect(out[want.length]).toBe(0xee); // nothing written past the end
          expect(Buffer.from(sigStructureScratch(prot, a, payload)).equals(Buffer.from(want)), `scratch p=${p} n=${n}`).toBe(true);
        }
      }
    }
  });

  it('reuses one buffer for small inputs and gives large ones their own', () => {
    const a = externalAad(undefined, undefined);
    const first = sigStructureScratch(fill(10, 1), a, fill(10, 2));
    const second = sigStructureScratch(fill(10, 3), a, fill(10, 4));
    expect(first.buffer).toBe(second.buffer); // the documented contract: valid until the next call
    const big1 = sigStructureScratch(fill(10, 1), a, fill(400_000, 2));
    const big2 = sigStructureScratch(fill(10, 1), a, fill(400_000, 2));
    expect(big1.buffer).not.toBe(big2.buffer);
    expect(Buffer.from(big1).equals(Buffer.from(big2))).toBe(true);
  });
});

describe('KeyRing.resolve cache and hostile kids', () => {
  it('refuses an array or array-like with the cached kid bytes exactly as it did without a cache', () => {
    const ring = new KeyRing();
    const a = ring.add(generateKeyPair().publicKey);
    expect(ring.resolve(a.kid, 1)).toBe(a); // warm the cache
    for (const fake of [Array.from(a.kid), { ...a.kid, length: a.kid.length }, new DataView(a.kid.buffer)]) {
      expect(() => ring.resolve(fake as unknown as Uint8Array, 1)).toThrow();
    }
  });
});
