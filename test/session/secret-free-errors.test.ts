// [ERR-1.4]: error messages never contain secret keys or payload bytes, and every signature failure
// says only "signature verification failed". Failures are driven with a distinctive secret key and
// payload through open(), Receiver (sync and async verify), verifySign1, both handshake signatures
// and a live session, and every message and close reason is scanned for them.
import { describe, expect, it } from 'vitest';
import {
  ClientSession,
  KeyRing,
  ProtocolError,
  Receiver,
  SecureServer,
  generateKeyPair,
  importPublicKey,
  importSigningKey,
  open,
  seal,
  toHex,
} from '../../src/index.js';
import { verifySign1 } from '../../src/protocol.js';
import { SIGNATURE_FAILED } from '../../src/errors.js';
import { memoryLink } from '../helpers/net-memory.js';

const enc = new TextEncoder();
const SEED_TEXT = 'SECRET-SEED-ocelot-42f1aa9c07de!';
const SEED = enc.encode(SEED_TEXT);
const PAYLOAD_TEXT = 'PAYLOAD-ERR-pangolin-3e8b-uniq';
const PAYLOAD = enc.encode(PAYLOAD_TEXT);
const key = importSigningKey(SEED);
const BINDING = Uint8Array.from({ length: 33 }, (_, i) => i * 5);
const AAD = enc.encode('room:7');

const forms = (bytes: Uint8Array, text: string): string[] => [
  text,
  toHex(bytes),
  toHex(bytes).toUpperCase(),
  toHex(bytes).slice(0, 16),
  Buffer.from(bytes).toString('base64').slice(0, 12),
  Buffer.from(bytes).toString('base64url').slice(0, 12),
  [...bytes.slice(0, 4)].join(','),
];
const FORBIDDEN = [...forms(SEED, SEED_TEXT), ...forms(PAYLOAD, PAYLOAD_TEXT)];
expect(SEED).toHaveLength(32);

let checked = 0;
/** Checks one failure's message (and a close reason, if any). Returns its code. */
function scan(err: unknown, where: string, reason?: string): string {
  expect(err, where).toBeInstanceOf(ProtocolError);
  const e = err as ProtocolError;
  for (const text of [e.message, String(e), ...(reason !== undefined ? [reason] : [])]) {
    for (const f of FORBIDDEN) expect(text.includes(f), `${where}: ${e.code} "${text}" contains ${f}`).toBe(false);
  }
  if (e.code === 'ERR_BAD_SIGNATURE') expect(e.message, where).toBe(SIGNATURE_FAILED);
  checked++;
  return e.code;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('accepted');
}

/** Every single-bit flip, every truncation and an appended byte of `envelope`. */
function* hostile(envelope: Uint8Array): Generator<[string, Uint8Array]> {
  for (let bit = 0; bit < envelope.length * 8; bit++) {
    const m = envelope.slice();
    m[bit >> 3]! ^= 1 << (bit & 7);
    yield [`bit ${bit}`, m];
  }
  for (let n = 0; n < envelope.length; n++) yield [`truncated to ${n}`, envelope.subarray(0, n)];
  yield ['trailing byte', Uint8Array.of(...envelope, 0)];
  // A 63-byte signature member: the signature bstr head (58 40) sits 66 bytes from the end.
  const head = envelope.length - 66;
  expect([envelope[head], envelope[head + 1]]).toEqual([0x58, 0x40]);
  const short = envelope.slice(0, -1);
  short[head + 1] = 0x3f;
  yield ['63-byte signature', short];
}

const ring = new KeyRing();
ring.add(key.publicKey, { identity: 'alice' });

describe('[ERR-1.4] error messages carry no secret key, no payload bytes, one signature message', () => {
  it('open(): every bit flip, truncation and trailing byte of an envelope, and a wrong binding or aad', () => {
    const envelope = seal(key, PAYLOAD, { seq: 3, ts: 1_700_000_000_000, binding: BINDING, aad: AAD, stream: new Uint8Array(16).fill(9) });
    const codes = new Set<string>();
    for (const [what, bytes] of hostile(envelope)) {
      try {
        open(bytes, { keys: ring, binding: BINDING, aad: AAD });
        throw new Error(`${what} was accepted`);
      } catch (err) {
        codes.add(scan(err, `open ${what}`));
      }
    }
    for (const [what, opts] of [
      ['wrong binding', { keys: ring, binding: BINDING.map((b) => b ^ 1), aad: AAD }],
      ['wrong aad', { keys: ring, binding: BINDING, aad: enc.encode('room:8') }],
      ['no binding', { keys: ring, aad: AAD }],
    ] as const) {
      expect(scan(thrown(() => open(envelope, opts)), `open ${what}`)).toBe('ERR_BAD_SIGNATURE');
    }
    // The sweep reached the signature check and many decoding checks.
    expect(codes.has('ERR_BAD_SIGNATURE')).toBe(true);
    expect(codes.size).toBeGreaterThan(5);
  });

  it('Receiver: synchronous, and with an async verify hook', async () => {
    const now = Date.now();
    const envelope = seal(key, PAYLOAD, { seq: 0, ts: now, stream: new Uint8Array(16).fill(4) });
    const receivers = [
      new Receiver({ keys: ring, startedAt: 0 }),
      new Receiver({ keys: ring, startedAt: 0, verify: async () => false }),
    ];
    for (const [i, r] of receivers.entries()) {
      const codes = new Set<string>();
      for (const [what, bytes] of hostile(envelope)) {
        const err = await r.open(bytes).then(() => new Error(`${what} was accepted`), (e: unknown) => e);
        codes.add(scan(err, `receiver ${i} ${what}`));
      }
      expect(codes.has('ERR_BAD_SIGNATURE')).toBe(true);
    }
    // The hook refusing a valid envelope is a signature failure like any other.
    expect(scan(await receivers[1]!.open(envelope).catch((e: unknown) => e), 'async verify false')).toBe('ERR_BAD_SIGNATURE');
  });

  it('verifySign1: every bit flip of a generic COSE_Sign1', () => {
    const envelope = seal(key, PAYLOAD, { seq: 1, ts: 1_700_000_000_000, stream: new Uint8Array(16) });
    const codes = new Set<string>();
    for (const [what, bytes] of hostile(envelope)) {
      try {
        verifySign1(bytes, importPublicKey(key.publicKey));
      } catch (err) {
        codes.add(scan(err, `verifySign1 ${what}`));
      }
    }
    expect(codes.has('ERR_BAD_SIGNATURE')).toBe(true);
  });

  it('handshake: a forged ClientAuth and a forged Welcome fail with the one message; the wire carries the code only', async () => {
    const serverKey = importSigningKey(generateKeyPair().secretKey);
    const servers: SecureServer[] = [];
    const run = async (corrupt: 'auth' | 'welcome') => {
      const server = new SecureServer({ key: serverKey, keys: new KeyRing(), authenticate: () => ({ identity: 'alice' }), authorize: () => true });
      servers.push(server);
      const link = memoryLink();
      let n = 0;
      const flipLast = (b: Uint8Array): Uint8Array => {
        const c = b.slice();
        c[c.length - 1]! ^= 0x01; // inside the signature, the last member
        return c;
      };
      const session = server.accept({ ...link.server, send: (b) => link.server.send(corrupt === 'welcome' && ++n === 2 ? flipLast(b) : b) }, server.admit({}));
      const client = new ClientSession({ ...link.client, send: (b) => link.client.send(corrupt === 'auth' ? flipLast(b) : b) }, { key, serverKey: importPublicKey(serverKey.publicKey), credential: PAYLOAD_TEXT });
      link.connect(session, client);
      const clientErr = await client.ready.catch((e: unknown) => e);
      const serverInfo = await session.closed;
      const clientInfo = await client.closed;
      return { clientErr, serverInfo, clientInfo };
    };
    const a = await run('auth');
    expect(scan(a.serverInfo.error, 'server, forged ClientAuth', a.serverInfo.reason)).toBe('ERR_BAD_SIGNATURE');
    expect(scan(a.clientErr, 'client, told by close', a.clientInfo.reason)).toBe('ERR_BAD_SIGNATURE');
    expect(a.clientInfo.reason).toBe('ERR_BAD_SIGNATURE');
    const w = await run('welcome');
    expect(scan(w.clientErr, 'client, forged Welcome', w.clientInfo.reason)).toBe('ERR_BAD_SIGNATURE');
    expect(w.serverInfo.reason).toBe('ERR_BAD_SIGNATURE');
    for (const s of servers) s.close();
  });

  it('session: a tampered data envelope and a hook that throws with secrets in its message', async () => {
    const serverKey = importSigningKey(generateKeyPair().secretKey);
    const keys = new KeyRing();
    keys.add(key.publicKey, { identity: 'alice' });
    const server = new SecureServer({ key: serverKey, keys, authorize: () => true });
    try {
      const link = memoryLink();
      const session = server.accept(link.server, server.admit({}));
      // The Send is changed on its way (one payload byte): valid shape, fresh seq, wrong signature.
      let tampered = 0;
      const send = (b: Uint8Array): void => {
        const at = Buffer.from(b).indexOf(Buffer.from(PAYLOAD));
        if (b[0] === 0xd2 && at > 0) {
          b = b.slice();
          b[at]! ^= 0x20;
          tampered++;
        }
        link.client.send(b);
      };
      const client = new ClientSession({ ...link.client, send }, { key, serverKey: importPublicKey(serverKey.publicKey) });
      link.connect(session, client);
      await client.ready;
      await client.join('r');
      client.send('r', PAYLOAD);
      expect(tampered).toBe(1);
      const info = await session.closed;
      expect(scan(info.error, 'session, tampered envelope', info.reason)).toBe('ERR_BAD_SIGNATURE');
      const clientInfo = await client.closed;
      expect(clientInfo.reason).toBe('ERR_BAD_SIGNATURE');
      scan(clientInfo.error, 'client of the closed session', clientInfo.reason);
    } finally {
      server.close();
    }

    const leaky = new SecureServer({
      key: serverKey,
      keys: new KeyRing(),
      authenticate: () => {
        throw new Error(`database said ${SEED_TEXT} ${PAYLOAD_TEXT}`);
      },
      authorize: () => true,
    });
    const origError = console.error;
    console.error = () => {}; // the hook's failure is reported on the console by design
    try {
      const link = memoryLink();
      const session = leaky.accept(link.server, leaky.admit({}));
      const client = new ClientSession(link.client, { key, serverKey: importPublicKey(serverKey.publicKey), credential: 'x' });
      link.connect(session, client);
      const err = await client.ready.catch((e: unknown) => e);
      const info = await session.closed;
      expect(scan(info.error, 'server, hook failure', info.reason)).toBe('ERR_INTERNAL');
      expect(scan(err, 'client, hook failure', (await client.closed).reason)).toBe('ERR_INTERNAL');
    } finally {
      console.error = origError;
      leaky.close();
    }
    expect(checked).toBeGreaterThan(1000);
  });
});
