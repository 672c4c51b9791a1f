// Runs in headless Chromium (test/integration/pool-web.test.ts): the Web Worker pool against the strict rule on
// the page's own thread, behind a Receiver, and with a worker module that cannot load.
import { Receiver, generateKeyPair, getDefaultBackend, importPublicKey, importSigningKey, seal } from '../../src/index.js';
import { CURVE_ORDER, bytesToNumberLE, verifyStrict } from '../../src/crypto/ed25519.js';
import { VerifyPool } from '../../src/pool/web.js';
import { numberToLE32 } from '../helpers/numbers.js';
import { outcomeOf as outcome, outcomeOfSync } from '../helpers/outcome.js';

async function checks(): Promise<Record<string, unknown>> {
  const backend = getDefaultBackend();
  const alice = generateKeyPair();
  const signer = importSigningKey(alice.secretKey);
  const key = importPublicKey(alice.publicKey);
  const other = importPublicKey(generateKeyPair().publicKey);
  const pool = new VerifyPool({ threads: 2, workerUrl: '/worker.js', maxBatch: 8 });

  // Verdicts: valid, one flipped bit, wrong key, S + L (non-canonical), each against the page's own
  // strict check on the same bytes.
  const cases = Array.from({ length: 48 }, (_, i) => {
    const msg = new TextEncoder().encode(`message ${i}`);
    let sig = signer.sign(msg);
    let k = key;
    if (i % 4 === 1) {
      sig = sig.slice();
      sig[i % 64]! ^= 1 << (i % 8);
    } else if (i % 4 === 2) {
      k = other;
    } else if (i % 4 === 3) {
      sig = sig.slice();
      sig.set(numberToLE32(bytesToNumberLE(sig.subarray(32)) + CURVE_ORDER), 32);
    }
    return { k, msg, sig };
  });
  const want = cases.map((c) => verifyStrict(backend, c.k.handle, c.msg, c.sig));
  const got = await Promise.all(cases.map((c) => pool.verify(c.k, c.msg, c.sig)));

  // Behind a Receiver: same outcomes, in call order, as the synchronous receiver.
  const TS = Date.now();
  const stream = new Uint8Array(16).fill(7);
  const sealed = Array.from({ length: 24 }, (_, seq) => seal(signer, new Uint8Array([seq]), { seq, stream, ts: TS }));
  const forged = sealed[20]!.slice();
  forged[forged.length - 1]! ^= 1;
  const deliveries = [...sealed.slice(0, 10), sealed[3]!, forged, ...sealed.slice(10, 20), sealed[20]!, sealed[12]!];
  const opts = { keys: key, window: 64, startedAt: TS - 60_000 };
  const sync = new Receiver(opts);
  const syncOutcomes = deliveries.map((d) => outcomeOfSync(() => sync.openSync(d)));
  const pooled = new Receiver({ ...opts, verify: pool });
  const order: number[] = [];
  const pooledOutcomes = await Promise.all(deliveries.map((d, i) => outcome(pooled.open(d).finally(() => order.push(i)))));
  await pool.close();
  const afterClose = await outcome(pool.verify(key, new Uint8Array(1), new Uint8Array(64)));

  // A worker module that cannot load: requests reject (never hang, never pass).
  const broken = new VerifyPool({ threads: 1, workerUrl: '/missing-worker.js' });
  // Each request is answered by a rejection; after three workers failed to start, the pool says so.
  const brokenOutcomes: string[] = [];
  for (let i = 0; i < 5; i++) brokenOutcomes.push(await outcome(broken.verify(key, cases[0]!.msg, cases[0]!.sig)));
  await broken.destroy();

  return {
    threads: pool.threads,
    backend: backend.name,
    want,
    got,
    syncOutcomes,
    pooledOutcomes,
    order,
    afterClose,
    brokenOutcomes,
    hardwareConcurrency: navigator.hardwareConcurrency,
  };
}

(globalThis as { poolChecks?: typeof checks }).poolChecks = checks;
