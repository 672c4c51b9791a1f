// The session hot path of issue 7 (synchronous turns, byte-level decoders for the common envelope
// and Send) must decide exactly as the general code: the fast decoders are compared with the
// general ones on valid and mutated inputs, and the asynchronous continuations of a turn (hooks
// returning promises) keep order and verdicts.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientSession, KeyRing, Receiver, SecureServer, generateKeyPair, importPublicKey, importSigningKey, isProtocolError, type PublicKey } from '../../src/index.js';
import { verifyStrict } from '../../src/crypto/ed25519.js';
import { ALG_ED25519, ALG_EDDSA, decodeCanonical, decodeEnvelope, decodeEnvelopeGeneral, encodeEnvelope, encodeProtectedHeader } from '../../src/wire/envelope.js';
import { OP_CUSTOM, OP_JOIN, OP_SEND, decodeClientGeneral, decodeClientMessage, decodeSend, encodeClientMessage, isValidRoom } from '../../src/session/messages.js';
import { encodeCbor } from '../../src/wire/cbor.js';
import { burstLink } from '../helpers/net-memory.js';

/** The outcome of a decoder: its value, or the error code (or error name) it threw. */
function outcome<T>(fn: () => T): { ok: T } | { code: string } {
  try {
    return { ok: fn() };
  } catch (err) {
    return { code: isProtocolError(err) ? err.code : String(err) };
  }
}

/** Single-byte changes, truncations and insertions of `bytes`, seeded. */
function mutations(bytes: Uint8Array, seed: number, count: number): Uint8Array[] {
  let s = seed >>> 0;
  const rnd = (n: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const kind = rnd(4);
    const at = rnd(bytes.length);
    if (kind === 0) {
      const m = bytes.slice();
      m[at] = rnd(256);
      out.push(m);
    } else if (kind === 1) {
      out.push(bytes.slice(0, at));
    } else if (kind === 2) {
      const m = new Uint8Array(bytes.length + 1);
      m.set(bytes.subarray(0, at));
      m[at] = rnd(256);
      m.set(bytes.subarray(at), at + 1);
      out.push(m);
    } else {
      // Boundary values at a byte where a head often sits.
      const m = bytes.slice();
      m[at] = [0x17, 0x18, 0x19, 0x1a, 0x1b, 0x40, 0x57, 0x58, 0x59, 0x5a, 0x60, 0x78, 0x7f, 0xa0, 0xd2][rnd(15)]!;
      out.push(m);
    }
  }
  return out;
}

const boundaryUint = fc.constantFrom(0, 1, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1);
const uint = fc.oneof(boundaryUint, fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));

describe('decodeEnvelope: the byte-level path and the general decoder agree', () => {
  const envelopeArb = fc.record({
    alg: fc.constantFrom(ALG_EDDSA, ALG_ED25519),
    contentType: fc.oneof(fc.constantFrom(0, 23, 24, 60, 255, 256, 65535), fc.integer({ min: 0, max: 0xffff }), fc.constantFrom('application/cbor', 'text/plain; charset=utf-8')),
    kid: fc.uint8Array({ minLength: 1, maxLength: 64 }),
    seq: uint,
    ts: uint,
    stream: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    payload: fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(0, 23, 24, 255, 256, 65535, 65536).map((n) => new Uint8Array(n).fill(7))),
    signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
  });

  it('takes the fast path for every numeric content type and decodes what the general decoder decodes', () => {
    fc.assert(
      fc.property(envelopeArb, (e) => {
        const bytes = encodeEnvelope(encodeProtectedHeader(e), e.payload, e.signature);
        const general = decodeEnvelopeGeneral(bytes);
        const fast = decodeCanonical(bytes);
        if (typeof e.contentType === 'number') expect(fast).toEqual(general);
        else expect(fast).toBeUndefined();
        expect(decodeEnvelope(bytes)).toEqual(general);
      }),
      { numRuns: 100 },
    );
  });

  it('never accepts a mutated envelope the general decoder refuses, nor reads it differently', () => {
    fc.assert(
      fc.property(envelopeArb, fc.integer(), (e, seed) => {
        const bytes = encodeEnvelope(encodeProtectedHeader({ ...e, contentType: 60 }), e.payload.subarray(0, 40), e.signature);
        for (const m of mutations(bytes, seed, 40)) {
          const fast = decodeCanonical(m);
          const general = outcome(() => decodeEnvelopeGeneral(m));
          if (fast !== undefined) expect({ ok: fast }).toEqual(general);
          expect(outcome(() => decodeEnvelope(m))).toEqual(general);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('decodeClientMessage: the Send path and the general decoder agree', () => {
  const roomArb = fc.oneof(fc.string({ minLength: 1, maxLength: 140 }), fc.stringMatching(/^[ -~]{1,128}$/));
  const messageArb = fc.oneof(
    fc.record({ op: fc.constant(OP_SEND), room: roomArb, data: fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(0, 23, 24, 255, 256, 65535, 65536).map((n) => new Uint8Array(n))) }),
    fc.record({ op: fc.constant(OP_JOIN), room: roomArb }),
    fc.record({ op: fc.constant(OP_CUSTOM), action: fc.constant('echo'), room: fc.constant(null), data: fc.uint8Array({ maxLength: 8 }) }),
  );

  it('takes the fast path for Sends to printable-ASCII rooms and returns what the general decoder returns', () => {
    fc.assert(
      fc.property(messageArb, fc.integer(), (m, seed) => {
        // Invalid rooms too: the encoder does not check them, the decoders must refuse them alike.
        const bytes = encodeCbor(m.op === OP_SEND ? [m.op, m.room, m.data] : m.op === OP_JOIN ? [m.op, m.room] : [m.op, m.action, m.room, m.data]);
        const general = outcome(() => decodeClientGeneral(bytes));
        const fast = decodeSend(bytes);
        if (m.op === OP_SEND && /^[ -~]+$/.test(m.room) && m.room.length <= 128) expect({ ok: fast }).toEqual(general);
        else if (fast !== undefined) expect({ ok: fast }).toEqual(general);
        expect(outcome(() => decodeClientMessage(bytes))).toEqual(general);
        // Mutations of the small ones: a 64 KiB copy per mutation only makes the test slow.
        for (const x of bytes.length > 400 ? [] : mutations(bytes, seed, 20)) {
          const g = outcome(() => decodeClientGeneral(x));
          const f = decodeSend(x);
          if (f !== undefined) expect({ ok: f }).toEqual(g);
          expect(outcome(() => decodeClientMessage(x))).toEqual(g);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips an encoded Send through the fast path', () => {
    const data = Uint8Array.of(1, 2, 3);
    const bytes = encodeClientMessage({ op: OP_SEND, room: 'lobby', data });
    expect(decodeSend(bytes)).toEqual({ op: OP_SEND, room: 'lobby', data });
  });
});

describe('isValidRoom', () => {
  // The rule as written before it became one loop: no control characters, 1–128 UTF-8 bytes.
  const reference = (room: string): boolean => {
    if (room.length === 0 || /[\u0000-\u001f\u007f-\u009f]/.test(room)) return false;
    const n = new TextEncoder().encode(room).length;
    return n >= 1 && n <= 128;
  };

  it('agrees with TextEncoder and the control-character rule, lone surrogates included', () => {
    const unit = fc.oneof(
      fc.integer({ min: 0, max: 0x7f }),
      fc.integer({ min: 0x80, max: 0x7ff }),
      fc.integer({ min: 0x800, max: 0xffff }),
      fc.constantFrom(0xd800, 0xdbff, 0xdc00, 0xdfff, 0x9f, 0xa0, 0x7e, 0x7f, 0x1f, 0x20),
    );
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 140 }), (units) => {
        const room = String.fromCharCode(...units);
        expect(isValidRoom(room)).toBe(reference(room));
      }),
      { numRuns: 2000 },
    );
    expect(isValidRoom('x'.repeat(128))).toBe(true);
    expect(isValidRoom('x'.repeat(129))).toBe(false);
    expect(isValidRoom('é'.repeat(64))).toBe(true);
    expect(isValidRoom('é'.repeat(65))).toBe(false);
    expect(isValidRoom('😀'.repeat(32))).toBe(true);
    expect(isValidRoom('😀'.repeat(32) + 'x')).toBe(false);
    expect(isValidRoom('\ud800'.repeat(42) + 'xx')).toBe(true);
    expect(isValidRoom('\ud800'.repeat(43))).toBe(false);
    expect(isValidRoom(42)).toBe(false);
  });
});

describe('a turn whose hook answers later', () => {
  const serverPair = generateKeyPair();
  const servers: SecureServer[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  async function setup(options: { authorize: (r: { action: string; room: string | null }) => boolean | Promise<boolean>; validate?: (r: { payload: Uint8Array }) => boolean | Promise<boolean> }) {
    const server = new SecureServer({
      key: importSigningKey(serverPair.secretKey),
      authenticate: () => ({ identity: 'alice' }),
      authorize: options.authorize,
      ...(options.validate !== undefined ? { validate: options.validate } : {}),
      rateLimit: { connection: { perSecond: 1e6, burst: 1e6 }, identity: { perSecond: 1e6, burst: 1e6 } },
    });
    servers.push(server);
    const link = burstLink();
    const session = server.accept(link.server, server.admit({ address: '127.0.0.1' }));
    const client = new ClientSession(link.client, { key: importSigningKey(generateKeyPair().secretKey), serverKey: importPublicKey(serverPair.publicKey), credential: 'alice' });
    link.connect(session, client);
    await client.ready;
    await client.join('r');
    const seen: string[] = [];
    server.on('message', (m) => seen.push(new TextDecoder().decode(m.payload)));
    return { server, link, client, session, seen };
  }

  const later = <T>(v: T, ms: number): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(v), ms));

  it('delivers a burst in arrival order while authorize answers later, each after a different delay', async () => {
    let n = 0;
    // Earlier envelopes wait longer: a turn that did not wait for the one before would overtake it.
    const { link, client, session, seen } = await setup({ authorize: ({ action }) => (action === 'send' ? later(true, 12 - 2 * (n++ % 6)) : true) });
    link.hold();
    for (let i = 0; i < 12; i++) client.send('r', `m${i}`);
    link.burst();
    await expect.poll(() => seen.length).toBe(12);
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => `m${i}`));
    expect(session.state).toBe('open');
  });

  it('an asynchronous refusal answers with ERR_FORBIDDEN, keeps the session open and the next message in order', async () => {
    let sends = 0;
    // The first Send is refused, the next allowed, both answered later.
    const { link, client, session, seen } = await setup({ authorize: ({ action }) => (action === 'send' ? later(sends++ > 0, 5) : true) });
    const refused: string[] = [];
    client.on('refused', (r) => refused.push(r.code));
    link.hold();
    client.send('r', 'denied');
    client.send('r', 'allowed');
    link.burst();
    await expect.poll(() => seen.length).toBe(1);
    expect(seen).toEqual(['allowed']);
    await expect.poll(() => refused).toEqual(['ERR_FORBIDDEN']);
    expect(session.state).toBe('open');
  });

  it('a validate hook returning a thenable is awaited as await would, and only a literal true allows', async () => {
    const { link, client, session, seen } = await setup({
      authorize: () => true,
      // Not a Promise: a bare thenable, as a hook written against another promise library returns.
      validate: ({ payload }) => ({ then: (ok: (v: unknown) => void) => ok(payload[0] === 0x61 ? true : 'yes') }) as unknown as Promise<boolean>,
    });
    const refused: string[] = [];
    client.on('refused', (r) => refused.push(r.code));
    link.hold();
    client.send('r', 'a: valid');
    client.send('r', 'b: truthy is not true');
    client.send('r', 'a: valid again');
    link.burst();
    await expect.poll(() => seen.length).toBe(2);
    expect(seen).toEqual(['a: valid', 'a: valid again']);
    await expect.poll(() => refused).toEqual(['ERR_PAYLOAD_INVALID']);
    expect(session.state).toBe('open');
  });
});

describe('a pool verifier and the cap on early verification ([POL-8.5])', () => {
  const serverPair = generateKeyPair();
  const servers: SecureServer[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  it('envelopes arriving while earlier ones wait their turn unstarted are all delivered, in order', async () => {
    const keys = new KeyRing();
    // A pool-like verifier: the real verdict, a little later.
    const verify = (key: PublicKey, message: Uint8Array, signature: Uint8Array): Promise<boolean> => {
      const ok = verifyStrict(key.backend, key.handle, message, signature);
      return new Promise((resolve) => setTimeout(() => resolve(ok), 1));
    };
    const server = new SecureServer({
      key: importSigningKey(serverPair.secretKey),
      keys,
      receiver: new Receiver({ keys, verify }),
      authenticate: () => ({ identity: 'alice' }),
      authorize: () => true,
      rateLimit: { connection: { perSecond: 1e6, burst: 1e6 }, identity: { perSecond: 1e6, burst: 1e6 } },
    });
    servers.push(server);
    const link = burstLink();
    const session = server.accept(link.server, server.admit({ address: '127.0.0.1' }));
    const client = new ClientSession(link.client, { key: importSigningKey(generateKeyPair().secretKey), serverKey: importPublicKey(serverPair.publicKey), credential: 'alice', outboxCapacity: 1024 });
    link.connect(session, client);
    await client.ready;
    await client.join('r');
    const seen: number[] = [];
    server.on('message', (m) => seen.push(m.seq));
    link.hold();
    for (let i = 0; i < 100; i++) client.send('r', `a${i}`);
    const first = link.held.splice(0);
    link.burst(first);
    // 32 of them verify ahead; the rest wait unstarted. Once the first is delivered, a slot is free:
    // what arrives now must not be started ahead of the ones still waiting (their commits would
    // wait for it, and it for them).
    await expect.poll(() => seen.length).toBeGreaterThan(0);
    for (let i = 0; i < 20; i++) client.send('r', `b${i}`);
    link.burst();
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(120);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(session.state).toBe('open');
  });
});
