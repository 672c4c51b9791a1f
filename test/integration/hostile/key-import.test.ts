// Finding 2 of issue 15: the strict key import (K1–K4) ran noble's BigInt point checks on every
// handshake, 16–30 verifications' worth, before any proof of possession. Now a key seen before
// costs a cache lookup, and a new key on the sodium backend one native scalar multiplication.
// Timings are compared with verification measured in the same loop shape, with wide margins (the
// machine is shared); bench/suites/key-import.ts measures the ratios properly.
import { describe, expect, it } from 'vitest';
import { generateKeyPair, importPublicKey, importSigningKey } from '../../../src/index.js';
import { getBackend } from '../../../src/crypto/select.js';
import { verifyStrict } from '../../../src/crypto/ed25519.js';
import { loadSodium } from '../../../src/crypto/sodium.js';

const N = 200;

/** Best of five runs of `n` calls, in ms per call. */
function perCall(fn: (i: number) => unknown, n = N): number {
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn(i);
    best = Math.min(best, (performance.now() - t0) / n);
  }
  return best;
}

function verifyCost(name: string): number {
  const backend = getBackend(name);
  const signer = importSigningKey(generateKeyPair().secretKey, { backend });
  const key = importPublicKey(signer.publicKey, { backend });
  const message = new Uint8Array(200).fill(1);
  const signature = signer.sign(message);
  expect(verifyStrict(backend, key.handle, message, signature)).toBe(true);
  return perCall(() => verifyStrict(backend, key.handle, message, signature));
}

describe('key import cost before proof of possession', () => {
  it.each(['node', 'noble', ...(loadSodium() ? ['sodium'] : [])])('%s: a key imported before costs less than one verification', (name) => {
    const backend = getBackend(name);
    const keys = Array.from({ length: 16 }, () => generateKeyPair().publicKey);
    for (const k of keys) importPublicKey(k, { backend });
    const again = perCall((i) => importPublicKey(keys[i % keys.length]!, { backend }));
    expect(again).toBeLessThan(verifyCost(name));
  });

  it.skipIf(!loadSodium())('sodium: a new key costs at most 4 verifications (was 16–30)', () => {
    const backend = getBackend('sodium');
    const fresh = Array.from({ length: 5 * N }, () => generateKeyPair().publicKey);
    let next = 0;
    const cost = perCall(() => importPublicKey(fresh[next++]!, { backend }));
    const verify = verifyCost('sodium');
    console.info(`sodium: new-key import ${(cost * 1000).toFixed(0)} µs, verify ${(verify * 1000).toFixed(0)} µs`);
    expect(cost).toBeLessThan(4 * verify);
  });

  it('a refused key stays refused when imported again, on every backend', () => {
    // An order-8 point added to nothing: the identity's neighbour, canonical and small-order.
    const smallOrder = Uint8Array.from(Buffer.from('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', 'hex'));
    for (const name of ['node', 'noble', ...(loadSodium() ? ['sodium'] : [])]) {
      for (let i = 0; i < 2; i++) expect(() => importPublicKey(smallOrder, { backend: getBackend(name) })).toThrow(expect.objectContaining({ code: 'ERR_BAD_KEY' }));
    }
  });
});
