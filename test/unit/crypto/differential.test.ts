// Differential test (issue 2, item 5): node:crypto and noble (and sodium when installed), each behind the strict rule, must give
// the same verdict on random and mutated keys, messages and signatures. 0 differences allowed.
//
// Size: SEALWIRE_DIFF_N cases (default 100_000). Most mutations (S ≥ L, non-canonical R, wrong
// length) are refused by the shared pre-checks in microseconds; the cases that reach a backend's
// equation are bounded to max(1000, N/50) and fresh key imports to max(500, N/200), because noble
// verifies ~1k/s. Default run: a few seconds. Larger local run:
//   SEALWIRE_DIFF_N=2000000 npx vitest run test/unit/crypto/differential.test.ts
// Reproduce a failure with the printed seed: SEALWIRE_DIFF_SEED=<seed>.
import { Point } from '@noble/ed25519';
import { describe, expect, it } from 'vitest';
import { getBackend, importPublicKey, importSigningKey, isProtocolError, toHex } from '../../../src/index.js';
import type { Ed25519Backend, PublicKey } from '../../../src/index.js';
import { verifyStrict } from '../../../src/crypto/ed25519.js';
import {
  L,
  Prng,
  SMALL_ORDER_CANONICAL,
  SMALL_ORDER_NON_CANONICAL,
  bigToLe,
  flipBit,
  leToBig,
  testBackendNames,
  yAtLeastP,
} from '../../helpers/vectors.js';
import { fromHex } from '../../../src/bytes.js';

const N = Number(process.env['SEALWIRE_DIFF_N'] ?? 100_000);
const SEED = process.env['SEALWIRE_DIFF_SEED'] !== undefined
  ? Number(process.env['SEALWIRE_DIFF_SEED'])
  : (Math.random() * 0x1_0000_0000) >>> 0;
const FULL = Math.max(1000, Math.floor(N / 50));
const KEYS = Math.max(500, Math.floor(N / 200));
const CHEAP = Math.max(0, N - FULL - KEYS);

const node = getBackend('node');
// node and noble always; sodium too when the optional package is installed (it is then the default).
const BACKENDS = testBackendNames().map(getBackend);
type Verdict = 'accept' | 'reject' | 'bad-key';

interface PoolKey {
  readonly secret: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly handles: Map<Ed25519Backend, PublicKey>;
  sign(m: Uint8Array): Uint8Array;
}

const rng = new Prng(SEED);
const pool: PoolKey[] = Array.from({ length: 8 }, () => {
  const secret = rng.bytes(32);
  const signer = importSigningKey(secret, { backend: node });
  return {
    secret,
    publicKey: signer.publicKey,
    handles: new Map(BACKENDS.map((b) => [b, importPublicKey(signer.publicKey, { backend: b })] as const)),
    sign: (m) => signer.sign(m),
  };
});
const TORSION = SMALL_ORDER_CANONICAL.filter((p) => p.order > 1).map((p) => Point.fromBytes(fromHex(p.hex)));
const NON_CANONICAL_R = [...yAtLeastP(), ...SMALL_ORDER_NON_CANONICAL.map(fromHex)];

interface Case {
  readonly category: string;
  /** A pool key, or raw key bytes that go through importPublicKey. */
  readonly key: PoolKey | Uint8Array;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
  /** When the strict rule fixes the answer regardless of backend; undefined: agreement only. */
  readonly expected?: Verdict;
}

function verdict(backend: Ed25519Backend, c: Case): Verdict {
  let key: PublicKey;
  if (c.key instanceof Uint8Array) {
    try {
      key = importPublicKey(c.key, { backend });
    } catch (err) {
      if (isProtocolError(err, 'ERR_BAD_KEY')) return 'bad-key';
      throw err;
    }
  } else {
    key = c.key.handles.get(backend)!;
  }
  return verifyStrict(backend, key.handle, c.message, c.signature) ? 'accept' : 'reject';
}

function honest(): { k: PoolKey; m: Uint8Array; sig: Uint8Array } {
  const k = rng.pick(pool);
  const m = rng.bytes(rng.int(65));
  return { k, m, sig: k.sign(m) };
}

function withS(sig: Uint8Array, s: bigint): Uint8Array {
  const out = sig.slice();
  out.set(bigToLe(s), 32);
  return out;
}

/** Cases that reach the backend's equation (or its R decoding): the expensive ones. */
function fullCase(i: number): Case {
  const { k, m, sig } = honest();
  switch (i % 8) {
    case 0:
      return { category: 'valid', key: k, message: m, signature: sig, expected: 'accept' };
    case 1:
      return { category: 'message bit flip', key: k, message: flipBit(m.length ? m : new Uint8Array(1), rng.int(Math.max(1, m.length) * 8)), signature: sig, expected: 'reject' };
    case 2:
      return { category: 'S bit flip (< bit 252)', key: k, message: m, signature: flipBit(sig, 256 + rng.int(252)) };
    case 3:
      return { category: 'R bit flip', key: k, message: m, signature: flipBit(sig, rng.int(256)) };
    case 4: {
      const bad = sig.slice();
      bad.set(rng.bytes(32), 0);
      return { category: 'random R', key: k, message: m, signature: bad };
    }
    case 5: {
      const bad = sig.slice();
      bad.set(fromHex(rng.pick(SMALL_ORDER_CANONICAL).hex), 0);
      return { category: 'small-order R', key: k, message: m, signature: bad };
    }
    case 6: {
      // R + T: mixed-order R; the cofactorless equation must fail on both.
      const bad = sig.slice();
      bad.set(Point.fromBytes(sig.subarray(0, 32)).add(rng.pick(TORSION)).toBytes(), 0);
      return { category: 'mixed-order R', key: k, message: m, signature: bad, expected: 'reject' };
    }
    default: {
      const other = pool[(pool.indexOf(k) + 1) % pool.length]!;
      return { category: 'wrong key', key: other, message: m, signature: sig, expected: 'reject' };
    }
  }
}

/** Cases the shared pre-checks settle without a curve operation. */
function cheapCase(i: number, base: { k: PoolKey; m: Uint8Array; sig: Uint8Array }): Case {
  const { k, m, sig } = base;
  const s = leToBig(sig.subarray(32));
  switch (i % 6) {
    case 0: {
      const mult = 1n + BigInt(rng.int(15)); // S + j·L stays below 2^256 for j ≤ 15
      return { category: 'S + jL', key: k, message: m, signature: withS(sig, s + mult * L), expected: 'reject' };
    }
    case 1:
      return { category: 'S top-bit flip', key: k, message: m, signature: flipBit(sig, 256 + 253 + rng.int(3)), expected: 'reject' };
    case 2: {
      const bad = sig.slice();
      bad.set(rng.pick(NON_CANONICAL_R), 0);
      return { category: 'non-canonical R', key: k, message: m, signature: bad, expected: 'reject' };
    }
    case 3: {
      const n = rng.int(2) === 0 ? rng.int(64) : 65 + rng.int(64);
      const bad = new Uint8Array(n);
      bad.set(n <= 64 ? sig.subarray(0, n) : sig);
      if (n > 64) bad.set(rng.bytes(n - 64), 64);
      return { category: 'wrong length', key: k, message: m, signature: bad, expected: 'reject' };
    }
    case 4: {
      const bad = rng.bytes(64);
      bad[63]! |= 0x20; // S ≥ 2^253 > L
      return { category: 'random sig, S ≥ L', key: k, message: m, signature: bad, expected: 'reject' };
    }
    default:
      return { category: 'random S ≥ L', key: k, message: m, signature: withS(sig, L + (leToBig(rng.bytes(32)) % (2n ** 256n - L))), expected: 'reject' };
  }
}

function keyCase(i: number): Case {
  const { k, m, sig } = honest();
  switch (i % 6) {
    case 0:
      return { category: 'random key', key: rng.bytes(32), message: m, signature: sig };
    case 1:
      return { category: 'small-order key', key: fromHex(rng.pick(SMALL_ORDER_CANONICAL).hex), message: m, signature: sig, expected: 'bad-key' };
    case 2:
      return { category: 'non-canonical key', key: rng.pick(NON_CANONICAL_R), message: m, signature: sig, expected: 'bad-key' };
    case 3:
      return {
        category: 'mixed-order key',
        key: Point.fromBytes(k.publicKey).add(rng.pick(TORSION)).toBytes(),
        message: m,
        signature: sig,
        expected: 'bad-key',
      };
    case 4:
      return { category: 'key bit flip', key: flipBit(k.publicKey, rng.int(256)), message: m, signature: sig };
    default:
      return { category: 'honest key, fresh import', key: k.publicKey.slice(), message: m, signature: sig, expected: 'accept' };
  }
}

describe(`differential ${BACKENDS.map((b) => b.name).join(' vs ')} (N=${N}, seed=${SEED})`, () => {
  it('gives 0 verdict differences and the rule-fixed verdict where there is one', () => {
    const stats = new Map<string, { n: number; accept: number }>();
    const failures: string[] = [];
    let total = 0;
    const run = (c: Case, index: number): void => {
      total++;
      const verdicts = BACKENDS.map((b) => verdict(b, c));
      const a = verdicts[0]!;
      const st = stats.get(c.category) ?? { n: 0, accept: 0 };
      st.n++;
      if (a === 'accept') st.accept++;
      stats.set(c.category, st);
      const wrong = verdicts.some((v) => v !== a) || (c.expected !== undefined && a !== c.expected);
      if (wrong && failures.length < 10) {
        const keyHex = c.key instanceof Uint8Array ? toHex(c.key) : toHex(c.key.publicKey);
        failures.push(
          `#${index} ${c.category}: ${BACKENDS.map((b, j) => `${b.name}=${verdicts[j]}`).join(' ')} expected=${c.expected ?? '(agree)'} ` +
            `key=${keyHex} msg=${toHex(c.message)} sig=${toHex(c.signature)}`,
        );
      }
    };
    let index = 0;
    for (let i = 0; i < FULL; i++) run(fullCase(i), index++);
    for (let i = 0; i < KEYS; i++) run(keyCase(i), index++);
    // Cheap cases reuse one honest signature for a batch so signing does not dominate the run.
    let base = honest();
    for (let i = 0; i < CHEAP; i++) {
      if (i % 64 === 0) base = honest();
      run(cheapCase(i, base), index++);
    }

    expect(failures, `seed=${SEED} (rerun with SEALWIRE_DIFF_SEED=${SEED} SEALWIRE_DIFF_N=${N})\n${failures.join('\n')}`).toEqual([]);
    expect(total).toBeGreaterThanOrEqual(Math.min(N, 100_000));
    // The run is not vacuous: honest signatures pass on both, and every category was exercised.
    expect(stats.get('valid')!.accept, `seed=${SEED}`).toBe(stats.get('valid')!.n);
    expect(stats.size).toBe(8 + 6 + 6);
  }, Math.max(60_000, N / 2)); // bigger local runs get time in proportion
});
