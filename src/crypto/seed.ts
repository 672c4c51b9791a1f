// The Ed25519 public key of a secret seed (RFC 8032 §5.1.5), so that key handling above this layer
// names no curve library.
import { getPublicKey, hashes } from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';

/** The 32-byte public key of a 32-byte seed; the caller checks the length. */
export function publicKeyFromSeed(seed: Uint8Array): Uint8Array {
  // noble's synchronous API needs a hash; set it only when the application has not chosen one.
  if (hashes.sha512 === undefined) hashes.sha512 = sha512;
  return getPublicKey(seed);
}
