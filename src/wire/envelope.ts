// The sealwire v1 envelope on the wire: a tagged COSE_Sign1 (RFC 9052 §4.2) with a fixed,
// fully protected header (spec/envelope.md §3–§5).
import { ProtocolError, SIGNATURE_FAILED } from '../errors.js';
import { assertBytes, utf8Encoder } from '../bytes.js';
import { CborReader, CborWriter, headLength, preferredArg, type CborMap, type CborValue } from './cbor.js';

/** Header labels. Negative labels below -65536 are COSE's private-use range (RFC 9052 §16.4). */
export const LABEL = {
  alg: 1,
  crit: 2,
  contentType: 3,
  kid: 4,
  version: -65537,
  seq: -65538,
  ts: -65539,
  stream: -65540,
} as const;

/** COSE `EdDSA` (RFC 9053): what v1 emits, because deployed COSE verifiers only know it. */
export const ALG_EDDSA = -8;
/** Fully specified `Ed25519` (RFC 9864): accepted by v1 so senders can migrate (spec §4.2). */
export const ALG_ED25519 = -19;
export const ENVELOPE_VERSION = 1;
const COSE_SIGN1_TAG = 18;
export const STREAM_ID_LENGTH = 16;
export const MAX_KID_LENGTH = 64;
const MAX_CONTENT_TYPE_LENGTH = 127;
const MAX_PROTECTED_SIZE = 512;
const SIGNATURE_LENGTH = 64;
/** 2^53 - 1: sequence numbers and timestamps stay exact in every JSON and JS number. */
export const MAX_UINT = Number.MAX_SAFE_INTEGER;
/** CoAP content format 42, application/octet-stream: the default content type. */
export const DEFAULT_CONTENT_TYPE = 42;

export type ContentType = number | string;

export interface EnvelopeHeader {
  readonly alg: typeof ALG_EDDSA | typeof ALG_ED25519;
  readonly contentType: ContentType;
  readonly kid: Uint8Array;
  readonly seq: number;
  readonly ts: number;
  readonly stream: Uint8Array;
}

export interface DecodedEnvelope {
  readonly header: EnvelopeHeader;
  /** The protected header exactly as received: what the signature covers. */
  readonly protectedBytes: Uint8Array;
  readonly payload: Uint8Array;
  readonly signature: Uint8Array;
}

const KNOWN_LABELS = new Set<number | bigint | string>(Object.values(LABEL));

export function encodeProtectedHeader(h: EnvelopeHeader): Uint8Array {
  // Labels in deterministic order: 1, 3, 4, then -65537, -65538, -65539, -65540.
  const w = new CborWriter(128);
  w.head(5, 7);
  w.int(LABEL.alg).int(h.alg);
  w.int(LABEL.contentType);
  if (typeof h.contentType === 'number') w.int(h.contentType);
  else w.text(h.contentType);
  w.int(LABEL.kid).bytes(h.kid);
  w.int(LABEL.version).int(ENVELOPE_VERSION);
  w.int(LABEL.seq).int(h.seq);
  w.int(LABEL.ts).int(h.ts);
  w.int(LABEL.stream).bytes(h.stream);
  return w.finish();
}

export function encodeEnvelope(protectedBytes: Uint8Array, payload: Uint8Array, signature: Uint8Array): Uint8Array {
  const w = new CborWriter(protectedBytes.length + payload.length + signature.length + 16);
  w.head(6, COSE_SIGN1_TAG).head(4, 4);
  w.bytes(protectedBytes);
  w.head(5, 0);
  w.bytes(payload);
  w.bytes(signature);
  return w.finish();
}

const SIGNATURE1 = utf8Encoder.encode('Signature1');

/** Sig_structure for COSE_Sign1 (RFC 9052 §4.4), written directly into one buffer. */
export function sigStructure(protectedBytes: Uint8Array, externalAad: Uint8Array, payload: Uint8Array): Uint8Array {
  const w = new CborWriter(protectedBytes.length + externalAad.length + payload.length + 32);
  w.head(4, 4);
  w.head(3, SIGNATURE1.length).raw(SIGNATURE1);
  w.bytes(protectedBytes);
  w.bytes(externalAad);
  w.bytes(payload);
  return w.finish();
}

/** Fixed domain-separation prefix of every external_aad (spec/envelope.md §6). */
const AAD_DOMAIN = utf8Encoder.encode('sealwire/1');
export const SESSION_BINDING_LENGTH = 33;

/**
 * external_aad = "sealwire/1" || 0x00 || aad                 (no session)
 *              = "sealwire/1" || 0x01 || binding(33) || aad   (session: id(32) || direction(1))
 */
export function externalAad(aad: Uint8Array | undefined, binding: Uint8Array | undefined): Uint8Array {
  // Exported API: array-likes would be copied in silently as other bytes than the caller meant.
  if (aad !== undefined) assertBytes(aad, 'aad');
  if (binding !== undefined) assertBytes(binding, 'binding');
  const a = aad ?? EMPTY;
  if (binding === undefined) {
    const out = new Uint8Array(AAD_DOMAIN.length + 1 + a.length);
    out.set(AAD_DOMAIN);
    out[AAD_DOMAIN.length] = 0x00;
    out.set(a, AAD_DOMAIN.length + 1);
    return out;
  }
  if (binding.length !== SESSION_BINDING_LENGTH) {
    throw new RangeError(`"binding" expected Uint8Array of length ${SESSION_BINDING_LENGTH}, got length=${binding.length}`);
  }
  const out = new Uint8Array(AAD_DOMAIN.length + 1 + binding.length + a.length);
  out.set(AAD_DOMAIN);
  out[AAD_DOMAIN.length] = 0x01;
  out.set(binding, AAD_DOMAIN.length + 1);
  out.set(a, AAD_DOMAIN.length + 1 + binding.length);
  return out;
}

const EMPTY = new Uint8Array(0);

/** The four members of a COSE_Sign1, structurally checked but with no profile rules applied. */
export interface RawSign1 {
  readonly protectedBytes: Uint8Array;
  readonly unprotected: CborMap;
  readonly unprotectedBytes: Uint8Array;
  readonly payload: Uint8Array;
  readonly signature: Uint8Array;
}

/**
 * Reads a COSE_Sign1 under the deterministic-encoding rules. `requireTag` is the sealwire profile;
 * the generic verifier also accepts the untagged form that RFC 9052 allows when context implies it.
 */
export function readSign1(bytes: Uint8Array, requireTag: boolean): RawSign1 {
  const r = new CborReader(bytes);
  if (r.remaining === 0) throw new ProtocolError('ERR_TRUNCATED', 'empty input');
  const first = bytes[0]!;
  if (first >> 5 === 6) {
    const { arg } = r.readHead();
    if (arg !== COSE_SIGN1_TAG) throw new ProtocolError('ERR_WRONG_TAG', 'expected CBOR tag 18 (COSE_Sign1)');
  } else if (requireTag) {
    throw new ProtocolError('ERR_WRONG_TAG', 'expected CBOR tag 18 (COSE_Sign1)');
  }
  const arr = r.readHead();
  if (arr.major !== 4 || arr.arg !== 4) throw new ProtocolError('ERR_MALFORMED', 'COSE_Sign1 must be an array of 4');
  const protectedBytes = readBstr(r, 'protected header');
  const uStart = r.pos;
  const u = r.readHead();
  if (u.major !== 5) throw new ProtocolError('ERR_MALFORMED', 'unprotected header must be a map');
  const unprotected = r.readMapBody(r.readLength(u.arg, 2), 1);
  const unprotectedBytes = bytes.subarray(uStart, r.pos);
  const p = r.readHead();
  if (p.major !== 2) {
    throw new ProtocolError('ERR_MALFORMED', p.major === 7 ? 'detached payloads are not supported' : 'payload must be a byte string');
  }
  const payloadLen = r.readLength(p.arg, 1);
  const payload = bytes.subarray(r.pos, r.pos + payloadLen);
  r.pos += payloadLen;
  const signature = readBstr(r, 'signature');
  if (r.pos !== r.end) throw new ProtocolError('ERR_TRAILING_BYTES', 'bytes follow the COSE_Sign1');
  return { protectedBytes, unprotected, unprotectedBytes, payload, signature };
}

function readBstr(r: CborReader, what: string): Uint8Array {
  const h = r.readHead();
  if (h.major !== 2) throw new ProtocolError('ERR_MALFORMED', `${what} must be a byte string`);
  const len = r.readLength(h.arg, 1);
  const out = r.bytes.subarray(r.pos, r.pos + len);
  r.pos += len;
  return out;
}

/** Decodes a protected header bstr's contents: a map, or the empty string meaning an empty map. */
export function readProtectedMap(protectedBytes: Uint8Array): CborMap {
  if (protectedBytes.length === 0) return new Map();
  const r = new CborReader(protectedBytes);
  const h = r.readHead();
  if (h.major !== 5) throw new ProtocolError('ERR_MALFORMED', 'protected header must encode a map');
  const map = r.readMapBody(r.readLength(h.arg, 2), 1);
  if (r.pos !== r.end) throw new ProtocolError('ERR_TRAILING_BYTES', 'bytes follow the protected header map');
  return map;
}

/**
 * Strict decode of a sealwire v1 envelope: encoding rules first (§5), then header semantics in the
 * order of spec/envelope.md §5.6. Throws ProtocolError; never returns a partially checked value.
 */
export function decodeEnvelope(bytes: Uint8Array): DecodedEnvelope {
  return decodeCanonical(bytes) ?? decodeEnvelopeGeneral(bytes);
}

/** @internal {@link decodeEnvelope} without the byte-level fast path, which the tests compare it with. */
export function decodeEnvelopeGeneral(bytes: Uint8Array): DecodedEnvelope {
  const raw = readSign1(bytes, true);
  // Checks on the members' sizes come before the protected bstr's contents are decoded: they cost
  // nothing and one order is simple to state (spec/envelope.md §5.6, steps 2–4).
  if (raw.protectedBytes.length > MAX_PROTECTED_SIZE) {
    throw new ProtocolError('ERR_TOO_LARGE', `protected header exceeds ${MAX_PROTECTED_SIZE} bytes`);
  }
  if (raw.unprotected.size !== 0) {
    throw new ProtocolError('ERR_UNPROTECTED_HEADER', 'unprotected header must be empty');
  }
  if (raw.signature.length !== SIGNATURE_LENGTH) {
    throw new ProtocolError('ERR_BAD_SIGNATURE', SIGNATURE_FAILED);
  }
  const map = readProtectedMap(raw.protectedBytes);
  const header = checkHeader(map);
  return { header, protectedBytes: raw.protectedBytes, payload: raw.payload, signature: raw.signature };
}

/**
 * The envelope every sealwire sender writes, read byte by byte: tag 18, the protected map with
 * labels 1, 3, 4, -65537 … -65540 in this order, a numeric content type, integers and lengths in
 * preferred form, an empty unprotected map, a 64-byte signature, nothing after it. Deterministic
 * CBOR allows one encoding per value, so what this accepts the general decoder accepts too, with
 * the same header. Anything else (text content types, any deviation, any error) returns undefined
 * and gets the general decoder's verdict and its error code. Per envelope, this skips a Map, a
 * dozen head objects and the label walk. @internal (exported for the tests that compare the two).
 */
export function decodeCanonical(b: Uint8Array): DecodedEnvelope | undefined {
  const end = b.length;
  // Tag 18, array of 4, the protected bstr.
  if (b[0] !== 0xd2 || b[1] !== 0x84) return undefined;
  const plen = preferredArg(b, 2, end, 2);
  if (plen < 0 || plen > MAX_PROTECTED_SIZE) return undefined;
  const pStart = 2 + headLength(b[2]!);
  const pEnd = pStart + plen;
  if (pEnd > end) return undefined;
  // {1: alg, 3: content type, 4: kid, -65537: 1, -65538: seq, -65539: ts, -65540: stream}
  let p = pStart;
  if (b[p] !== 0xa7 || b[p + 1] !== 0x01) return undefined;
  const algByte = b[p + 2];
  const alg = algByte === 0x27 ? ALG_EDDSA : algByte === 0x32 ? ALG_ED25519 : undefined;
  if (alg === undefined || b[p + 3] !== 0x03) return undefined;
  p += 4;
  const contentType = preferredArg(b, p, pEnd, 0);
  if (contentType < 0 || contentType > 0xffff) return undefined;
  p += headLength(b[p]!);
  if (b[p] !== 0x04) return undefined;
  const kidLen = preferredArg(b, p + 1, pEnd, 2);
  if (kidLen < 1 || kidLen > MAX_KID_LENGTH) return undefined;
  const kidStart = p + 1 + headLength(b[p + 1]!);
  p = kidStart + kidLen;
  if (!labelAt(b, p, pEnd, 0) || b[p + 5] !== 0x01 || !labelAt(b, p + 6, pEnd, 1)) return undefined;
  p += 11;
  const seq = uint53(b, p, pEnd);
  if (seq < 0) return undefined;
  p += headLength(b[p]!);
  if (!labelAt(b, p, pEnd, 2)) return undefined;
  p += 5;
  const ts = uint53(b, p, pEnd);
  if (ts < 0) return undefined;
  p += headLength(b[p]!);
  // The stream label, a 16-byte bstr, and the end of the protected bstr exactly there.
  if (p + 6 + STREAM_ID_LENGTH !== pEnd || !labelAt(b, p, pEnd, 3) || b[p + 5] !== 0x50) return undefined;
  const streamStart = p + 6;
  // Empty unprotected map, payload bstr, the signature bstr ending the input.
  if (b[pEnd] !== 0xa0) return undefined;
  p = pEnd + 1;
  const payloadLen = preferredArg(b, p, end, 2);
  if (payloadLen < 0) return undefined;
  const payloadStart = p + headLength(b[p]!);
  p = payloadStart + payloadLen;
  if (p + 2 + SIGNATURE_LENGTH !== end || b[p] !== 0x58 || b[p + 1] !== SIGNATURE_LENGTH) return undefined;
  const header: EnvelopeHeader = {
    alg,
    contentType,
    kid: b.subarray(kidStart, kidStart + kidLen),
    seq,
    ts,
    stream: b.subarray(streamStart, streamStart + STREAM_ID_LENGTH),
  };
  return {
    header,
    protectedBytes: b.subarray(pStart, pEnd),
    payload: b.subarray(payloadStart, payloadStart + payloadLen),
    signature: b.subarray(p + 2, end),
  };
}

/** Whether label -65537 - n (major type 1, argument 65536 + n, the one encoding) ends by `limit` at `p`. */
function labelAt(b: Uint8Array, p: number, limit: number, n: number): boolean {
  return p + 5 <= limit && b[p] === 0x3a && b[p + 1] === 0x00 && b[p + 2] === 0x01 && b[p + 3] === 0x00 && b[p + 4] === n;
}

/** A preferred-form unsigned integer below 2^53 at `p`, ending by `limit`, or -1 (any other form). */
function uint53(b: Uint8Array, p: number, limit: number): number {
  if (b[p] !== 0x1b) return preferredArg(b, p, limit, 0);
  if (p + 9 > limit) return -1;
  const hi = ((b[p + 1]! << 24) >>> 0) + ((b[p + 2]! << 16) | (b[p + 3]! << 8) | b[p + 4]!);
  // At least 2^32 (else not preferred) and below 2^53 (else the general decoder refuses it).
  if (hi === 0 || hi >= 0x200000) return -1;
  const lo = ((b[p + 5]! << 24) >>> 0) + ((b[p + 6]! << 16) | (b[p + 7]! << 8) | b[p + 8]!);
  return hi * 0x1_0000_0000 + lo;
}

function checkHeader(map: CborMap): EnvelopeHeader {
  // Version first: a later version may add labels, and must be refused as a version, not as junk.
  const version = required(map, LABEL.version, 'version');
  if (typeof version !== 'number' && typeof version !== 'bigint') {
    throw new ProtocolError('ERR_HEADER_VALUE', 'version must be an unsigned integer');
  }
  if (version !== ENVELOPE_VERSION) throw new ProtocolError('ERR_UNSUPPORTED_VERSION', 'unsupported envelope version');
  if (map.has(LABEL.crit)) throw new ProtocolError('ERR_UNKNOWN_CRITICAL', 'v1 defines no critical extensions');
  for (const label of map.keys()) {
    if (!KNOWN_LABELS.has(label)) throw new ProtocolError('ERR_UNKNOWN_HEADER', 'unknown protected header label');
  }
  const alg = required(map, LABEL.alg, 'alg');
  if (typeof alg !== 'number' && typeof alg !== 'bigint' && typeof alg !== 'string') {
    throw new ProtocolError('ERR_HEADER_VALUE', 'alg must be an integer or text');
  }
  if (alg !== ALG_EDDSA && alg !== ALG_ED25519) throw new ProtocolError('ERR_UNSUPPORTED_ALG', 'unsupported alg');
  const contentType = required(map, LABEL.contentType, 'content type');
  if (typeof contentType === 'number') {
    if (contentType < 0 || contentType > 0xffff) throw new ProtocolError('ERR_HEADER_VALUE', 'content type out of range');
  } else if (typeof contentType === 'string') {
    if (!isMediaType(contentType)) throw new ProtocolError('ERR_HEADER_VALUE', 'content type is not a valid media type');
  } else {
    throw new ProtocolError('ERR_HEADER_VALUE', 'content type must be a uint or text');
  }
  const kid = required(map, LABEL.kid, 'kid');
  if (!(kid instanceof Uint8Array) || kid.length === 0 || kid.length > MAX_KID_LENGTH) {
    throw new ProtocolError('ERR_HEADER_VALUE', `kid must be a byte string of 1 to ${MAX_KID_LENGTH} bytes`);
  }
  const seq = uint(required(map, LABEL.seq, 'seq'), 'seq');
  const ts = uint(required(map, LABEL.ts, 'ts'), 'ts');
  const stream = required(map, LABEL.stream, 'stream');
  if (!(stream instanceof Uint8Array) || stream.length !== STREAM_ID_LENGTH) {
    throw new ProtocolError('ERR_HEADER_VALUE', `stream must be a byte string of ${STREAM_ID_LENGTH} bytes`);
  }
  return { alg, contentType, kid, seq, ts, stream };
}

function required(map: CborMap, label: number, name: string): CborValue {
  const v = map.get(label);
  if (v === undefined) throw new ProtocolError('ERR_MISSING_HEADER', `missing protected header: ${name}`);
  return v;
}

function uint(v: CborValue, name: string): number {
  if (typeof v !== 'number' || v < 0) {
    throw new ProtocolError('ERR_HEADER_VALUE', `${name} must be an unsigned integer below 2^53`);
  }
  return v;
}

// ASCII only, whitespace = SP / HTAB (RFC 9110 OWS): JS `\s` would also admit U+00A0, U+2028 …,
// which other languages' regex engines do not. Parameter text excludes ";" so every character has
// exactly one role: the former `[\x21-\x7e]+` made "a/b;;;…" backtrack exponentially (ReDoS in
// decode, before any signature check).
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(?:[ \t]*;[ \t]*[\x21-\x3a\x3c-\x7e]+)*$/;

/** RFC 6838 type/subtype with optional parameters, the ABNF of spec/envelope.md §3.3, 1–127 bytes. */
export function isMediaType(s: string): boolean {
  return s.length > 0 && s.length <= MAX_CONTENT_TYPE_LENGTH && MEDIA_TYPE.test(s);
}
