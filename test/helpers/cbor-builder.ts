// A tiny test-only CBOR byte builder that can write what the real writer refuses to: non-preferred
// heads, indefinite lengths, unsorted and duplicate map keys, floats, reserved values. Every item
// is its encoded bytes, so cases compose by concatenation. Also builds sealwire envelopes from such
// pieces and signs them PROPERLY (own Sig_structure and external_aad, not src/'s), so a malformed
// envelope fails for its own reason and never merely for a bad signature.
import { concatBytes } from '../../src/bytes.js';
// The heads come from the vector generator's builder: one CBOR byte builder for tests and vectors.
import { head as preferredHead, headLong } from '../../conformance/gen/cbor.js';

type Width = 0 | 1 | 2 | 4 | 8;

/** Initial byte + argument; `width` forces the argument size (non-preferred when too wide). */
export function head(major: number, arg: number | bigint, width?: Width): Uint8Array {
  if (width === undefined) return preferredHead(major, arg);
  if (width === 0) {
    if (BigInt(arg) >= 24n) throw new RangeError('immediate argument must be < 24');
    return Uint8Array.of((major << 5) | Number(arg));
  }
  return headLong(major, arg, width);
}

export const raw = (...parts: (Uint8Array | number[])[]): Uint8Array =>
  concatBytes(...parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p))));

/** Integer of either sign; `width` forces the head size. */
export function int(n: number | bigint, width?: Width): Uint8Array {
  const v = BigInt(n);
  return v < 0n ? head(1, -1n - v, width) : head(0, v, width);
}

export const bstr = (b: Uint8Array, width?: Width): Uint8Array => raw(head(2, b.length, width), b);

/** Text string; pass bytes to write invalid UTF-8 on purpose. */
export function tstr(s: string | Uint8Array, width?: Width): Uint8Array {
  const b = typeof s === 'string' ? new TextEncoder().encode(s) : s;
  return raw(head(3, b.length, width), b);
}

export const arr = (...items: Uint8Array[]): Uint8Array => raw(head(4, items.length), ...items);

/** A map with entries written exactly in the given order: no sorting, duplicates allowed. */
export const map = (...entries: (readonly [Uint8Array, Uint8Array])[]): Uint8Array =>
  raw(head(5, entries.length), ...entries.flatMap(([k, v]) => [k, v]));

export const tag = (n: number, item: Uint8Array, width?: Width): Uint8Array => raw(head(6, n, width), item);

const BREAK = Uint8Array.of(0xff);
export const indefArr = (...items: Uint8Array[]): Uint8Array => raw([0x9f], ...items, BREAK);
export const indefMap = (...entries: (readonly [Uint8Array, Uint8Array])[]): Uint8Array =>
  raw([0xbf], ...entries.flatMap(([k, v]) => [k, v]), BREAK);
export const indefBstr = (...chunks: Uint8Array[]): Uint8Array => raw([0x5f], ...chunks.map((c) => bstr(c)), BREAK);
export const indefTstr = (...chunks: string[]): Uint8Array => raw([0x7f], ...chunks.map((c) => tstr(c)), BREAK);

export const FALSE = Uint8Array.of(0xf4);
export const TRUE = Uint8Array.of(0xf5);
export const NULL = Uint8Array.of(0xf6);
export const UNDEFINED = Uint8Array.of(0xf7);

export function float64(x: number): Uint8Array {
  const out = new Uint8Array(9);
  out[0] = 0xfb;
  new DataView(out.buffer).setFloat64(1, x);
  return out;
}
export function float32(x: number): Uint8Array {
  const out = new Uint8Array(5);
  out[0] = 0xfa;
  new DataView(out.buffer).setFloat32(1, x);
  return out;
}
/** Half-precision float from its raw 16 bits (e.g. 0x3c00 = 1.0). */
export const float16Bits = (bits: number): Uint8Array => Uint8Array.of(0xf9, bits >> 8, bits & 0xff);

// --- sealwire envelopes from pieces -------------------------------------------------------------

/** The v1 labels (spec/envelope.md), encoded. */
export const L = {
  alg: int(1),
  crit: int(2),
  ct: int(3),
  kid: int(4),
  version: int(-65537),
  seq: int(-65538),
  ts: int(-65539),
  stream: int(-65540),
} as const;

export type Entry = readonly [Uint8Array, Uint8Array];

export interface HeaderFields {
  alg?: number;
  ct?: number | string;
  kid: Uint8Array;
  version?: number;
  seq?: number | bigint;
  ts?: number | bigint;
  stream?: Uint8Array;
}

/** The 7 protected-header entries of a valid v1 envelope, in deterministic order. */
export function headerEntries(f: HeaderFields): Entry[] {
  return [
    [L.alg, int(f.alg ?? -8)],
    [L.ct, typeof f.ct === 'string' ? tstr(f.ct) : int(f.ct ?? 42)],
    [L.kid, bstr(f.kid)],
    [L.version, int(f.version ?? 1)],
    [L.seq, int(f.seq ?? 7)],
    [L.ts, int(f.ts ?? 1_700_000_000_000)],
    [L.stream, bstr(f.stream ?? new Uint8Array(16).fill(0x5a))],
  ];
}

const DOMAIN = new TextEncoder().encode('sealwire/1');

/** external_aad per spec/envelope.md, written independently of src/wire/envelope.ts. */
export function specExternalAad(aad: Uint8Array = new Uint8Array(0), binding?: Uint8Array): Uint8Array {
  return binding === undefined ? raw(DOMAIN, [0x00], aad) : raw(DOMAIN, [0x01], binding, aad);
}

/** Sig_structure for COSE_Sign1 (RFC 9052 §4.4). */
export function sigStructure(protectedBytes: Uint8Array, externalAad: Uint8Array, payload: Uint8Array): Uint8Array {
  return arr(tstr('Signature1'), bstr(protectedBytes), bstr(externalAad), bstr(payload));
}

export interface EnvelopeParts {
  /** The protected header's encoded map (the bstr contents). */
  protectedBytes: Uint8Array;
  /** Encoded unprotected header; default the empty map. */
  unprotected?: Uint8Array;
  payload?: Uint8Array;
  /** Signs the Sig_structure, unless `signature` is given; neither → 64 zero bytes. */
  sign?: (toBeSigned: Uint8Array) => Uint8Array;
  signature?: Uint8Array;
  aad?: Uint8Array;
  binding?: Uint8Array;
  /** Encoded tag head; default tag 18 (0xd2). `null` for the untagged form. */
  tagHead?: Uint8Array | null;
}

/** A COSE_Sign1 assembled from pieces, signed over exactly those pieces. */
export function envelope(p: EnvelopeParts): Uint8Array {
  const payload = p.payload ?? new TextEncoder().encode('payload');
  const signature =
    p.signature ??
    (p.sign ? p.sign(sigStructure(p.protectedBytes, specExternalAad(p.aad, p.binding), payload)) : new Uint8Array(64));
  const body = arr(bstr(p.protectedBytes), p.unprotected ?? map(), bstr(payload), bstr(signature));
  return p.tagHead === null ? body : raw(p.tagHead ?? head(6, 18), body);
}
