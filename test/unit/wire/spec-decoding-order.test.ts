// The spec (spec/envelope.md, spec/verification.md, spec/errors.md) checked against the code: the
// decoding order of §5.6 step by step, the worked example of §10 byte for byte, and the fixes that
// writing the spec turned up (major type 7 by initial byte, ReDoS-free media types, check order).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ProtocolError, type ErrorCode } from '../../../src/errors.js';
import { fromHex, toHex } from '../../../src/bytes.js';
import { CborWriter } from '../../../src/wire/cbor.js';
import { decodeEnvelope, externalAad, isMediaType, sigStructure } from '../../../src/wire/envelope.js';
import { importPublicKey, importSigningKey, keyId } from '../../../src/keys/keys.js';
import { KeyRing } from '../../../src/keys/keyring.js';
import { getBackend } from '../../../src/crypto/select.js';
import { open } from '../../../src/envelope/open.js';
import { seal } from '../../../src/envelope/seal.js';

const SPEC = new URL('../../../spec/', import.meta.url);
const spec = (name: string): string => readFileSync(new URL(name, SPEC), 'utf8');

function codeOf(fn: () => unknown): ErrorCode | 'accepted' | string {
  try {
    fn();
    return 'accepted';
  } catch (err) {
    if (err instanceof ProtocolError) return err.code;
    return `threw ${(err as Error).name}: ${(err as Error).message}`;
  }
}

// --- building blocks for hand-made envelopes ------------------------------------------------------

const KID = new Uint8Array(32).fill(7);
const STREAM = new Uint8Array(16).fill(9);
const SIG = new Uint8Array(64);

/** The seven v1 protected-header entries as [encoded label, encoded value] in canonical order. */
function entries(over: Record<string, string | null> = {}): [string, string][] {
  const base: Record<string, string> = {
    '01': '27', // alg -8
    '03': '182a', // content type 42
    '04': '5820' + toHex(KID),
    '3a00010000': '01', // version 1
    '3a00010001': '05', // seq 5
    '3a00010002': '1b0000018bcfe56800', // ts 1700000000000
    '3a00010003': '50' + toHex(STREAM),
  };
  const merged = { ...base, ...over };
  return Object.entries(merged).filter((e): e is [string, string] => e[1] !== null);
}

function mapHex(es: [string, string][]): string {
  const w = new CborWriter();
  w.head(5, es.length);
  return toHex(w.finish()) + es.map(([k, v]) => k + v).join('');
}

function bstrHex(hex: string): string {
  return toHex(new CborWriter().bytes(fromHex(hex)).finish());
}

/** tag 18, array of 4: protected bstr, unprotected, payload, signature (all hex, already encoded). */
function envelopeHex(p: { protectedMap?: string; protectedBstr?: string; unprotected?: string; payload?: string; signature?: string } = {}): Uint8Array {
  const prot = p.protectedBstr ?? bstrHex(p.protectedMap ?? mapHex(entries()));
  return fromHex('d284' + prot + (p.unprotected ?? 'a0') + (p.payload ?? '4568656c6c6f') + (p.signature ?? bstrHex(toHex(SIG))));
}

const decodeCode = (bytes: Uint8Array) => codeOf(() => decodeEnvelope(bytes));

describe('hand-made envelopes reach the signature check only when well formed', () => {
  it('the baseline decodes (its zero signature fails later, not here)', () => {
    expect(decodeCode(envelopeHex())).toBe('accepted');
  });
});

// --- §5.2: major type 7 is decided by the initial byte ----------------------------------------------

describe('major type 7 (spec/envelope.md §5.2, ENV-5.9)', () => {
  const inUnprotected = (item: string) => envelopeHex({ unprotected: 'a101' + item });
  it.each([
    ['f90014', 'half float whose bits look like simple value 20'],
    ['fa00000014', 'single float, small bit pattern'],
    ['fb0000000000000014', 'double float, small bit pattern'],
    ['fb3ff0000000000000', 'double 1.0'],
    ['f814', 'simple value 20 in the two-byte form'],
    ['f820', 'simple value 32'],
    ['f7', 'undefined'],
    ['e0', 'simple value 0'],
  ])('%s (%s) is ERR_MALFORMED', (item) => {
    expect(decodeCode(inUnprotected(item))).toBe('ERR_MALFORMED');
  });
  it('a truncated float is refused by its initial byte, not as truncated', () => {
    expect(decodeCode(envelopeHex({ protectedMap: 'a101fb00' }))).toBe('ERR_MALFORMED');
    expect(decodeCode(envelopeHex({ protectedMap: 'a101f9' }))).toBe('ERR_MALFORMED');
  });
  it('0xff (break) is ERR_INDEFINITE_LENGTH; f4 f5 f6 decode', () => {
    expect(decodeCode(inUnprotected('ff'))).toBe('ERR_INDEFINITE_LENGTH');
    for (const ok of ['f4', 'f5', 'f6']) expect(decodeCode(inUnprotected(ok))).toBe('ERR_UNPROTECTED_HEADER');
  });
});

// --- §3.3: media types ---------------------------------------------------------------------------

describe('text content types (spec/envelope.md §3.3)', () => {
  it.each([
    ['text/plain', true],
    ['text/plain; charset=utf-8', true],
    ['application/cbor;a=b;c=d', true],
    ['a/b\t;\tx', true],
    ['a/b;x"y', true],
    ['a/b;;', false],
    ['a/b; ', false],
    ['a/b;', false],
    ['a/b\u00a0;x', false], // JS \s would have admitted it
    ['a/b\u2028;x', false],
    ['a/b;x\u00e9', false],
    ['/b', false],
    ['a/', false],
    ['-a/b', false],
    ['a/b/c', false],
    ['a'.repeat(63) + '/' + 'b'.repeat(63), true],
    ['a'.repeat(63) + '/' + 'b'.repeat(64), false], // 128 bytes
  ])('%j → %s', (s, ok) => {
    expect(isMediaType(s)).toBe(ok);
  });

  it('adversarial strings are judged in linear time (the old pattern backtracked exponentially)', () => {
    const hostile = [
      'a/b' + ';'.repeat(123) + ' ',
      'a/b' + ';'.repeat(124),
      'a/b' + ';a'.repeat(61) + ' ',
      'a/b' + ' ;'.repeat(61) + 'x ',
      'a/b' + '; ;'.repeat(41) + '\x01',
    ];
    for (const s of hostile) {
      const t = performance.now();
      expect(isMediaType(s)).toBe(false);
      expect(performance.now() - t).toBeLessThan(50);
    }
    const ct = ';'.repeat(120);
    const bytes = envelopeHex({ protectedMap: mapHex(entries({ '03': toHex(new CborWriter().text('a/b' + ct + ' ').finish()) })) });
    const t = performance.now();
    expect(decodeCode(bytes)).toBe('ERR_HEADER_VALUE');
    expect(performance.now() - t).toBeLessThan(50);
  });
});

// --- §5.6: the check order -----------------------------------------------------------------------

describe('member checks precede decoding the protected contents (spec/envelope.md §5.6)', () => {
  const dupProtected = mapHex([['01', '27'], ['01', '27']]);
  it('non-empty unprotected header wins over a malformed protected map', () => {
    expect(decodeCode(envelopeHex({ protectedMap: dupProtected, unprotected: 'a10127' }))).toBe('ERR_UNPROTECTED_HEADER');
  });
  it('a short signature wins over a malformed protected map', () => {
    expect(decodeCode(envelopeHex({ protectedMap: dupProtected, signature: '4100' }))).toBe('ERR_BAD_SIGNATURE');
  });
  it('the protected size cap wins over the unprotected header', () => {
    const big = mapHex(entries({ '04': '5901f4' + '00'.repeat(500) }));
    expect(decodeCode(envelopeHex({ protectedMap: big, unprotected: 'a10127' }))).toBe('ERR_TOO_LARGE');
  });
});

// --- §5.6 and §5.7: one code per input, in the written order ------------------------------------

const P = (m: string) => envelopeHex({ protectedMap: m });
const text = (s: string) => toHex(new CborWriter().text(s).finish());
const nested = (n: number) => '81'.repeat(n) + '00';

describe('decoding order (spec/envelope.md §5.6, §5.7): the first failing check names the code', () => {
  const cases: [string, Uint8Array, ErrorCode | 'accepted'][] = [
    ['empty input', new Uint8Array(0), 'ERR_TRUNCATED'],
    ['untagged array', envelopeHex().subarray(1), 'ERR_WRONG_TAG'],
    ['break byte first', fromHex('ff'), 'ERR_WRONG_TAG'],
    ['tag 18 in a two-byte head', fromHex('d812' + toHex(envelopeHex().subarray(1))), 'ERR_NON_PREFERRED'],
    ['tag 17 (COSE_Mac0)', fromHex('d1' + toHex(envelopeHex().subarray(1))), 'ERR_WRONG_TAG'],
    ['tag head truncated', fromHex('d9'), 'ERR_TRUNCATED'],
    ['tag with ai 31', fromHex('df'), 'ERR_MALFORMED'],
    ['array of 5', fromHex('d285' + toHex(envelopeHex().subarray(2))), 'ERR_MALFORMED'],
    ['indefinite array', fromHex('d29f' + toHex(envelopeHex().subarray(2))), 'ERR_INDEFINITE_LENGTH'],
    ['array of 4 in a two-byte head', fromHex('d29804' + toHex(envelopeHex().subarray(2))), 'ERR_NON_PREFERRED'],
    ['protected as a map, not a bstr', fromHex('d284a0a0' + '40' + '5840' + '00'.repeat(64)), 'ERR_MALFORMED'],
    ['protected length beyond the input', fromHex('d2845a00010000a0'), 'ERR_TRUNCATED'],
    ['unprotected as an array', envelopeHex({ unprotected: '80' }), 'ERR_MALFORMED'],
    ['payload nil (detached)', envelopeHex({ payload: 'f6' }), 'ERR_MALFORMED'],
    ['payload as text', envelopeHex({ payload: '6161' }), 'ERR_MALFORMED'],
    ['signature as text', envelopeHex({ signature: '6161' }), 'ERR_MALFORMED'],
    ['one trailing byte', fromHex(toHex(envelopeHex()) + '00'), 'ERR_TRAILING_BYTES'],
    // step 1 (whole outer structure) before steps 2–4
    ['duplicate in unprotected beats the protected cap', envelopeHex({ protectedMap: mapHex(entries({ '04': '5901f4' + '00'.repeat(500) })), unprotected: 'a201000100' }), 'ERR_DUPLICATE_LABEL'],
    ['trailing bytes beat the protected cap', fromHex(toHex(envelopeHex({ protectedMap: mapHex(entries({ '04': '5901f4' + '00'.repeat(500) })) })) + '00'), 'ERR_TRAILING_BYTES'],
    ['trailing bytes beat a short signature', fromHex(toHex(envelopeHex({ signature: '4100' })) + '00'), 'ERR_TRAILING_BYTES'],
    ['unprotected beats a short signature', envelopeHex({ unprotected: 'a10100', signature: '4100' }), 'ERR_UNPROTECTED_HEADER'],
    ['63-byte signature', envelopeHex({ signature: '583f' + '00'.repeat(63) }), 'ERR_BAD_SIGNATURE'],
    ['65-byte signature', envelopeHex({ signature: '5841' + '00'.repeat(65) }), 'ERR_BAD_SIGNATURE'],
    // step 5
    ['empty protected bstr', envelopeHex({ protectedBstr: '40' }), 'ERR_MISSING_HEADER'],
    ['protected empty map', P('a0'), 'ERR_MISSING_HEADER'],
    ['protected encodes an array', P('80'), 'ERR_MALFORMED'],
    ['bytes after the protected map', P(mapHex(entries()) + '00'), 'ERR_TRAILING_BYTES'],
    ['protected map count beyond its bytes', P('a5' + '0127'), 'ERR_TRUNCATED'],
    ['array count checked before its first element', P('a10185' + '9f'), 'ERR_TRUNCATED'],
    ['non-adjacent duplicate is a duplicate, not an order error', P('a3' + '0127' + '03182a' + '0127'), 'ERR_DUPLICATE_LABEL'],
    ['labels 3 then 1', P('a2' + '03182a' + '0127'), 'ERR_MAP_ORDER'],
    ['negative label before a positive one', P('a2' + '3a00010000' + '01' + '0127'), 'ERR_MAP_ORDER'],
    ['byte-string label', P('a1' + '4101' + '00'), 'ERR_MALFORMED'],
    ['invalid UTF-8 in a text label', P('a1' + '62c328' + '00'), 'ERR_MALFORMED'],
    ['surrogate in UTF-8', P('a1' + '63eda080' + '00'), 'ERR_MALFORMED'],
    ['tag number 2^53 in a value', P('a1' + '01' + 'db0020000000000000' + '00'), 'ERR_MALFORMED'],
    ['additional information 28', P('a1' + '01' + '1c'), 'ERR_MALFORMED'],
    ['negative integer with ai 31', P('a1' + '01' + '3f'), 'ERR_MALFORMED'],
    ['indefinite byte string', P('a1' + '01' + '5fff'), 'ERR_INDEFINITE_LENGTH'],
    ['label 1 in a two-byte head', P('a1' + '1801' + '27'), 'ERR_NON_PREFERRED'],
    ['uint64 head for a small value', P('a1' + '01' + '1b0000000000000001'), 'ERR_NON_PREFERRED'],
    ['14 levels of nesting below a header value', envelopeHex({ unprotected: 'a101' + nested(14) }), 'ERR_UNPROTECTED_HEADER'],
    ['15 levels of nesting below a header value', envelopeHex({ unprotected: 'a101' + nested(15) }), 'ERR_MALFORMED'],
    // step 6, in its order
    ['version 2 wins over crit and unknown labels', P(mapHex([['01', '27'], ['02', '8101'], ['3a00010000', '02'], ['3a0001ffff', '00']])), 'ERR_UNSUPPORTED_VERSION'],
    ['version as text', P(mapHex(entries({ '3a00010000': text('1') }))), 'ERR_HEADER_VALUE'],
    ['version -1', P(mapHex(entries({ '3a00010000': '20' }))), 'ERR_UNSUPPORTED_VERSION'],
    ['version 2^64-1', P(mapHex(entries({ '3a00010000': '1bffffffffffffffff' }))), 'ERR_UNSUPPORTED_VERSION'],
    ['version missing', P(mapHex(entries({ '3a00010000': null }))), 'ERR_MISSING_HEADER'],
    ['crit wins over an unknown label', P(mapHex([...entries().slice(0, 1), ['02', '80'], ...entries().slice(1), ['3a0001ffff', '00']])), 'ERR_UNKNOWN_CRITICAL'],
    ['unknown label wins over a bad alg', P(mapHex([['01', '26'], ...entries().slice(1), ['3a0001ffff', '00']])), 'ERR_UNKNOWN_HEADER'],
    ['text label', P(mapHex([...entries(), [text('x'), '00']])), 'ERR_UNKNOWN_HEADER'],
    ['alg -7 wins over a bad kid', P(mapHex(entries({ '01': '26', '04': '40' }))), 'ERR_UNSUPPORTED_ALG'],
    ['alg "EdDSA"', P(mapHex(entries({ '01': text('EdDSA') }))), 'ERR_UNSUPPORTED_ALG'],
    ['alg as bytes', P(mapHex(entries({ '01': '4127' }))), 'ERR_HEADER_VALUE'],
    ['alg -19', P(mapHex(entries({ '01': '32' }))), 'accepted'],
    ['alg missing wins over a bad content type', P(mapHex(entries({ '01': null, '03': '40' }))), 'ERR_MISSING_HEADER'],
    ['content type 65536', P(mapHex(entries({ '03': '1a00010000' }))), 'ERR_HEADER_VALUE'],
    ['content type -1', P(mapHex(entries({ '03': '20' }))), 'ERR_HEADER_VALUE'],
    ['content type 65535', P(mapHex(entries({ '03': '19ffff' }))), 'accepted'],
    ['content type "a/b;;"', P(mapHex(entries({ '03': text('a/b;;') }))), 'ERR_HEADER_VALUE'],
    ['kid missing wins over a bad seq', P(mapHex(entries({ '04': null, '3a00010001': '20' }))), 'ERR_MISSING_HEADER'],
    ['empty kid', P(mapHex(entries({ '04': '40' }))), 'ERR_HEADER_VALUE'],
    ['65-byte kid', P(mapHex(entries({ '04': '5841' + '00'.repeat(65) }))), 'ERR_HEADER_VALUE'],
    ['kid as text', P(mapHex(entries({ '04': text('k') }))), 'ERR_HEADER_VALUE'],
    ['seq 2^53', P(mapHex(entries({ '3a00010001': '1b0020000000000000' }))), 'ERR_HEADER_VALUE'],
    ['seq 2^53 - 1', P(mapHex(entries({ '3a00010001': '1b001fffffffffffff' }))), 'accepted'],
    ['seq -1', P(mapHex(entries({ '3a00010001': '20' }))), 'ERR_HEADER_VALUE'],
    ['bad seq wins over a missing ts', P(mapHex(entries({ '3a00010001': 'f5', '3a00010002': null }))), 'ERR_HEADER_VALUE'],
    ['ts as a tagged date', P(mapHex(entries({ '3a00010002': 'c11a6553f100' }))), 'ERR_HEADER_VALUE'],
    ['ts missing wins over a bad stream', P(mapHex(entries({ '3a00010002': null, '3a00010003': '40' }))), 'ERR_MISSING_HEADER'],
    ['15-byte stream', P(mapHex(entries({ '3a00010003': '4f' + '00'.repeat(15) }))), 'ERR_HEADER_VALUE'],
    ['stream missing', P(mapHex(entries({ '3a00010003': null }))), 'ERR_MISSING_HEADER'],
  ];
  it.each(cases)('%s', (_name, bytes, code) => {
    expect(decodeCode(bytes)).toBe(code);
  });

  it('open() reports the same code as the decoder for every case (its only earlier check is the size cap)', () => {
    const key = importPublicKey(importSigningKey(new Uint8Array(32).fill(1)).publicKey, { kid: KID });
    for (const [name, bytes, code] of cases) {
      const got = codeOf(() => open(bytes, { keys: key }));
      // Decodable cases carry a zero signature: they fail at the signature stage.
      expect(got, name).toBe(code === 'accepted' ? 'ERR_BAD_SIGNATURE' : code);
    }
  });
});

// --- §10: the worked example is what the code produces ---------------------------------------------

describe('worked example (spec/envelope.md §10)', () => {
  const md = spec('envelope.md');
  const section = md.slice(md.indexOf('## 10. Worked example'));
  const block = (title: string): string => {
    const at = section.indexOf(title);
    const open = section.indexOf('```', at);
    const close = section.indexOf('```', open + 3);
    return section.slice(open + 3, close).replace(/\s+/g, '');
  };
  const inline = (label: string): string => new RegExp(`${label}[^\`]*\`([0-9a-f]+)\``).exec(section)![1]!;
  const secretKey = fromHex(inline('TEST 1 \\('));
  const stream = fromHex(inline('stream'));
  const payload = new TextEncoder().encode('hello, sealwire');

  for (const name of ['node', 'noble']) {
    it(`the ${name} backend seals exactly the bytes the spec shows`, () => {
      const signer = importSigningKey(secretKey, { backend: getBackend(name) });
      const env = seal(signer, payload, { seq: 1, ts: 1_700_000_000_000, stream });
      expect(toHex(env)).toBe(block('Envelope ('));
      const d = decodeEnvelope(env);
      const aad = externalAad(undefined, undefined);
      expect(toHex(aad)).toBe(inline('external_aad \\(11 bytes\\):'));
      expect(toHex(sigStructure(d.protectedBytes, aad, payload))).toBe(block('Sig_structure, the signed message'));
      expect(toHex(signer.publicKey)).toBe(inline('public key'));
      expect(toHex(signer.kid)).toBe(inline('kid \\(RFC 7638 thumbprint\\):'));
      const opened = open(env, { keys: importPublicKey(signer.publicKey, { backend: getBackend(name) }) });
      expect(new TextDecoder().decode(opened.payload)).toBe('hello, sealwire');
    });
  }

  it('the kid is the RFC 7638 thumbprint any JOSE library computes', async () => {
    const { calculateJwkThumbprint } = await import('jose');
    const pk = importSigningKey(secretKey).publicKey;
    const x = Buffer.from(pk).toString('base64url');
    const jkt = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x }, 'sha256');
    expect(toHex(keyId(pk))).toBe(Buffer.from(jkt, 'base64url').toString('hex'));
  });

  it('the protected-header listing matches the bytes', () => {
    const listing = section.slice(section.indexOf('Protected header ('), section.indexOf('Diagnostic notation'));
    const env = block('Envelope (');
    const prot = env.slice(8, 8 + 89 * 2); // d2 84 58 59, then 89 bytes
    // Every hex group shown in the listing, ellipses aside, occurs in order in the real bytes.
    let from = 0;
    for (const line of listing.split('\n').filter((l) => /^\s{2,}[0-9a-f]/.test(l) || /^a7/.test(l))) {
      for (const group of line.trim().split(/\s{2,}/)[0]!.split(/\s+/)) {
        for (const part of group.split('…')) {
          if (part === '') continue;
          const at = prot.indexOf(part, from);
          expect(at, `${part} in ${line}`).toBeGreaterThanOrEqual(0);
          from = at + part.length;
        }
      }
    }
    expect(from).toBe(prot.length);
  });
});

// --- spec hygiene ---------------------------------------------------------------------------------

describe('every normative sentence carries an id (spec/envelope.md, verification.md, errors.md)', () => {
  const KEYWORD = /\b(MUST|SHALL|SHOULD|REQUIRED|RECOMMENDED)\b/;
  for (const [file, prefix] of [['envelope.md', 'ENV'], ['verification.md', 'VER'], ['errors.md', 'ERR']] as const) {
    it(`${file}: keyword blocks start with [${prefix}-n], ids are unique`, () => {
      const lines = spec(file).split('\n');
      const ids = new Set<string>();
      let fence = false;
      let blockStart = '';
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!;
        if (line.startsWith('```')) fence = !fence;
        if (fence) continue;
        if (line.trim() === '' || /^\s*([-*]|\d+\.)\s/.test(line) || line.startsWith('#') || line.startsWith('|')) blockStart = line;
        const def = new RegExp(`^\\s*(?:[-*]\\s+)?\\[(${prefix}-\\d+(?:\\.\\d+)*)\\]`).exec(line);
        if (def) {
          expect(ids.has(def[1]!), `${file}:${i + 1} ${def[1]} defined twice`).toBe(false);
          ids.add(def[1]!);
        }
        if (!KEYWORD.test(line) || /key words/i.test(line) || /^Status:/.test(blockStart) || i < 6) continue;
        expect(blockStart, `${file}:${i + 1}: normative text without an id: ${line.trim()}`).toMatch(new RegExp(`^\\s*(?:[-*]\\s+)?\\[${prefix}-`));
      }
      expect(ids.size).toBeGreaterThan(5);
    });
  }

  it('every [ENV/VER/ERR-n] cited in these files is defined in spec/', () => {
    const all = ['envelope.md', 'verification.md', 'errors.md', 'handshake.md'].map((f) => spec(f)).join('\n');
    const defined = new Set([...all.matchAll(/^\s*(?:[-*]\s+)?\[((?:ENV|VER|ERR)-[\d.]+)\]/gm)].map((m) => m[1]));
    for (const f of ['envelope.md', 'verification.md', 'errors.md']) {
      for (const m of spec(f).matchAll(/\[((?:ENV|VER|ERR)-[\d.]+)\]/g)) expect(defined.has(m[1]), `${f} cites ${m[1]}`).toBe(true);
    }
  });
});

describe('key ring order of checks (spec/envelope.md [ENV-7.5])', () => {
  it('revoked wins over not-yet-valid and expired; not-yet-valid is checked before expired', () => {
    const backend = getBackend('noble');
    const signer = importSigningKey(new Uint8Array(32).fill(3), { backend });
    const ring = new KeyRing({ backend });
    ring.add(signer.publicKey, { notBefore: 100, notAfter: 200 });
    const at = (ts: number) => codeOf(() => ring.resolve(signer.kid, ts));
    expect([at(99), at(100), at(200), at(201)]).toEqual(['ERR_KEY_NOT_YET_VALID', 'accepted', 'accepted', 'ERR_KEY_EXPIRED']);
    ring.revokeKey(signer.kid);
    expect([at(99), at(150), at(201)]).toEqual(['ERR_KEY_REVOKED', 'ERR_KEY_REVOKED', 'ERR_KEY_REVOKED']);
    expect(codeOf(() => ring.add(signer.publicKey))).toBe('ERR_KEY_REVOKED');
    expect(codeOf(() => ring.resolve(new Uint8Array(32), 150))).toBe('ERR_UNKNOWN_KEY');
  });
});
