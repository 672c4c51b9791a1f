// The encrypted-room rules restated for the generator (spec/e2ee.md): HKDF-Expand from HMAC, the
// ratchet, the message AAD and COSE_Encrypt0 bytes from the generator's own CBOR writer,
// ChaCha20-Poly1305 from node:crypto; HPKE seals from @hpke/core with ephemeral keys from seeds.
import { createCipheriv, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CipherSuite, HkdfSha256 } from '@hpke/core';
import { DhkemX25519HkdfSha256 } from '@hpke/dhkem-x25519';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { arr, bstr, mapRaw, nint, tag, tstr, uint, type Bytes } from './cbor.js';
import { envelope, entries, sigStructure } from './envelope.js';
import { cat, enc, seed, signRef, publicKeyOf, thumbprint } from './ref.js';

export interface Rfc9180 {
  info: string;
  ikmE: string;
  ikmR: string;
  pkRm: string;
  enc: string;
  encryptions: { pt: string; aad: string; ct: string }[];
}
export const RFC = JSON.parse(
  readFileSync(fileURLToPath(new URL('../vectors/external/rfc9180/a2-x25519-sha256-chacha20poly1305.json', import.meta.url)), 'utf8'),
) as Rfc9180;

export const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305() });
export const buf = (b: Bytes): ArrayBuffer => b.slice().buffer;

/** HKDF-Expand (RFC 5869 §2.3) with HMAC-SHA-256. */
export function expand(prk: Bytes, info: Bytes, length: number): Bytes {
  const out: Bytes[] = [];
  let t = new Uint8Array(0);
  for (let i = 1; out.length * 32 < length; i++) {
    t = new Uint8Array(
      createHmac('sha256', prk)
        .update(cat(t, info, Uint8Array.of(i)))
        .digest(),
    );
    out.push(t);
  }
  return cat(...out).subarray(0, length);
}

/** [E2E-4.1]: the message key and nonce of index `i`, and CK_{i+1}. */
export function ratchet(ck0: Bytes, index: number): { key: Bytes; nonce: Bytes; next: Bytes } {
  let ck = ck0;
  for (let i = 0; i < index; i++) ck = expand(ck, enc.encode('sealwire/e2ee/1 chain'), 32);
  const okm = expand(ck, enc.encode('sealwire/e2ee/1 message'), 44);
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32), next: expand(ck, enc.encode('sealwire/e2ee/1 chain'), 32) };
}

export function chachaSeal(key: Bytes, nonce: Bytes, aad: Bytes, pt: Bytes): Bytes {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  c.setAAD(aad, { plaintextLength: pt.length });
  return cat(c.update(pt), c.final(), c.getAuthTag());
}

export interface Ctx {
  room: string;
  epoch: Bytes;
  author: Bytes;
  stream: Bytes;
  seq: number;
}
export const aadOf = (c: Ctx): Bytes => cat(enc.encode('sealwire/e2ee/1'), arr(tstr(c.room), bstr(c.epoch), bstr(c.author), bstr(c.stream), uint(c.seq)));
export const protectedOf = (chain: Bytes, index: number): Bytes =>
  mapRaw([
    [uint(1), uint(24)],
    [nint(-65601), bstr(chain)],
    [nint(-65602), uint(index)],
  ]);

export function message(ck0: Bytes, chain: Bytes, index: number, c: Ctx, pt: Bytes, change?: (ct: Bytes) => Bytes): Bytes {
  const { key, nonce } = ratchet(ck0, index);
  const p = protectedOf(chain, index);
  const ct = chachaSeal(key, nonce, arr(tstr('Encrypt0'), bstr(p), bstr(aadOf(c))), pt);
  return tag(16, arr(bstr(p), mapRaw([[uint(5), bstr(nonce)]]), bstr(change ? change(ct) : ct)));
}

export const flip = (b: Bytes, at = b.length - 1): Bytes => {
  const t = b.slice();
  t[at]! ^= 1;
  return t;
};

export async function copies(
  room: string,
  epoch: Bytes,
  sender: Bytes,
  chain: Bytes,
  ck: Bytes,
  to: { kid: Bytes; pk: Bytes; ekm: string }[],
): Promise<Bytes[]> {
  const out: Bytes[] = [];
  for (const r of to) {
    const info = cat(enc.encode('sealwire/e2ee/1 keys'), Uint8Array.of(0), arr(tstr(room), bstr(epoch), bstr(sender), bstr(chain), bstr(r.kid)));
    const e = await suite.kem.deriveKeyPair(buf(seed(r.ekm)));
    const s = await suite.seal({ recipientPublicKey: await suite.kem.deserializePublicKey(buf(r.pk)), info, ekm: e }, ck);
    out.push(arr(bstr(r.kid), bstr(new Uint8Array(s.enc)), bstr(new Uint8Array(s.ct))));
  }
  return out;
}

export const distributionOf = (room: string, epoch: Bytes, chain: Bytes, list: Bytes[]): Bytes => arr(tstr(room), bstr(epoch), bstr(chain), arr(...list));

export const DEVICE_CT = 'application/vnd.sealwire.e2ee-device+cbor';
export const DEVICE_AAD = cat(enc.encode('sealwire/1'), Uint8Array.of(3, 1));

export function deviceStatement(secretKey: Bytes, x25519: Bytes, payload?: Bytes, ct = DEVICE_CT, ts = 1_700_000_000_000): Bytes {
  const kid = thumbprint(publicKeyOf(secretKey));
  const protectedBytes = mapRaw(entries({ ct, kid, seq: 0, ts, stream: seed('device id').subarray(0, 16) }));
  const signed = arr(bstr(x25519));
  const signature = signRef(secretKey, sigStructure(protectedBytes, DEVICE_AAD, signed));
  return envelope({ protectedBytes, payload: payload ?? signed, signature });
}
