// Ed25519 verification by the platform's WebCrypto (browsers, Deno, Bun, Node), asynchronous and
// native. Used only where it gives the strict rule's verdict (spec/verification.md): the signature's
// encodings are checked here first, the key was imported under the strict rule, and a probe run
// once shows the platform compares exactly, cofactorless, as the rule requires.
import { fromHex } from '../bytes.js';
import type { PublicKey } from '../keys/keys.js';
import { isCanonicalPoint, isCanonicalScalar } from './ed25519.js';

/** Checks one signature of a key already imported under the strict rule. */
export type AsyncVerify = (key: PublicKey, message: Uint8Array, signature: Uint8Array) => Promise<boolean>;

// RFC 8032 §7.1 TEST 1: a platform that refuses it does not verify Ed25519.
const GOOD = {
  key: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  message: '',
  signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
};
// A prime-order key, and R with a small-order component added: [8]SB = [8]R + [8]kA holds, SB =
// R + kA does not. A cofactored verifier (some libraries, and what a platform may pick) accepts it;
// the strict rule refuses it. Made for this probe from a fixed key and nonce.
const TORSION = {
  key: 'b4a4cb8ece614b0f959c3e4ab35e4e6f9a387b8468f0b4b5bfad43955a3cf041',
  message:
    '7365616c776972653a2061207665726966696572207468617420636865636b73205b385d5342203d205b385d52202b205b385d6b41206973206e6f7420746865207374726963742072756c65',
  signature: '6e132f15aa17e986aab23dcb2d1bd443f3827e7275ca102988edcbdd8bc14b51e1878273a234f7ff0ce72ee95bac29101e1ed3931b8fb913d3998dd8502c040a',
};

/** Imported keys kept; past this the cache starts again (a member meets few keys). */
const MAX_KEYS = 1024;

let chosen: Promise<AsyncVerify | undefined> | undefined;

/**
 * The platform's verifier when it has Ed25519 and gives the strict rule's verdict, else undefined.
 * Probed once per process.
 * @see [VER-3.4]
 */
export function webCryptoVerify(): Promise<AsyncVerify | undefined> {
  return (chosen ??= probe());
}

export type Subtle = Pick<SubtleCrypto, 'importKey' | 'verify'>;
/** WebCrypto's types take ArrayBuffer-backed views; ours may be any. */
const view = (b: Uint8Array): Uint8Array<ArrayBuffer> => b as Uint8Array<ArrayBuffer>;

function probe(): Promise<AsyncVerify | undefined> {
  const subtle = (globalThis as { crypto?: { subtle?: Subtle } }).crypto?.subtle;
  return subtle === undefined ? Promise.resolve(undefined) : probeWith(subtle);
}

/** A verifier on `subtle` when it passes the probe (exported for tests of platforms that fail it). */
export async function probeWith(subtle: Subtle): Promise<AsyncVerify | undefined> {
  const check = async (v: typeof GOOD): Promise<boolean> => {
    const key = await subtle.importKey('raw', view(fromHex(v.key)), { name: 'Ed25519' }, false, ['verify']);
    return subtle.verify('Ed25519', key, view(fromHex(v.signature)), view(fromHex(v.message)));
  };
  try {
    if (!(await check(GOOD)) || (await check(TORSION))) return undefined;
  } catch {
    return undefined; // no Ed25519 in this platform's WebCrypto
  }
  return verifierOn(subtle);
}

function verifierOn(subtle: Subtle): AsyncVerify {
  let keys = new Map<PublicKey, Promise<CryptoKey>>();
  return async (key, message, signature) => {
    // The encodings the platform may not check: a non-canonical R or an S ≥ L is refused here.
    if (signature.length !== 64 || !isCanonicalPoint(signature.subarray(0, 32)) || !isCanonicalScalar(signature.subarray(32, 64))) return false;
    let k = keys.get(key);
    if (k === undefined) {
      if (keys.size >= MAX_KEYS) keys = new Map();
      keys.set(key, (k = subtle.importKey('raw', view(key.bytes), { name: 'Ed25519' }, false, ['verify'])));
    }
    return subtle.verify('Ed25519', await k, view(signature), view(message));
  };
}
