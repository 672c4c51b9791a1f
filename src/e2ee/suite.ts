// The fixed parts of encrypted rooms (spec/e2ee.md, EXPERIMENTAL): the HPKE-4 suite, content
// types, labels and bounds. Everything here is portable: no Node built-in.
import { CipherSuite, HkdfSha256 } from '@hpke/core';
import { DhkemX25519HkdfSha256 } from '@hpke/dhkem-x25519';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { utf8Encoder } from '../bytes.js';

/** Content type of a device statement post. @see [E2E-2.1] */
export const DEVICE_CONTENT_TYPE = 'application/vnd.sealwire.e2ee-device+cbor';
/** Content type of a key distribution post. @see [E2E-3.3] */
export const KEYS_CONTENT_TYPE = 'application/vnd.sealwire.e2ee-keys+cbor';
/** Content type of a key request post. @see [E2E-6.2] */
export const REQUEST_CONTENT_TYPE = 'application/vnd.sealwire.e2ee-request+cbor';
/** Content type of an encrypted message post (a COSE_Encrypt0). @see [E2E-4.2] */
export const MESSAGE_CONTENT_TYPE = 'application/vnd.sealwire.e2ee+cose';

/** The draft whose HPKE-4 suite the distribution follows; the wire format is experimental. */
export const COSE_HPKE_DRAFT = 'draft-ietf-cose-hpke-21';
/** COSE algorithm ChaCha20/Poly1305 (RFC 9053 §4.3). */
export const ALG_CHACHA20_POLY1305 = 24;

export const CHAIN_ID_LENGTH = 16;
export const CHAIN_KEY_LENGTH = 32;
export const X25519_KEY_LENGTH = 32;
/** A sealed chain key: 32 bytes and the 16-byte Poly1305 tag. */
export const SEALED_CHAIN_KEY_LENGTH = 48;
export const NONCE_LENGTH = 12;
export const TAG_LENGTH = 16;

/** Skipped message keys a chain keeps, and how far ahead an index may jump. @see [E2E-4.3] */
export const MAX_SKIP = 256;
/** Copies in one distribution, device keys and chains held per room. @see [E2E-2.2], [E2E-3.4] */
export const MAX_COPIES = 1024;
export const MAX_DEVICES = 1024;
export const MAX_CHAINS = 1024;
/** Chain ids remembered per room against replayed distributions. @see [E2E-3.4] */
export const MAX_SEEN_CHAINS = 4096;
/** Messages held waiting for their chain, per room, and for how long. @see [E2E-6.1] */
export const MAX_HELD = 256;
export const HOLD_MS = 5000;
/** The largest chain index: the CDDL bound of the protected header. */
export const MAX_INDEX = 0xffff_ffff;

export const LABEL = {
  chain: utf8Encoder.encode('sealwire/e2ee/1 chain'),
  message: utf8Encoder.encode('sealwire/e2ee/1 message'),
  keys: utf8Encoder.encode('sealwire/e2ee/1 keys'),
  aad: utf8Encoder.encode('sealwire/e2ee/1'),
} as const;

let suite: CipherSuite | undefined;

/** HPKE mode_base with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305. @see [E2E-1.1] */
export function hpkeSuite(): CipherSuite {
  suite ??= new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305() });
  return suite;
}
