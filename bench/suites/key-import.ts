// Issue 15 finding 2: a handshake's checks before the signature, above all the strict key import
// (rules K1–K4), against one signature verification on the same backend. Each import takes a key
// never seen before (more distinct keys than the import cache holds), as a random-key flood does.
import { generateKeyPair, importPublicKey, importSigningKey } from '../../src/index.js';
import { getBackend } from '../../src/crypto/select.js';
import { checkPublicKey, verifyStrict } from '../../src/crypto/ed25519.js';
import { loadSodium } from '../../src/crypto/sodium.js';
import { KEY_CHECK_CACHE } from '../../src/keys/keys.js';
import { consume, fmtHz, fmtRatio, measure, pairUp, ratio, table, type Profile, type SuiteReport, type Target } from '../lib.js';

export async function keyImportSuite(profile: Profile): Promise<SuiteReport> {
  const fresh = Array.from({ length: KEY_CHECK_CACHE * 2 }, () => generateKeyPair().publicKey);
  const names = loadSodium() ? ['sodium', 'node', 'noble'] : ['node', 'noble'];
  const rows: string[][] = [];
  const targets: Target[] = [];
  for (const name of names) {
    const backend = getBackend(name);
    const signer = importSigningKey(generateKeyPair().secretKey, { backend });
    const key = importPublicKey(signer.publicKey, { backend });
    const message = new Uint8Array(200).fill(7);
    const signature = signer.sign(message);
    let i = 0;
    const tasks = [
      { name: `${name} import`, fn: () => consume(importPublicKey(fresh[i++ % fresh.length]!, { backend })) },
      { name: `${name} verify`, fn: () => consume(verifyStrict(backend, key.handle, message, signature)) },
      // The point check alone (no key id, cache or handle): the floor any import can reach here.
      { name: `${name} check`, fn: () => checkPublicKey(fresh[i++ % fresh.length]!, backend) },
    ];
    const r = await measure(profile, tasks);
    pairUp(profile, r, tasks, [
      [`${name} verify`, `${name} import`],
      [`${name} verify`, `${name} check`],
    ]);
    // verify/s over import/s: what one import costs, in verifications.
    const cost = ratio(r, `${name} verify`, `${name} import`);
    const floor = ratio(r, `${name} verify`, `${name} check`);
    rows.push([name, fmtHz(r.get(`${name} import`)!.median), fmtHz(r.get(`${name} verify`)!.median), fmtRatio(cost), fmtRatio(floor)]);
    process.stderr.write(`  key import ${name}: ${fmtRatio(cost)} one verification\n`);
    if (name !== 'noble') {
      targets.push({ what: `new-key import / one verification (${name} backend)`, issue: '#15.2', measured: cost, goal: 2, kind: 'max', unit: '×' });
    }
  }
  const markdown = [
    'Strict import of a public key never seen before (K1–K4, then the backend handle) against one',
    'strict verification of a 200-byte message on the same backend. The sodium backend checks the',
    'point natively; node and noble use the portable check (noble has no faster path).',
    'The last column is K1–K4 alone, the floor of any import on that backend. On sodium it is',
    "`crypto_core_ed25519_is_valid_point`, one multiplication by L (about 0.8 verifications), when",
    "the installed libsodium has the exact subgroup test (upstream commit f2da4cd8: X = 0 and Y = Z;",
    'sodium-native 5.1.0 ships it); the backend probes for it once. Without it, that test passes keys',
    'of order 2L, and the check falls back to `crypto_scalarmult_ed25519_noclamp` by L + 1 (about 1.9).',
    'node:crypto has no point operation, and X25519 clamps its scalars to multiples of 8, which hide',
    'the torsion; so node runs the portable BigInt check.',
    '',
    table(['backend', 'new-key import', 'verify', 'import cost (verifications)', 'K1–K4 alone (verifications)'], rows),
  ].join('\n');
  return { title: 'Key import before proof of possession', markdown, targets };
}
