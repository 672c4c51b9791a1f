// Generic COSE_Sign1 verification with no sealwire profile: for interop checks against other COSE
// implementations and published examples. The encoding rules and the strict Ed25519 rule still apply.
import { ProtocolError, SIGNATURE_FAILED } from '../errors.js';
import { assertBytes } from '../bytes.js';
import { verifyStrict } from '../crypto/ed25519.js';
import { isPublicKey, type PublicKey } from '../keys/keys.js';
import { ALG_ED25519, ALG_EDDSA, LABEL, readProtectedMap, readSign1, sigStructure } from '../wire/envelope.js';

export interface VerifiedSign1 {
  readonly protectedBytes: Uint8Array;
  readonly payload: Uint8Array;
}

/**
 * Verifies any COSE_Sign1 (tagged or untagged) signed with Ed25519 under `EdDSA` (-8) or
 * `Ed25519` (-19) in the protected header, with the given external_aad (default empty).
 *
 * @throws {ProtocolError} an encoding code, `ERR_DUPLICATE_LABEL` (a label in both buckets),
 *   `ERR_UNKNOWN_CRITICAL` (any `crit`), `ERR_UNSUPPORTED_ALG`, or `ERR_BAD_SIGNATURE`.
 * @example
 * ```ts
 * verifySign1(coseBytes, importPublicKey(x))
 * ```
 */
export function verifySign1(bytes: Uint8Array, key: PublicKey, externalAad: Uint8Array = new Uint8Array(0)): VerifiedSign1 {
  assertBytes(bytes, 'bytes');
  if (!isPublicKey(key)) throw new TypeError('"key" expected a PublicKey from importPublicKey()');
  assertBytes(externalAad, 'externalAad');
  const raw = readSign1(bytes, false);
  const protectedMap = readProtectedMap(raw.protectedBytes);
  // RFC 9052 §3: a label may appear in only one bucket, and a critical header this verifier does
  // not process must fail the message. It processes none, so any `crit` fails.
  for (const label of raw.unprotected.keys()) {
    if (protectedMap.has(label)) throw new ProtocolError('ERR_DUPLICATE_LABEL', 'label in both header buckets');
  }
  if (protectedMap.has(LABEL.crit) || raw.unprotected.has(LABEL.crit)) {
    throw new ProtocolError('ERR_UNKNOWN_CRITICAL', 'critical header parameters are not supported');
  }
  const alg = protectedMap.get(LABEL.alg);
  if (alg !== ALG_EDDSA && alg !== ALG_ED25519) throw new ProtocolError('ERR_UNSUPPORTED_ALG', 'unsupported alg');
  if (!verifyStrict(key.backend, key.handle, sigStructure(raw.protectedBytes, externalAad, raw.payload), raw.signature)) {
    throw new ProtocolError('ERR_BAD_SIGNATURE', SIGNATURE_FAILED);
  }
  return { protectedBytes: raw.protectedBytes, payload: raw.payload };
}
