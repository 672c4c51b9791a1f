// The one loader for third-party vectors (test/vectors/SOURCES.md). Every vector carries an `id`
// ("wycheproof#42", "cctv#17", "rfc8032:TEST 1", "speccheck#3") that tests put into each
// assertion message, and an expected verdict derived from the SOURCE's own metadata — never from
// sealwire's code — so a disagreement means a bug in one of the two.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromHex } from '../../src/bytes.js';

const ROOT = fileURLToPath(new URL('../vectors/', import.meta.url));

export function readVectorFile<T = unknown>(relativePath: string): T {
  return JSON.parse(readFileSync(ROOT + relativePath, 'utf8')) as T;
}

/**
 * What spec/verification.md's strict rule must answer:
 * - `accept`: the key imports and the signature verifies;
 * - `bad-key`: `importPublicKey` throws ProtocolError ERR_BAD_KEY (rules K1–K4);
 * - `reject`: the key imports, and the strict verify returns false (rules V1–V4 or the equation).
 */
export type Verdict = 'accept' | 'bad-key' | 'reject';

export interface Ed25519Vector {
  readonly id: string;
  readonly source: 'rfc8032' | 'wycheproof' | 'cctv' | 'speccheck';
  readonly publicKey: Uint8Array;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
  readonly expected: Verdict;
  /** Why this verdict, in words (flags, comment, or the paper's table). */
  readonly why: string;
}

/** Prefix for assertion messages: `expect(x, msg(v)).toBe(y)`. */
export function msg(v: { id: string; why?: string }, extra = ''): string {
  return `[${v.id}]${v.why ? ` (${v.why})` : ''}${extra ? ` ${extra}` : ''}`;
}

// --- RFC 8032 §7.1: every test is a valid signature by a honestly generated key. ---------------

interface Rfc8032Raw {
  name: string;
  secretKey: string;
  publicKey: string;
  message: string;
  signature: string;
}

export interface Rfc8032Vector extends Ed25519Vector {
  readonly secretKey: Uint8Array;
}

export function rfc8032Vectors(): Rfc8032Vector[] {
  return readVectorFile<Rfc8032Raw[]>('rfc8032/rfc8032.json').map((t) => ({
    id: `rfc8032:${t.name}`,
    source: 'rfc8032',
    secretKey: fromHex(t.secretKey),
    publicKey: fromHex(t.publicKey),
    message: fromHex(t.message),
    signature: fromHex(t.signature),
    expected: 'accept',
    why: 'RFC 8032 §7.1 test vector',
  }));
}

// --- Wycheproof: `result` is the verdict. Every group key is an honest prime-order key, so an
// invalid result is a signature rejection, never a key rejection. --------------------------------

interface WycheproofFile {
  testGroups: { publicKey: { pk: string }; tests: { tcId: number; comment: string; flags: string[]; msg: string; sig: string; result: string }[] }[];
}

export function wycheproofVectors(): Ed25519Vector[] {
  const file = readVectorFile<WycheproofFile>('wycheproof/ed25519_test.json');
  const out: Ed25519Vector[] = [];
  for (const g of file.testGroups) {
    for (const t of g.tests) {
      if (t.result !== 'valid' && t.result !== 'invalid') {
        // The house rule is one expected outcome per vector; an "acceptable" would need a decision.
        throw new Error(`wycheproof#${t.tcId}: unexpected result ${t.result}`);
      }
      out.push({
        id: `wycheproof#${t.tcId}`,
        source: 'wycheproof',
        publicKey: fromHex(g.publicKey.pk),
        message: fromHex(t.msg),
        signature: fromHex(t.sig),
        expected: t.result === 'valid' ? 'accept' : 'reject',
        why: [t.comment, ...t.flags].filter(Boolean).join('; '),
      });
    }
  }
  return out;
}

// --- CCTV: the verdict follows from the flags (test/vectors/cctv-ed25519/README.upstream.md). ----
// Every CCTV vector is accepted under ZIP-215, i.e. satisfies the cofactored equation with S < L.
// A cofactorless strict verifier that refuses keys with any low-order component therefore answers:
//   low_order_A, non_canonical_A, low_order_component_A → bad-key (K2 canonical A, K3 small order,
//     K4 torsion-free: every such A has a low-order component or is itself low-order);
//   else non_canonical_R → reject (V2 canonical R);
//   else low_order_residue → reject (the low-order parts of R and [k]A do not cancel, so only the
//     cofactored equation holds; README: "will only verify with formulae that multiply by the
//     cofactor");
//   else accept. That includes low_order_R / low_order_component_R without a residue: with a
//     torsion-free A, R's low-order part is then zero (the only such R flagged low_order is the
//     identity), and strict rule V* deliberately does not blocklist small-order R.
// `reencoded_k` only appears together with non_canonical_A or non_canonical_R, already rejected.

interface CctvRaw {
  number: number;
  key: string;
  sig: string;
  msg: string;
  flags: string[] | null;
}

export function cctvExpected(flags: readonly string[]): Verdict {
  const f = new Set(flags);
  if (f.has('low_order_A') || f.has('non_canonical_A') || f.has('low_order_component_A')) return 'bad-key';
  if (f.has('non_canonical_R') || f.has('low_order_residue')) return 'reject';
  return 'accept';
}

export function cctvVectors(): Ed25519Vector[] {
  return readVectorFile<CctvRaw[]>('cctv-ed25519/ed25519vectors.json').map((t) => {
    const flags = t.flags ?? [];
    return {
      id: `cctv#${t.number}`,
      source: 'cctv',
      publicKey: fromHex(t.key),
      message: new TextEncoder().encode(t.msg),
      signature: fromHex(t.sig),
      expected: cctvExpected(flags),
      why: flags.length ? flags.join(',') : 'no flags',
    };
  });
}

// --- speccheck: the 12 cases of "Taming the many EdDSAs" (Chalkias, Garillot, Nikolaenko 2020),
// Table 5, with the verdict of our rule and the reason. `A`/`R` say what the paper's table lists
// for that point: small (order ≤ 8), mixed (prime-order part + low-order part), prime (order L);
// test/ed25519-vectors.test.ts re-derives these classes with noble's point arithmetic. -----------

type PointClass = 'small' | 'mixed' | 'prime';

export interface SpeccheckCase {
  readonly A: PointClass;
  readonly R: PointClass;
  readonly nonCanonical?: 'A' | 'R';
  readonly sAtLeastL?: boolean;
  readonly expected: Verdict;
  readonly why: string;
}

export const SPECCHECK_TABLE: readonly SpeccheckCase[] = [
  { A: 'small', R: 'small', expected: 'bad-key', why: '0: S = 0, small-order A and R; the forgery family: K3 refuses small-order A' },
  { A: 'small', R: 'mixed', expected: 'bad-key', why: '1: 0 < S < L, small-order A, mixed R: K3 refuses small-order A' },
  { A: 'mixed', R: 'small', expected: 'bad-key', why: '2: 0 < S < L, mixed-order A, small R: K4 refuses A that is not torsion-free' },
  { A: 'mixed', R: 'mixed', expected: 'bad-key', why: '3: mixed A and R, passes cofactored and cofactorless: K4 refuses mixed A' },
  { A: 'mixed', R: 'mixed', expected: 'bad-key', why: '4: mixed A and R, passes cofactored only: K4 refuses mixed A' },
  { A: 'mixed', R: 'prime', expected: 'bad-key', why: '5: mixed A, prime-order R, passes cofactored only: K4 refuses mixed A' },
  { A: 'prime', R: 'prime', sAtLeastL: true, expected: 'reject', why: '6: S > L (S - L verifies): V3 requires S < L' },
  { A: 'prime', R: 'prime', sAtLeastL: true, expected: 'reject', why: '7: S >> L (S mod L verifies): V3 requires S < L' },
  { A: 'mixed', R: 'small', nonCanonical: 'R', expected: 'bad-key', why: '8: non-canonical R: K4 refuses mixed A first (V2 would refuse R)' },
  { A: 'mixed', R: 'small', nonCanonical: 'R', expected: 'bad-key', why: '9: non-canonical R, hash over the non-canonical R: K4 refuses mixed A first' },
  { A: 'small', R: 'mixed', nonCanonical: 'A', expected: 'bad-key', why: '10: non-canonical small-order A: K2/K3 refuse A' },
  { A: 'small', R: 'mixed', nonCanonical: 'A', expected: 'bad-key', why: '11: non-canonical A, hash over the re-encoded A: K2/K3 refuse A' },
];

interface SpeccheckRaw {
  message: string;
  pub_key: string;
  signature: string;
}

export function speccheckVectors(): (Ed25519Vector & { readonly table: SpeccheckCase })[] {
  const raw = readVectorFile<SpeccheckRaw[]>('speccheck/cases.json');
  if (raw.length !== SPECCHECK_TABLE.length) throw new Error(`speccheck: expected 12 cases, got ${raw.length}`);
  return raw.map((t, i) => {
    const table = SPECCHECK_TABLE[i]!;
    return {
      id: `speccheck#${i}`,
      source: 'speccheck',
      publicKey: fromHex(t.pub_key),
      message: fromHex(t.message),
      signature: fromHex(t.signature),
      expected: table.expected,
      why: table.why,
      table,
    };
  });
}

export function allEd25519Vectors(): Ed25519Vector[] {
  return [...rfc8032Vectors(), ...wycheproofVectors(), ...cctvVectors(), ...speccheckVectors()];
}

// --- COSE WG examples ---------------------------------------------------------------------------

export interface CoseExample {
  readonly id: string;
  readonly title: string;
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
  readonly kid: string;
  readonly plaintext: string;
  readonly toBeSigned: Uint8Array;
  readonly cbor: Uint8Array;
}

interface CoseRaw {
  title: string;
  input: { plaintext: string; sign0: { key: { kid: string; x_hex: string; d_hex: string } } };
  intermediates: { ToBeSign_hex: string };
  output: { cbor: string };
}

export function coseExample(name: string): CoseExample {
  const raw = readVectorFile<CoseRaw>(`cose-examples/eddsa-examples/${name}.json`);
  return {
    id: `cose-wg:${name}`,
    title: raw.title,
    publicKey: fromHex(raw.input.sign0.key.x_hex),
    secretKey: fromHex(raw.input.sign0.key.d_hex),
    kid: raw.input.sign0.key.kid,
    plaintext: raw.input.plaintext,
    toBeSigned: fromHex(raw.intermediates.ToBeSign_hex),
    cbor: fromHex(raw.output.cbor),
  };
}
