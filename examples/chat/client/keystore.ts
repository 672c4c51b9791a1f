// The device key: made in this browser and kept in IndexedDB, one per user name (the server binds a
// key to one identity).
//
// Where the browser has WebCrypto Ed25519, the key is a non-extractable CryptoKey pair: IndexedDB
// stores it as such, and no script, not even injected script, can read the private key (it could
// still sign while the page is compromised; the CSP is what keeps other script out). sealwire
// signs with it asynchronously (importCryptoKeyPair). Elsewhere, a @noble/ed25519 seed is stored.
import { utils } from '@noble/ed25519';
import { importCryptoKeyPair, importSigningKey, type AsyncSigningKey, type SigningKey } from '../../../src/keys/keys.js';

export type KeySource = 'webcrypto' | 'noble';

export interface DeviceKey {
  readonly key: SigningKey | AsyncSigningKey;
  readonly source: KeySource;
  /** True when this call made the key (first login of this user in this browser). */
  readonly created: boolean;
  /** The seed of this device's X25519 key for encrypted rooms: kept with the signing key, one per key. */
  readonly e2eeSeed: Uint8Array;
}

type StoredKey = (
  | { readonly user: string; readonly pair: CryptoKeyPair; readonly source: 'webcrypto'; readonly created: number }
  | { readonly user: string; readonly seed: Uint8Array; readonly source: KeySource; readonly created: number }
) & { readonly e2eeSeed?: Uint8Array };

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

/** A non-extractable WebCrypto Ed25519 pair, or undefined when this browser has no Ed25519. */
async function webCryptoPair(): Promise<CryptoKeyPair | undefined> {
  try {
    return (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair;
  } catch {
    return undefined;
  }
}

async function load(stored: StoredKey): Promise<SigningKey | AsyncSigningKey | undefined> {
  if ('pair' in stored) return importCryptoKeyPair(stored.pair);
  // A seed stored by an earlier version of this page, or where WebCrypto has no Ed25519.
  return stored.seed instanceof Uint8Array && stored.seed.length === 32 ? importSigningKey(stored.seed) : undefined;
}

/** The stored key of `user`, or a new one. */
export async function deviceKey(user: string): Promise<DeviceKey> {
  const db = await openDb();
  try {
    const stored = (await request(db.transaction(STORE).objectStore(STORE).get(user))) as StoredKey | undefined;
    const key = stored === undefined ? undefined : await load(stored);
    if (key !== undefined) {
      // A key stored before encrypted rooms: its device seed is made once and kept beside it.
      const e2eeSeed = stored!.e2eeSeed ?? crypto.getRandomValues(new Uint8Array(32));
      if (stored!.e2eeSeed === undefined) await request(db.transaction(STORE, 'readwrite').objectStore(STORE).put({ ...stored!, e2eeSeed }));
      return { key, source: stored!.source, created: false, e2eeSeed };
    }
    const pair = await webCryptoPair();
    const e2eeSeed = crypto.getRandomValues(new Uint8Array(32));
    const record: StoredKey =
      pair !== undefined
        ? { user, pair, source: 'webcrypto', created: Date.now(), e2eeSeed }
        : { user, seed: utils.randomSecretKey(), source: 'noble', created: Date.now(), e2eeSeed };
    await request(db.transaction(STORE, 'readwrite').objectStore(STORE).put(record));
    return { key: (await load(record))!, source: record.source, created: true, e2eeSeed };
  } finally {
    db.close();
  }
}
