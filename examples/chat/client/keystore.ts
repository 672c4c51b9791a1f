// The device key: made in this browser (WebCrypto Ed25519 where the browser has it, @noble/ed25519
// otherwise) and kept in IndexedDB, one per user name (the server binds a key to one identity).
//
// The seed is stored, not a non-extractable CryptoKey: sealwire's SigningKey signs synchronously
// and WebCrypto only signs asynchronously. The CSP (no inline script, Trusted Types) is what keeps
// other script away from it; see examples/chat/README.md.
import { utils } from '@noble/ed25519';
import { equalBytes } from '../../../src/bytes.js';
import { importSigningKey, publicKeyOf, type SigningKey } from '../../../src/keys/keys.js';

export type KeySource = 'webcrypto' | 'noble';

export interface DeviceKey {
  readonly key: SigningKey;
  readonly source: KeySource;
  /** True when this call made the key (first login of this user in this browser). */
  readonly created: boolean;
}

interface StoredKey {
  readonly user: string;
  readonly seed: Uint8Array;
  readonly source: KeySource;
  readonly created: number;
}

const DB = 'sealwire-chat';
const STORE = 'keys';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

async function openDb(): Promise<IDBDatabase> {
  const r = indexedDB.open(DB, 1);
  r.onupgradeneeded = () => r.result.createObjectStore(STORE, { keyPath: 'user' });
  return request(r);
}

/** A 32-byte Ed25519 seed from WebCrypto, or undefined when this browser has no Ed25519. */
async function webCryptoSeed(): Promise<Uint8Array | undefined> {
  try {
    const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
    const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
    // RFC 8410: the PKCS#8 of an Ed25519 key ends with the 32-byte seed (OCTET STRING in OCTET STRING).
    const seed = pkcs8.slice(pkcs8.length - 32);
    // Policy: use it only if it really is that key pair's seed.
    return pkcs8.length === 48 && equalBytes(publicKeyOf(seed), raw) ? seed : undefined;
  } catch {
    return undefined;
  }
}

/** The stored key of `user`, or a new one. */
export async function deviceKey(user: string): Promise<DeviceKey> {
  const db = await openDb();
  try {
    const stored = (await request(db.transaction(STORE).objectStore(STORE).get(user))) as StoredKey | undefined;
    if (stored !== undefined && stored.seed instanceof Uint8Array && stored.seed.length === 32) {
      return { key: importSigningKey(stored.seed), source: stored.source, created: false };
    }
    const fromWebCrypto = await webCryptoSeed();
    const seed = fromWebCrypto ?? utils.randomSecretKey();
    const record: StoredKey = { user, seed, source: fromWebCrypto === undefined ? 'noble' : 'webcrypto', created: Date.now() };
    await request(db.transaction(STORE, 'readwrite').objectStore(STORE).put(record));
    return { key: importSigningKey(seed), source: record.source, created: true };
  } finally {
    db.close();
  }
}
