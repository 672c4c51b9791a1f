// An independent reference for the generator: the spec's rules written again from the spec, with
// no import from src/. Expected results come from here (and from each external source's own
// labels, cross-checked against it), never from the implementation under test.
import { Point, getPublicKey, hashes, sign } from '@noble/ed25519';
import { sha256, sha512 } from '@noble/hashes/sha2.js';

hashes.sha512 = sha512;

export const L = 2n ** 252n + 27742317777372353535851937790883648493n;

export const enc = new TextEncoder();

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export function unhex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'));
}

export function cat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

function le(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

export function leBytes(n: bigint, len = 32): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** A fixed, named seed: every generated key comes from one of these, so regeneration is exact. */
export function seed(label: string): Uint8Array {
  return sha256(enc.encode(`sealwire conformance seed: ${label}`));
}

export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  return getPublicKey(secretKey);
}

/** RFC 8032 signing is deterministic: the same key and message give the same signature. */
export function signRef(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  return sign(message, secretKey);
}

/** RFC 7638 thumbprint of the OKP JWK: the default key id (spec/envelope.md). */
export function thumbprint(publicKey: Uint8Array): Uint8Array {
  const x = Buffer.from(publicKey).toString('base64url');
  return sha256(enc.encode(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`));
}

/** Facts about a 32-byte point encoding, computed by decode → re-encode and by multiplication. */
export interface PointFacts {
  decodes: boolean;
  canonical: boolean;
  smallOrder: boolean;
  torsionFree: boolean;
  point: InstanceType<typeof Point> | undefined;
}

export function pointFacts(bytes: Uint8Array): PointFacts {
  let p: InstanceType<typeof Point>;
  try {
    // zip215 = true: decode even non-canonical y, so that canonicity is judged here by re-encoding.
    p = Point.fromBytes(bytes, true);
  } catch {
    return { decodes: false, canonical: false, smallOrder: false, torsionFree: false, point: undefined };
  }
  const canonical = Buffer.from(p.toBytes()).equals(Buffer.from(bytes));
  return {
    decodes: true,
    canonical,
    smallOrder: mul(p, 8n).is0(),
    // [L]P = 0, written as [L-1]P = -P because scalars must stay below L.
    torsionFree: mul(p, L - 1n).equals(p.negate()),
    point: p,
  };
}

type P = InstanceType<typeof Point>;

/** [n]P for any 0 <= n < L (noble refuses 0 in some versions). */
function mul(p: P, n: bigint): P {
  return n === 0n ? Point.ZERO : p.multiplyUnsafe(n);
}

export type Verdict = 'ok' | 'ERR_BAD_KEY' | 'ERR_BAD_SIGNATURE';

/**
 * spec/verification.md, restated: a key is refused at import unless it is 32 bytes, a canonical
 * encoding of a curve point, not of small order and torsion-free; a signature is refused unless it
 * is 64 bytes, R canonical, S < L, and [S]B = R + [k]A holds (cofactorless).
 */
export function strictVerdict(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Verdict {
  if (publicKey.length !== 32) return 'ERR_BAD_KEY';
  const a = pointFacts(publicKey);
  if (!a.decodes || !a.canonical || a.smallOrder || !a.torsionFree) return 'ERR_BAD_KEY';
  if (signature.length !== 64) return 'ERR_BAD_SIGNATURE';
  const rBytes = signature.subarray(0, 32);
  const r = pointFacts(rBytes);
  if (!r.decodes || !r.canonical) return 'ERR_BAD_SIGNATURE';
  const s = le(signature.subarray(32));
  if (s >= L) return 'ERR_BAD_SIGNATURE';
  const k = le(sha512(cat(rBytes, publicKey, message))) % L;
  const lhs = mul(Point.BASE, s);
  const rhs = r.point!.add(mul(a.point!, k));
  return lhs.equals(rhs) ? 'ok' : 'ERR_BAD_SIGNATURE';
}

/** True when only the cofactored equation [8][S]B = [8]R + [8][k]A holds (for flagging). */
export function cofactoredOnly(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  const a = pointFacts(publicKey);
  const r = pointFacts(signature.subarray(0, 32));
  if (!a.point || !r.point) return false;
  const s = le(signature.subarray(32)) % L;
  const k = le(sha512(cat(signature.subarray(0, 32), publicKey, message))) % L;
  const d = mul(Point.BASE, s).subtract(r.point.add(mul(a.point, k)));
  return !d.is0() && mul(d, 8n).is0();
}

export function scalarOf(signature: Uint8Array): bigint {
  return le(signature.subarray(32));
}
