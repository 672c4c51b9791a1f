// The platform's WebCrypto as a room member's verifier (src/crypto/webcrypto.ts): used only where
// it gives the strict rule's verdict. Node's WebCrypto stands in for a browser's here; the probe
// refuses platforms that accept the cofactored equation, accept anything, or lack Ed25519.
import { describe, expect, it } from 'vitest';
import { importPublicKey, type PublicKey } from '../../../src/index.js';
import { probeWith, webCryptoVerify, type Subtle } from '../../../src/crypto/webcrypto.js';
import { allEd25519Vectors, msg } from '../../helpers/vectors.js';

describe('WebCrypto Ed25519 verification', () => {
  it('is chosen on a platform that has it, and gives every published vector the strict verdict', async () => {
    const verify = await webCryptoVerify();
    expect(verify).toBeTypeOf('function');
    let checked = 0;
    for (const v of allEd25519Vectors()) {
      let key: PublicKey;
      try {
        key = importPublicKey(v.publicKey);
      } catch {
        continue; // refused at import (K1–K4): WebCrypto is never asked
      }
      expect(await verify!(key, v.message, v.signature), msg(v)).toBe(v.expected === 'accept');
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('is refused where the platform accepts a torsion R (cofactored), accepts anything, or has no Ed25519', async () => {
    const real = globalThis.crypto.subtle;
    // A cofactored platform: accepts what the strict rule refuses only for the probe's torsion R.
    const lenient: Subtle = {
      importKey: real.importKey.bind(real) as Subtle['importKey'],
      verify: (async () => true) as Subtle['verify'],
    };
    expect(await probeWith(lenient)).toBeUndefined();
    const none: Subtle = {
      importKey: (async () => {
        throw new DOMException('Unrecognized algorithm name', 'NotSupportedError');
      }) as Subtle['importKey'],
      verify: real.verify.bind(real) as Subtle['verify'],
    };
    expect(await probeWith(none)).toBeUndefined();
    const broken: Subtle = { importKey: real.importKey.bind(real) as Subtle['importKey'], verify: (async () => false) as Subtle['verify'] };
    expect(await probeWith(broken)).toBeUndefined();
    expect(await probeWith(real)).toBeTypeOf('function');
  });

  it('refuses a non-canonical S or R before the platform sees it', async () => {
    const v = allEd25519Vectors().find((x) => x.source === 'rfc8032')!;
    const key = importPublicKey(v.publicKey);
    const verify = (await webCryptoVerify())!;
    expect(await verify(key, v.message, v.signature)).toBe(true);
    const highS = v.signature.slice();
    highS[63]! |= 0xf0; // S ≥ L
    expect(await verify(key, v.message, highS)).toBe(false);
    expect(await verify(key, v.message, v.signature.subarray(0, 63))).toBe(false);
  });
});
