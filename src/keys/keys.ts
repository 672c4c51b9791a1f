// Key material: strict import of public keys, signing keys, and RFC 7638 key ids.
import { getPublicKey, hashes } from '@noble/ed25519';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { assertBytes, randomBytes, utf8Encoder } from '../bytes.js';
import type { Ed25519Backend } from '../crypto/backend.js';
import { checkPublicKey } from '../crypto/ed25519.js';
import { getDefaultBackend } from '../crypto/select.js';
import { MAX_KID_LENGTH } from '../wire/envelope.js';

/** A public key that passed the strict import rule, prepared once for its backend. */
export interface PublicKey {
  readonly bytes: Uint8Array;
  readonly kid: Uint8Array;
  readonly backend: Ed25519Backend;
  /** @internal backend-specific prepared key */
  readonly handle: unknown;
}

/** A secret key ready to sign; the seed itself is held only by the backend's prepared key. */
export interface SigningKey {
  readonly publicKey: Uint8Array;
  readonly kid: Uint8Array;
  readonly backend: Ed25519Backend;
  sign(message: Uint8Array): Uint8Array;
}

export interface KeyOptions {
  /** Defaults to {@link getDefaultBackend}. */
  backend?: Ed25519Backend;
  /** Defaults to the key's RFC 7638 thumbprint ({@link keyId}). */
  kid?: Uint8Array;
}

function b64url(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]!);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * The default key id: the RFC 7638 JWK thumbprint (SHA-256, 32 bytes) of the OKP key. Any JOSE
 * library computes the same value, so a JWT's `cnf.jkt` names the key a session will use.
 *
 * @example
 * ```ts
 * const kid = keyId(publicKey) // 32 bytes
 * ```
 */
export function keyId(publicKey: Uint8Array): Uint8Array {
  assertBytes(publicKey, 'publicKey', 32);
  return sha256(utf8Encoder.encode(`{"crv":"Ed25519","kty":"OKP","x":"${b64url(publicKey)}"}`));
}

function assertOptions(options: unknown): void {
  if (options === null || typeof options !== 'object') throw new TypeError('"options" expected object');
}

/** The backend an option names, checked here so a wrong value fails at the call, not later. */
export function backendOption(backend: unknown): Ed25519Backend {
  if (backend === undefined) return getDefaultBackend();
  const b = backend as Partial<Ed25519Backend> | null;
  if (
    b === null ||
    typeof b !== 'object' ||
    typeof b.importPublicKey !== 'function' ||
    typeof b.importSecretKey !== 'function' ||
    typeof b.verify !== 'function' ||
    typeof b.sign !== 'function'
  ) {
    throw new TypeError('"backend" expected an Ed25519Backend from getBackend()');
  }
  return b as Ed25519Backend;
}

function checkKid(kid: Uint8Array | undefined, publicKey: Uint8Array): Uint8Array {
  if (kid === undefined) return keyId(publicKey);
  assertBytes(kid, 'kid');
  if (kid.length === 0 || kid.length > MAX_KID_LENGTH) {
    throw new RangeError(`"kid" expected 1 to ${MAX_KID_LENGTH} bytes, got length=${kid.length}`);
  }
  return kid.slice();
}

/**
 * Imports a raw 32-byte Ed25519 public key under spec/verification.md rules K1–K4.
 *
 * @throws {ProtocolError} `ERR_BAD_KEY` for a non-canonical, off-curve, small-order or
 *   non-torsion-free key (the identity-point universal forgery among them).
 * @example
 * ```ts
 * const key = importPublicKey(bytes)
 * ```
 */
export function importPublicKey(publicKey: Uint8Array, options: KeyOptions = {}): PublicKey {
  assertBytes(publicKey, 'publicKey');
  assertOptions(options);
  const backend = backendOption(options.backend);
  checkPublicKey(publicKey);
  const bytes = publicKey.slice();
  const key: PublicKey = Object.freeze({ bytes, kid: checkKid(options.kid, bytes), backend, handle: backend.importPublicKey(bytes) });
  imported.add(key);
  return key;
}

// Only keys that went through the strict import rule may verify anything: a hand-built object
// shaped like a PublicKey could carry the identity point and its universal forgery.
const imported = new WeakSet<PublicKey>();

/** True only for keys returned by {@link importPublicKey}. */
export function isPublicKey(value: unknown): value is PublicKey {
  return typeof value === 'object' && value !== null && imported.has(value as PublicKey);
}

function ensureHash(): void {
  if (hashes.sha512 === undefined) hashes.sha512 = sha512;
}

/** The Ed25519 public key of a 32-byte secret seed. */
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  assertBytes(secretKey, 'secretKey', 32);
  ensureHash();
  return getPublicKey(secretKey);
}

/**
 * Imports a 32-byte Ed25519 secret seed (RFC 8032 §5.1.5) for signing.
 *
 * @example
 * ```ts
 * const { secretKey } = generateKeyPair()
 * const signer = importSigningKey(secretKey)
 * ```
 */
export function importSigningKey(secretKey: Uint8Array, options: KeyOptions = {}): SigningKey {
  const publicKey = publicKeyOf(secretKey);
  assertOptions(options);
  const backend = backendOption(options.backend);
  const handle = backend.importSecretKey(secretKey, publicKey);
  return {
    publicKey,
    kid: checkKid(options.kid, publicKey),
    backend,
    sign: (message) => backend.sign(handle, message),
  };
}

/**
 * A fresh key pair from the platform's CSPRNG.
 *
 * @example
 * ```ts
 * const { secretKey, publicKey } = generateKeyPair()
 * ```
 */
export function generateKeyPair(): { secretKey: Uint8Array; publicKey: Uint8Array } {
  const secretKey = randomBytes(32);
  return { secretKey, publicKey: publicKeyOf(secretKey) };
}
