// The `cnf.jkt` value (RFC 7800 §3.1, RFC 9449 §6.1) naming a key: kept apart from jwt.ts so
// clients and token issuers get it without loading jose.
import { toBase64url } from '../bytes.js';
import { keyId } from '../keys/keys.js';

/**
 * base64url (no padding) of the RFC 7638 thumbprint: the `cnf.jkt` a token must carry for this key.
 *
 * @example
 * ```ts
 * const token = await new SignJWT({ roles: ['user'], cnf: { jkt: jwkThumbprint(clientPublicKey) } })
 * ```
 */
export function jwkThumbprint(publicKey: Uint8Array): string {
  return toBase64url(keyId(publicKey));
}
