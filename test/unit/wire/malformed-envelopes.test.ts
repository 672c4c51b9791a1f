// Malformed envelopes, each hand-built byte by byte (test/helpers/cbor-builder.ts) and signed
// properly over exactly those bytes, must be refused by open() with their documented code
// (spec/errors.md) — never accepted, never another exception type (issue 2, item 6).
import { describe, expect, it } from 'vitest';
import { importPublicKey, importSigningKey, open, ProtocolError, seal, toHex } from '../../../src/index.js';
import type { ErrorCode, OpenOptions } from '../../../src/index.js';
import {
  FALSE,
  L,
  NULL,
  UNDEFINED,
  arr,
  bstr,
  envelope,
  float16Bits,
  float32,
  float64,
  head,
  headerEntries,
  indefArr,
  indefBstr,
  indefMap,
  indefTstr,
  int,
  map,
  raw,
  tag,
  tstr,
  type Entry,
  type EnvelopeParts,
  type HeaderFields,
} from '../../helpers/cbor-builder.js';

const SECRET = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const signer = importSigningKey(SECRET);
const key = importPublicKey(signer.publicKey);
const KID = signer.kid;
const STREAM = new Uint8Array(16).fill(0x5a);
const sign = (tbs: Uint8Array): Uint8Array => signer.sign(tbs);

const fields = (f: Partial<HeaderFields> = {}): HeaderFields => ({ kid: KID, stream: STREAM, ...f });
const entries = (f: Partial<HeaderFields> = {}): Entry[] => headerEntries(fields(f));
/** A properly signed envelope whose protected header is `protectedBytes`. */
const signed = (protectedBytes: Uint8Array, extra: Partial<EnvelopeParts> = {}): Uint8Array =>
  envelope({ protectedBytes, sign, ...extra });
const withEntries = (e: Entry[], extra: Partial<EnvelopeParts> = {}): Uint8Array => signed(map(...e), extra);
/** Replace entry `i` of the valid header. */
const replaced = (i: number, value: Uint8Array): Entry[] => entries().map((e, j) => (j === i ? [e[0], value] as const : e));
const without = (i: number): Entry[] => entries().filter((_, j) => j !== i);

function codeOf(bytes: Uint8Array, options: Partial<OpenOptions> = {}): ErrorCode | 'accepted' {
  try {
    open(bytes, { keys: key, ...options });
    return 'accepted';
  } catch (err) {
    if (err instanceof ProtocolError) return err.code;
    throw new Error(`not a ProtocolError: ${String(err)} for ${toHex(bytes)}`, { cause: err });
  }
}

describe('builder sanity', () => {
  it('the hand-built valid envelope is byte-identical to seal() and opens', () => {
    const built = withEntries(entries({ seq: 7, ts: 1_700_000_000_000 }));
    const sealed = seal(signer, new TextEncoder().encode('payload'), { seq: 7, ts: 1_700_000_000_000, stream: STREAM });
    expect(toHex(built)).toBe(toHex(sealed));
    expect(codeOf(built)).toBe('accepted');
  });

  it('a valid envelope with aad and binding built independently opens with the same aad and binding', () => {
    const aad = Uint8Array.of(1, 2, 3);
    const binding = new Uint8Array(33).fill(9);
    const built = withEntries(entries(), { aad, binding });
    expect(codeOf(built, { aad, binding })).toBe('accepted');
    expect(codeOf(built, { aad })).toBe('ERR_BAD_SIGNATURE');
  });
});

const TWO53 = 2n ** 53n;

// [name, bytes, expected code, open options?]
const CASES: [string, () => Uint8Array, ErrorCode, Partial<OpenOptions>?][] = [
  // --- duplicate labels ---
  ['duplicate label, adjacent (alg twice)', () => withEntries([entries()[0]!, ...entries()]), 'ERR_DUPLICATE_LABEL'],
  ['duplicate label, not adjacent (seq after stream)', () => withEntries([...entries(), [L.seq, int(8)]]), 'ERR_DUPLICATE_LABEL'],
  ['duplicate label in the unprotected header', () => withEntries(entries(), { unprotected: map([int(4), bstr(KID)], [int(4), bstr(KID)]) }), 'ERR_DUPLICATE_LABEL'],
  // --- indefinite lengths ---
  ['indefinite-length outer array', () => raw(head(6, 18), indefArr(bstr(map(...entries())), map(), bstr(Uint8Array.of(1)), bstr(new Uint8Array(64)))), 'ERR_INDEFINITE_LENGTH'],
  ['indefinite-length protected map', () => signed(indefMap(...entries())), 'ERR_INDEFINITE_LENGTH'],
  ['indefinite-length unprotected map', () => raw(head(6, 18), arr(bstr(map(...entries())), indefMap(), bstr(Uint8Array.of(1)), bstr(new Uint8Array(64)))), 'ERR_INDEFINITE_LENGTH'],
  ['indefinite-length payload bstr', () => raw(head(6, 18), arr(bstr(map(...entries())), map(), indefBstr(Uint8Array.of(1), Uint8Array.of(2)), bstr(new Uint8Array(64)))), 'ERR_INDEFINITE_LENGTH'],
  ['indefinite-length protected bstr', () => raw(head(6, 18), arr(indefBstr(map(...entries())), map(), bstr(Uint8Array.of(1)), bstr(new Uint8Array(64)))), 'ERR_INDEFINITE_LENGTH'],
  ['indefinite-length tstr content type', () => withEntries(replaced(1, indefTstr('text/', 'plain'))), 'ERR_INDEFINITE_LENGTH'],
  // --- non-preferred integers ---
  ['non-preferred header value (seq 7 in 1 byte)', () => withEntries(replaced(4, int(7, 1))), 'ERR_NON_PREFERRED'],
  ['non-preferred header value (ts 1000 in 8 bytes)', () => withEntries(replaced(5, int(1000, 8))), 'ERR_NON_PREFERRED'],
  ['non-preferred header value (ts 4375 in 4 bytes)', () => withEntries(replaced(5, int(4375, 4))), 'ERR_NON_PREFERRED'],
  ['non-preferred negative alg (-8 in 2 bytes)', () => withEntries(replaced(0, int(-8, 2))), 'ERR_NON_PREFERRED'],
  ['non-preferred label (-65537 in 8 bytes)', () => withEntries(entries().map((e, j) => (j === 3 ? [int(-65537, 8), e[1]] as const : e))), 'ERR_NON_PREFERRED'],
  ['non-preferred kid length', () => withEntries(replaced(2, bstr(KID, 2))), 'ERR_NON_PREFERRED'],
  ['non-preferred payload length', () => raw(head(6, 18), arr(bstr(map(...entries())), map(), bstr(Uint8Array.of(1, 2), 1), bstr(new Uint8Array(64)))), 'ERR_NON_PREFERRED'],
  ['non-preferred signature length (64 in 2 bytes)', () => raw(head(6, 18), arr(bstr(map(...entries())), map(), bstr(Uint8Array.of(1)), bstr(new Uint8Array(64), 2))), 'ERR_NON_PREFERRED'],
  ['non-preferred protected map count', () => signed(raw(head(5, 7, 1), ...entries().flatMap((e) => [e[0], e[1]]))), 'ERR_NON_PREFERRED'],
  ['non-preferred tag (18 in 1 byte)', () => withEntries(entries(), { tagHead: head(6, 18, 1) }), 'ERR_NON_PREFERRED'],
  ['non-preferred array count', () => raw(head(6, 18), head(4, 4, 1), bstr(map(...entries())), map(), bstr(Uint8Array.of(1)), bstr(new Uint8Array(64))), 'ERR_NON_PREFERRED'],
  // --- map order ---
  ['map order: content type before alg', () => { const e = entries(); return withEntries([e[1]!, e[0]!, ...e.slice(2)]); }, 'ERR_MAP_ORDER'],
  ['map order: stream before version', () => { const e = entries(); return withEntries([...e.slice(0, 3), e[6]!, e[3]!, e[4]!, e[5]!]); }, 'ERR_MAP_ORDER'],
  ['map order: text label before int label (unknown label after sort check)', () => withEntries([[tstr('a'), int(1)], ...entries()]), 'ERR_MAP_ORDER'],
  // --- trailing bytes ---
  ['trailing byte after the envelope', () => raw(withEntries(entries()), [0x00]), 'ERR_TRAILING_BYTES'],
  ['a second envelope appended', () => raw(withEntries(entries()), withEntries(entries())), 'ERR_TRAILING_BYTES'],
  ['trailing byte inside the protected bstr', () => signed(raw(map(...entries()), [0x00])), 'ERR_TRAILING_BYTES'],
  // --- tag ---
  ['untagged COSE_Sign1', () => withEntries(entries(), { tagHead: null }), 'ERR_WRONG_TAG'],
  ['tag 98 (COSE_Sign)', () => withEntries(entries(), { tagHead: head(6, 98) }), 'ERR_WRONG_TAG'],
  ['tag 17 (COSE_Mac0)', () => withEntries(entries(), { tagHead: head(6, 17) }), 'ERR_WRONG_TAG'],
  ['tag 18 nested twice', () => raw(head(6, 18), withEntries(entries())), 'ERR_MALFORMED'],
  ['bare byte string', () => bstr(new Uint8Array(10)), 'ERR_WRONG_TAG'],
  // --- structure ---
  ['array of 3', () => raw(head(6, 18), arr(bstr(map(...entries())), map(), bstr(Uint8Array.of(1)))), 'ERR_MALFORMED'],
  ['array of 5', () => raw(head(6, 18), arr(bstr(map(...entries())), map(), bstr(Uint8Array.of(1)), bstr(new Uint8Array(64)), NULL)), 'ERR_MALFORMED'],
  ['detached payload (nil)', () => raw(head(6, 18), arr(bstr(map(...entries())), map(), NULL, bstr(new Uint8Array(64)))), 'ERR_MALFORMED'],
  ['payload as tstr', () => raw(head(6, 18), arr(bstr(map(...entries())), map(), tstr('hi'), bstr(new Uint8Array(64)))), 'ERR_MALFORMED'],
  ['protected header as a map, not a bstr', () => raw(head(6, 18), arr(map(...entries()), map(), bstr(Uint8Array.of(1)), bstr(new Uint8Array(64)))), 'ERR_MALFORMED'],
  ['protected bstr holding an array', () => signed(arr(int(1), int(-8))), 'ERR_MALFORMED'],
  ['unprotected header as an array', () => raw(head(6, 18), arr(bstr(map(...entries())), arr(), bstr(Uint8Array.of(1)), bstr(new Uint8Array(64)))), 'ERR_MALFORMED'],
  ['signature of 63 bytes', () => withEntries(entries(), { signature: new Uint8Array(63) }), 'ERR_BAD_SIGNATURE'],
  ['signature of 65 bytes', () => withEntries(entries(), { sign: (t) => raw(sign(t), [0]) }), 'ERR_BAD_SIGNATURE'],
  ['map label of type bstr', () => withEntries([...entries(), [bstr(Uint8Array.of(1)), int(1)]]), 'ERR_MALFORMED'],
  // --- unprotected header ---
  ['alg only in the unprotected header', () => withEntries(without(0), { unprotected: map([L.alg, int(-8)]) }), 'ERR_UNPROTECTED_HEADER'],
  ['kid in the unprotected header too', () => withEntries(entries(), { unprotected: map([L.kid, bstr(KID)]) }), 'ERR_UNPROTECTED_HEADER'],
  ['unknown label in the unprotected header', () => withEntries(entries(), { unprotected: map([int(-70000), int(0)]) }), 'ERR_UNPROTECTED_HEADER'],
  // --- crit and unknown labels ---
  ['crit naming an unknown label', () => withEntries([entries()[0]!, [L.crit, arr(int(-65541))], ...entries().slice(1), [int(-65541), int(1)]]), 'ERR_UNKNOWN_CRITICAL'],
  ['crit naming a known label', () => withEntries([entries()[0]!, [L.crit, arr(int(-65538))], ...entries().slice(1)]), 'ERR_UNKNOWN_CRITICAL'],
  ['crit empty array', () => withEntries([entries()[0]!, [L.crit, arr()], ...entries().slice(1)]), 'ERR_UNKNOWN_CRITICAL'],
  ['unknown int label (5, IV)', () => { const e = entries(); return withEntries([...e.slice(0, 3), [int(5), bstr(new Uint8Array(12))], ...e.slice(3)]); }, 'ERR_UNKNOWN_HEADER'],
  ['unknown private label -65541', () => withEntries([...entries(), [int(-65541), int(0)]]), 'ERR_UNKNOWN_HEADER'],
  ['unknown text label', () => withEntries([...entries(), [tstr('x'), int(0)]]), 'ERR_UNKNOWN_HEADER'],
  // --- missing labels ---
  ['missing alg', () => withEntries(without(0)), 'ERR_MISSING_HEADER'],
  ['missing content type', () => withEntries(without(1)), 'ERR_MISSING_HEADER'],
  ['missing kid', () => withEntries(without(2)), 'ERR_MISSING_HEADER'],
  ['missing version', () => withEntries(without(3)), 'ERR_MISSING_HEADER'],
  ['missing seq', () => withEntries(without(4)), 'ERR_MISSING_HEADER'],
  ['missing ts', () => withEntries(without(5)), 'ERR_MISSING_HEADER'],
  ['missing stream', () => withEntries(without(6)), 'ERR_MISSING_HEADER'],
  ['empty protected bstr', () => signed(new Uint8Array(0)), 'ERR_MISSING_HEADER'],
  ['empty protected map', () => signed(map()), 'ERR_MISSING_HEADER'],
  // --- values: types and ranges ---
  ['seq = 2^53', () => withEntries(replaced(4, int(TWO53))), 'ERR_HEADER_VALUE'],
  ['seq = 2^64 - 1', () => withEntries(replaced(4, int(2n ** 64n - 1n))), 'ERR_HEADER_VALUE'],
  ['seq negative', () => withEntries(replaced(4, int(-1))), 'ERR_HEADER_VALUE'],
  ['seq as bstr', () => withEntries(replaced(4, bstr(Uint8Array.of(7)))), 'ERR_HEADER_VALUE'],
  ['seq as bool', () => withEntries(replaced(4, FALSE)), 'ERR_HEADER_VALUE'],
  ['ts negative', () => withEntries(replaced(5, int(-1_700_000_000_000))), 'ERR_HEADER_VALUE'],
  ['ts = 2^53', () => withEntries(replaced(5, int(TWO53))), 'ERR_HEADER_VALUE'],
  ['ts as text', () => withEntries(replaced(5, tstr('1700000000000'))), 'ERR_HEADER_VALUE'],
  ['stream of 15 bytes', () => withEntries(replaced(6, bstr(new Uint8Array(15)))), 'ERR_HEADER_VALUE'],
  ['stream of 17 bytes', () => withEntries(replaced(6, bstr(new Uint8Array(17)))), 'ERR_HEADER_VALUE'],
  ['stream as text', () => withEntries(replaced(6, tstr('0123456789abcdef'))), 'ERR_HEADER_VALUE'],
  ['kid of 0 bytes', () => withEntries(replaced(2, bstr(new Uint8Array(0)))), 'ERR_HEADER_VALUE'],
  ['kid of 65 bytes', () => withEntries(replaced(2, bstr(new Uint8Array(65)))), 'ERR_HEADER_VALUE'],
  ['kid as text', () => withEntries(replaced(2, tstr('11'))), 'ERR_HEADER_VALUE'],
  ['content type 65536', () => withEntries(replaced(1, int(65536))), 'ERR_HEADER_VALUE'],
  ['content type negative', () => withEntries(replaced(1, int(-1))), 'ERR_HEADER_VALUE'],
  ['content type not a media type', () => withEntries(replaced(1, tstr('not a media type'))), 'ERR_HEADER_VALUE'],
  ['content type empty text', () => withEntries(replaced(1, tstr(''))), 'ERR_HEADER_VALUE'],
  ['content type as bstr', () => withEntries(replaced(1, bstr(Uint8Array.of(42)))), 'ERR_HEADER_VALUE'],
  ['content type tstr with invalid UTF-8', () => withEntries(replaced(1, tstr(Uint8Array.of(0x74, 0x2f, 0xc3, 0x28)))), 'ERR_MALFORMED'],
  ['content type tstr with a lone surrogate (CESU)', () => withEntries(replaced(1, tstr(Uint8Array.of(0x61, 0x2f, 0xed, 0xa0, 0x80)))), 'ERR_MALFORMED'],
  ['version 2', () => withEntries(replaced(3, int(2))), 'ERR_UNSUPPORTED_VERSION'],
  ['version 0', () => withEntries(replaced(3, int(0))), 'ERR_UNSUPPORTED_VERSION'],
  ['version as text', () => withEntries(replaced(3, tstr('1'))), 'ERR_HEADER_VALUE'],
  ['alg ES256 (-7)', () => withEntries(replaced(0, int(-7))), 'ERR_UNSUPPORTED_ALG'],
  ['alg Ed448 (-53)', () => withEntries(replaced(0, int(-53))), 'ERR_UNSUPPORTED_ALG'],
  ['alg as text "EdDSA"', () => withEntries(replaced(0, tstr('EdDSA'))), 'ERR_UNSUPPORTED_ALG'],
  ['alg as bstr', () => withEntries(replaced(0, bstr(Uint8Array.of(0xf8)))), 'ERR_HEADER_VALUE'],
  // --- floats and simple values ---
  ['seq as float64 7.0', () => withEntries(replaced(4, float64(7))), 'ERR_MALFORMED'],
  ['seq as float32 7.0', () => withEntries(replaced(4, float32(7))), 'ERR_MALFORMED'],
  ['seq as float16 1.0', () => withEntries(replaced(4, float16Bits(0x3c00))), 'ERR_MALFORMED'],
  ['ts as NaN', () => withEntries(replaced(5, float16Bits(0x7e00))), 'ERR_MALFORMED'],
  ['undefined as a value', () => withEntries(replaced(1, UNDEFINED)), 'ERR_MALFORMED'],
  ['simple value 16', () => withEntries(replaced(1, Uint8Array.of(0xf0))), 'ERR_MALFORMED'],
  ['reserved additional information 28', () => withEntries(replaced(4, Uint8Array.of(0x1c))), 'ERR_MALFORMED'],
  // The break stop code exists only to end indefinite-length items (RFC 8949 §3.2.1): reported as such.
  ['break byte alone', () => withEntries(replaced(4, Uint8Array.of(0xff))), 'ERR_INDEFINITE_LENGTH'],
  // --- size and resource limits ---
  ['over maxEnvelopeSize', () => withEntries(entries(), { payload: new Uint8Array(200) }), 'ERR_TOO_LARGE', { maxEnvelopeSize: 200 }],
  ['over the default 64 KiB cap', () => withEntries(entries(), { payload: new Uint8Array(64 * 1024) }), 'ERR_TOO_LARGE'],
  ['protected header over 512 bytes', () => withEntries(replaced(1, tstr(`a/${'b'.repeat(600)}`))), 'ERR_TOO_LARGE'],
  ['nesting bomb in the unprotected header', () => withEntries(entries(), { unprotected: map([int(1), raw(new Uint8Array(10_000).fill(0x81), int(0))]) }), 'ERR_MALFORMED'],
  ['nesting bomb of maps in the protected header', () => withEntries([...entries(), [int(-65541), raw(...Array.from({ length: 100 }, () => [0xa1, 0x01]), [0x00])]]), 'ERR_MALFORMED'],
  ['nesting bomb of tags in a header value', () => withEntries(replaced(4, raw(new Uint8Array(200).fill(0xc1), int(0)))), 'ERR_MALFORMED'],
  ['nesting bomb of 10k arrays in the payload position', () => raw(head(6, 18), arr(bstr(map(...entries())), map(), raw(new Uint8Array(10_000).fill(0x81), int(0)), bstr(new Uint8Array(64)))), 'ERR_MALFORMED'],
  ['huge declared payload length (2^64 - 1)', () => raw(head(6, 18), head(4, 4), bstr(map(...entries())), map(), head(2, 2n ** 64n - 1n)), 'ERR_TRUNCATED'],
  ['huge declared payload length (2^32 - 1)', () => raw(head(6, 18), head(4, 4), bstr(map(...entries())), map(), head(2, 0xffff_ffff), new Uint8Array(10)), 'ERR_TRUNCATED'],
  ['huge declared protected map count', () => signed(raw(head(5, 0xffff_ffff), ...entries().flatMap((e) => [e[0], e[1]]))), 'ERR_TRUNCATED'],
  ['huge declared array count in the unprotected header', () => withEntries(entries(), { unprotected: map([int(1), head(4, 2n ** 63n)]) }), 'ERR_TRUNCATED'],
  ['huge declared text length', () => withEntries(replaced(1, head(3, 0x7fff_ffff))), 'ERR_TRUNCATED'],
  ['empty input', () => new Uint8Array(0), 'ERR_TRUNCATED'],
  // --- spec/envelope.md §5.7: items decided on their initial byte ---
  ['ai 31 on major type 0 (not well-formed)', () => withEntries(replaced(4, Uint8Array.of(0x1f))), 'ERR_MALFORMED'],
  ['ai 31 on major type 1', () => withEntries(replaced(4, Uint8Array.of(0x3f))), 'ERR_MALFORMED'],
  ['ai 31 on major type 6', () => withEntries(replaced(4, raw([0xdf], int(0)))), 'ERR_MALFORMED'],
  ['float64 head with its bytes missing, at the end of the protected map', () => signed(raw(map(...entries()).subarray(0, -17), [0xfb])), 'ERR_MALFORMED'],
  ['one-byte simple value f8 10 (would be non-preferred if read as an integer)', () => withEntries(replaced(4, Uint8Array.of(0xf8, 0x10))), 'ERR_MALFORMED'],
  ['float16 with a small bit pattern (f9 00 05)', () => withEntries(replaced(4, Uint8Array.of(0xf9, 0x00, 0x05))), 'ERR_MALFORMED'],
  ['float32 with a small bit pattern (fa 00000001)', () => withEntries(replaced(4, Uint8Array.of(0xfa, 0, 0, 0, 1))), 'ERR_MALFORMED'],
  ['tag number 2^53 in a header value', () => withEntries(replaced(4, raw(head(6, TWO53), int(0)))), 'ERR_MALFORMED'],
  ['tag 1 (epoch time) around ts: no tag is valid in a v1 header', () => withEntries(replaced(5, tag(1, int(1_700_000_000)))), 'ERR_HEADER_VALUE'],
  // --- spec/envelope.md §4.3: content type ABNF ---
  ['content type with U+00A0 as whitespace', () => withEntries(replaced(1, tstr('text/plain;\u00a0charset=utf-8'))), 'ERR_HEADER_VALUE'],
  ['content type with U+2028 as whitespace', () => withEntries(replaced(1, tstr('text/plain\u2028;charset=utf-8'))), 'ERR_HEADER_VALUE'],
  ['content type with an empty parameter (a/b;;)', () => withEntries(replaced(1, tstr('a/b;;'))), 'ERR_HEADER_VALUE'],
  ['content type of 128 bytes', () => withEntries(replaced(1, tstr(`a/${'b'.repeat(126)}`))), 'ERR_HEADER_VALUE'],
  ['content type without a subtype', () => withEntries(replaced(1, tstr('text/'))), 'ERR_HEADER_VALUE'],
  // --- spec/envelope.md §5.6: the first failing step wins ---
  ['order: outer trailing bytes (step 1) before a bad protected map (step 5)', () => raw(signed(raw(map(...entries()), [0])), [0]), 'ERR_TRAILING_BYTES'],
  ['order: protected > 512 bytes (step 2) before a non-empty unprotected map (step 3)', () => withEntries(replaced(1, tstr(`a/${'b'.repeat(600)}`)), { unprotected: map([L.kid, bstr(KID)]) }), 'ERR_TOO_LARGE'],
  ['order: non-empty unprotected (step 3) before a bad signature length (step 4)', () => withEntries(entries(), { unprotected: map([L.kid, bstr(KID)]), signature: new Uint8Array(63) }), 'ERR_UNPROTECTED_HEADER'],
  ['order: non-empty unprotected (step 3) before trailing bytes in protected (step 5)', () => signed(raw(map(...entries()), [0]), { unprotected: map([L.kid, bstr(KID)]) }), 'ERR_UNPROTECTED_HEADER'],
  ['order: signature length (step 4) before a duplicate protected label (step 5)', () => withEntries([entries()[0]!, ...entries()], { signature: new Uint8Array(63) }), 'ERR_BAD_SIGNATURE'],
  ['order: version (6.1) before crit (6.2)', () => withEntries([entries()[0]!, [L.crit, arr(int(-65541))], ...entries().slice(1, 3), [L.version, int(2)], ...entries().slice(4)]), 'ERR_UNSUPPORTED_VERSION'],
  ['order: crit (6.2) before an unknown label (6.3)', () => withEntries([entries()[0]!, [L.crit, arr()], ...entries().slice(1), [int(-65541), int(0)]]), 'ERR_UNKNOWN_CRITICAL'],
  ['order: unknown label (6.3) before a missing alg (6.4)', () => withEntries([...without(0), [int(-65541), int(0)]]), 'ERR_UNKNOWN_HEADER'],
  ['order: alg (6.4) before content type (6.5)', () => { const e = replaced(0, int(-7)); e[1] = [L.ct, tstr('bad')]; return withEntries(e); }, 'ERR_UNSUPPORTED_ALG'],
  ['order: a missing version (6.1) before a bad alg (6.4)', () => withEntries(without(3).map((e, j) => (j === 0 ? [e[0], int(-7)] as const : e))), 'ERR_MISSING_HEADER'],
];

describe('each malformed input gets its own code', () => {
  it.each(CASES.map(([name, build, code, opts]) => [name, code, build, opts] as const))('%s → %s', (name, code, build, opts) => {
    const bytes = build();
    expect(codeOf(bytes, opts ?? {}), `[${name}] ${toHex(bytes).slice(0, 160)}`).toBe(code);
  });

  it('covers every encoding and header code at least once', () => {
    const seen = new Set(CASES.map((c) => c[2]));
    for (const code of [
      'ERR_TRUNCATED', 'ERR_TRAILING_BYTES', 'ERR_INDEFINITE_LENGTH', 'ERR_NON_PREFERRED', 'ERR_DUPLICATE_LABEL',
      'ERR_MAP_ORDER', 'ERR_WRONG_TAG', 'ERR_MALFORMED', 'ERR_TOO_LARGE', 'ERR_UNPROTECTED_HEADER',
      'ERR_UNKNOWN_CRITICAL', 'ERR_UNKNOWN_HEADER', 'ERR_MISSING_HEADER', 'ERR_HEADER_VALUE',
      'ERR_UNSUPPORTED_ALG', 'ERR_UNSUPPORTED_VERSION',
    ] as const) {
      expect(seen.has(code), code).toBe(true);
    }
  });
});

describe('boundaries that must still open', () => {
  it.each([
    ['seq = 2^53 - 1', { seq: TWO53 - 1n }],
    ['ts = 2^53 - 1', { ts: TWO53 - 1n }],
    ['seq = 0, ts = 0', { seq: 0, ts: 0 }],
    ['content type 65535', { ct: 65535 }],
    ['content type 0', { ct: 0 }],
    ['content type media type with parameter', { ct: 'text/plain; charset=utf-8' }],
    ['alg Ed25519 (-19)', { alg: -19 }],
  ] as const)('%s', (name, f) => {
    expect(codeOf(withEntries(entries(f as Partial<HeaderFields>))), name).toBe('accepted');
  });

  it('kid of 1 and of 64 bytes opens when the key is imported under that kid', () => {
    for (const n of [1, 64]) {
      const kid = new Uint8Array(n).fill(0x11);
      const k = importPublicKey(signer.publicKey, { kid });
      const bytes = withEntries(headerEntries(fields({ kid })));
      expect(() => open(bytes, { keys: k }), `kid ${n}`).not.toThrow();
    }
  });

  it('exactly maxEnvelopeSize bytes is allowed', () => {
    const bytes = withEntries(entries());
    expect(codeOf(bytes, { maxEnvelopeSize: bytes.length })).toBe('accepted');
    expect(codeOf(bytes, { maxEnvelopeSize: bytes.length - 1 })).toBe('ERR_TOO_LARGE');
  });
});

describe('content type check cannot be made to backtrack (spec/envelope.md §4.3)', () => {
  it.each([
    ['a/b' + ';'.repeat(120) + ' '],
    ['a/b' + '; x'.repeat(40) + ';'],
    ['a/b' + ' ;'.repeat(60) + '\u00a0'],
    ['a' + '!'.repeat(120) + '/'],
  ])('%j is refused quickly', (ct) => {
    const bytes = withEntries(replaced(1, tstr(ct)));
    const t0 = performance.now();
    expect(codeOf(bytes)).toBe('ERR_HEADER_VALUE');
    expect(performance.now() - t0).toBeLessThan(250);
  });

  it('tab is allowed whitespace, and parameters may follow one another', () => {
    expect(codeOf(withEntries(entries({ ct: 'text/plain;\tcharset=utf-8' })))).toBe('accepted');
    expect(codeOf(withEntries(entries({ ct: 'a/b;x;y' })))).toBe('accepted');
    expect(codeOf(withEntries(entries({ ct: `a/${'b'.repeat(125)}` })))).toBe('accepted'); // 127 bytes
  });
});

describe('truncation', () => {
  const envelopes = {
    small: withEntries(entries()),
    'text content type, 300-byte payload': withEntries(entries({ ct: 'application/json' }), { payload: new Uint8Array(300).fill(1) }),
  };
  for (const [name, full] of Object.entries(envelopes)) {
    it(`${name}: every prefix (0..${full.length - 1} bytes) → ERR_TRUNCATED`, () => {
      expect(codeOf(full)).toBe('accepted');
      for (let n = 0; n < full.length; n++) {
        expect(codeOf(full.subarray(0, n)), `[${name}] truncated to ${n} of ${full.length}`).toBe('ERR_TRUNCATED');
      }
    });
  }
});

describe('a huge declared length does not allocate', () => {
  it('a 2^32 - 1 byte payload claim in a 100-byte input is refused in well under a millisecond per try', () => {
    const bytes = raw(head(6, 18), head(4, 4), bstr(map(...entries())), map(), head(2, 0xffff_ffff), new Uint8Array(10));
    const before = process.memoryUsage().arrayBuffers;
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) expect(codeOf(bytes)).toBe('ERR_TRUNCATED');
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeLessThan(1000);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('a nested tag in the unprotected header is refused as malformed or unprotected, never thrown raw', () => {
    const bytes = withEntries(entries(), { unprotected: map([int(1), tag(0, tstr('2024'))]) });
    expect(codeOf(bytes)).toBe('ERR_UNPROTECTED_HEADER');
  });
});
