// Envelope vectors for the header rules (spec/envelope.md §4): every test has a correctly signed
// envelope that breaks one header rule, so the expected code is that rule's (spec/errors.md).
import type { VectorFile } from '../lib/format.js';
import { arr, bstr, int, nint, tag, tstr, uint, type Bytes } from './cbor.js';
import { LBL, entries, type Entry, type Header } from './envelope.js';
import { hex, seed, thumbprint } from './ref.js';
import { refs, type RefName } from './refs.js';
import { OpenFile, validFields } from './envelope-open.js';

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
  for (const [v, what] of [
    [-7, 'ES256'],
    [-53, 'Ed448'],
    [-35, 'ES384'],
    [0, 'reserved 0'],
    [-9, 'ESP256 (fully specified, not EdDSA)'],
  ] as const) {
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
  inv(
    'content type: U+00A0 (not OWS) before a parameter',
    ['HeaderValue'],
    ['envCt'],
    'ERR_HEADER_VALUE',
    E(f.replace(LBL.ct, tstr('text/plain;\u00a0charset=utf-8'))),
  );
  inv(
    'content type: U+2028 (not OWS) before a parameter',
    ['HeaderValue'],
    ['envCt'],
    'ERR_HEADER_VALUE',
    E(f.replace(LBL.ct, tstr('text/plain;\u2028charset=utf-8'))),
  );
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
    f.b.add(g, {
      comment: `kid of ${len} byte(s), registered by the receiver`,
      flags: ['Boundary'],
      specRefs: refs('envKid'),
      envelope: hex(E(entries(h))),
      ...validFields(h, f.payload),
      result: 'valid',
    });
    f.b.add(g, {
      comment: `kid of ${len} byte(s): the thumbprint no longer names this key`,
      flags: ['UnknownKey'],
      specRefs: refs('envKeyLookup'),
      envelope: hex(E(f.baseEntries)),
      result: 'invalid',
      code: 'ERR_UNKNOWN_KEY',
    });
  }
  f.g = f.b.group({ type: 'EnvelopeOpen', publicKey: hex(f.signer.publicKey) });
  // Version.
  inv('version missing', ['MissingHeader', 'Version'], ['envMissing', 'envVersion'], 'ERR_MISSING_HEADER', E(f.without(LBL.version)));
  inv('version 2', ['Version'], ['envVersion'], 'ERR_UNSUPPORTED_VERSION', E(f.replace(LBL.version, uint(2))));
  inv('version 0', ['Version'], ['envVersion'], 'ERR_UNSUPPORTED_VERSION', E(f.replace(LBL.version, uint(0))));
  inv('version as text "1"', ['Version', 'HeaderValue'], ['envVersion'], 'ERR_HEADER_VALUE', E(f.replace(LBL.version, tstr('1'))));
  const v2 = f.replace(LBL.version, uint(2));
  inv(
    'version 2 with an unknown label: refused as a version',
    ['Version'],
    ['envVersion', 'envVersionFirst', 'envDecodeOrder', 'errFirstCheck'],
    'ERR_UNSUPPORTED_VERSION',
    E([...v2, [nint(-65541), uint(0)]]),
  );
  inv(
    'version 2 with crit: refused as a version',
    ['Version'],
    ['envVersion', 'envVersionFirst'],
    'ERR_UNSUPPORTED_VERSION',
    E([v2[0]!, [LBL.crit, arr(nint(-65541))], ...v2.slice(1), [nint(-65541), uint(0)]]),
  );
  // crit and unknown labels.
  const base = f.baseEntries;
  const withCrit = (v: Bytes): Entry[] => [base[0]!, [LBL.crit, v], ...base.slice(1)];
  inv('crit naming an unknown label', ['UnknownCritical'], ['envCrit'], 'ERR_UNKNOWN_CRITICAL', E([...withCrit(arr(nint(-65541))), [nint(-65541), uint(0)]]));
  inv('crit naming a known label', ['UnknownCritical'], ['envCrit'], 'ERR_UNKNOWN_CRITICAL', E(withCrit(arr(uint(1)))));
  inv('crit empty', ['UnknownCritical'], ['envCrit'], 'ERR_UNKNOWN_CRITICAL', E(withCrit(arr())));
  inv(
    'unknown label 5 (IV)',
    ['UnknownHeader'],
    ['envUnknownLabel'],
    'ERR_UNKNOWN_HEADER',
    E([...base.slice(0, 3), [uint(5), bstr(new Uint8Array(12))], ...base.slice(3)]),
  );
  inv('unknown private label -65541', ['UnknownHeader'], ['envUnknownLabel'], 'ERR_UNKNOWN_HEADER', E([...base, [nint(-65541), uint(0)]]));
  inv('unknown text label', ['UnknownHeader'], ['envUnknownLabel'], 'ERR_UNKNOWN_HEADER', E([...base, [tstr('x'), uint(0)]]));
  // seq and ts.
  for (const [name, label, ref] of [
    ['seq', LBL.seq, 'envSeq'],
    ['ts', LBL.ts, 'envTs'],
  ] as const) {
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
