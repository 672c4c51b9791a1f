// Ed25519 verify vectors under the strict rule: the external sets (RFC 8032, Wycheproof, CCTV,
// speccheck) with each source's labels turned into a strict verdict and cross-checked against the
// independent reference (ref.ts); then generated key-import cases.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Ed25519VerifyGroup, VectorFile } from '../lib/format.js';
import { FileBuilder } from './build.js';
import { REF, refs, type RefName } from './refs.js';
import {
  L,
  cofactoredOnly,
  enc,
  hex,
  leBytes,
  pointFacts,
  scalarOf,
  seed,
  signRef,
  publicKeyOf,
  strictVerdict,
  unhex,
  cat,
  type Verdict,
} from './ref.js';

const EXTERNAL = fileURLToPath(new URL('../vectors/external/', import.meta.url));
const SCHEMA = 'ed25519_verify_schema.json';
const HEADER = [
  'Ed25519 verification under sealwire\'s strict rule (spec/verification.md): keys that are not',
  'canonical, small-order or not torsion-free are refused at import (ERR_BAD_KEY); signatures need',
  'exact lengths, canonical R, S < L and the cofactorless equation (else ERR_BAD_SIGNATURE).',
  'Driver op: {"op":"ed25519.verify","publicKey","message":msg,"signature":sig}.',
];

function readJson(rel: string): unknown {
  return JSON.parse(readFileSync(EXTERNAL + rel, 'utf8'));
}

function refsFor(verdict: Verdict, why: RefName[]): string[] {
  if (verdict === 'ok') return refs('verValid', 'verEquation');
  return refs(...why, verdict === 'ERR_BAD_KEY' ? 'verKeyCode' : 'verHostile');
}

/** Which requirement a rejection comes from, derived from facts about the inputs. */
function whyRejected(pk: Uint8Array, sig: Uint8Array): RefName[] {
  if (pk.length !== 32) return ['verKeyLength'];
  const a = pointFacts(pk);
  if (!a.decodes || !a.canonical) return ['verKeyCanonical'];
  if (a.smallOrder) return ['verKeySmallOrder'];
  if (!a.torsionFree) return ['verKeyTorsion'];
  if (sig.length !== 64) return ['verSigLength'];
  const r = pointFacts(sig.subarray(0, 32));
  if (!r.decodes || !r.canonical) return ['verRCanonical'];
  if (scalarOf(sig) >= L) return ['verSRange'];
  return ['verEquation'];
}

function assertSame(source: string, id: string | number, derived: Verdict, reference: Verdict): void {
  if (derived !== reference) {
    throw new Error(`${source} ${id}: the source's labels give ${derived}, the reference rule gives ${reference}`);
  }
}

type B = FileBuilder<Ed25519VerifyGroup>;

function groupFor(b: B, source: string, publicKey: string): Ed25519VerifyGroup {
  const last = b.groups[b.groups.length - 1];
  if (last && last.publicKey === publicKey && last.source === source) return last;
  return b.group({ type: 'Ed25519Verify', source, publicKey });
}

function addCase(b: B, source: string, pk: Uint8Array, msg: Uint8Array, sig: Uint8Array, verdict: Verdict, comment: string, flags: string[]): void {
  const specRefs = refsFor(verdict, whyRejected(pk, sig));
  // A cofactored (batch-style) check accepts these; the strict rule does not.
  if (verdict === 'ERR_BAD_SIGNATURE' && (flags.includes('CofactoredOnly') || flags.includes('cctv.low_order_residue'))) specRefs.push(REF.verNoBatch);
  b.add(groupFor(b, source, hex(pk)), {
    comment,
    flags,
    specRefs,
    msg: hex(msg),
    sig: hex(sig),
    result: verdict === 'ok' ? 'valid' : 'invalid',
    ...(verdict === 'ok' ? {} : { code: verdict }),
  });
}

export function rfc8032(): VectorFile {
  const b: B = new FileBuilder('Ed25519', SCHEMA, HEADER);
  const cases = readJson('rfc8032/rfc8032.json') as { name: string; secretKey: string; publicKey: string; message: string; signature: string }[];
  for (const c of cases) {
    const pk = unhex(c.publicKey);
    // RFC 8032 §7.1 gives valid signatures; the key must derive from the secret and re-sign identically.
    if (hex(publicKeyOf(unhex(c.secretKey))) !== c.publicKey) throw new Error(`${c.name}: key mismatch`);
    if (hex(signRef(unhex(c.secretKey), unhex(c.message))) !== c.signature) throw new Error(`${c.name}: signature mismatch`);
    const v = strictVerdict(pk, unhex(c.message), unhex(c.signature));
    assertSame('rfc8032', c.name, 'ok', v);
    addCase(b, 'RFC 8032 §7.1', pk, unhex(c.message), unhex(c.signature), v, c.name, ['Rfc8032']);
  }
  return b.build();
}

interface WycheproofFile {
  testGroups: { publicKey: { pk: string }; tests: { tcId: number; comment: string; flags: string[]; msg: string; sig: string; result: string }[] }[];
}

export function wycheproof(): VectorFile {
  const b: B = new FileBuilder('Ed25519', SCHEMA, HEADER);
  const w = readJson('wycheproof/ed25519_test.json') as WycheproofFile;
  for (const g of w.testGroups) {
    const pk = unhex(g.publicKey.pk);
    for (const t of g.tests) {
      if (t.result !== 'valid' && t.result !== 'invalid') throw new Error(`wycheproof ${t.tcId}: result ${t.result}`);
      const v = strictVerdict(pk, unhex(t.msg), unhex(t.sig));
      // Wycheproof's own verdict decides acceptance; the reference must agree. Its keys are all
      // valid, so a rejection is a signature rejection.
      assertSame('wycheproof', t.tcId, t.result === 'valid' ? 'ok' : 'ERR_BAD_SIGNATURE', v);
      const comment = `wycheproof tcId ${t.tcId}${t.comment ? `: ${t.comment}` : ''}`;
      addCase(b, 'C2SP/wycheproof ed25519_test.json', pk, unhex(t.msg), unhex(t.sig), v, comment, t.flags.map((f) => `wycheproof.${f}`));
    }
  }
  return b.build();
}

const CCTV_KEY_FLAGS = ['low_order_A', 'non_canonical_A', 'low_order_component_A'];

export function cctv(): VectorFile {
  const b: B = new FileBuilder('Ed25519', SCHEMA, HEADER);
  const cases = readJson('cctv-ed25519/ed25519vectors.json') as { number: number; key: string; sig: string; msg: string; flags: string[] | null }[];
  for (const c of cases) {
    const flags = c.flags ?? [];
    const pk = unhex(c.key);
    const msg = enc.encode(c.msg);
    const sig = unhex(c.sig);
    // The strict rule from CCTV's flags: any flagged A is refused at import; otherwise a
    // non-canonical R or a low-order residue (fails the cofactorless equation) is a bad signature.
    const derived: Verdict = flags.some((f) => CCTV_KEY_FLAGS.includes(f))
      ? 'ERR_BAD_KEY'
      : flags.includes('non_canonical_R') || flags.includes('low_order_residue')
        ? 'ERR_BAD_SIGNATURE'
        : 'ok';
    const v = strictVerdict(pk, msg, sig);
    assertSame('cctv', c.number, derived, v);
    addCase(b, 'C2SP/CCTV ed25519vectors.json', pk, msg, sig, v, `cctv number ${c.number}`, flags.map((f) => `cctv.${f}`));
  }
  return b.build();
}

// "Taming the many EdDSAs" Table 5: what each case exercises. The strict verdict then follows from
// facts computed about the points (ref.ts), and the test below checks that they match this table.
const SPECCHECK: [string, string[]][] = [
  ['S = 0, small-order A, small-order R', ['SmallOrderA', 'SmallOrderR']],
  ['0 < S < L, small-order A, mixed-order R', ['SmallOrderA', 'MixedOrderR']],
  ['0 < S < L, mixed-order A, small-order R', ['MixedOrderA', 'SmallOrderR']],
  ['0 < S < L, mixed-order A, mixed-order R (passes cofactored and cofactorless)', ['MixedOrderA', 'MixedOrderR']],
  ['0 < S < L, mixed-order A, mixed-order R (passes cofactored only)', ['MixedOrderA', 'MixedOrderR', 'CofactoredOnly']],
  ['0 < S < L, mixed-order A, L-order R (passes cofactored only)', ['MixedOrderA', 'CofactoredOnly']],
  ['S > L', ['ScalarOutOfRange']],
  ['S >> L', ['ScalarOutOfRange']],
  ['non-canonical R (reduced for hash)', ['MixedOrderA', 'NonCanonicalR', 'SmallOrderR']],
  ['non-canonical R (not reduced for hash)', ['MixedOrderA', 'NonCanonicalR', 'SmallOrderR']],
  ['non-canonical small-order A, mixed-order R (reduced for hash)', ['NonCanonicalA', 'SmallOrderA', 'MixedOrderR', 'CofactoredOnly']],
  ['non-canonical small-order A, mixed-order R (not reduced for hash)', ['NonCanonicalA', 'SmallOrderA', 'MixedOrderR']],
];

export function speccheck(): VectorFile {
  const b: B = new FileBuilder('Ed25519', SCHEMA, HEADER);
  const cases = readJson('speccheck/cases.json') as { message: string; pub_key: string; signature: string }[];
  if (cases.length !== SPECCHECK.length) throw new Error('speccheck: unexpected number of cases');
  cases.forEach((c, i) => {
    const pk = unhex(c.pub_key);
    const msg = unhex(c.message);
    const sig = unhex(c.signature);
    const a = pointFacts(pk);
    const r = pointFacts(sig.subarray(0, 32));
    const flags: string[] = [];
    if (!a.canonical) flags.push('NonCanonicalA');
    if (a.smallOrder) flags.push('SmallOrderA');
    else if (!a.torsionFree) flags.push('MixedOrderA');
    if (!r.canonical) flags.push('NonCanonicalR');
    if (r.smallOrder) flags.push('SmallOrderR');
    else if (!r.torsionFree) flags.push('MixedOrderR');
    if (scalarOf(sig) >= L) flags.push('ScalarOutOfRange');
    if (cofactoredOnly(pk, msg, sig)) flags.push('CofactoredOnly');
    const derived: Verdict =
      !a.canonical || a.smallOrder || !a.torsionFree ? 'ERR_BAD_KEY' : !r.canonical || scalarOf(sig) >= L ? 'ERR_BAD_SIGNATURE' : 'ok';
    const v = strictVerdict(pk, msg, sig);
    assertSame('speccheck', i, derived, v);
    const [what, expectedFlags] = SPECCHECK[i]!;
    if ([...flags].sort().join() !== [...expectedFlags].sort().join()) {
      throw new Error(`speccheck ${i}: computed flags ${flags.join()} differ from the paper's table (${expectedFlags.join()})`);
    }
    addCase(b, 'novifinancial/ed25519-speccheck cases.json', pk, msg, sig, v, `speccheck case ${i}: ${what}`, flags);
  });
  return b.build();
}

const P = 2n ** 255n - 19n;
function enc32(y: bigint, sign = 0): Uint8Array {
  const b = leBytes(y);
  b[31] = (b[31]! & 0x7f) | (sign << 7);
  return b;
}

/** CCTV's published list of low-order point encodings (README.upstream.md), canonical and not. */
function lowOrderEncodings(): { hex: string; canonical: boolean; what: string }[] {
  const text = readFileSync(EXTERNAL + 'cctv-ed25519/README.upstream.md', 'utf8');
  const out: { hex: string; canonical: boolean; what: string }[] = [];
  let order = '';
  for (const line of text.split('\n')) {
    const m = /^( *)([0-9a-f]{64}) (.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === '') order = m[3]!.replace(/[[\]]/g, '');
    out.push({ hex: m[2]!, canonical: m[1] === '', what: m[1] === '' ? order : `${order}, ${m[3]!.replace(/[()]/g, '')}` });
  }
  if (out.length !== 14) throw new Error(`expected 14 low-order encodings in the CCTV README, found ${out.length}`);
  return out;
}

/** Generated key-import cases: every small-order point, non-canonical and off-curve encodings. */
export function keys(): VectorFile {
  const b: B = new FileBuilder('Ed25519', SCHEMA, [
    ...HEADER,
    'Generated: public keys the import rule refuses, each with a signature that a lenient verifier',
    'might accept; and the valid key they are built around.',
  ]);
  const sk = seed('ed25519 keys: honest signer');
  const msg = enc.encode('sealwire conformance');
  const honest = publicKeyOf(sk);
  const honestSig = signRef(sk, msg);
  const source = 'sealwire generated';
  const add = (pk: Uint8Array, sig: Uint8Array, comment: string, flags: string[], m = msg) => {
    // What each case was built to be, checked against the reference rule.
    const keyFlag = pk.length !== 32 || flags.some((f) => ['SmallOrderA', 'NonCanonicalA', 'OffCurveA', 'MixedOrderA'].includes(f));
    const intended: Verdict = keyFlag ? 'ERR_BAD_KEY' : flags.length > 0 ? 'ERR_BAD_SIGNATURE' : 'ok';
    const v = strictVerdict(pk, m, sig);
    assertSame('keys', comment, intended, v);
    addCase(b, source, pk, m, sig, v, comment, flags);
  };
  add(honest, honestSig, 'honest key and signature', []);
  // Universal forgery: identity A, identity R, S = 0 satisfies [S]B = R + [k]A for any message.
  const identity = enc32(1n);
  add(identity, cat(identity, new Uint8Array(32)), 'identity public key, R = identity, S = 0: the universal forgery', ['UniversalForgery', 'SmallOrderA']);
  for (const lo of lowOrderEncodings()) {
    // Each low-order key with a signature that satisfies the cofactored equation trivially.
    const pk = unhex(lo.hex);
    add(pk, cat(pk, new Uint8Array(32)), `low-order public key (${lo.what}), R = A, S = 0`, [lo.canonical ? 'SmallOrderA' : 'NonCanonicalA']);
  }
  // Non-canonical encodings of ordinary points: y + p where y + p < 2^255.
  for (let y = 2n; y < 19n; y++) {
    if (!pointFacts(enc32(y)).decodes) continue;
    add(enc32(P + y), honestSig, `non-canonical public key: y = p + ${y} (a curve point's second encoding)`, ['NonCanonicalA']);
    break;
  }
  add(leBytes(2n ** 255n - 1n), honestSig, 'non-canonical public key: all ones (y = 2^255 - 1)', ['NonCanonicalA']);
  // Off the curve: the smallest y with no x on edwards25519.
  for (let y = 2n; y < 40n; y++) {
    const pk = enc32(y);
    if (!pointFacts(pk).decodes) {
      add(pk, honestSig, `not a curve point: y = ${y}`, ['OffCurveA']);
      break;
    }
  }
  // Mixed order: honest key plus the order-2 point (y = p-1) as a torsion component.
  const mixed = pointFacts(honest).point!.add(pointFacts(enc32(P - 1n)).point!).toBytes();
  add(mixed, honestSig, 'mixed-order public key: honest key + order-2 point', ['MixedOrderA']);
  // Lengths.
  add(honest.subarray(0, 31), honestSig, 'public key of 31 bytes', ['WrongLength']);
  add(cat(honest, Uint8Array.of(0)), honestSig, 'public key of 33 bytes', ['WrongLength']);
  add(new Uint8Array(0), honestSig, 'empty public key', ['WrongLength']);
  // Signature edges with an honest key.
  add(honest, honestSig.subarray(0, 63), 'signature of 63 bytes', ['WrongLength']);
  add(honest, cat(honestSig, Uint8Array.of(0)), 'signature of 65 bytes', ['WrongLength']);
  add(honest, new Uint8Array(0), 'empty signature', ['WrongLength']);
  const sPlusL = cat(honestSig.subarray(0, 32), leBytes(scalarOf(honestSig) + L));
  add(honest, sPlusL, 'S + L: the malleated twin of a valid signature', ['ScalarOutOfRange']);
  const sL = cat(honestSig.subarray(0, 32), leBytes(L));
  add(honest, sL, 'S = L', ['ScalarOutOfRange']);
  const rNonCanon = cat(enc32(P + 1n), honestSig.subarray(32));
  add(honest, rNonCanon, 'R = non-canonical identity encoding', ['NonCanonicalR']);
  const flipped = honestSig.slice();
  flipped[0]! ^= 1;
  add(honest, flipped, 'one bit of R flipped', ['BitFlip']);
  const flippedS = honestSig.slice();
  flippedS[40]! ^= 1;
  add(honest, flippedS, 'one bit of S flipped', ['BitFlip']);
  add(honest, honestSig, 'valid signature over another message', ['BitFlip'], enc.encode('sealwire conformance!'));
  return b.build();
}
