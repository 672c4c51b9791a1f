// The in-process half of `npm run hostile`: seeded mutation fuzzers for envelopes (open() with a
// key ring) and for the handshake (a ClientAuth mutated before the server reads it). A mutant
// counts as accepted when the check it faces passes; as crashed when anything but a ProtocolError
// escapes. Deterministic for a given seed.
import {
  ClientSession,
  KeyRing,
  ProtocolError,
  SecureServer,
  generateKeyPair,
  importPublicKey,
  importSigningKey,
  open,
  seal,
} from '../../src/index.js';

/** xorshift32: a small seeded generator, enough to pick mutations reproducibly. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** One to three random edits: bit flip, byte set, insertion, deletion, truncation, chunk copy. */
export function mutate(input: Uint8Array, next: () => number): Uint8Array {
  let b = input.slice();
  const edits = 1 + (next() % 3);
  for (let e = 0; e < edits; e++) {
    const at = b.length === 0 ? 0 : next() % b.length;
    switch (next() % 6) {
      case 0:
        if (b.length) b[at]! ^= 1 << (next() % 8);
        break;
      case 1:
        if (b.length) b[at] = next() & 0xff;
        break;
      case 2: {
        const c = new Uint8Array(b.length + 1);
        c.set(b.subarray(0, at));
        c[at] = next() & 0xff;
        c.set(b.subarray(at), at + 1);
        b = c;
        break;
      }
      case 3:
        b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1)]);
        break;
      case 4:
        b = b.slice(0, at);
        break;
      default: {
        const len = 1 + (next() % 16);
        const from = next() % Math.max(1, b.length);
        const chunk = b.slice(from, from + len);
        const c = new Uint8Array(b.length + chunk.length);
        c.set(b.subarray(0, at));
        c.set(chunk, at);
        c.set(b.subarray(at), at + chunk.length);
        b = c;
      }
    }
  }
  return b;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface FuzzResult {
  readonly tried: number;
  readonly accepted: number;
  readonly crashed: number;
  readonly ms: number;
}

/** `count` mutants of sealed envelopes (several payload sizes), each opened against the key ring. */
export function fuzzEnvelopes(count: number, seed: number): FuzzResult {
  const next = rng(seed);
  const signer = importSigningKey(generateKeyPair().secretKey);
  const ring = new KeyRing();
  ring.add(signer.publicKey, { identity: 'fuzz' });
  const stream = new Uint8Array(16).fill(7);
  const originals = [0, 1, 24, 300].map((n, i) => seal(signer, new Uint8Array(n).fill(i), { seq: i, ts: 1_000_000, stream }));
  let accepted = 0;
  let crashed = 0;
  let tried = 0;
  const t0 = performance.now();
  while (tried < count) {
    const original = originals[next() % originals.length]!;
    const m = mutate(original, next);
    if (same(m, original)) continue;
    tried++;
    try {
      open(m, { keys: ring });
      accepted++;
    } catch (err) {
      if (!(err instanceof ProtocolError)) crashed++;
    }
  }
  return { tried, accepted, crashed, ms: performance.now() - t0 };
}

/** `count` mutated ClientAuth messages, each fed to a fresh server session; accepted = session opened. */
export async function fuzzHandshake(count: number, seed: number): Promise<FuzzResult> {
  const next = rng(seed ^ 0x5eed);
  const serverPair = generateKeyPair();
  const serverKey = importSigningKey(serverPair.secretKey);
  const serverPublic = importPublicKey(serverPair.publicKey);
  const clientKey = importSigningKey(generateKeyPair().secretKey);
  const keys = new KeyRing();
  keys.add(clientKey.publicKey, { identity: 'fuzz' });
  const server = new SecureServer({ key: serverKey, keys, authorize: () => true, rateLimit: { connection: { perSecond: 1e6, burst: 1e6 }, identity: { perSecond: 1e6, burst: 1e6 }, ipSessions: { perSecond: 1e6, burst: 1e6 }, identitySessions: { perSecond: 1e6, burst: 1e6 } } });
  let accepted = 0;
  let crashed = 0;
  let tried = 0;
  let controlled = false;
  const t0 = performance.now();
  // One honest ClientAuth per batch: each is bound to its own server hello, so it is captured live.
  while (tried < count) {
    let auth: Uint8Array | undefined;
    let client: ClientSession | undefined;
    const session = server.accept({ send: (b) => setImmediate(() => client?.receive(b.slice())), close: () => {} }, server.admit({}));
    client = new ClientSession({ send: (b) => void (auth ??= b.slice()), close: () => {} }, { key: clientKey, serverKey: serverPublic });
    client.ready.catch(() => {});
    while (auth === undefined) await new Promise((r) => setImmediate(r));
    if (!controlled) {
      // Control: the unmutated message opens the session, so "accepted 0" below means something.
      controlled = true;
      session.receive(auth);
      await new Promise((r) => setImmediate(r));
      if (session.state !== 'open') throw new Error(`handshake fuzzer: the honest ClientAuth did not open a session (${session.state})`);
      session.close(1000, 'control');
      continue;
    }
    const m = mutate(auth, next);
    if (same(m, auth)) {
      session.close(1000, 'skip');
      continue;
    }
    tried++;
    try {
      session.receive(m);
      await new Promise((r) => setImmediate(r));
      if (session.state === 'open') accepted++;
    } catch {
      crashed++;
    }
    session.close(1000, 'done');
    client.transportClosed(1000, 'done');
  }
  server.close();
  return { tried, accepted, crashed, ms: performance.now() - t0 };
}
