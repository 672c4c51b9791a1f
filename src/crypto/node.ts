// Node fast path: OpenSSL through node:crypto with one KeyObject cached per key. No static
// `node:` import, so bundlers for browsers never see it; the module is fetched at run time.
import { toBase64url } from '../bytes.js';
import type { Ed25519Backend } from './backend.js';

type NodeCrypto = typeof import('node:crypto');
type KeyObject = import('node:crypto').KeyObject;

/** node:crypto when this runtime has it (Node ≥ 20.16, Bun, Deno), else undefined. */
export function loadNodeCrypto(): NodeCrypto | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return proc?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined;
  } catch {
    return undefined;
  }
}

export function createNodeBackend(crypto: NodeCrypto | undefined = loadNodeCrypto()): Ed25519Backend {
  if (crypto === undefined) throw new Error('node:crypto is not available in this runtime');
  const nc = crypto;
  return {
    name: 'node',
    importPublicKey(publicKey: Uint8Array): KeyObject {
      // JWK import is ~10x cheaper than SPKI DER; either way it happens once per key.
      return nc.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: toBase64url(publicKey) }, format: 'jwk' });
    },
    importSecretKey(secretKey: Uint8Array, publicKey: Uint8Array): KeyObject {
      return nc.createPrivateKey({
        key: { kty: 'OKP', crv: 'Ed25519', d: toBase64url(secretKey), x: toBase64url(publicKey) },
        format: 'jwk',
      });
    },
    verify(key: unknown, message: Uint8Array, signature: Uint8Array): boolean {
      return nc.verify(null, message, key as KeyObject, signature);
    },
    sign(key: unknown, message: Uint8Array): Uint8Array {
      const sig = nc.sign(null, message, key as KeyObject);
      return new Uint8Array(sig.buffer, sig.byteOffset, sig.byteLength);
    },
  };
}
