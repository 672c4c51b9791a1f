// Envelope vectors: exact codec bytes, every malformed-encoding rule, header rules, signature
// binding. Every invalid envelope breaks exactly one rule and is otherwise correctly signed, so the
// expected code is the code of that rule (spec/envelope.md, spec/errors.md).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { OpenGroup, OpenTest, SealGroup, VectorFile } from '../lib/format.js';
import { FileBuilder } from './build.js';
import { BREAK, NULL, arr, bstr, f64, head, headLong, int, mapRaw, nint, tag, tstr, tstrRaw, uint, type Bytes } from './cbor.js';
import { Signer, LBL, entries, envelope, type Entry, type Header } from './envelope.js';
import { cat, enc, hex, leBytes, scalarOf, seed, signRef, thumbprint, unhex, L } from './ref.js';
import { refs, type RefName } from './refs.js';

const OPEN_SCHEMA = 'envelope_open_schema.json';
const OPEN_HEADER = [
  'sealwire v1 envelopes opened statelessly (spec/envelope.md, spec/verification.md).',
  'Driver op: {"op":"open","publicKey","kid"?,"envelope","aad"?,"binding"?,"maxEnvelopeSize"?}.',
  'A valid test also states what open returns: payload, seq, ts, stream, kid, contentType.',
];

const TS = 1_700_000_000_000;
const streamOf = (label: string): Bytes => seed(`stream ${label}`).subarray(0, 16);

function validFields(h: Header, payload: Bytes): Partial<OpenTest> {
  return {
    payload: hex(payload),
    seq: Number(h.seq),
    ts: Number(h.ts),
    stream: hex(h.stream),
    kid: hex(h.kid),
    contentType: h.ct ?? 42,
  };
}

// --- codec ------------------------------------------------------------------------------------

export function codec(): VectorFile {
  const b = new FileBuilder<SealGroup>('sealwire-envelope-v1', 'envelope_seal_schema.json', [
    'Exact envelope bytes for given key, seq, ts, stream, payload, aad and session binding.',
    'Driver op: {"op":"seal","secretKey","seq","ts","stream","payload","aad"?,"binding"?,"contentType"?,"alg"?}',
    'must return exactly `envelope` and `externalAad`; the runner then opens `envelope` with',
    '{"op":"open","publicKey","envelope","aad"?,"binding"?} and expects every field back.',
    'protectedHeader and sigStructure are intermediates for debugging an encoder.',
  ]);
  for (const who of ['codec signer A', 'codec signer B']) {
    const s = new Signer(seed(who));
    const g = b.group({ type: 'EnvelopeSeal', secretKey: hex(s.secretKey), publicKey: hex(s.publicKey), kid: hex(s.kid) });
    const add = (
      comment: string,
      flags: string[],
      extra: RefName[],
      h: { seq: number; ts: number; stream: Bytes; ct?: number | string; alg?: number },
      payload: Bytes,
      aad?: Bytes,
      binding?: Bytes,
    ) => {
      const r = s.seal({ seq: h.seq, ts: h.ts, stream: h.stream, ...(h.ct !== undefined ? { ct: h.ct } : {}), ...(h.alg !== undefined ? { alg: h.alg } : {}) }, payload, aad, binding);
      b.add(g, {
        comment,
        flags: ['Codec', ...flags],
        specRefs: refs('envDeterministic', 'envSigStructure', 'envExternalAad', 'verSigner', 'envPayloadOpaque', ...extra),
        seq: h.seq,
        ts: h.ts,
        stream: hex(h.stream),
        payload: hex(payload),
        ...(aad ? { aad: hex(aad) } : {}),
        ...(binding ? { binding: hex(binding) } : {}),
        ...(h.ct !== undefined ? { contentType: h.ct } : {}),
        ...(h.alg !== undefined ? { alg: h.alg } : {}),
        protectedHeader: hex(r.protectedBytes),
        externalAad: hex(r.externalAad),
        sigStructure: hex(r.toBeSigned),
        envelope: hex(r.envelope),
        result: 'valid',
      });
    };
    const st = streamOf(who);
    add('all zero: seq 0, ts 0, zero stream, empty payload', ['Boundary'], [], { seq: 0, ts: 0, stream: new Uint8Array(16) }, new Uint8Array(0));
    add('typical message', [], [], { seq: 1, ts: TS, stream: st }, enc.encode('hello, sealwire'));
    if (who.endsWith('B')) continue;
    for (const seq of [23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
      add(`seq ${seq}: integer head size boundary`, ['Boundary'], ['envSeq', 'envPreferred'], { seq, ts: TS, stream: st }, enc.encode('x'));
    }
    add('ts 2^53 - 1', ['Boundary'], ['envTs'], { seq: 2, ts: Number.MAX_SAFE_INTEGER, stream: st }, enc.encode('x'));
    for (const len of [23, 24, 255, 256, 1000]) {
      add(`payload of ${len} bytes: length head boundary`, ['Boundary'], ['envPayloadOpaque'], { seq: 3, ts: TS, stream: st }, new Uint8Array(len).map((_, i) => (i * 7 + 3) & 0xff));
    }
    add('application aad', ['Aad'], [], { seq: 4, ts: TS, stream: st }, enc.encode('hi'), enc.encode('room:lobby'));
    const binding = cat(seed('session id'), Uint8Array.of(0));
    add('session binding, direction 0, no aad', ['SessionBinding'], ['envBinding'], { seq: 5, ts: TS, stream: st }, enc.encode('hi'), undefined, binding);
    add('session binding, direction 1, with aad', ['SessionBinding', 'Aad'], ['envBinding'], { seq: 6, ts: TS, stream: st }, enc.encode('hi'), enc.encode('room:lobby'), cat(seed('session id'), Uint8Array.of(1)));
    add('content type 0 (text/plain; charset=utf-8)', ['ContentType'], ['envCt'], { seq: 7, ts: TS, stream: st, ct: 0 }, enc.encode('hi'));
    add('content type 65535', ['ContentType', 'Boundary'], ['envCt'], { seq: 8, ts: TS, stream: st, ct: 65535 }, enc.encode('hi'));
    add('content type as media type', ['ContentType'], ['envCt'], { seq: 9, ts: TS, stream: st, ct: 'application/json' }, enc.encode('{}'));
    add('content type with a parameter', ['ContentType'], ['envCt'], { seq: 10, ts: TS, stream: st, ct: 'text/plain; charset=utf-8' }, enc.encode('hi'));
    add('alg Ed25519 (-19)', ['AlgEd25519'], ['envAlgAccept'], { seq: 11, ts: TS, stream: st, alg: -19 }, enc.encode('hi'));
  }
  return b.build();
}

// --- open-side files --------------------------------------------------------------------------

class OpenFile {
  readonly b = new FileBuilder<OpenGroup>('sealwire-envelope-v1', OPEN_SCHEMA, OPEN_HEADER);
  readonly signer: Signer;
  readonly base: Header;
  readonly payload = enc.encode('payload');
  g: OpenGroup;

  constructor(label: string, header: string[] = []) {
    this.b.header.push(...header);
    this.signer = new Signer(seed(label));
    this.base = { seq: 5, ts: TS, stream: streamOf(label), kid: this.signer.kid };
    this.g = this.b.group({ type: 'EnvelopeOpen', publicKey: hex(this.signer.publicKey) });
  }

  get baseEntries(): Entry[] {
    return entries(this.base);
  }

  invalid(comment: string, flags: string[], ref: RefName[], code: string, env: Bytes, extra: Partial<OpenTest> = {}): void {
    this.b.add(this.g, { comment, flags, specRefs: refs(...ref, 'errKnownCodes'), envelope: hex(env), ...extra, result: 'invalid', code });
  }

  valid(comment: string, flags: string[], ref: RefName[], env: Bytes, h: Header, payload: Bytes, extra: Partial<OpenTest> = {}): void {
    this.b.add(this.g, { comment, flags, specRefs: refs(...ref), envelope: hex(env), ...extra, ...validFields(h, payload), result: 'valid' });
  }

  /** An envelope whose protected header is `list`, correctly signed. */
  withEntries(list: Entry[], unprotected?: Bytes): Bytes {
    return this.signer.sealEntries(list, this.payload, unprotected);
  }

  /** Replaces the value of `label` in the base entries. */
  replace(label: Bytes, value: Bytes): Entry[] {
    return this.baseEntries.map(([k, v]) => [k, hex(k) === hex(label) ? value : v]);
  }

  without(label: Bytes): Entry[] {
    return this.baseEntries.filter(([k]) => hex(k) !== hex(label));
  }
}

export function malformed(): VectorFile {
  const f = new OpenFile('malformed', ['Every test breaks one encoding rule; each rule has its own code.']);
  const prot = mapRaw(f.baseEntries);
  const { signature } = f.signer.signRaw(prot, f.payload);
  const good = envelope({ protectedBytes: prot, payload: f.payload, signature });
  const body = good.subarray(1); // the array, without tag 18 (d2)
  const members = (p: Bytes, u: Bytes, pl: Bytes, sg: Bytes) => cat(head(4, 4), p, u, pl, sg);
  const T = (x: Bytes) => cat(Uint8Array.of(0xd2), x);
  const inv = f.invalid.bind(f);

  f.valid('the well-formed envelope all other tests derive from', [], ['envDeterministic'], good, f.base, f.payload);
  // Truncation.
  inv('empty input', ['Truncated'], ['envTruncated'], 'ERR_TRUNCATED', new Uint8Array(0));
  inv('tag only', ['Truncated'], ['envTruncated'], 'ERR_TRUNCATED', Uint8Array.of(0xd2));
  inv('last byte missing', ['Truncated'], ['envTruncated'], 'ERR_TRUNCATED', good.subarray(0, good.length - 1));
  inv('cut inside the protected header', ['Truncated'], ['envTruncated'], 'ERR_TRUNCATED', good.subarray(0, 20));
  inv('signature length declares more than the input holds', ['Truncated'], ['envTruncated'], 'ERR_TRUNCATED', T(members(bstr(prot), mapRaw([]), bstr(f.payload), headLong(2, 0xffff, 2))));
  inv('payload declares 2^32 - 1 bytes', ['Truncated'], ['envTruncated'], 'ERR_TRUNCATED', T(members(bstr(prot), mapRaw([]), headLong(2, 0xffff_ffff, 4), bstr(signature))));
  // Trailing bytes.
  inv('one zero byte after the envelope', ['TrailingBytes'], ['envTrailing'], 'ERR_TRAILING_BYTES', cat(good, Uint8Array.of(0)));
  inv('two envelopes back to back', ['TrailingBytes'], ['envTrailing'], 'ERR_TRAILING_BYTES', cat(good, good));
  // Tag.
  inv('untagged COSE_Sign1', ['WrongTag'], ['envTag'], 'ERR_WRONG_TAG', body);
  inv('tag 98 (COSE_Sign)', ['WrongTag'], ['envTag'], 'ERR_WRONG_TAG', tag(98, body));
  inv('tag 17 (COSE_Mac0)', ['WrongTag'], ['envTag'], 'ERR_WRONG_TAG', tag(17, body));
  // spec/envelope.md §5.6 step 1.2: the outer tag number is only compared with 18; §5.7 rule 8
  // (2^53 or more → ERR_MALFORMED) is for tags read as items inside.
  inv('outer tag number 2^53 - 1', ['WrongTag', 'Boundary'], ['envTag', 'envDecodeOrder'], 'ERR_WRONG_TAG', cat(headLong(6, 2n ** 53n - 1n, 8), body));
  inv('outer tag number 2^53: ERR_WRONG_TAG, not ERR_MALFORMED', ['WrongTag', 'Boundary'], ['envTag', 'envDecodeOrder', 'errPrecedence'], 'ERR_WRONG_TAG', cat(headLong(6, 2n ** 53n, 8), body));
  inv('outer tag number 2^64 - 1: ERR_WRONG_TAG, not ERR_MALFORMED', ['WrongTag', 'Boundary'], ['envTag', 'envDecodeOrder', 'errPrecedence'], 'ERR_WRONG_TAG', cat(headLong(6, 2n ** 64n - 1n, 8), body));
  inv('tag 18 written in two bytes (d8 12)', ['NonPreferred'], ['envPreferred'], 'ERR_NON_PREFERRED', cat(headLong(6, 18, 1), body));
  // Structure.
  inv('array of 3 (no signature)', ['WrongStructure'], ['envArray'], 'ERR_MALFORMED', T(cat(head(4, 3), bstr(prot), mapRaw([]), bstr(f.payload))));
  inv('array of 5 (extra null)', ['WrongStructure'], ['envArray'], 'ERR_MALFORMED', T(cat(head(4, 5), bstr(prot), mapRaw([]), bstr(f.payload), bstr(signature), NULL)));
  inv('a map where the array belongs', ['WrongStructure'], ['envArray'], 'ERR_MALFORMED', T(mapRaw([])));
  inv('tag 18 twice', ['WrongStructure'], ['envArray'], 'ERR_MALFORMED', T(good));
  inv('array head in two bytes (98 04)', ['NonPreferred'], ['envPreferred'], 'ERR_NON_PREFERRED', T(cat(headLong(4, 4, 1), bstr(prot), mapRaw([]), bstr(f.payload), bstr(signature))));
  inv('indefinite-length array', ['IndefiniteLength'], ['envIndefinite'], 'ERR_INDEFINITE_LENGTH', T(cat(Uint8Array.of(0x9f), bstr(prot), mapRaw([]), bstr(f.payload), bstr(signature), BREAK)));
  inv('protected header as an indefinite-length byte string', ['IndefiniteLength'], ['envIndefinite'], 'ERR_INDEFINITE_LENGTH', T(members(cat(Uint8Array.of(0x5f), bstr(prot), BREAK), mapRaw([]), bstr(f.payload), bstr(signature))));
  inv('protected header as a text string', ['WrongStructure'], ['envProtectedBstr'], 'ERR_MALFORMED', T(members(tstrRaw(prot), mapRaw([]), bstr(f.payload), bstr(signature))));
  inv('protected header as a bare map', ['WrongStructure'], ['envProtectedBstr'], 'ERR_MALFORMED', T(members(prot, mapRaw([]), bstr(f.payload), bstr(signature))));
  inv('protected header length in a longer head than needed', ['NonPreferred'], ['envPreferred'], 'ERR_NON_PREFERRED', T(members(cat(headLong(2, prot.length, 2), prot), mapRaw([]), bstr(f.payload), bstr(signature))));
  inv('payload as an indefinite-length byte string', ['IndefiniteLength'], ['envIndefinite'], 'ERR_INDEFINITE_LENGTH', T(members(bstr(prot), mapRaw([]), cat(Uint8Array.of(0x5f), bstr(f.payload), BREAK), bstr(signature))));
  inv('detached payload (null)', ['WrongStructure'], ['envPayloadBstr'], 'ERR_MALFORMED', T(members(bstr(prot), mapRaw([]), NULL, bstr(signature))));
  inv('payload as a text string', ['WrongStructure'], ['envPayloadBstr'], 'ERR_MALFORMED', T(members(bstr(prot), mapRaw([]), tstrRaw(f.payload), bstr(signature))));
  inv('payload length in a longer head than needed (58 07)', ['NonPreferred'], ['envPreferred'], 'ERR_NON_PREFERRED', T(members(bstr(prot), mapRaw([]), cat(headLong(2, f.payload.length, 1), f.payload), bstr(signature))));
  inv('signature length in a longer head than needed (59 00 40)', ['NonPreferred'], ['envPreferred'], 'ERR_NON_PREFERRED', T(members(bstr(prot), mapRaw([]), bstr(f.payload), cat(headLong(2, 64, 2), signature))));
  inv('signature as a text string', ['WrongStructure'], ['envArray'], 'ERR_MALFORMED', T(members(bstr(prot), mapRaw([]), bstr(f.payload), tstrRaw(signature))));
  inv('signature of 63 bytes', ['WrongLength'], ['envSigLength', 'verSigLength'], 'ERR_BAD_SIGNATURE', T(members(bstr(prot), mapRaw([]), bstr(f.payload), bstr(signature.subarray(0, 63)))));
  inv('signature of 65 bytes', ['WrongLength'], ['envSigLength', 'verSigLength'], 'ERR_BAD_SIGNATURE', T(members(bstr(prot), mapRaw([]), bstr(f.payload), bstr(cat(signature, Uint8Array.of(0))))));
  inv('empty signature', ['WrongLength'], ['envSigLength', 'verSigLength'], 'ERR_BAD_SIGNATURE', T(members(bstr(prot), mapRaw([]), bstr(f.payload), bstr(new Uint8Array(0)))));
  // Unprotected header.
  inv('kid in the unprotected header', ['UnprotectedHeader'], ['envUnprotectedEmpty'], 'ERR_UNPROTECTED_HEADER', T(members(bstr(prot), mapRaw([[uint(4), bstr(f.signer.kid)]]), bstr(f.payload), bstr(signature))));
  const noAlg = mapRaw(f.without(LBL.alg));
  const noAlgSig = f.signer.signRaw(noAlg, f.payload).signature;
  inv('alg only in the unprotected header (step 3 runs before the header semantics)', ['UnprotectedHeader'], ['envUnprotectedEmpty', 'envDecodeOrder', 'errFirstCheck'], 'ERR_UNPROTECTED_HEADER', T(members(bstr(noAlg), mapRaw([[uint(1), nint(-8)]]), bstr(f.payload), bstr(noAlgSig))));
  inv('unprotected header as an indefinite-length map', ['IndefiniteLength'], ['envIndefinite'], 'ERR_INDEFINITE_LENGTH', T(members(bstr(prot), cat(Uint8Array.of(0xbf), BREAK), bstr(f.payload), bstr(signature))));
  inv('empty unprotected map in a longer head (b8 00)', ['NonPreferred'], ['envPreferred'], 'ERR_NON_PREFERRED', T(members(bstr(prot), headLong(5, 0, 1), bstr(f.payload), bstr(signature))));
  inv('unprotected header as an array', ['WrongStructure'], ['envUnprotectedEmpty'], 'ERR_MALFORMED', T(members(bstr(prot), arr(), bstr(f.payload), bstr(signature))));
  inv('unprotected header with a duplicate label', ['DuplicateLabel'], ['envDuplicate'], 'ERR_DUPLICATE_LABEL', T(members(bstr(prot), mapRaw([[uint(4), bstr(f.signer.kid)], [uint(4), bstr(f.signer.kid)]]), bstr(f.payload), bstr(signature))));
  // COSE WG example: a correct COSE_Sign1 from a generic tool, outside the profile.
  const coseExample = JSON.parse(
    readFileSync(fileURLToPath(new URL('../vectors/external/cose-examples/eddsa-sig-01.json', import.meta.url)), 'utf8'),
  ) as { output: { cbor: string }; input: { sign0: { key: { x_hex: string } } } };
  const coseGroup = f.b.group({ type: 'EnvelopeOpen', publicKey: coseExample.input.sign0.key.x_hex.toLowerCase() });
  f.b.add(coseGroup, {
    comment: 'cose-wg/Examples eddsa-sig-01: kid in the unprotected header, no sealwire labels',
    flags: ['RealWorldCose', 'UnprotectedHeader'],
    specRefs: refs('envUnprotectedEmpty'),
    envelope: coseExample.output.cbor.toLowerCase(),
    result: 'invalid',
    code: 'ERR_UNPROTECTED_HEADER',
  });

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
  inv('alg twice with different values (-8 then -19)', ['DuplicateLabel'], ['envDuplicate'], 'ERR_DUPLICATE_LABEL', P(mapRaw([base[0]!, [LBL.alg, nint(-19)], ...base.slice(1)])));
  inv('labels 3 and 1 swapped', ['MapOrder'], ['envMapOrder'], 'ERR_MAP_ORDER', E([base[1]!, base[0]!, ...base.slice(2)]));
  inv('seq (-65538) before version (-65537)', ['MapOrder'], ['envMapOrder'], 'ERR_MAP_ORDER', E([...base.slice(0, 3), base[4]!, base[3]!, ...base.slice(5)]));
  inv('negative labels first (length-first order is not RFC 8949 order)', ['MapOrder'], ['envMapOrder'], 'ERR_MAP_ORDER', E([...base.slice(3), ...base.slice(0, 3)]));
  inv('seq 5 as a 4-byte integer', ['NonPreferred'], ['envPreferred'], 'ERR_NON_PREFERRED', E(f.replace(LBL.seq, headLong(0, 5, 4))));
  inv('ts in 8 bytes where 8 are needed only above 2^32 (ts < 2^32)', ['NonPreferred'], ['envPreferred'], 'ERR_NON_PREFERRED', E(f.replace(LBL.ts, headLong(0, 1000, 8))));
  inv('label 1 written as 18 01', ['NonPreferred'], ['envPreferred'], 'ERR_NON_PREFERRED', E([[headLong(0, 1, 1), base[0]![1]], ...base.slice(1)]));
  inv('label -65537 in 8 bytes', ['NonPreferred'], ['envPreferred'], 'ERR_NON_PREFERRED', E([...base.slice(0, 3), [headLong(1, 65536, 8), uint(1)], ...base.slice(4)]));
  inv('alg -8 written as 38 07', ['NonPreferred'], ['envPreferred'], 'ERR_NON_PREFERRED', E(f.replace(LBL.alg, headLong(1, 7, 1))));
  inv('kid length in three bytes (59 00 20)', ['NonPreferred'], ['envPreferred'], 'ERR_NON_PREFERRED', E(f.replace(LBL.kid, cat(headLong(2, 32, 2), f.signer.kid))));
  inv('protected map head in two bytes (b8 07)', ['NonPreferred'], ['envPreferred'], 'ERR_NON_PREFERRED', P(cat(headLong(5, 7, 1), ...base.flat())));
  inv('protected header as an indefinite-length map', ['IndefiniteLength'], ['envIndefinite'], 'ERR_INDEFINITE_LENGTH', P(cat(Uint8Array.of(0xbf), ...base.flat(), BREAK)));
  inv('kid as an indefinite-length byte string', ['IndefiniteLength'], ['envIndefinite'], 'ERR_INDEFINITE_LENGTH', E(f.replace(LBL.kid, cat(Uint8Array.of(0x5f), bstr(f.signer.kid), BREAK))));
  inv('content type as an indefinite-length text string', ['IndefiniteLength'], ['envIndefinite'], 'ERR_INDEFINITE_LENGTH', E(f.replace(LBL.ct, cat(Uint8Array.of(0x7f), tstr('text/plain'), BREAK))));
  inv('a zero byte after the protected map, inside its byte string', ['TrailingBytes'], ['envTrailing'], 'ERR_TRAILING_BYTES', P(cat(mapRaw(base), Uint8Array.of(0))));
  inv('protected map declares 8 entries, holds 7', ['Truncated'], ['envTruncated'], 'ERR_TRUNCATED', P(cat(head(5, 8), ...base.flat())));
  inv('protected header encodes an array', ['WrongStructure'], ['envProtectedBstr'], 'ERR_MALFORMED', P(arr(...base.flat())));
  inv('ts as a float', ['BadCbor'], ['envCborTypes'], 'ERR_MALFORMED', E(f.replace(LBL.ts, f64(TS))));
  inv('seq as the simple value undefined (f7)', ['BadCbor'], ['envCborTypes'], 'ERR_MALFORMED', E(f.replace(LBL.seq, Uint8Array.of(0xf7))));
  inv('content type text is not UTF-8', ['BadCbor'], ['envUtf8'], 'ERR_MALFORMED', E(f.replace(LBL.ct, tstrRaw(Uint8Array.of(0x61, 0xff, 0x2f, 0x62)))));
  inv('reserved additional information 28 (0x1c)', ['BadCbor'], ['envCborTypes'], 'ERR_MALFORMED', E(f.replace(LBL.seq, Uint8Array.of(0x1c))));
  inv('seq with additional information 31 in major type 0', ['BadCbor'], ['envIndefinite'], 'ERR_MALFORMED', E(f.replace(LBL.seq, Uint8Array.of(0x1f))));
  inv('a lone break byte (ff) as the seq value', ['IndefiniteLength'], ['envIndefinite'], 'ERR_INDEFINITE_LENGTH', E(f.replace(LBL.seq, BREAK)));
  inv('a tag number of 2^53 around the seq value', ['BadCbor'], ['envDecodeOrder'], 'ERR_MALFORMED', E(f.replace(LBL.seq, cat(headLong(6, 2n ** 53n, 8), uint(5)))));
  const nest = (levels: number) => cat(...Array.from({ length: levels }, () => head(4, 1)), uint(5));
  inv('seq value nested in 15 arrays: an item at depth 17', ['BadCbor'], ['envDepth'], 'ERR_MALFORMED', E(f.replace(LBL.seq, nest(15))));
  inv('seq value nested in 14 arrays: depth 16 decodes, then fails as a seq', ['HeaderValue', 'Boundary'], ['envDepth', 'envSeq'], 'ERR_HEADER_VALUE', E(f.replace(LBL.seq, nest(14))));
  inv('content type with an overlong UTF-8 form (c0 af)', ['BadCbor'], ['envUtf8'], 'ERR_MALFORMED', E(f.replace(LBL.ct, tstrRaw(Uint8Array.of(0x61, 0x2f, 0xc0, 0xaf)))));
  inv('content type with a UTF-8 surrogate (ed a0 80)', ['BadCbor'], ['envUtf8'], 'ERR_MALFORMED', E(f.replace(LBL.ct, tstrRaw(Uint8Array.of(0x61, 0x2f, 0xed, 0xa0, 0x80)))));
  inv('content type with a code point above U+10FFFF (f4 90 80 80)', ['BadCbor'], ['envUtf8'], 'ERR_MALFORMED', E(f.replace(LBL.ct, tstrRaw(Uint8Array.of(0x61, 0x2f, 0xf4, 0x90, 0x80, 0x80)))));
  inv('content type starting with a BOM: valid UTF-8, not a media type', ['HeaderValue'], ['envUtf8', 'envCt'], 'ERR_HEADER_VALUE', E(f.replace(LBL.ct, tstr('\ufefftext/plain'))));
  inv('a byte-string map label', ['BadCbor'], ['envDecodeOrder'], 'ERR_MALFORMED', E([...base, [bstr(Uint8Array.of(1)), uint(0)]]));
  // Size caps.
  inv('protected header over 512 bytes (a 600-byte kid)', ['TooLarge'], ['envProtectedCap'], 'ERR_TOO_LARGE', E(f.replace(LBL.kid, bstr(new Uint8Array(600).fill(7)))));
  f.valid('envelope exactly at maxEnvelopeSize', ['Boundary', 'TooLarge'], ['envSizeCap'], good, f.base, f.payload, { maxEnvelopeSize: good.length });
  inv('envelope one byte over maxEnvelopeSize', ['Boundary', 'TooLarge'], ['envSizeCap'], 'ERR_TOO_LARGE', good, { maxEnvelopeSize: good.length - 1 });
  inv('over maxEnvelopeSize and malformed: size is checked first', ['TooLarge'], ['envSizeCap', 'envPipeline', 'errFirstCheck'], 'ERR_TOO_LARGE', cat(good, Uint8Array.of(0)), { maxEnvelopeSize: good.length });
  return f.b.build();
}

export function header(): VectorFile {
  const f = new OpenFile('header', ['Every test has a correctly signed envelope that breaks one header rule.']);
  const E = (list: Entry[]) => f.withEntries(list);
  const inv = f.invalid.bind(f);
  const ok = (comment: string, flags: string[], ref: RefName[], h: Partial<Header>) => {
    const full = { ...f.base, ...h };
    f.valid(comment, flags, ref, E(entries(full)), full, f.payload);
  };
  ok('alg EdDSA (-8)', [], ['envAlg', 'envAlgAccept'], {});
  ok('alg Ed25519 (-19)', ['AlgEd25519'], ['envAlgAccept'], { alg: -19 });
  for (const [v, what] of [[-7, 'ES256'], [-53, 'Ed448'], [-35, 'ES384'], [0, 'reserved 0'], [-9, 'ESP256 (fully specified, not EdDSA)']] as const) {
    inv(`alg ${v} (${what})`, ['UnsupportedAlg'], ['envAlg'], 'ERR_UNSUPPORTED_ALG', E(f.replace(LBL.alg, int(v))));
  }
  inv('alg as text "EdDSA"', ['UnsupportedAlg'], ['envAlg'], 'ERR_UNSUPPORTED_ALG', E(f.replace(LBL.alg, tstr('EdDSA'))));
  inv('alg as a byte string', ['HeaderValue'], ['envAlg'], 'ERR_HEADER_VALUE', E(f.replace(LBL.alg, bstr(Uint8Array.of(0x27)))));
  inv('alg missing', ['MissingHeader'], ['envMissing', 'envAlg'], 'ERR_MISSING_HEADER', E(f.without(LBL.alg)));
  // Content type.
  ok('content type 0', ['ContentType', 'Boundary'], ['envCt'], { ct: 0 });
  ok('content type 65535', ['ContentType', 'Boundary'], ['envCt'], { ct: 65535 });
  ok('content type "application/cbor"', ['ContentType'], ['envCt'], { ct: 'application/cbor' });
  inv('content type 65536', ['HeaderValue', 'Boundary'], ['envCt'], 'ERR_HEADER_VALUE', E(f.replace(LBL.ct, uint(65536))));
  inv('content type -1', ['HeaderValue'], ['envCt'], 'ERR_HEADER_VALUE', E(f.replace(LBL.ct, nint(-1))));
  inv('content type empty text', ['HeaderValue'], ['envCt'], 'ERR_HEADER_VALUE', E(f.replace(LBL.ct, tstr(''))));
  inv('content type text without a slash', ['HeaderValue'], ['envCt'], 'ERR_HEADER_VALUE', E(f.replace(LBL.ct, tstr('json'))));
  const mt127 = 'a/' + 'b'.repeat(125);
  ok('content type: a 127-byte media type', ['ContentType', 'Boundary'], ['envCt'], { ct: mt127 });
  inv('content type: a 128-byte media type', ['HeaderValue', 'Boundary'], ['envCt'], 'ERR_HEADER_VALUE', E(f.replace(LBL.ct, tstr(mt127 + 'b'))));
  ok('content type: space and tab around ";"', ['ContentType'], ['envCt'], { ct: 'text/plain \t; charset=utf-8' });
  inv('content type: empty parameter after ";"', ['HeaderValue'], ['envCt'], 'ERR_HEADER_VALUE', E(f.replace(LBL.ct, tstr('text/plain;'))));
  inv('content type: U+00A0 (not OWS) before a parameter', ['HeaderValue'], ['envCt'], 'ERR_HEADER_VALUE', E(f.replace(LBL.ct, tstr('text/plain;\u00a0charset=utf-8'))));
  inv('content type: U+2028 (not OWS) before a parameter', ['HeaderValue'], ['envCt'], 'ERR_HEADER_VALUE', E(f.replace(LBL.ct, tstr('text/plain;\u2028charset=utf-8'))));
  inv('content type: subtype starting with "."', ['HeaderValue'], ['envCt'], 'ERR_HEADER_VALUE', E(f.replace(LBL.ct, tstr('text/.plain'))));
  inv('content type as a byte string', ['HeaderValue'], ['envCt'], 'ERR_HEADER_VALUE', E(f.replace(LBL.ct, bstr(Uint8Array.of(42)))));
  inv('content type missing', ['MissingHeader'], ['envMissing', 'envCt'], 'ERR_MISSING_HEADER', E(f.without(LBL.ct)));
  // kid.
  inv('kid empty', ['HeaderValue', 'Boundary'], ['envKid'], 'ERR_HEADER_VALUE', E(f.replace(LBL.kid, bstr(new Uint8Array(0)))));
  inv('kid of 65 bytes', ['HeaderValue', 'Boundary'], ['envKid'], 'ERR_HEADER_VALUE', E(f.replace(LBL.kid, bstr(new Uint8Array(65).fill(1)))));
  inv('kid as text', ['HeaderValue'], ['envKid'], 'ERR_HEADER_VALUE', E(f.replace(LBL.kid, tstr('11'))));
  inv('kid missing', ['MissingHeader'], ['envMissing', 'envKid'], 'ERR_MISSING_HEADER', E(f.without(LBL.kid)));
  inv('kid names no known key', ['UnknownKey'], ['envKeyLookup'], 'ERR_UNKNOWN_KEY', E(f.replace(LBL.kid, bstr(thumbprint(seed('someone else'))))));
  for (const len of [1, 64]) {
    const kid = new Uint8Array(len).fill(0x5a);
    const g = f.b.group({ type: 'EnvelopeOpen', publicKey: hex(f.signer.publicKey), kid: hex(kid) });
    const h = { ...f.base, kid };
    f.b.add(g, { comment: `kid of ${len} byte(s), registered by the receiver`, flags: ['Boundary'], specRefs: refs('envKid'), envelope: hex(E(entries(h))), ...validFields(h, f.payload), result: 'valid' });
    f.b.add(g, { comment: `kid of ${len} byte(s): the thumbprint no longer names this key`, flags: ['UnknownKey'], specRefs: refs('envKeyLookup'), envelope: hex(E(f.baseEntries)), result: 'invalid', code: 'ERR_UNKNOWN_KEY' });
  }
  f.g = f.b.group({ type: 'EnvelopeOpen', publicKey: hex(f.signer.publicKey) });
  // Version.
  inv('version missing', ['MissingHeader', 'Version'], ['envMissing', 'envVersion'], 'ERR_MISSING_HEADER', E(f.without(LBL.version)));
  inv('version 2', ['Version'], ['envVersion'], 'ERR_UNSUPPORTED_VERSION', E(f.replace(LBL.version, uint(2))));
  inv('version 0', ['Version'], ['envVersion'], 'ERR_UNSUPPORTED_VERSION', E(f.replace(LBL.version, uint(0))));
  inv('version as text "1"', ['Version', 'HeaderValue'], ['envVersion'], 'ERR_HEADER_VALUE', E(f.replace(LBL.version, tstr('1'))));
  const v2 = f.replace(LBL.version, uint(2));
  inv('version 2 with an unknown label: refused as a version', ['Version'], ['envVersion', 'envVersionFirst', 'envDecodeOrder', 'errFirstCheck'], 'ERR_UNSUPPORTED_VERSION', E([...v2, [nint(-65541), uint(0)]]));
  inv('version 2 with crit: refused as a version', ['Version'], ['envVersion', 'envVersionFirst'], 'ERR_UNSUPPORTED_VERSION', E([v2[0]!, [LBL.crit, arr(nint(-65541))], ...v2.slice(1), [nint(-65541), uint(0)]]));
  // crit and unknown labels.
  const base = f.baseEntries;
  const withCrit = (v: Bytes): Entry[] => [base[0]!, [LBL.crit, v], ...base.slice(1)];
  inv('crit naming an unknown label', ['UnknownCritical'], ['envCrit'], 'ERR_UNKNOWN_CRITICAL', E([...withCrit(arr(nint(-65541))), [nint(-65541), uint(0)]]));
  inv('crit naming a known label', ['UnknownCritical'], ['envCrit'], 'ERR_UNKNOWN_CRITICAL', E(withCrit(arr(uint(1)))));
  inv('crit empty', ['UnknownCritical'], ['envCrit'], 'ERR_UNKNOWN_CRITICAL', E(withCrit(arr())));
  inv('unknown label 5 (IV)', ['UnknownHeader'], ['envUnknownLabel'], 'ERR_UNKNOWN_HEADER', E([...base.slice(0, 3), [uint(5), bstr(new Uint8Array(12))], ...base.slice(3)]));
  inv('unknown private label -65541', ['UnknownHeader'], ['envUnknownLabel'], 'ERR_UNKNOWN_HEADER', E([...base, [nint(-65541), uint(0)]]));
  inv('unknown text label', ['UnknownHeader'], ['envUnknownLabel'], 'ERR_UNKNOWN_HEADER', E([...base, [tstr('x'), uint(0)]]));
  // seq and ts.
  for (const [name, label, ref] of [['seq', LBL.seq, 'envSeq'], ['ts', LBL.ts, 'envTs']] as const) {
    ok(`${name} 0`, ['Boundary'], [ref], { [name]: 0 });
    ok(`${name} 2^53 - 1`, ['Boundary'], [ref], { [name]: Number.MAX_SAFE_INTEGER });
    inv(`${name} 2^53`, ['HeaderValue', 'Boundary'], [ref], 'ERR_HEADER_VALUE', E(f.replace(label, uint(2n ** 53n))));
    inv(`${name} 2^64 - 1`, ['HeaderValue'], [ref], 'ERR_HEADER_VALUE', E(f.replace(label, uint(2n ** 64n - 1n))));
    inv(`${name} -1`, ['HeaderValue'], [ref], 'ERR_HEADER_VALUE', E(f.replace(label, nint(-1))));
    inv(`${name} as text`, ['HeaderValue'], [ref], 'ERR_HEADER_VALUE', E(f.replace(label, tstr('5'))));
    inv(`${name} wrapped in tag 1`, ['HeaderValue'], [ref], 'ERR_HEADER_VALUE', E(f.replace(label, tag(1, uint(5)))));
    inv(`${name} missing`, ['MissingHeader'], ['envMissing', ref], 'ERR_MISSING_HEADER', E(f.without(label)));
  }
  // stream.
  for (const len of [0, 15, 17, 32]) {
    inv(`stream of ${len} bytes`, ['HeaderValue', 'Boundary'], ['envStream'], 'ERR_HEADER_VALUE', E(f.replace(LBL.stream, bstr(new Uint8Array(len).fill(3)))));
  }
  inv('stream as text', ['HeaderValue'], ['envStream'], 'ERR_HEADER_VALUE', E(f.replace(LBL.stream, tstr('0123456789abcdef'))));
  inv('stream missing', ['MissingHeader'], ['envMissing', 'envStream'], 'ERR_MISSING_HEADER', E(f.without(LBL.stream)));
  return f.b.build();
}

export function signature(): VectorFile {
  const f = new OpenFile('signature', ['Well-formed envelopes whose signature must not verify, and the contexts it binds.']);
  const st = f.base.stream;
  const sealed = f.signer.seal({ seq: 5, ts: TS, stream: st }, f.payload);
  const env = sealed.envelope;
  const inv = f.invalid.bind(f);
  f.valid('untouched', [], ['verValid'], env, f.base, f.payload);
  // Bit flips that keep the structure: payload, signature, and header values that stay in range.
  const sigAt = env.length - 64;
  for (let i = 0; i < 64; i += 1) {
    const e = env.slice();
    e[sigAt + i]! ^= 1 << (i % 8);
    const S = scalarOf(e.subarray(sigAt));
    inv(`bit ${i % 8} of signature byte ${i} flipped${i >= 32 && S >= L ? ' (S >= L)' : ''}`, ['BitFlip'], ['verEquation', 'verOneCode', 'envNoDelivery'], 'ERR_BAD_SIGNATURE', e);
  }
  const payAt = sigAt - 2 - f.payload.length;
  for (let i = 0; i < f.payload.length; i++) {
    const e = env.slice();
    e[payAt + i]! ^= 0x01;
    inv(`payload byte ${i} changed`, ['BitFlip'], ['verEquation', 'envSigStructure'], 'ERR_BAD_SIGNATURE', e);
  }
  const protAt = 4; // d2 84 58 LL | map...
  const prot = sealed.protectedBytes;
  const streamAt = protAt + prot.length - 16;
  for (const i of [0, 7, 15]) {
    const e = env.slice();
    e[streamAt + i]! ^= 0x80;
    inv(`stream byte ${i} changed`, ['BitFlip'], ['verEquation', 'envSigStructure'], 'ERR_BAD_SIGNATURE', e);
  }
  {
    const e = f.signer.sealEntries(f.replace(LBL.seq, uint(6)), f.payload);
    const swapped = cat(e.subarray(0, e.length - 64), sealed.signature);
    inv('seq changed from 5 to 6, signature kept', ['BitFlip'], ['verEquation', 'envSigStructure'], 'ERR_BAD_SIGNATURE', swapped);
    const e2 = f.signer.sealEntries(f.replace(LBL.alg, nint(-19)), f.payload);
    inv('alg changed from -8 to -19, signature kept', ['BitFlip'], ['verEquation', 'envSigStructure'], 'ERR_BAD_SIGNATURE', cat(e2.subarray(0, e2.length - 64), sealed.signature));
  }
  const malleated = cat(env.subarray(0, sigAt + 32), leBytes(scalarOf(sealed.signature) + L));
  inv('S + L: malleated twin of the valid signature', ['ScalarOutOfRange'], ['verSRange'], 'ERR_BAD_SIGNATURE', malleated);
  const other = new Signer(seed('signature: impostor'));
  const impostor = other.signRaw(prot, f.payload).signature;
  inv('signed by another key under this key\'s kid', ['BadSignature'], ['verEquation'], 'ERR_BAD_SIGNATURE', cat(env.subarray(0, sigAt), impostor));
  // What the signature covers: the Sig_structure with the sealwire external_aad.
  const raw = (tbs: Bytes) => envelope({ protectedBytes: prot, payload: f.payload, signature: signRef(f.signer.secretKey, tbs) });
  inv('signed with an empty external_aad (a generic COSE signer)', ['BadSignature'], ['envExternalAad', 'envSigStructure'], 'ERR_BAD_SIGNATURE', raw(arr(tstr('Signature1'), bstr(prot), bstr(new Uint8Array(0)), bstr(f.payload))));
  inv('signed with context "Signature" instead of "Signature1"', ['BadSignature'], ['envSigStructure'], 'ERR_BAD_SIGNATURE', raw(arr(tstr('Signature'), bstr(prot), bstr(enc.encode('sealwire/1\u0000')), bstr(f.payload))));
  inv('signed over the payload alone (no Sig_structure)', ['BadSignature'], ['envSigStructure'], 'ERR_BAD_SIGNATURE', raw(f.payload));
  inv('signed with domain "sealwire/2"', ['BadSignature'], ['envExternalAad', 'envVersionDomain'], 'ERR_BAD_SIGNATURE', raw(arr(tstr('Signature1'), bstr(prot), bstr(enc.encode('sealwire/2\u0000')), bstr(f.payload))));
  // aad and session binding.
  const aadA = enc.encode('room:a');
  const withAad = f.signer.seal({ seq: 5, ts: TS, stream: st }, f.payload, aadA).envelope;
  f.valid('aad "room:a" opened with "room:a"', ['Aad'], ['envExternalAad'], withAad, f.base, f.payload, { aad: hex(aadA) });
  inv('aad "room:a" opened with "room:b"', ['Aad'], ['envExternalAad'], 'ERR_BAD_SIGNATURE', withAad, { aad: hex(enc.encode('room:b')) });
  inv('aad "room:a" opened with no aad', ['Aad'], ['envExternalAad'], 'ERR_BAD_SIGNATURE', withAad);
  inv('no aad, opened with aad "room:a"', ['Aad'], ['envExternalAad'], 'ERR_BAD_SIGNATURE', env, { aad: hex(aadA) });
  const binding = cat(seed('signature: session'), Uint8Array.of(0));
  const otherDir = cat(seed('signature: session'), Uint8Array.of(1));
  const bound = f.signer.seal({ seq: 5, ts: TS, stream: st }, f.payload, undefined, binding).envelope;
  f.valid('session-bound, opened with its binding', ['SessionBinding'], ['envBinding'], bound, f.base, f.payload, { binding: hex(binding) });
  inv('session-bound, opened with the other direction', ['SessionBinding'], ['envBinding'], 'ERR_BAD_SIGNATURE', bound, { binding: hex(otherDir) });
  inv('session-bound, opened with another session', ['SessionBinding'], ['envBinding'], 'ERR_BAD_SIGNATURE', bound, { binding: hex(cat(seed('signature: other session'), Uint8Array.of(0))) });
  inv('session-bound, opened without a session', ['SessionBinding'], ['envBinding'], 'ERR_BAD_SIGNATURE', bound);
  inv('no session, opened with a binding', ['SessionBinding'], ['envBinding'], 'ERR_BAD_SIGNATURE', env, { binding: hex(binding) });
  const confusable = f.signer.seal({ seq: 5, ts: TS, stream: st }, f.payload, cat(Uint8Array.of(1), binding)).envelope;
  inv('no session with aad = 0x01 || binding, opened as session-bound: the flag byte separates them', ['SessionBinding'], ['envBinding', 'envExternalAad'], 'ERR_BAD_SIGNATURE', confusable, { binding: hex(binding) });
  // Keys refused at import: the universal forgery and a mixed-order key.
  const identity = unhex('0100000000000000000000000000000000000000000000000000000000000000');
  const forgeryHeader = { ...f.base, kid: thumbprint(identity) };
  const forged = envelope({ protectedBytes: mapRaw(entries(forgeryHeader)), payload: f.payload, signature: cat(identity, new Uint8Array(32)) });
  const g = f.b.group({ type: 'EnvelopeOpen', publicKey: hex(identity) });
  f.b.add(g, { comment: 'universal forgery: identity key, R = identity, S = 0', flags: ['UniversalForgery', 'BadKey'], specRefs: refs('verKeySmallOrder', 'envKeyImport'), envelope: hex(forged), result: 'invalid', code: 'ERR_BAD_KEY' });
  const short = f.b.group({ type: 'EnvelopeOpen', publicKey: hex(f.signer.publicKey.subarray(0, 31)) });
  f.b.add(short, { comment: 'public key of 31 bytes', flags: ['BadKey', 'WrongLength'], specRefs: refs('verKeyLength', 'envKeyImport'), envelope: hex(env), result: 'invalid', code: 'ERR_BAD_KEY' });
  return f.b.build();
}

