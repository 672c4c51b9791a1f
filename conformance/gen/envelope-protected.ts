// Envelope vectors for the encoding rules inside the protected header (spec/envelope.md §5), part
// of envelope_malformed.json: each case breaks one rule and is signed over its own bytes.
import { BREAK, arr, bstr, f64, head, headLong, mapRaw, nint, tstr, tstrRaw, uint, type Bytes } from './cbor.js';
import { LBL, envelope, type Entry } from './envelope.js';
import { cat } from './ref.js';
import { TS, type OpenFile } from './envelope-open.js';

/** Adds the protected-header cases to `f`, the malformed file, in its current group. */
export function insideProtected(f: OpenFile): void {
  const inv = f.invalid.bind(f);
  // Inside the protected header: each case is signed over its own bytes.
  const E = (list: Entry[]) => f.withEntries(list);
  const P = (bytes: Bytes) => {
    const s = f.signer.signRaw(bytes, f.payload).signature;
    return envelope({ protectedBytes: bytes, payload: f.payload, signature: s });
  };
  const base = f.baseEntries;
  const seqEntry = base[4]!;
  inv('seq label twice, adjacent', ['DuplicateLabel'], ['envDuplicate'], 'ERR_DUPLICATE_LABEL', P(mapRaw([...base.slice(0, 5), seqEntry, ...base.slice(5)])));
  inv('alg label twice, first and last', ['DuplicateLabel'], ['envDuplicate'], 'ERR_DUPLICATE_LABEL', P(mapRaw([...base, base[0]!])));
  inv(
    'alg twice with different values (-8 then -19)',
    ['DuplicateLabel'],
    ['envDuplicate'],
    'ERR_DUPLICATE_LABEL',
    P(mapRaw([base[0]!, [LBL.alg, nint(-19)], ...base.slice(1)])),
  );
  inv('labels 3 and 1 swapped', ['MapOrder'], ['envMapOrder'], 'ERR_MAP_ORDER', E([base[1]!, base[0]!, ...base.slice(2)]));
  inv('seq (-65538) before version (-65537)', ['MapOrder'], ['envMapOrder'], 'ERR_MAP_ORDER', E([...base.slice(0, 3), base[4]!, base[3]!, ...base.slice(5)]));
  inv(
    'negative labels first (length-first order is not RFC 8949 order)',
    ['MapOrder'],
    ['envMapOrder'],
    'ERR_MAP_ORDER',
    E([...base.slice(3), ...base.slice(0, 3)]),
  );
  inv('seq 5 as a 4-byte integer', ['NonPreferred'], ['envPreferred'], 'ERR_NON_PREFERRED', E(f.replace(LBL.seq, headLong(0, 5, 4))));
  inv(
    'ts in 8 bytes where 8 are needed only above 2^32 (ts < 2^32)',
    ['NonPreferred'],
    ['envPreferred'],
    'ERR_NON_PREFERRED',
    E(f.replace(LBL.ts, headLong(0, 1000, 8))),
  );
  inv('label 1 written as 18 01', ['NonPreferred'], ['envPreferred'], 'ERR_NON_PREFERRED', E([[headLong(0, 1, 1), base[0]![1]], ...base.slice(1)]));
  inv(
    'label -65537 in 8 bytes',
    ['NonPreferred'],
    ['envPreferred'],
    'ERR_NON_PREFERRED',
    E([...base.slice(0, 3), [headLong(1, 65536, 8), uint(1)], ...base.slice(4)]),
  );
  inv('alg -8 written as 38 07', ['NonPreferred'], ['envPreferred'], 'ERR_NON_PREFERRED', E(f.replace(LBL.alg, headLong(1, 7, 1))));
  inv(
    'kid length in three bytes (59 00 20)',
    ['NonPreferred'],
    ['envPreferred'],
    'ERR_NON_PREFERRED',
    E(f.replace(LBL.kid, cat(headLong(2, 32, 2), f.signer.kid))),
  );
  inv('protected map head in two bytes (b8 07)', ['NonPreferred'], ['envPreferred'], 'ERR_NON_PREFERRED', P(cat(headLong(5, 7, 1), ...base.flat())));
  inv(
    'protected header as an indefinite-length map',
    ['IndefiniteLength'],
    ['envIndefinite'],
    'ERR_INDEFINITE_LENGTH',
    P(cat(Uint8Array.of(0xbf), ...base.flat(), BREAK)),
  );
  inv(
    'kid as an indefinite-length byte string',
    ['IndefiniteLength'],
    ['envIndefinite'],
    'ERR_INDEFINITE_LENGTH',
    E(f.replace(LBL.kid, cat(Uint8Array.of(0x5f), bstr(f.signer.kid), BREAK))),
  );
  inv(
    'content type as an indefinite-length text string',
    ['IndefiniteLength'],
    ['envIndefinite'],
    'ERR_INDEFINITE_LENGTH',
    E(f.replace(LBL.ct, cat(Uint8Array.of(0x7f), tstr('text/plain'), BREAK))),
  );
  inv(
    'a zero byte after the protected map, inside its byte string',
    ['TrailingBytes'],
    ['envTrailing'],
    'ERR_TRAILING_BYTES',
    P(cat(mapRaw(base), Uint8Array.of(0))),
  );
  inv('protected map declares 8 entries, holds 7', ['Truncated'], ['envTruncated'], 'ERR_TRUNCATED', P(cat(head(5, 8), ...base.flat())));
  inv('protected header encodes an array', ['WrongStructure'], ['envProtectedBstr'], 'ERR_MALFORMED', P(arr(...base.flat())));
  inv('ts as a float', ['BadCbor'], ['envCborTypes'], 'ERR_MALFORMED', E(f.replace(LBL.ts, f64(TS))));
  inv('seq as the simple value undefined (f7)', ['BadCbor'], ['envCborTypes'], 'ERR_MALFORMED', E(f.replace(LBL.seq, Uint8Array.of(0xf7))));
  inv('content type text is not UTF-8', ['BadCbor'], ['envUtf8'], 'ERR_MALFORMED', E(f.replace(LBL.ct, tstrRaw(Uint8Array.of(0x61, 0xff, 0x2f, 0x62)))));
  inv('reserved additional information 28 (0x1c)', ['BadCbor'], ['envCborTypes'], 'ERR_MALFORMED', E(f.replace(LBL.seq, Uint8Array.of(0x1c))));
  inv('seq with additional information 31 in major type 0', ['BadCbor'], ['envIndefinite'], 'ERR_MALFORMED', E(f.replace(LBL.seq, Uint8Array.of(0x1f))));
  inv('a lone break byte (ff) as the seq value', ['IndefiniteLength'], ['envIndefinite'], 'ERR_INDEFINITE_LENGTH', E(f.replace(LBL.seq, BREAK)));
  inv(
    'a tag number of 2^53 around the seq value',
    ['BadCbor'],
    ['envDecodeOrder'],
    'ERR_MALFORMED',
    E(f.replace(LBL.seq, cat(headLong(6, 2n ** 53n, 8), uint(5)))),
  );
  const nest = (levels: number) => cat(...Array.from({ length: levels }, () => head(4, 1)), uint(5));
  inv('seq value nested in 15 arrays: an item at depth 17', ['BadCbor'], ['envDepth'], 'ERR_MALFORMED', E(f.replace(LBL.seq, nest(15))));
  inv(
    'seq value nested in 14 arrays: depth 16 decodes, then fails as a seq',
    ['HeaderValue', 'Boundary'],
    ['envDepth', 'envSeq'],
    'ERR_HEADER_VALUE',
    E(f.replace(LBL.seq, nest(14))),
  );
  inv(
    'content type with an overlong UTF-8 form (c0 af)',
    ['BadCbor'],
    ['envUtf8'],
    'ERR_MALFORMED',
    E(f.replace(LBL.ct, tstrRaw(Uint8Array.of(0x61, 0x2f, 0xc0, 0xaf)))),
  );
  inv(
    'content type with a UTF-8 surrogate (ed a0 80)',
    ['BadCbor'],
    ['envUtf8'],
    'ERR_MALFORMED',
    E(f.replace(LBL.ct, tstrRaw(Uint8Array.of(0x61, 0x2f, 0xed, 0xa0, 0x80)))),
  );
  inv(
    'content type with a code point above U+10FFFF (f4 90 80 80)',
    ['BadCbor'],
    ['envUtf8'],
    'ERR_MALFORMED',
    E(f.replace(LBL.ct, tstrRaw(Uint8Array.of(0x61, 0x2f, 0xf4, 0x90, 0x80, 0x80)))),
  );
  inv(
    'content type starting with a BOM: valid UTF-8, not a media type',
    ['HeaderValue'],
    ['envUtf8', 'envCt'],
    'ERR_HEADER_VALUE',
    E(f.replace(LBL.ct, tstr('\ufefftext/plain'))),
  );
  inv('a byte-string map label', ['BadCbor'], ['envDecodeOrder'], 'ERR_MALFORMED', E([...base, [bstr(Uint8Array.of(1)), uint(0)]]));
}
