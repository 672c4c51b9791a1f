// The v1 envelope layout, rebuilt from the spec for the generator (spec/envelope.md): tag 18,
// [protected bstr, {} , payload bstr, signature bstr], protected header labels in deterministic
// order 1, 3, 4, -65537 (version), -65538 (seq), -65539 (ts), -65540 (stream).
import { arr, bstr, int, mapRaw, nint, tag, tstr, uint, type Bytes } from './cbor.js';
import { cat, enc, publicKeyOf, signRef, thumbprint } from './ref.js';

export const LBL = {
  alg: int(1),
  crit: int(2),
  ct: int(3),
  kid: int(4),
  version: nint(-65537),
  seq: nint(-65538),
  ts: nint(-65539),
  stream: nint(-65540),
} as const;

export type Entry = [Bytes, Bytes];

export interface Header {
  alg?: number;
  ct?: number | string;
  kid: Bytes;
  seq: number | bigint;
  ts: number | bigint;
  stream: Bytes;
}

/** The protected header's entries of a valid envelope, in deterministic order. */
export function entries(h: Header): Entry[] {
  return [
    [LBL.alg, int(h.alg ?? -8)],
    [LBL.ct, typeof h.ct === 'string' ? tstr(h.ct) : uint(h.ct ?? 42)],
    [LBL.kid, bstr(h.kid)],
    [LBL.version, uint(1)],
    [LBL.seq, uint(h.seq)],
    [LBL.ts, uint(h.ts)],
    [LBL.stream, bstr(h.stream)],
  ];
}

const DOMAIN = enc.encode('sealwire/1');

/** spec/envelope.md: "sealwire/1" || 0x00 || aad, or "sealwire/1" || 0x01 || binding(33) || aad. */
export function externalAad(aad: Bytes | undefined, binding: Bytes | undefined): Bytes {
  const a = aad ?? new Uint8Array(0);
  if (binding === undefined) return cat(DOMAIN, Uint8Array.of(0), a);
  if (binding.length !== 33) throw new Error('binding must be 33 bytes');
  return cat(DOMAIN, Uint8Array.of(1), binding, a);
}

/** Sig_structure for COSE_Sign1 (RFC 9052 §4.4). */
export function sigStructure(protectedBytes: Bytes, aad: Bytes, payload: Bytes): Bytes {
  return arr(tstr('Signature1'), bstr(protectedBytes), bstr(aad), bstr(payload));
}

export interface Parts {
  protectedBytes: Bytes;
  unprotected?: Bytes;
  payload: Bytes;
  signature: Bytes;
}

export function envelope(p: Parts): Bytes {
  return tag(18, arr(bstr(p.protectedBytes), p.unprotected ?? mapRaw([]), bstr(p.payload), bstr(p.signature)));
}

export class Signer {
  readonly publicKey: Bytes;
  readonly kid: Bytes;

  constructor(readonly secretKey: Bytes) {
    this.publicKey = publicKeyOf(secretKey);
    this.kid = thumbprint(this.publicKey);
  }

  /** Signs arbitrary protected-header bytes: a header that breaks one rule still carries a valid signature. */
  signRaw(protectedBytes: Bytes, payload: Bytes, aad?: Bytes, binding?: Bytes): { signature: Bytes; toBeSigned: Bytes; externalAad: Bytes } {
    const externalAadBytes = externalAad(aad, binding);
    const toBeSigned = sigStructure(protectedBytes, externalAadBytes, payload);
    return { signature: signRef(this.secretKey, toBeSigned), toBeSigned, externalAad: externalAadBytes };
  }

  seal(h: Omit<Header, 'kid'> & { kid?: Bytes }, payload: Bytes, aad?: Bytes, binding?: Bytes) {
    const protectedBytes = mapRaw(entries({ ...h, kid: h.kid ?? this.kid }));
    const s = this.signRaw(protectedBytes, payload, aad, binding);
    return { protectedBytes, ...s, envelope: envelope({ protectedBytes, payload, signature: s.signature }) };
  }

  /** An envelope whose protected header is the given entries, signed correctly. */
  sealEntries(list: Entry[], payload: Bytes, unprotected?: Bytes): Bytes {
    const protectedBytes = mapRaw(list);
    const { signature } = this.signRaw(protectedBytes, payload);
    return envelope({ protectedBytes, payload, signature, ...(unprotected ? { unprotected } : {}) });
  }
}
