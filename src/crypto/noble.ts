// Portable backend: @noble/ed25519 point arithmetic with @noble/hashes, for browsers, Deno and Bun.
import { Point, etc, hashes, sign as nobleSign } from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import type { Ed25519Backend } from './backend.js';
import { bytesToNumberLE, CURVE_ORDER } from './ed25519.js';

interface NobleKey {
  readonly point: Point;
  readonly bytes: Uint8Array;
}

/**
 * noble's own `verify` uses the cofactored equation; the spec pins the cofactorless one that
 * OpenSSL, BoringSSL, Go and WebCrypto use, so verification is written here on noble's points.
 */
export function createNobleBackend(): Ed25519Backend {
  // noble's synchronous API needs a hash; set it only when the application has not chosen one.
  if (hashes.sha512 === undefined) hashes.sha512 = sha512;
  return {
    name: 'noble',
    importPublicKey(publicKey: Uint8Array): NobleKey {
      return { point: Point.fromBytes(publicKey, false), bytes: publicKey.slice() };
    },
    importSecretKey(secretKey: Uint8Array): Uint8Array {
      return secretKey.slice();
    },
    verify(key: unknown, message: Uint8Array, signature: Uint8Array): boolean {
      const { point: A, bytes: a } = key as NobleKey;
      const r = signature.subarray(0, 32);
      let R: Point;
      try {
        R = Point.fromBytes(r, false);
      } catch {
        return false;
      }
      const s = bytesToNumberLE(signature.subarray(32, 64));
      const k = etc.mod(bytesToNumberLE(sha512(etc.concatBytes(r, a, message))), CURVE_ORDER);
      const sB = Point.BASE.multiply(s, false);
      return R.add(A.multiply(k, false)).equals(sB);
    },
    sign(secretKey: unknown, message: Uint8Array): Uint8Array {
      return nobleSign(message, secretKey as Uint8Array);
    },
  };
}
