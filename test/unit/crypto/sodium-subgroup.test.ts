// The sodium backend trusts crypto_core_ed25519_is_valid_point for rules K2–K4 only where its
// subgroup test is exact ([L]A = identity, not just X = 0); elsewhere it multiplies by L + 1.
// Either way every key vector gets the portable check's verdict (spec/verification.md §2).
import { describe, expect, it } from 'vitest';
import { fromHex, getBackend, importPublicKey, isProtocolError, type Ed25519Backend } from '../../../src/index.js';
import { createSodiumBackend, hasExactSubgroupTest, loadSodium } from '../../../src/crypto/sodium.js';
import { allEd25519Vectors } from '../../helpers/vectors.js';

const real = loadSodium() as unknown as Record<string, (...a: Uint8Array[]) => unknown> | undefined;
const ORDER_2 = fromHex('ec' + 'ff'.repeat(30) + '7f');
const L_PLUS_1 = fromHex('eed3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');

function add(p: Uint8Array, q: Uint8Array): Uint8Array {
  const r = new Uint8Array(32);
  real!['crypto_core_ed25519_add']!(r, p, q);
  return r;
}

// [L + 1]A = A exactly for a prime-order A: an exact subgroup test built from the installed lib.
function exact(p: Uint8Array): boolean {
  const q = new Uint8Array(32);
  try {
    real!['crypto_scalarmult_ed25519_noclamp']!(q, L_PLUS_1, p);
  } catch {
    return false;
  }
  return q.every((b, i) => b === p[i]);
}

function withPointCheck(check: (p: Uint8Array) => boolean): Record<string, unknown> {
  const fake: Record<string, unknown> = {};
  for (const name of Object.keys(real!)) if (typeof real![name] === 'function') fake[name] = real![name]!.bind(real);
  fake['crypto_core_ed25519_is_valid_point'] = check;
  return fake;
}

function verdict(backend: Ed25519Backend, key: Uint8Array): string {
  try {
    importPublicKey(key, { backend });
    return 'ok';
  } catch (err) {
    if (!isProtocolError(err)) throw err;
    return err.code;
  }
}

const keys = [...new Map(allEd25519Vectors().map((v) => [Array.from(v.publicKey).join(), v.publicKey])).values()];

describe.skipIf(real === undefined)('sodium backend: native subgroup test', () => {
  it('an exact is_valid_point is detected and used, with the portable verdict on every key vector', () => {
    let calls = 0;
    const fake = withPointCheck((p) => {
      calls++;
      return (real!['crypto_core_ed25519_is_valid_point']!(p) as boolean) && exact(p);
    });
    expect(hasExactSubgroupTest(fake as never)).toBe(true);
    const sodium = createSodiumBackend(fake as never);
    const noble = getBackend('noble');
    calls = 0;
    for (const key of keys) expect(verdict(sodium, key), Buffer.from(key).toString('hex')).toBe(verdict(noble, key));
    expect(calls).toBeGreaterThan(0);
  });

  it('an is_valid_point that passes keys of order 2L is not trusted, and such a key is refused', () => {
    // X = 0 only: [L]A may be the point of order 2, as in libsodium before commit f2da4cd8.
    const loose = (p: Uint8Array): boolean => (real!['crypto_core_ed25519_is_valid_point']!(p) as boolean) || exact(add(p, ORDER_2));
    const fake = withPointCheck(loose);
    expect(hasExactSubgroupTest(fake as never)).toBe(false);
    const honest = fromHex('8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c');
    const mixed = add(honest, ORDER_2);
    expect(loose(mixed)).toBe(true);
    const sodium = createSodiumBackend(fake as never);
    expect(verdict(sodium, honest)).toBe('ok');
    expect(verdict(sodium, mixed)).toBe('ERR_BAD_KEY');
  });
});
