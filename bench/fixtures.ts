// Everything the timed regions use is built here, before any timing starts: keys imported once,
// envelopes sealed once per payload size, and the exact Sig_structure bytes the baselines verify.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import {
  KeyRing,
  getBackend,
  importPublicKey,
  importSigningKey,
  seal,
  type Ed25519Backend,
  type PublicKey,
  type SigningKey,
} from '../src/index.js';
import { loadSodium } from '../src/crypto/sodium.js';
import { decodeEnvelope, externalAad, sigStructure } from '../src/wire/envelope.js';

export const SECRET = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
export const STREAM = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
export const TS = 1_750_000_000_000;
/** The 64 KiB payload must fit: the default cap (64 KiB) counts the whole envelope. */
export const MAX_ENVELOPE = 128 * 1024;

export function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

export interface Fixture {
  readonly size: number;
  readonly payload: Uint8Array;
  readonly envelope: Uint8Array;
  /** The Sig_structure of `envelope`, byte for byte what open() verifies. */
  readonly tbs: Uint8Array;
  readonly signature: Uint8Array;
}

export interface Keys {
  readonly publicKey: Uint8Array;
  readonly signer: Record<string, SigningKey>;
  readonly key: Record<string, PublicKey>;
  readonly ring: Record<string, KeyRing>;
  /** Bare node:crypto baselines: KeyObjects made once, as a careful application would. */
  readonly nodePublic: KeyObject;
  readonly nodePrivate: KeyObject;
  /** libsodium's 64-byte secret key (seed || public key). */
  readonly sodiumSecret: Uint8Array | undefined;
  readonly backends: string[];
}

export function makeKeys(): Keys {
  const backends = ['node', 'noble', ...(loadSodium() ? ['sodium'] : [])];
  const signer: Record<string, SigningKey> = {};
  const key: Record<string, PublicKey> = {};
  const ring: Record<string, KeyRing> = {};
  let publicKey: Uint8Array = new Uint8Array(0);
  for (const name of backends) {
    const backend: Ed25519Backend = getBackend(name);
    signer[name] = importSigningKey(SECRET, { backend });
    publicKey = signer[name].publicKey;
    key[name] = importPublicKey(publicKey, { backend });
    ring[name] = new KeyRing({ backend });
    ring[name].add(key[name], { identity: 'bench' });
  }
  const x = b64url(publicKey);
  const nodePublic = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  const nodePrivate = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x, d: b64url(SECRET) }, format: 'jwk' });
  let sodiumSecret: Uint8Array | undefined;
  const na = loadSodium();
  if (na) {
    const pk = new Uint8Array(32);
    sodiumSecret = new Uint8Array(64);
    na.crypto_sign_seed_keypair(pk, sodiumSecret, SECRET);
  }
  return { publicKey, signer, key, ring, nodePublic, nodePrivate, sodiumSecret, backends };
}

export function makeFixture(keys: Keys, size: number, seq = 1): Fixture {
  const payload = Uint8Array.from({ length: size }, (_, i) => (i * 131 + 7) & 0xff);
  const envelope = seal(keys.signer['node']!, payload, { seq, stream: STREAM, ts: TS });
  const d = decodeEnvelope(envelope);
  const tbs = sigStructure(d.protectedBytes, externalAad(undefined, undefined), d.payload);
  return { size, payload, envelope, tbs, signature: d.signature.slice() };
}
