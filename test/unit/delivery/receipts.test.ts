// spec/receipts.md §2–§5: the receipt payload, receipt envelopes, and the acknowledging side.
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  KeyRing,
  Receiver,
  Sender,
  acknowledges,
  fromHex,
  generateKeyPair,
  importSigningKey,
  seal,
  toHex,
  verifyReceipt,
  type ErrorCode,
} from '../../../src/index.js';
import {
  Outbox,
  MAX_SACK_BITS,
  RECEIPT_CONTENT_TYPE,
  ReceiptBuilder,
  decodeReceipt,
  encodeReceipt,
  highestAcked,
  receiptFromOpened,
  sackedSeqs,
} from '../../../src/protocol.js';

const code = (c: ErrorCode) => expect.objectContaining({ name: 'ProtocolError', code: c });

function party(identity: string) {
  const pair = generateKeyPair();
  const key = importSigningKey(pair.secretKey);
  return { identity, key, publicKey: pair.publicKey, sender: new Sender(key), receipts: new Sender(key) };
}

const alice = party('alice');
const server = party('server');
const ring = new KeyRing();
ring.add(alice.publicKey, { identity: 'alice' });
ring.add(server.publicKey, { identity: 'server' });

/** Alice seals `n` envelopes; the server accepts the seqs in `accepted` into a builder. */
function scenario(n: number, accepted: number[]) {
  const sender = new Sender(alice.key);
  const envelopes = Array.from({ length: n }, (_, i) => sender.seal(new TextEncoder().encode(`m${i}`)));
  const receiptSender = new Sender(server.key);
  const builder = new ReceiptBuilder({ seal: (p, ct) => receiptSender.seal(p, { contentType: ct }) });
  for (const s of accepted) builder.record({ kid: alice.key.kid, stream: sender.stream, seq: s }, envelopes[s]!);
  return { sender, envelopes, builder, receiptSender };
}

describe('receipt payload encoding (spec/receipts.md §3)', () => {
  const kid = new Uint8Array(32).fill(1);
  const stream = new Uint8Array(16).fill(2);
  const hash = new Uint8Array(32).fill(3);

  it('pins the exact bytes: array of 6, LSB-first bitmap', () => {
    // next = 3; seqs 5 and 7 accepted above it → bits 1 and 3 → 0x0a.
    const bytes = encodeReceipt({ kid, stream, next: 3, sack: Uint8Array.of(0x0a), hash });
    const expected = '86' + '01' + '5820' + '01'.repeat(32) + '50' + '02'.repeat(16) + '03' + '410a' + '5820' + '03'.repeat(32);
    expect(toHex(bytes)).toBe(expected);
    const r = decodeReceipt(bytes);
    expect(sackedSeqs(r)).toEqual([5, 7]);
    expect(highestAcked(r)).toBe(7);
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((s) => acknowledges(r, s))).toEqual([true, true, true, false, false, true, false, true, false]);
  });

  it('the largest valid payload is the documented 258-byte bound', () => {
    const sack = new Uint8Array(128).fill(0xff);
    const bytes = encodeReceipt({ kid: new Uint8Array(64).fill(9), stream, next: Number.MAX_SAFE_INTEGER - 1024, sack, hash });
    expect(bytes.length).toBe(258);
    expect(highestAcked(decodeReceipt(bytes))).toBe(Number.MAX_SAFE_INTEGER);
  });

  // Every malformed payload gets ERR_RECEIPT_MALFORMED; [name, hex].
  const K = '5820' + '01'.repeat(32);
  const S = '50' + '02'.repeat(16);
  const H = '5820' + '03'.repeat(32);
  const hostile: Array<[string, string]> = [
    ['empty', ''],
    ['a map', 'a0'],
    ['array of 5', '85' + '01' + K + S + '03' + '40'],
    ['array of 7', '87' + '01' + K + S + '03' + '40' + H + '00'],
    ['indefinite array', '9f' + '01' + K + S + '03' + '40' + H + 'ff'],
    ['version 2', '86' + '02' + K + S + '03' + '40' + H],
    ['version as text', '86' + '6131' + K + S + '03' + '40' + H],
    ['empty kid', '86' + '01' + '40' + S + '03' + '40' + H],
    ['kid of 65 bytes', '86' + '01' + '5841' + '01'.repeat(65) + S + '03' + '40' + H],
    ['kid as text', '86' + '01' + '6161' + S + '03' + '40' + H],
    ['stream of 15 bytes', '86' + '01' + K + '4f' + '02'.repeat(15) + '03' + '40' + H],
    ['negative next', '86' + '01' + K + S + '20' + '40' + H],
    ['next above 2^53', '86' + '01' + K + S + '1b0020000000000000' + '40' + H],
    ['next not in shortest form', '86' + '01' + K + S + '1803' + '40' + H],
    ['sack ending in a zero byte', '86' + '01' + K + S + '03' + '42' + '0100' + H],
    ['sack of 129 bytes', '86' + '01' + K + S + '03' + '5881' + 'ff'.repeat(129) + H],
    ['sack as an array', '86' + '01' + K + S + '03' + '80' + H],
    ['nothing acknowledged', '86' + '01' + K + S + '00' + '40' + H],
    ['hash of 31 bytes', '86' + '01' + K + S + '03' + '40' + '581f' + '03'.repeat(31)],
    ['trailing byte', '86' + '01' + K + S + '03' + '40' + H + '00'],
    ['truncated', '86' + '01' + K + S + '03' + '40' + '5820' + '03'.repeat(31)],
    ['longer than 258 bytes', '86' + '01' + K + S + '03' + '40' + H + '00'.repeat(200)],
  ];
  for (const [name, hex] of hostile) {
    it(`refuses ${name} with ERR_RECEIPT_MALFORMED`, () => {
      expect(() => decodeReceipt(fromHex(hex))).toThrow(code('ERR_RECEIPT_MALFORMED'));
    });
  }

  it('throws TypeError for values that are not bytes', () => {
    for (const v of [null, undefined, 'ab', [1, 2], new DataView(new ArrayBuffer(4)), { length: 3 }]) {
      expect(() => decodeReceipt(v as unknown as Uint8Array)).toThrow(TypeError);
    }
  });

  it('the encoder refuses what the decoder would refuse (RangeError names the field)', () => {
    expect(() => encodeReceipt({ kid, stream, next: 0, sack: new Uint8Array(0), hash })).toThrow(/"sack"/);
    expect(() => encodeReceipt({ kid, stream, next: 1, sack: Uint8Array.of(1, 0), hash })).toThrow(/"sack"/);
    expect(() => encodeReceipt({ kid, stream: new Uint8Array(15), next: 1, sack: new Uint8Array(0), hash })).toThrow(/"stream"/);
    expect(() => encodeReceipt({ kid, stream, next: -1, sack: new Uint8Array(0), hash })).toThrow(/"next"/);
  });
});

describe('receipt envelopes (spec/receipts.md §2, §4)', () => {
  it('round trip: the server acknowledges with its own key, the sender verifies it', () => {
    const { sender, envelopes, builder, receiptSender } = scenario(10, [0, 1, 2, 5, 7]);
    const bytes = builder.receipt(alice.key.kid, sender.stream);
    const v = verifyReceipt(bytes, { keys: ring });
    expect(v.identity).toBe('server');
    expect(v.kid).toEqual(server.key.kid);
    expect(v.stream).toEqual(receiptSender.stream);
    expect(v.seq).toBe(0);
    expect(v.receipt.kid).toEqual(alice.key.kid);
    expect(v.receipt.stream).toEqual(sender.stream);
    expect(v.receipt.next).toBe(3);
    expect(sackedSeqs(v.receipt)).toEqual([5, 7]);
    expect(v.receipt.hash).toEqual(sha256(envelopes[7]!));
  });

  it('a forged receipt is refused: another key under the server kid, another key, a flipped sack bit', () => {
    const { sender, builder } = scenario(4, [0, 1, 3]);
    const payload = builder.payload(alice.key.kid, sender.stream)!;
    const stream = new Uint8Array(16).fill(7);
    const mallory = importSigningKey(generateKeyPair().secretKey, { kid: server.key.kid });
    const forged = seal(mallory, payload, { seq: 0, stream, contentType: RECEIPT_CONTENT_TYPE });
    expect(() => verifyReceipt(forged, { keys: ring })).toThrow(code('ERR_BAD_SIGNATURE'));
    const own = seal(importSigningKey(generateKeyPair().secretKey), payload, { seq: 0, stream, contentType: RECEIPT_CONTENT_TYPE });
    expect(() => verifyReceipt(own, { keys: ring })).toThrow(code('ERR_UNKNOWN_KEY'));

    const genuine = builder.receipt(alice.key.kid, sender.stream);
    expect(sackedSeqs(verifyReceipt(genuine, { keys: ring }).receipt)).toEqual([3]);
    // The one-byte sack (0x01: seq 3) sits right before the hash's 0x58 0x20 head; set another bit.
    const tampered = genuine.slice();
    const at = indexOf(tampered, Uint8Array.of(0x41, 0x01, 0x58, 0x20)) + 1;
    expect(at).toBeGreaterThan(0);
    tampered[at] = 0x03;
    expect(() => verifyReceipt(tampered, { keys: ring })).toThrow(code('ERR_BAD_SIGNATURE'));
  });

  it('a data envelope is not a receipt, and a receipt-typed junk payload is malformed', () => {
    const env = alice.sender.seal(new Uint8Array(3));
    expect(() => verifyReceipt(env, { keys: ring })).toThrow(code('ERR_NOT_RECEIPT'));
    const junk = server.receipts.seal(Uint8Array.of(0x80), { contentType: RECEIPT_CONTENT_TYPE });
    expect(() => verifyReceipt(junk, { keys: ring })).toThrow(code('ERR_RECEIPT_MALFORMED'));
  });

  it('a replayed receipt is refused by the replay window of the receipt stream', () => {
    const { sender, builder } = scenario(3, [0, 1, 2]);
    const bytes = builder.receipt(alice.key.kid, sender.stream);
    // startedAt 0: a receiver whose state covers all time (no restart bound, spec/replay.md §7).
    const receiver = new Receiver({ keys: ring, startedAt: 0 });
    expect(receiptFromOpened(receiver.openSync(bytes)).receipt.next).toBe(3);
    expect(() => receiver.openSync(bytes)).toThrow(code('ERR_REPLAY'));
  });
});

describe('ReceiptBuilder (spec/receipts.md §5)', () => {
  const stream = new Uint8Array(16).fill(5);
  const ref = (seq: number) => ({ kid: alice.key.kid, stream, seq });
  const env = new Uint8Array(8);

  it('acknowledges up to next + 1024 and refuses one more with ERR_ACK_RANGE, changing nothing', () => {
    const b = new ReceiptBuilder();
    b.record(ref(MAX_SACK_BITS), env);
    expect(() => b.check(ref(MAX_SACK_BITS + 1))).toThrow(code('ERR_ACK_RANGE'));
    expect(() => b.record(ref(MAX_SACK_BITS + 1), env)).toThrow(code('ERR_ACK_RANGE'));
    const r = b.state(alice.key.kid, stream)!;
    expect(r.next).toBe(0);
    expect(r.sack.length).toBe(128);
    expect(sackedSeqs(r)).toEqual([MAX_SACK_BITS]);
    b.record(ref(0), env);
    b.record(ref(MAX_SACK_BITS + 1), env);
    expect(highestAcked(b.state(alice.key.kid, stream)!)).toBe(MAX_SACK_BITS + 1);
  });

  it('refuses to record a seq twice (the replay window should have) and caps tracked streams', () => {
    const b = new ReceiptBuilder({ maxStreams: 1 });
    b.record(ref(0), env);
    expect(() => b.record(ref(0), env)).toThrow(RangeError);
    b.record(ref(2), env);
    expect(() => b.record(ref(2), env)).toThrow(RangeError);
    expect(() => b.record({ kid: alice.key.kid, stream: new Uint8Array(16), seq: 0 }, env)).toThrow(code('ERR_STREAM_LIMIT'));
    expect(b.size).toBe(1);
  });

  it('reports new acknowledgements until a receipt is built, and needs a sealer for envelopes', () => {
    const b = new ReceiptBuilder();
    expect(b.payload(alice.key.kid, stream)).toBeUndefined();
    b.record(ref(0), env);
    expect(b.hasNew(alice.key.kid, stream)).toBe(true);
    b.payload(alice.key.kid, stream);
    expect(b.hasNew(alice.key.kid, stream)).toBe(false);
    expect(() => b.receipt(alice.key.kid, stream)).toThrow(TypeError);
  });

  it('hashes the highest accepted envelope, whatever order they arrive in', () => {
    const { sender, envelopes, builder } = scenario(6, [4, 0, 2, 1]);
    const r = builder.state(alice.key.kid, sender.stream)!;
    expect(r.next).toBe(3);
    expect(sackedSeqs(r)).toEqual([4]);
    expect(r.hash).toEqual(sha256(envelopes[4]!));
  });

  it('property: a receipt acknowledges exactly the recorded seqs', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 600 }), { maxLength: 120 }), fc.integer({ min: 0, max: 300 }), fc.integer(), (extra, prefix, seed) => {
        // A contiguous prefix plus arbitrary seqs within range, recorded in a seeded shuffled order.
        const seqs = [...new Set([...Array.from({ length: prefix }, (_, i) => i), ...extra])];
        if (seqs.length === 0) return;
        let x = seed >>> 0;
        for (let i = seqs.length - 1; i > 0; i--) {
          x = (Math.imul(x, 1103515245) + 12345) >>> 0;
          const j = x % (i + 1);
          [seqs[i], seqs[j]] = [seqs[j]!, seqs[i]!];
        }
        const b = new ReceiptBuilder();
        for (const s of seqs) b.record(ref(s), Uint8Array.of(s & 0xff, s >> 8));
        const r = decodeReceipt(b.payload(alice.key.kid, stream)!);
        const set = new Set(seqs);
        const max = Math.max(...seqs);
        const wrong = Array.from({ length: max + 3 }, (_, s) => s).filter((s) => acknowledges(r, s) !== set.has(s));
        expect(wrong).toEqual([]);
        expect(highestAcked(r)).toBe(max);
        expect(r.hash).toEqual(sha256(Uint8Array.of(max & 0xff, max >> 8)));
      }),
      { seed: 5, numRuns: 200 },
    );
  });
});

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

describe('hostile values at every receipt entry point', () => {
  const hostile: unknown[] = [null, undefined, 0, Number.NaN, 'abc', [], {}, [1, 2], new DataView(new ArrayBuffer(16)), { length: 16 }];
  const stream = new Uint8Array(16);
  // Values that are valid for one entry point are skipped for it: undefined/{} options, seq 0.
  const entries: Array<[string, (v: unknown) => unknown, ((v: unknown) => boolean)?]> = [
    ['encodeReceipt', (v) => encodeReceipt(v as never)],
    ['decodeReceipt', (v) => decodeReceipt(v as never)],
    ['verifyReceipt(bytes)', (v) => verifyReceipt(v as never, { keys: ring })],
    ['receiptFromOpened', (v) => receiptFromOpened(v as never)],
    ['ReceiptBuilder(options)', (v) => new ReceiptBuilder(v as never), (v) => v === undefined || typeof v === 'object'],
    ['ReceiptBuilder({maxStreams})', (v) => new ReceiptBuilder({ maxStreams: v as never }), (v) => v === undefined],
    ['ReceiptBuilder.record(ref)', (v) => new ReceiptBuilder().record(v as never, new Uint8Array(1))],
    ['ReceiptBuilder.record(envelope)', (v) => new ReceiptBuilder().record({ kid: alice.key.kid, stream, seq: 0 }, v as never)],
    ['ReceiptBuilder.check(seq)', (v) => new ReceiptBuilder().check({ kid: alice.key.kid, stream, seq: v as never }), (v) => v === 0],
    ['Outbox(options)', (v) => new Outbox(v as never)],
    ['Outbox(kid)', (v) => new Outbox({ kid: v as never, stream })],
    ['Outbox.push', (v) => new Outbox({ kid: alice.key.kid, stream }).push(v as never)],
    ['Outbox.ack', (v) => new Outbox({ kid: alice.key.kid, stream }).ack(v as never)],
  ];
  for (const [name, fn, valid = () => false] of entries) {
    it(`${name} throws TypeError or RangeError, never anything else`, () => {
      for (const v of hostile.filter((h) => !valid(h))) {
        let thrown: unknown;
        try {
          fn(v);
        } catch (err) {
          thrown = err;
        }
        expect(thrown instanceof TypeError || thrown instanceof RangeError, `${name}(${String(v)}) threw ${String(thrown)}`).toBe(true);
      }
    });
  }
});
