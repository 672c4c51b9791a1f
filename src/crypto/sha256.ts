// SHA-256 behind a seam like the Ed25519 backends: node:crypto (OpenSSL) where the runtime has it,
// @noble/hashes everywhere else. Receipts hash every highest accepted envelope (spec/receipts.md
// §3.4), and the JS hash was ~4% of a server's time per message. No static `node:` import.
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { loadNodeCrypto } from './node.js';

type Hash = (data: Uint8Array) => Uint8Array;

/** @internal The pure-JS hash, for the agreement test. */
export const sha256Noble: Hash = (data) => nobleSha256(data);

function nodeHash(): Hash | undefined {
  const nc = loadNodeCrypto();
  if (nc === undefined || typeof nc.createHash !== 'function') return undefined;
  // crypto.hash (Node ≥ 20.12) is one call; createHash is the older path.
  const oneShot = (nc as { hash?: (alg: string, data: Uint8Array, enc: 'buffer') => Uint8Array }).hash;
  return (data) => {
    const digest = typeof oneShot === 'function' ? oneShot('sha256', data, 'buffer') : nc.createHash('sha256').update(data).digest();
    // A plain, owned Uint8Array: never a Buffer view into a shared pool.
    const out = new Uint8Array(32);
    out.set(digest);
    return out;
  };
}

/** @internal node:crypto's hash, or undefined in runtimes without it. */
export const sha256Native: Hash | undefined = nodeHash();

/** SHA-256 of `data`: the native hash when available, else @noble/hashes. Same digests either way. */
export const sha256: Hash = sha256Native ?? sha256Noble;
