// Key material: strict import of public keys, signing keys, and RFC 7638 key ids.
import { assertBytes, randomBytes, toBase64url, utf8Encoder } from '../bytes.js';
import { ProtocolError } from '../errors.js';
import type { Ed25519Backend } from '../crypto/backend.js';
import { checkPublicKey, verifyStrict } from '../crypto/ed25519.js';
import { publicKeyFromSeed } from '../crypto/seed.js';
import { getDefaultBackend } from '../crypto/select.js';
import { sha256 } from '../crypto/sha256.js';
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

/**
 * A key that signs asynchronously: a non-extractable WebCrypto key (see
 * {@link importCryptoKeyPair}), a hardware or remote signer (an HSM, a KMS). A client session and
 * a `SecureServer` accept it instead of a {@link SigningKey}; their envelopes go out in the order
 * they were sent whatever order the signatures finish in. Its `signAsync` must return the 64-byte
 * Ed25519 signature of `message`.
 */
export interface AsyncSigningKey {
  readonly publicKey: Uint8Array;
  readonly kid: Uint8Array;
  signAsync(message: Uint8Array): Promise<Uint8Array>;
}

/**
 * True for an {@link AsyncSigningKey} (it has `signAsync` and no synchronous `sign`).
 *
 * @example
 * ```ts
 * const sign = isAsyncSigningKey(key) ? await key.signAsync(message) : key.sign(message)
 * ```
 */
export function isAsyncSigningKey(key: unknown): key is AsyncSigningKey {
  return typeof key === 'object' && key !== null && typeof (key as AsyncSigningKey).signAsync === 'function' && typeof (key as SigningKey).sign !== 'function';
}

/** @internal A {@link SigningKey} or an {@link AsyncSigningKey}: what a Sender, a client session and a server take. */
export function isAnySigningKey(key: unknown): key is SigningKey | AsyncSigningKey {
  return (typeof key === 'object' && key !== null && typeof (key as SigningKey).sign === 'function') || isAsyncSigningKey(key);
}

/** @internal `key.signAsync(message)`, refused unless it is 64 bytes: a signer that returns anything else is broken. */
export async function signAsyncChecked(key: AsyncSigningKey, message: Uint8Array): Promise<Uint8Array> {
  const signature = await key.signAsync(message);
  if (!(signature instanceof Uint8Array) || signature.length !== 64) throw new TypeError('"signAsync" must return a 64-byte signature');
  return signature;
}

export interface KeyOptions {
  /** Defaults to {@link getDefaultBackend}. */
  backend?: Ed25519Backend;
  /** Defaults to the key's RFC 7638 thumbprint ({@link keyId}). */
  kid?: Uint8Array;
}

/**
 * The default key id: the RFC 7638 JWK thumbprint (SHA-256, 32 bytes) of the OKP key. Any JOSE
 * library computes the same value, so a JWT's `cnf.jkt` names the key a session will use.
 *
 * @throws {TypeError} when `publicKey` is not a Uint8Array; {RangeError} when it is not 32 bytes.
 * @example
 * ```ts
 * const kid = keyId(publicKey) // 32 bytes
 * ```
 */
export function keyId(publicKey: Uint8Array): Uint8Array {
  assertBytes(publicKey, 'publicKey', 32);
  return sha256(utf8Encoder.encode(`{"crv":"Ed25519","kty":"OKP","x":"${toBase64url(publicKey)}"}`));
}

function assertOptions(options: unknown): void {
  if (options === null || typeof options !== 'object') throw new TypeError('"options" expected object');
}

/** The backend an option names, checked here so a wrong value fails at the call, not later. */
export function backendOption(backend: unknown): Ed25519Backend {
  if (backend === undefined) return getDefaultBackend();
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- needed: narrowing below reads its members
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
  checkCached(publicKey, backend);
  const bytes = publicKey.slice();
  const key: PublicKey = Object.freeze({ bytes, kid: checkKid(options.kid, bytes), backend, handle: backend.importPublicKey(bytes) });
  imported.add(key);
  return key;
}

/** Keys whose import verdict is remembered: an LRU, so a flood of new keys evicts only itself. */
export const KEY_CHECK_CACHE = 4096;
// Backend name and key bytes (one-byte string) → the refusal's message, or '' for a valid key.
// Per backend, so that each backend's own check is what the key vectors exercise.
const checked = new Map<string, string>();

function checkCached(publicKey: Uint8Array, backend: Ed25519Backend): void {
  const id = publicKey.length === 32 ? `${backend.name}:${String.fromCharCode(...publicKey)}` : undefined;
  let verdict = id === undefined ? undefined : checked.get(id);
  if (verdict === undefined) {
    try {
      checkPublicKey(publicKey, backend);
      verdict = '';
    } catch (err) {
      if (id === undefined || !(err instanceof ProtocolError)) throw err;
      verdict = err.message;
    }
  } else {
    checked.delete(id!);
  }
  if (id !== undefined) {
    checked.set(id, verdict);
    if (checked.size > KEY_CHECK_CACHE) checked.delete(checked.keys().next().value!);
  }
  if (verdict !== '') throw new ProtocolError('ERR_BAD_KEY', verdict);
}

// Only keys that went through the strict import rule may verify anything: a hand-built object
// shaped like a PublicKey could carry the identity point and its universal forgery.
const imported = new WeakSet<PublicKey>();

/**
 * True only for keys returned by {@link importPublicKey}: a hand-built look-alike is refused.
 *
 * @example
 * ```ts
 * if (!isPublicKey(key)) key = importPublicKey(key.bytes)
 * ```
 */
export function isPublicKey(value: unknown): value is PublicKey {
  return typeof value === 'object' && value !== null && imported.has(value as PublicKey);
}

/**
 * The Ed25519 public key of a 32-byte secret seed.
 *
 * @throws {TypeError} when `secretKey` is not a Uint8Array; {RangeError} when it is not 32 bytes.
 * @example
 * ```ts
 * const publicKey = publicKeyOf(secretKey) // 32 bytes, to share with peers
 * ```
 */
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  assertBytes(secretKey, 'secretKey', 32);
  return publicKeyFromSeed(secretKey);
}

/**
 * Imports a 32-byte Ed25519 secret seed (RFC 8032 §5.1.5) for signing.
 *
 * @throws {TypeError} for a seed that is not a Uint8Array or a malformed `options`;
 *   {RangeError} for a seed that is not 32 bytes or a `kid` outside 1 to 255 bytes.
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

// The probe signed once at import: a private key that is not the public key's half is refused then,
// not discovered by the peer as a bad signature on every envelope.
const PAIR_PROBE = utf8Encoder.encode('sealwire key pair check');

/**
 * Wraps a WebCrypto Ed25519 key pair — typically generated non-extractable, so that no script can
 * read the private key, and kept in IndexedDB — as an {@link AsyncSigningKey} for a client session.
 * The public key goes through the strict import rule, and one probe signature must verify under it.
 *
 * @throws {TypeError} when `pair` is not an Ed25519 CryptoKeyPair able to sign, or this runtime has no WebCrypto.
 * @throws {ProtocolError} `ERR_BAD_KEY` for a public key the strict rule refuses.
 * @throws {RangeError} when the private key does not belong to the public key.
 * @example
 * ```ts
 * const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])
 * const key = await importCryptoKeyPair(pair)
 * const session = await connect(url, { key, serverKey })
 * ```
 */
export async function importCryptoKeyPair(pair: CryptoKeyPair, options: Pick<KeyOptions, 'kid'> = {}): Promise<AsyncSigningKey> {
  const subtle = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
  if (subtle === undefined) throw new TypeError('this runtime has no WebCrypto (crypto.subtle)');
  if (pair === null || typeof pair !== 'object') throw new TypeError('"pair" expected a CryptoKeyPair');
  const { privateKey, publicKey } = pair;
  for (const [k, name, usage] of [
    [privateKey, 'privateKey', 'sign'],
    [publicKey, 'publicKey', undefined],
  ] as const) {
    if (k === null || typeof k !== 'object' || k.algorithm?.name !== 'Ed25519') {
      throw new TypeError(`"pair.${name}" expected an Ed25519 CryptoKey`);
    }
    if (usage !== undefined && !k.usages.includes(usage)) throw new TypeError(`"pair.${name}" cannot ${usage}`);
  }
  assertOptions(options);
  const raw = new Uint8Array(await subtle.exportKey('raw', publicKey));
  const verifier = importPublicKey(raw);
  const signAsync = async (message: Uint8Array): Promise<Uint8Array> =>
    new Uint8Array(await subtle.sign('Ed25519', privateKey, message as Uint8Array<ArrayBuffer>));
  const probe = await signAsync(PAIR_PROBE);
  if (!verifyStrict(verifier.backend, verifier.handle, PAIR_PROBE, probe)) {
    throw new RangeError('"pair.privateKey" does not belong to "pair.publicKey"');
  }
  return { publicKey: verifier.bytes, kid: checkKid(options.kid, verifier.bytes), signAsync };
}
