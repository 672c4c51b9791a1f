// The client's records across handovers ([HS-7.14], [HS-7.15]): Resents are handled once against
// the record of the stream that first sealed them, at most 8 earlier streams are kept (the oldest
// forgotten, so its Resents would count as new), and a Resent of the current stream is refused.
import { describe, expect, it } from 'vitest';
import { generateKeyPair, importSigningKey } from '../../../src/index.js';
import { ReceiptBuilder } from '../../../src/delivery/builder.js';
import { SessionDelivery } from '../../../src/session/delivery.js';
import { MAX_EARLIER_STREAMS, handOver, handedToKey, openResent } from '../../../src/session/client-handover.js';
import { OP_RESENT, OP_RESULT, encodeServerMessage } from '../../../src/session/messages.js';

const key = importSigningKey(generateKeyPair().secretKey);
const server = new Uint8Array(32).fill(5);
const stream = (n: number): Uint8Array => new Uint8Array(16).fill(n);
const result = (refSeq: number): Uint8Array => encodeServerMessage({ op: OP_RESULT, refSeq, code: null });

function delivery(): SessionDelivery {
  const d = new SessionDelivery({
    key,
    peerKid: server,
    builder: new ReceiptBuilder({ maxStreams: 1 + MAX_EARLIER_STREAMS }),
    capacity: 8,
    maxBytes: 1 << 16,
    clock: Date.now,
  });
  d.peerStream = stream(1);
  d.builder.record({ kid: server, stream: stream(1), seq: 0 }, result(0));
  return d;
}

const resent = (s: number, seq: number) => ({ op: OP_RESENT, kid: server, stream: stream(s), seq, message: result(seq) }) as const;

describe('a client across handovers', () => {
  it('handles each Resent once against the record of its first stream; a Resent of the current stream is refused', () => {
    const d = delivery();
    handOver(d, server);
    expect(d.peerStream).toBeUndefined();
    expect(openResent(d, resent(1, 0))).toBeUndefined(); // received before the handover
    expect(openResent(d, resent(1, 1))).toEqual({ op: OP_RESULT, refSeq: 1, code: null });
    expect(openResent(d, resent(1, 1))).toBeUndefined();
    d.peerStream = stream(2);
    expect(() => openResent(d, resent(2, 0))).toThrow(expect.objectContaining({ code: 'ERR_MESSAGE_MALFORMED' }));
    const nested = { ...resent(1, 2), message: encodeServerMessage(resent(1, 3)) };
    expect(() => openResent(d, nested)).toThrow(expect.objectContaining({ code: 'ERR_MESSAGE_MALFORMED' }));
  });

  it('keeps the records of 8 earlier server streams, the oldest forgotten first', () => {
    const d = delivery();
    for (let s = 2; s <= 10; s++) {
      handOver(d, server);
      d.peerStream = stream(s);
      d.builder.record({ kid: server, stream: stream(s), seq: 0 }, result(0));
    }
    // Streams 1–9 are earlier now; only 2–9 are kept, with the current stream 10's record.
    expect(d.earlier.map((e) => e.stream[0])).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(d.builder.size).toBe(1 + MAX_EARLIER_STREAMS);
    expect(openResent(d, resent(2, 0))).toBeUndefined();
    // Stream 1's record is gone: its seq 0 counts as not received.
    expect(openResent(d, resent(1, 0))).toBeDefined();
    expect(d.earlier).toHaveLength(MAX_EARLIER_STREAMS);
  });

  it('a Welcome of another key is a handover; of the same key it is not', () => {
    const d = delivery();
    expect(handedToKey(d, server)).toBe(false);
    expect(d.peerStream).toEqual(stream(1));
    expect(handedToKey(d, new Uint8Array(32).fill(6))).toBe(true);
    expect(d.peerStream).toBeUndefined();
    expect(d.isEarlier(server, stream(1))).toBe(true);
  });
});
