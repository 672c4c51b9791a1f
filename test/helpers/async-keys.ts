// Keys that sign asynchronously, for tests: real non-extractable WebCrypto Ed25519 keys, optionally
// with signatures that finish in a shuffled order.
import { importCryptoKeyPair, type AsyncSigningKey } from '../../src/index.js';
import { rng } from './numbers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function webCryptoPair(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair;
}

/** A non-extractable WebCrypto key whose signatures finish in a shuffled order (0–3 ms each). */
export async function jitteryKey(seed: number): Promise<AsyncSigningKey> {
  const inner = await importCryptoKeyPair(await webCryptoPair());
  const next = rng(seed);
  return {
    publicKey: inner.publicKey,
    kid: inner.kid,
    signAsync: async (message) => {
      await sleep(next() % 4);
      return inner.signAsync(message);
    },
  };
}

/** `key`, except that its signature number `n` (1-based) and every later one fail. */
export function failingFrom(key: AsyncSigningKey, n: number): AsyncSigningKey {
  let calls = 0;
  return {
    publicKey: key.publicKey,
    kid: key.kid,
    signAsync: (m) => (++calls < n ? key.signAsync(m) : Promise.reject(new Error('token removed'))),
  };
}

/**
 * `key`, except that signatures asked for while it is held wait for `release()`; `asked` settles
 * when the first such signature is asked for.
 */
export function holdableKey(key: AsyncSigningKey): { key: AsyncSigningKey; hold(on: boolean): void; release(): void; asked: Promise<void> } {
  let held = false;
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let ask!: () => void;
  const asked = new Promise<void>((r) => (ask = r));
  return {
    key: {
      publicKey: key.publicKey,
      kid: key.kid,
      signAsync: async (m) => {
        if (held) {
          ask();
          await released;
        }
        return key.signAsync(m);
      },
    },
    hold: (on) => (held = on),
    release: () => release(),
    asked,
  };
}
