// A record taken over from another process (spec/handshake.md §7.1, [HS-7.17]): what the state said
// stays said, byte for byte, and the builder goes on from it; `holds` names what a resent envelope
// would duplicate.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReceiptBuilder, decodeReceipt } from '../../../src/protocol.js';

const kid = new Uint8Array(32).fill(3);
const stream = new Uint8Array(16).fill(4);
const envelope = (seq: number): Uint8Array => new Uint8Array([0xd2, seq & 0xff, seq >> 8]);

describe('ReceiptBuilder.restore', () => {
  it('any recorded set survives state() → restore() with the same receipt and the same holds', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 120 }), (seqs) => {
        const a = new ReceiptBuilder();
        // Record in an order the window allows: seqs never more than the sack span above next.
        for (const s of [...seqs].sort((x, y) => x - y)) a.record({ kid, stream, seq: s }, envelope(s));
        const before = a.payload(kid, stream)!;
        const b = new ReceiptBuilder();
        b.restore(decodeReceipt(before));
        expect(b.payload(kid, stream)).toEqual(before);
        for (let s = 0; s <= 301; s++) expect(b.holds(kid, stream, s)).toBe(seqs.includes(s));
        // And it goes on: the next seq not held is taken, a held one is refused.
        const next = Array.from({ length: 302 }, (_, i) => i).find((s) => !seqs.includes(s))!;
        b.record({ kid, stream, seq: next }, envelope(next));
        expect(b.holds(kid, stream, next)).toBe(true);
        expect(() => b.check({ kid, stream, seq: seqs[0]! })).toThrow(RangeError);
      }),
      { numRuns: 200 },
    );
  });

  it('a new pair beyond maxStreams is refused with ERR_STREAM_LIMIT', () => {
    const a = new ReceiptBuilder();
    a.record({ kid, stream, seq: 0 }, envelope(0));
    const b = new ReceiptBuilder({ maxStreams: 1 });
    b.record({ kid, stream: new Uint8Array(16), seq: 0 }, envelope(0));
    expect(() => b.restore(decodeReceipt(a.payload(kid, stream)!))).toThrow(expect.objectContaining({ code: 'ERR_STREAM_LIMIT' }));
  });
});
