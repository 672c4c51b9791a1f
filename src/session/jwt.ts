// JWT credentials from a central auth service, bound to the client key through `cnf.jkt`
// (spec/handshake.md [HS-5.2]). `jose` is loaded on first use, so it stays an optional peer
// dependency of this helper only.
import { ProtocolError } from '../errors.js';
import { utf8Decoder } from '../bytes.js';
import type { PublicKey } from '../keys/keys.js';
import { jwkThumbprint } from './thumbprint.js';

export { jwkThumbprint };
import type { Authenticate, Authenticated } from './server-session.js';

/** Tokens longer than this are refused before parsing. */
export const MAX_TOKEN_LENGTH = 4096;

/** A verification key as jose accepts it, a JWK (imported for you), or a key-set resolver. */
export type JwtVerificationKey = object | Uint8Array | ((protectedHeader: object, token: object) => Promise<object>);

export interface JwtAuthenticatorOptions {
  /** The issuer's public key: a CryptoKey/KeyObject, a public JWK, or e.g. `createRemoteJWKSet(url)`. */
  key: JwtVerificationKey;
  /** Required `iss`. */
  issuer: string;
  /** Required `aud` (any of). */
  audience: string | readonly string[];
  /** Accepted `alg` values. Default `['EdDSA', 'Ed25519', 'ES256']`: never `none`, never HMAC by default. */
  algorithms?: readonly string[];
  /** Claim holding the roles array. Default `"roles"`. */
  rolesClaim?: string;
  /** Allowed clock difference with the issuer, seconds. Default 0. */
  clockToleranceSec?: number;
  /** Clock in ms (tests). Default `Date.now`. */
  clock?: () => number;
}

type Jose = typeof import('jose');
let josePromise: Promise<Jose> | undefined;

function loadJose(): Promise<Jose> {
  josePromise ??= import('jose').catch((cause: unknown) => {
    josePromise = undefined;
    throw new TypeError('jwtAuthenticator() needs the optional peer dependency "jose": npm install jose', { cause });
  });
  return josePromise;
}

/**
 * Fails at construction, not at the first client, when `jose` is not installed. Node resolves the
 * package without loading it; elsewhere (a bundle) there is nothing to resolve and loading decides.
 */
function assertJoseInstalled(): void {
  const resolve = (import.meta as { resolve?: (specifier: string) => string }).resolve;
  const node = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
  if (typeof resolve !== 'function' || node === undefined) return;
  try {
    resolve('jose');
  } catch (cause) {
    throw new TypeError('jwtAuthenticator() needs the optional peer dependency "jose": npm install jose', { cause });
  }
}

function unauthenticated(message: string): ProtocolError {
  return new ProtocolError('ERR_UNAUTHENTICATED', message);
}

/**
 * An `authenticate` hook for JWTs: verifies signature, `iss`, `aud`, `exp` (required), then that
 * `cnf.jkt` names the handshake key. Identity is `sub`, roles come from `rolesClaim`, and the
 * session ends when the token expires.
 *
 * @throws {TypeError} when `jose` is not installed (at construction in Node, else from the hook).
 * Rejections: `ERR_UNAUTHENTICATED` (missing, malformed, bad signature, wrong issuer/audience,
 * no `sub`), `ERR_CREDENTIAL_EXPIRED`, `ERR_CREDENTIAL_KEY_MISMATCH`.
 * @example
 * ```ts
 * import { createRemoteJWKSet } from 'jose'
 * const authenticate = jwtAuthenticator({
 *   key: createRemoteJWKSet(new URL('https://auth.example/.well-known/jwks.json')),
 *   issuer: 'https://auth.example',
 *   audience: 'chat',
 * })
 * ```
 */
export function jwtAuthenticator(options: JwtAuthenticatorOptions): Authenticate {
  if (options === null || typeof options !== 'object') throw new TypeError('"options" expected object');
  assertJoseInstalled();
  const { key, issuer, audience } = options;
  if (key === null || (typeof key !== 'object' && typeof key !== 'function')) throw new TypeError('"key" expected a key, JWK or resolver');
  if (typeof issuer !== 'string' || issuer.length === 0) throw new TypeError('"issuer" expected a non-empty string');
  if (typeof audience !== 'string' && !Array.isArray(audience)) throw new TypeError('"audience" expected string or string[]');
  const algorithms = [...(options.algorithms ?? ['EdDSA', 'Ed25519', 'ES256'])];
  if (algorithms.some((a) => typeof a !== 'string' || a === 'none')) throw new RangeError('"algorithms" must not contain "none"');
  const rolesClaim = options.rolesClaim ?? 'roles';
  const tolerance = options.clockToleranceSec ?? 0;
  const clock = options.clock ?? Date.now;
  let resolved: Promise<unknown> | undefined;

  const verificationKey = async (jose: Jose): Promise<unknown> => {
    if (typeof key === 'function' || key instanceof Uint8Array) return key;
    // A plain JWK object is imported once; CryptoKey and KeyObject pass through.
    if ('kty' in key) {
      resolved ??= jose.importJWK(key as Parameters<Jose['importJWK']>[0], algorithms[0]);
      return resolved;
    }
    return key;
  };

  return async (credential: Uint8Array | null, clientKey: PublicKey): Promise<Authenticated> => {
    if (credential === null || credential.length === 0) throw unauthenticated('a credential is required');
    if (credential.length > MAX_TOKEN_LENGTH) throw unauthenticated('credential too long');
    let token: string;
    try {
      token = utf8Decoder.decode(credential);
    } catch {
      throw unauthenticated('credential is not UTF-8');
    }
    const jose = await loadJose();
    const k = await verificationKey(jose);
    let payload: Record<string, unknown>;
    try {
      const result = await jose.jwtVerify(token, k as Parameters<Jose['jwtVerify']>[1], {
        issuer,
        audience: typeof audience === 'string' ? audience : [...(audience as readonly string[])],
        algorithms,
        clockTolerance: tolerance,
        currentDate: new Date(clock()),
        requiredClaims: ['exp', 'sub'],
      });
      payload = result.payload;
    } catch (err) {
      if ((err as { code?: unknown })?.code === 'ERR_JWT_EXPIRED') {
        throw new ProtocolError('ERR_CREDENTIAL_EXPIRED', 'credential expired');
      }
      // One message for every other failure: which check failed is not the client's business.
      throw unauthenticated('credential rejected');
    }
    const cnf = payload['cnf'];
    const jkt = cnf !== null && typeof cnf === 'object' ? (cnf as Record<string, unknown>)['jkt'] : undefined;
    // Policy: a token without a key binding is a bearer token, which is exactly what we refuse.
    if (typeof jkt !== 'string' || jkt !== jwkThumbprint(clientKey.bytes)) {
      throw new ProtocolError('ERR_CREDENTIAL_KEY_MISMATCH', 'credential is bound to another key');
    }
    const sub = payload['sub'];
    if (typeof sub !== 'string' || sub.length === 0) throw unauthenticated('credential has no subject');
    const rolesRaw = payload[rolesClaim];
    const roles = Array.isArray(rolesRaw) ? rolesRaw.filter((r): r is string => typeof r === 'string') : [];
    return { identity: sub, roles, expiresAt: (payload['exp'] as number) * 1000 };
  };
}
