// The strict Ed25519 rule of spec/verification.md, applied before any backend sees the bytes.
// Why: backends disagree on edge cases ("Taming the many EdDSAs", Chalkias et al. 2020); with
// these checks in front of a cofactorless equation, node:crypto and noble give one verdict.
import { Point } from '@noble/ed25519';
import { ProtocolError } from '../errors.js';
import type { Ed25519Backend } from './backend.js';

export const CURVE_ORDER = 0x1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3edn;
const FIELD_P = 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffedn;
// L in little-endian bytes, for a comparison that allocates nothing on the hot path.
const L_LE = Uint8Array.from({ length: 32 }, (_, i) => Number((CURVE_ORDER >> BigInt(8 * i)) & 0xffn));

export function bytesToNumberLE(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

/** S < L, read as a 256-bit little-endian integer (spec/verification.md §3, rule V3). */
export function isCanonicalScalar(s: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const a = s[i]!;
    const b = L_LE[i]!;
    if (a !== b) return a < b;
  }
  return false; // S == L
}

/**
 * A point encoding is canonical when y < p and the sign bit is clear whenever x = 0, i.e. for
 * y = 1 and y = p - 1 (rule V2). Only these 40 of 2^256 strings fail, so a byte check suffices.
 */
export function isCanonicalPoint(p: Uint8Array): boolean {
  const last = p[31]!;
  const sign = last & 0x80;
  // y >= p: bytes are ed ff .. ff 7f (plus the 18 values above), high bit masked.
  let allFF = true;
  for (let i = 1; i < 31; i++) {
    if (p[i] !== 0xff) {
      allFF = false;
      break;
    }
  }
  if (allFF && (last & 0x7f) === 0x7f && p[0]! >= 0xed) return false;
  if (sign !== 0) {
    // y = 1: 01 00 .. 00; y = p - 1: ec ff .. ff 7f.
    let rest0 = true;
    for (let i = 1; i < 31; i++) {
      if (p[i] !== 0) {
        rest0 = false;
        break;
      }
    }
    if (rest0 && (last & 0x7f) === 0 && p[0] === 0x01) return false;
    if (allFF && (last & 0x7f) === 0x7f && p[0] === 0xec) return false;
  }
  return true;
}

/**
 * Rules K1–K4 of spec/verification.md: a public key is refused when it is imported, not when a
 * signature arrives. Throws ProtocolError ERR_BAD_KEY; the message names the rule, since keys are
 * public and saying why helps an operator fix a misconfigured peer.
 */
export function checkPublicKey(publicKey: Uint8Array, backend?: Ed25519Backend): void {
  if (publicKey.length !== 32) throw new ProtocolError('ERR_BAD_KEY', 'public key must be 32 bytes');
  if (!isCanonicalPoint(publicKey)) throw new ProtocolError('ERR_BAD_KEY', 'public key encoding is not canonical');
  if (backend?.isValidPoint !== undefined) {
    if (!backend.isValidPoint(publicKey)) throw new ProtocolError('ERR_BAD_KEY', 'public key is not a point of prime order');
    return;
  }
  let A: Point;
  try {
    A = Point.fromBytes(publicKey, false);
  } catch {
    throw new ProtocolError('ERR_BAD_KEY', 'public key is not a curve point');
  }
  // Policy: refuse small-order keys (the identity-point universal forgery) and keys with a
  // torsion component (where cofactored and cofactorless verifiers disagree).
  if (A.isSmallOrder()) throw new ProtocolError('ERR_BAD_KEY', 'public key has small order');
  if (!A.isTorsionFree()) throw new ProtocolError('ERR_BAD_KEY', 'public key is not in the prime-order subgroup');
}

/**
 * Rules V1–V4: exact length, canonical R, S < L, then the backend's cofactorless equation.
 * Returns false for every hostile signature; never throws on signature bytes.
 */
export function verifyStrict(backend: Ed25519Backend, key: unknown, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  if (!isCanonicalPoint(signature.subarray(0, 32))) return false;
  if (!isCanonicalScalar(signature.subarray(32, 64))) return false;
  return backend.verify(key, message, signature);
}

export { FIELD_P };
