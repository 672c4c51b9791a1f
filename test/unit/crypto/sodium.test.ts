// The sodium-native backend must give the spec's verdict (spec/verification.md) on every vector and
// agree with node:crypto and noble on random and mutated inputs; otherwise it must not be the default.
import { sha512 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import {
  fromHex,
  generateKeyPair,
  getBackend,
  getDefaultBackend,
  importPublicKey,
  importSigningKey,
  isProtocolError,
  open,
  seal,
  toHex,
  type Ed25519Backend,
} from '../../../src/index.js';
import { CURVE_ORDER, bytesToNumberLE, verifyStrict } from '../../../src/crypto/ed25519.js';
import { numberToLE32, rng } from '../../helpers/numbers.js';
import { readVectorFile } from '../../helpers/vectors.js';
import { SODIUM_MAX_MESSAGE, loadSodium } from '../../../src/crypto/sodium.js';

type Verdict = 'bad-key' | 'ok' | 'bad-sig';

// Imports are cached per backend and key: the import rule is backend-independent and costly
// (a torsion check), and the differential run reuses a few keys many times.
const imported = new Map<string, ReturnType<typeof importPublicKey> | 'bad-key'>();

function verdict(backend: Ed25519Backend, pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): Verdict {
  const id = `${backend.name}:${toHex(pk)}`;
  let key = imported.get(id);
  if (key === undefined) {
    try {
      key = importPublicKey(pk, { backend });
    } catch (err) {
      if (!isProtocolError(err, 'ERR_BAD_KEY')) throw err;
      key = 'bad-key';
    }
    imported.set(id, key);
  }
  if (key === 'bad-key') return key;
  return verifyStrict(backend, key.handle, msg, sig) ? 'ok' : 'bad-sig';
}

interface Case {
  id: string;
  pk: Uint8Array;
  msg: Uint8Array;
  sig: Uint8Array;
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function vectorCases(): Case[] {
  const out: Case[] = [];
  for (const v of readVectorFile('external/rfc8032/rfc8032.json') as { name: string; publicKey: string; message: string; signature: string }[]) {
    out.push({ id: `rfc8032 ${v.name}`, pk: fromHex(v.publicKey), msg: fromHex(v.message), sig: fromHex(v.signature) });
  }
  (readVectorFile('external/speccheck/cases.json') as { message: string; pub_key: string; signature: string }[]).forEach((v, i) => {
    out.push({ id: `speccheck ${i}`, pk: fromHex(v.pub_key), msg: fromHex(v.message), sig: fromHex(v.signature) });
  });
  for (const v of readVectorFile('external/cctv-ed25519/ed25519vectors.json') as { number: number; key: string; sig: string; msg: string }[]) {
    out.push({ id: `cctv ${v.number}`, pk: fromHex(v.key), msg: utf8(v.msg), sig: fromHex(v.sig) });
  }
  const w = readVectorFile('external/wycheproof/ed25519_test.json') as {
    testGroups: { publicKey: { pk: string }; tests: { tcId: number; msg: string; sig: string }[] }[];
  };
  for (const g of w.testGroups) {
    for (const t of g.tests) {
      out.push({ id: `wycheproof ${t.tcId}`, pk: fromHex(g.publicKey.pk), msg: fromHex(t.msg), sig: fromHex(t.sig) });
    }
  }
  return out;
}

// The eight small-order points in canonical encoding (identity first).
const SMALL_ORDER = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
].map(fromHex);

/**
 * A signature only the key holder can make: R is a chosen (small-order) point and S = k·a, so the
 * cofactorless equation [S]B = R + [k]A holds exactly when R is the identity.
 */
function signWithR(secretKey: Uint8Array, publicKey: Uint8Array, R: Uint8Array, msg: Uint8Array): Uint8Array {
  const h = sha512(secretKey);
  h[0]! &= 248;
  h[31]! &= 127;
  h[31]! |= 64;
  const a = bytesToNumberLE(h.subarray(0, 32)) % CURVE_ORDER;
  const buf = new Uint8Array(64 + msg.length);
  buf.set(R);
  buf.set(publicKey, 32);
  buf.set(msg, 64);
  const k = bytesToNumberLE(sha512(buf)) % CURVE_ORDER;
  const sig = new Uint8Array(64);
  sig.set(R);
  sig.set(numberToLE32((k * a) % CURVE_ORDER), 32);
  return sig;
}

const sodiumAvailable = loadSodium() !== undefined;

describe.skipIf(!sodiumAvailable)('sodium backend', () => {
  const sodium = getBackend('sodium');
  const node = getBackend('node');
  const noble = getBackend('noble');

  it('is the default backend when sodium-native is installed', () => {
    expect(sodium.name).toBe('sodium');
    expect(getDefaultBackend().name).toBe('sodium');
  });

  it('gives the same verdict as node and noble on every external vector', () => {
    const cases = vectorCases();
    expect(cases.length).toBeGreaterThan(1000);
    const counts: Record<Verdict, number> = { ok: 0, 'bad-sig': 0, 'bad-key': 0 };
    for (const c of cases) {
      const s = verdict(sodium, c.pk, c.msg, c.sig);
      expect(s, c.id).toBe(verdict(node, c.pk, c.msg, c.sig));
      expect(s, c.id).toBe(verdict(noble, c.pk, c.msg, c.sig));
      counts[s]++;
    }
    // The sets exercise all three outcomes; a backend that always said one thing would fail above.
    expect(counts.ok).toBeGreaterThan(50);
    expect(counts['bad-sig']).toBeGreaterThan(50);
    expect(counts['bad-key']).toBeGreaterThan(50);
  });

  it('accepts R = identity with S = k·a, as the cofactorless rule does (libsodium alone would refuse)', () => {
    const { secretKey, publicKey } = generateKeyPair();
    const msg = utf8('identity R');
    const sig = signWithR(secretKey, publicKey, SMALL_ORDER[0]!, msg);
    // libsodium's own policy, shown directly: this is the case the backend routes to node:crypto.
    const raw = loadSodium()!;
    expect(raw.crypto_sign_verify_detached(sig, msg, publicKey)).toBe(false);
    expect(verdict(node, publicKey, msg, sig)).toBe('ok');
    expect(verdict(noble, publicKey, msg, sig)).toBe('ok');
    expect(verdict(sodium, publicKey, msg, sig)).toBe('ok');
    // …and the same signature on another message is refused by all three.
    const other = utf8('identity r');
    for (const b of [sodium, node, noble]) expect(verdict(b, publicKey, other, sig), b.name).toBe('bad-sig');
  });

  it('refuses every other small-order R on all backends', () => {
    const { secretKey, publicKey } = generateKeyPair();
    const msg = utf8('small-order R');
    for (const R of SMALL_ORDER.slice(1)) {
      const sig = signWithR(secretKey, publicKey, R, msg);
      for (const b of [sodium, node, noble]) expect(verdict(b, publicKey, msg, sig), `${b.name} R=${toHex(R)}`).toBe('bad-sig');
    }
  });

  it('agrees with node on 20,000 random and mutated signatures, keys and messages', () => {
    const next = rng(0x5eed);
    const keys = Array.from({ length: 16 }, () => generateKeyPair());
    const signers = keys.map((k) => importSigningKey(k.secretKey, { backend: node }));
    let accepted = 0;
    let rejected = 0;
    for (let i = 0; i < 20_000; i++) {
      const j = next() % keys.length;
      const msg = new Uint8Array(next() % 200);
      for (let b = 0; b < msg.length; b++) msg[b] = next() & 0xff;
      let pk = keys[j]!.publicKey;
      let sig = signers[j]!.sign(msg);
      let m = msg;
      switch (next() % 8) {
        case 0: // untouched: must verify
          break;
        case 1: // one bit of the signature
          sig = sig.slice();
          sig[next() % 64]! ^= 1 << (next() % 8);
          break;
        case 2: // one bit of the message
          if (m.length > 0) {
            m = m.slice();
            m[next() % m.length]! ^= 1 << (next() % 8);
          }
          break;
        case 3: // another key
          pk = keys[(j + 1) % keys.length]!.publicKey;
          break;
        case 4: // S + L: the non-canonical twin of a valid signature
          sig = sig.slice();
          sig.set(numberToLE32(bytesToNumberLE(sig.subarray(32)) + CURVE_ORDER), 32);
          break;
        case 5: // R replaced by a small-order point
          sig = sig.slice();
          sig.set(SMALL_ORDER[next() % 8]!, 0);
          break;
        case 6: // random public key bytes (mostly off-curve or refused at import)
          pk = new Uint8Array(32).map(() => next() & 0xff);
          break;
        default: // random signature bytes, top bits of S cleared half the time
          sig = new Uint8Array(64).map(() => next() & 0xff);
          if (next() & 1) sig[63]! &= 0x0f;
      }
      const v = verdict(sodium, pk, m, sig);
      expect(v, `case ${i}`).toBe(verdict(node, pk, m, sig));
      if (v === 'ok') accepted++;
      else rejected++;
    }
    expect(accepted).toBeGreaterThan(2000);
    expect(rejected).toBeGreaterThan(10_000);
  });

  it('agrees with node and noble on both sides of the size where it hands over to node:crypto', () => {
    const { secretKey, publicKey } = generateKeyPair();
    const s = importSigningKey(secretKey, { backend: node });
    for (const n of [SODIUM_MAX_MESSAGE - 1, SODIUM_MAX_MESSAGE, SODIUM_MAX_MESSAGE + 1, 100_000]) {
      const msg = new Uint8Array(n).map((_, i) => i & 0xff);
      const sig = s.sign(msg);
      const bad = msg.slice();
      bad[n >> 1]! ^= 1;
      for (const b of [sodium, node, noble]) {
        expect(verdict(b, publicKey, msg, sig), `${b.name} n=${n}`).toBe('ok');
        expect(verdict(b, publicKey, bad, sig), `${b.name} n=${n} tampered`).toBe('bad-sig');
      }
      // The identity-R signature on a long message too.
      const idSig = signWithR(secretKey, publicKey, SMALL_ORDER[0]!, msg);
      for (const b of [sodium, node, noble]) expect(verdict(b, publicKey, msg, idSig), `${b.name} n=${n} R=identity`).toBe('ok');
    }
  });

  it('signs exactly as node does (Ed25519 is deterministic) and round-trips through seal/open', () => {
    const { secretKey, publicKey } = generateKeyPair();
    const s = importSigningKey(secretKey, { backend: sodium });
    const n = importSigningKey(secretKey, { backend: node });
    const msg = utf8('same bytes');
    expect(toHex(s.sign(msg))).toBe(toHex(n.sign(msg)));
    const stream = new Uint8Array(16).fill(7);
    const env = seal(s, msg, { seq: 3, stream, ts: 1_700_000_000_000 });
    expect(toHex(env)).toBe(toHex(seal(n, msg, { seq: 3, stream, ts: 1_700_000_000_000 })));
    const opened = open(env, { keys: importPublicKey(publicKey, { backend: sodium }) });
    expect(opened.seq).toBe(3);
    const tampered = env.slice();
    tampered[tampered.length - 1]! ^= 1;
    expect(() => open(tampered, { keys: importPublicKey(publicKey, { backend: sodium }) })).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_SIGNATURE' }),
    );
  });

  it('refuses a seed and public key that do not belong together', () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    expect(() => sodium.importSecretKey(a.secretKey, b.publicKey)).toThrow(RangeError);
  });

  it('names the backends it knows when given another name', () => {
    expect(() => getBackend('libsodium')).toThrow(/'sodium', 'node' or 'noble'/);
  });
});
