import { describe, expect, it } from 'vitest';
import { CborTag, CborWriter, encodeCbor, type CborValue } from '../../../src/wire/cbor.js';
import { sigStructure } from '../../../src/wire/envelope.js';
import { generateKeyPair, importPublicKey, importSigningKey } from '../../../src/index.js';
import { verifySign1 } from '../../../src/protocol.js';

const kp = generateKeyPair();
const signer = importSigningKey(kp.secretKey);
const key = importPublicKey(kp.publicKey);

function sign1(protectedMap: Map<number, CborValue>, unprotected: Map<number, CborValue>): Uint8Array {
  const protectedBytes = encodeCbor(protectedMap);
  const payload = new TextEncoder().encode('generic');
  const signature = signer.sign(sigStructure(protectedBytes, new Uint8Array(0), payload));
  return new CborWriter().value(new CborTag(18, [protectedBytes, unprotected, payload, signature])).finish();
}

describe('verifySign1 (generic COSE_Sign1)', () => {
  it('verifies a well-formed Ed25519 COSE_Sign1 with a kid in the unprotected bucket', () => {
    const bytes = sign1(new Map([[1, -8]]), new Map([[4, Uint8Array.of(1)]]));
    expect(new TextDecoder().decode(verifySign1(bytes, key).payload)).toBe('generic');
  });

  it('refuses any crit, since it processes no critical header (RFC 9052 §3.1)', () => {
    const bytes = sign1(new Map<number, CborValue>([[1, -8], [2, [4]], [4, Uint8Array.of(1)]]), new Map());
    expect(() => verifySign1(bytes, key)).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_CRITICAL' }));
  });

  it('refuses a label present in both buckets', () => {
    const bytes = sign1(new Map<number, CborValue>([[1, -8], [4, Uint8Array.of(1)]]), new Map([[4, Uint8Array.of(2)]]));
    expect(() => verifySign1(bytes, key)).toThrow(expect.objectContaining({ code: 'ERR_DUPLICATE_LABEL' }));
  });

  it('refuses an alg carried only in the unprotected bucket', () => {
    const bytes = sign1(new Map(), new Map([[1, -8]]));
    expect(() => verifySign1(bytes, key)).toThrow(expect.objectContaining({ code: 'ERR_UNSUPPORTED_ALG' }));
  });
});
