// Optional native path: libsodium through sodium-native (an optionalDependency). Loaded at run
// time through createRequire, never imported statically, so the core still loads in a browser
// and works when the package is absent.
import type { Ed25519Backend } from './backend.js';
import { CURVE_ORDER } from './ed25519.js';
import { createNodeBackend, loadNodeCrypto } from './node.js';

/** The part of sodium-native this backend uses. */
interface SodiumNative {
  crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  crypto_sign_detached(signature: Uint8Array, message: Uint8Array, secretKey: Uint8Array): void;
  crypto_sign_seed_keypair(publicKey: Uint8Array, secretKey: Uint8Array, seed: Uint8Array): void;
  crypto_scalarmult_ed25519_noclamp?(q: Uint8Array, n: Uint8Array, p: Uint8Array): void;
  crypto_core_ed25519_is_valid_point?(p: Uint8Array): boolean;
  crypto_core_ed25519_add?(r: Uint8Array, p: Uint8Array, q: Uint8Array): void;
}

interface SodiumKey {
  readonly bytes: Uint8Array;
  /** node:crypto handle for the one case libsodium refuses by policy; made on first need. */
  fallback: unknown;
}

type NodeModule = typeof import('node:module');

let loaded: SodiumNative | null | undefined;

/** sodium-native when it is installed and loads in this runtime, else undefined. Cached. */
export function loadSodium(): SodiumNative | undefined {
  if (loaded !== undefined) return loaded ?? undefined;
  loaded = null;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    const mod = proc?.getBuiltinModule?.('node:module') as NodeModule | undefined;
    if (mod === undefined) return undefined;
    const s = mod.createRequire(import.meta.url)('sodium-native') as Partial<SodiumNative>;
    if (
      typeof s.crypto_sign_verify_detached === 'function' &&
      typeof s.crypto_sign_detached === 'function' &&
      typeof s.crypto_sign_seed_keypair === 'function'
    ) {
      loaded = s as SodiumNative;
    }
  } catch {
    // Not installed, or no prebuild for this platform: the caller falls back to node:crypto.
  }
  return loaded ?? undefined;
}

/**
 * Messages longer than this go to node:crypto: OpenSSL's SHA-512 outruns libsodium's, and the two
 * cross near 32 KiB on x64 (bench/RESULTS.md: libsodium 1.6× node:crypto at 32 B, 0.88× at 64 KiB).
 */
export const SODIUM_MAX_MESSAGE = 32 * 1024;

/** R = identity, the one canonical small-order R a cofactorless verifier can accept. */
function isIdentityR(signature: Uint8Array): boolean {
  if (signature[0] !== 1) return false;
  for (let i = 1; i < 32; i++) if (signature[i] !== 0) return false;
  return true;
}

// L + 1, little-endian: [L + 1]A = A exactly when A is torsion-free.
const L_PLUS_1 = Uint8Array.from({ length: 32 }, (_, i) => Number(((CURVE_ORDER + 1n) >> BigInt(8 * i)) & 0xffn));

/**
 * Rules K3–K4 natively, one scalar multiplication (about 2 verifications; noble's BigInt check
 * costs 16–30). libsodium refuses an off-curve or small-order A (and a product at infinity); what
 * it computes equals A only if [L]A is the identity. Not `crypto_core_ed25519_is_valid_point`: it
 * accepts some mixed-order keys of the CCTV vectors.
 */
function isPrimeOrder(na: SodiumNative, mul: NonNullable<SodiumNative['crypto_scalarmult_ed25519_noclamp']>, publicKey: Uint8Array): boolean {
  const q = new Uint8Array(32);
  try {
    mul.call(na, q, L_PLUS_1, publicKey);
  } catch {
    return false;
  }
  for (let i = 0; i < 32; i++) if (q[i] !== publicKey[i]) return false;
  return true;
}

// A prime-order key (the public key of the seed 32 × 0x01) and the point of order 2, y = p − 1.
const PRIME_KEY = Uint8Array.from([
  0x8a, 0x88, 0xe3, 0xdd, 0x74, 0x09, 0xf1, 0x95, 0xfd, 0x52, 0xdb, 0x2d, 0x3c, 0xba, 0x5d, 0x72, 0xca, 0x67, 0x09, 0xbf, 0x1d, 0x94, 0x12, 0x1b, 0xf3, 0x74,
  0x88, 0x01, 0xb4, 0x0f, 0x6f, 0x5c,
]);
const ORDER_2 = Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 0xec : i === 31 ? 0x7f : 0xff));

/**
 * libsodium's subgroup test compared only X of [L]A with 0, so keys of order 2L passed; the fix
 * (upstream commit f2da4cd8) also requires Y = Z. With it, `crypto_core_ed25519_is_valid_point`
 * is rules K2–K4 in one multiplication by L (0.8 verifications instead of 1.9). Probed once.
 */
export function hasExactSubgroupTest(na: SodiumNative): boolean {
  const valid = na.crypto_core_ed25519_is_valid_point;
  const add = na.crypto_core_ed25519_add;
  if (typeof valid !== 'function' || typeof add !== 'function') return false;
  try {
    const mixed = new Uint8Array(32);
    add.call(na, mixed, PRIME_KEY, ORDER_2);
    return valid.call(na, PRIME_KEY) && !valid.call(na, mixed);
  } catch {
    return false;
  }
}

/** The native K2–K4 check this libsodium offers, if any. */
function nativePointCheck(na: SodiumNative): ((publicKey: Uint8Array) => boolean) | undefined {
  if (hasExactSubgroupTest(na)) return (publicKey) => na.crypto_core_ed25519_is_valid_point!(publicKey);
  const mul = na.crypto_scalarmult_ed25519_noclamp;
  return typeof mul === 'function' ? (publicKey) => isPrimeOrder(na, mul, publicKey) : undefined;
}

/**
 * libsodium's `crypto_sign_verify_detached` (1.0.16+, without ED25519_COMPAT) is cofactorless and
 * compares R byte-for-byte, like OpenSSL; on top it refuses any small-order R and small-order or
 * non-canonical A. Under spec/verification.md the inputs reaching a backend already have a
 * canonical R, S < L, and a torsion-free A, so [S]B − [k]A lies in the prime-order subgroup and
 * only one small-order R can ever equal it: the identity (a signer holding the secret key can make
 * S = k·a). libsodium refuses that signature while node:crypto and noble accept it, so the
 * identity-R case goes to node:crypto. Every other input gets libsodium's verdict, which then
 * equals the spec's.
 */
export function createSodiumBackend(sodium: SodiumNative | undefined = loadSodium()): Ed25519Backend {
  if (sodium === undefined) throw new Error('sodium-native is not installed or cannot load here');
  const na = sodium;
  // The identity-R fallback needs node:crypto; without it this backend is not offered at all.
  const crypto = loadNodeCrypto();
  if (crypto === undefined) throw new Error('the sodium backend needs node:crypto for its fallback');
  let node: Ed25519Backend | undefined;
  const isValidPoint = nativePointCheck(na);
  return {
    name: 'sodium',
    ...(isValidPoint ? { isValidPoint } : {}),
    importPublicKey(publicKey: Uint8Array): SodiumKey {
      return { bytes: publicKey.slice(), fallback: undefined };
    },
    importSecretKey(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
      const pk = new Uint8Array(32);
      const sk = new Uint8Array(64);
      na.crypto_sign_seed_keypair(pk, sk, secretKey);
      for (let i = 0; i < 32; i++) {
        if (pk[i] !== publicKey[i]) throw new RangeError('"publicKey" does not belong to "secretKey"');
      }
      return sk;
    },
    verify(key: unknown, message: Uint8Array, signature: Uint8Array): boolean {
      const k = key as SodiumKey;
      // Policy: the spec's cofactorless rule accepts R = identity when [S]B = [k]A; libsodium
      // refuses it, so node:crypto decides that case and every backend gives one verdict. Long
      // messages go there too, for speed; the verdicts are the same (test/unit/crypto/sodium.test.ts).
      if (message.length > SODIUM_MAX_MESSAGE || isIdentityR(signature)) {
        node ??= createNodeBackend(crypto);
        k.fallback ??= node.importPublicKey(k.bytes);
        return node.verify(k.fallback, message, signature);
      }
      return na.crypto_sign_verify_detached(signature, message, k.bytes);
    },
    sign(secretKey: unknown, message: Uint8Array): Uint8Array {
      const sig = new Uint8Array(64);
      na.crypto_sign_detached(sig, message, secretKey as Uint8Array);
      return sig;
    },
  };
}
