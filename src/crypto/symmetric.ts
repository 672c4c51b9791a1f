// The symmetric primitives of encrypted rooms (spec/e2ee.md §4), from maintained libraries: HKDF-
// Expand with SHA-256 (RFC 5869) and ChaCha20-Poly1305 (RFC 8439). Kept here with the other
// primitive imports, so the rest of src/ never touches a curve, hash or cipher library directly.
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { expand } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';

/** HKDF-Expand(prk, info, length) with SHA-256. */
export function hkdfExpandSha256(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return expand(sha256, prk, info, length);
}

/** ChaCha20-Poly1305 encryption: ciphertext with its 16-byte tag appended. */
export function chachaSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return chacha20poly1305(key, nonce, aad).encrypt(plaintext);
}

/** ChaCha20-Poly1305 decryption; throws when the tag does not verify. */
export function chachaOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return chacha20poly1305(key, nonce, aad).decrypt(ciphertext);
}
