// The spec (spec/envelope.md, spec/verification.md, spec/errors.md) checked against the code: the
// decoding order of §5.6 step by step, the worked example of §10 byte for byte, and the fixes that
// writing the spec turned up (major type 7 by initial byte, ReDoS-free media types, check order).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ERROR_CODES, ProtocolError, type ErrorCode } from '../src/errors.js';
import { fromHex, toHex } from '../src/bytes.js';
import { CborWriter } from '../src/wire/cbor.js';
import { decodeEnvelope, externalAad, isMediaType, sigStructure } from '../src/wire/envelope.js';
import { importPublicKey, importSigningKey, keyId } from '../src/keys/keys.js';
import { KeyRing } from '../src/keys/keyring.js';
import { getBackend } from '../src/crypto/select.js';
import { open } from '../src/envelope/open.js';
import { seal } from '../src/envelope/seal.js';

const SPEC = new URL('../spec/', import.meta.url);
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
