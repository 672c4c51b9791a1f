// Sender (src/envelope/sender.ts): increasing sequence numbers, a new random stream per start,
// OSCORE-style reservations that survive a crash without reusing (kid, stream, seq), exhaustion.
import { describe, expect, it } from 'vitest';
import { KeyRing, ProtocolError, Receiver, Sender, generateKeyPair, importSigningKey, open, type SeqReservation } from '../../../src/index.js';
import { toHex } from '../../../src/bytes.js';
import { MAX_UINT } from '../../../src/wire/envelope.js';

const T0 = 1_700_000_000_000;
const kp = generateKeyPair();
const key = importSigningKey(kp.secretKey);
const ring = new KeyRing();
ring.add(kp.publicKey);
const payload = new Uint8Array([1, 2, 3]);

/** A "disk" that survives the simulated crash: only what persist() wrote. */
function disk(): { saved: Map<string, number>; reserve: (k: number) => SeqReservation } {
  const saved = new Map<string, number>();
  return {
    saved,
    reserve: (blockSize) => ({ blockSize, persist: (stream, upTo) => void saved.set(toHex(stream), upTo) }),
  };
}

describe('Sender', () => {
  it('seals seq 0, 1, 2 … on one stream with the clock as ts', () => {
    let t = T0;
    const s = new Sender(key, { clock: () => t++, contentType: 'application/json' });
    for (let i = 0; i < 5; i++) {
      const o = open(s.seal(payload), { keys: ring });
      expect(o).toMatchObject({ seq: i, ts: T0 + i, contentType: 'application/json' });
      expect(o.stream).toEqual(s.stream);
    }
    expect(s.nextSeq).toBe(5);
  });

  // [RPL-8.1]: a sender never reuses (kid, stream, seq)
  it('starts a new random stream each time, so a restart never reuses (kid, stream, seq)', () => {
    const streams = new Set<string>();
    for (let i = 0; i < 50; i++) streams.add(toHex(new Sender(key).stream));
    expect(streams.size).toBe(50);
    // The receiver sees two restarts of a sender as two streams; nothing is refused as a replay.
    const r = new Receiver({ keys: ring, clock: () => T0, startedAt: 0 });
    for (let run = 0; run < 3; run++) {
      const s = new Sender(key, { clock: () => T0 });
      for (let i = 0; i < 3; i++) expect(r.openSync(s.seal(payload)).seq).toBe(i);
    }
  });

  it('persists a reservation before using any number of a block', () => {
    const d = disk();
    const s = new Sender(key, { reserve: d.reserve(4) });
    const id = toHex(s.stream);
    expect(d.saved.has(id)).toBe(false);
    const seen: number[] = [];
    for (let i = 0; i < 9; i++) {
      s.seal(payload);
      seen.push(d.saved.get(id)!);
    }
    expect(seen).toEqual([4, 4, 4, 4, 8, 8, 8, 8, 12]);
  });

  // [RPL-8.3]: reservations persisted before use survive a restart
  it('resumes a stream after a crash from the persisted bound: skips, never reuses', () => {
    const d = disk();
    const r = new Receiver({ keys: ring, clock: () => T0, startedAt: 0 });
    const used = new Set<number>();
    let s = new Sender(key, { reserve: d.reserve(10), clock: () => T0 });
    const stream = s.stream;
    for (const crashAfter of [13, 0, 1, 10, 25]) {
      for (let i = 0; i < crashAfter; i++) {
        const o = r.openSync(s.seal(payload));
        expect(used.has(o.seq)).toBe(false);
        used.add(o.seq);
      }
      // Crash: only the disk survives.
      const upTo = d.saved.get(toHex(stream)) ?? 0;
      s = new Sender(key, { stream, seq: upTo, reserve: d.reserve(10), clock: () => T0 });
    }
    expect(used.size).toBe(13 + 0 + 1 + 10 + 25);
  });

  it('burns no number when persist throws or an argument is rejected', () => {
    let fail = true;
    const s = new Sender(key, {
      reserve: {
        blockSize: 2,
        persist: () => {
          if (fail) throw new Error('disk full');
        },
      },
    });
    expect(() => s.seal(payload)).toThrow('disk full');
    expect(s.nextSeq).toBe(0);
    fail = false;
    expect(() => s.seal([1] as never)).toThrow(TypeError);
    expect(s.nextSeq).toBe(0);
    expect(open(s.seal(payload), { keys: ring }).seq).toBe(0);
  });

  // [RPL-8.4]: sender exhaustion at 2^53 - 1
  it('ends at 2^53 - 1 with ERR_SEQ_EXHAUSTED (4035)', () => {
    const s = new Sender(key, { seq: MAX_UINT });
    expect(open(s.seal(payload), { keys: ring }).seq).toBe(MAX_UINT);
    let err: unknown;
    try {
      s.seal(payload);
    } catch (x) {
      err = x;
    }
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err).toMatchObject({ code: 'ERR_SEQ_EXHAUSTED', closeCode: 4035 });
    // A persisted bound of 2^53 means the stream is used up: resuming it seals nothing.
    const d = disk();
    const t = new Sender(key, { seq: MAX_UINT - 1, reserve: d.reserve(1000) });
    t.seal(payload);
    expect(d.saved.get(toHex(t.stream))).toBe(2 ** 53);
    const resumed = new Sender(key, { stream: t.stream, seq: 2 ** 53, reserve: d.reserve(1000) });
    expect(() => resumed.seal(payload)).toThrow(expect.objectContaining({ code: 'ERR_SEQ_EXHAUSTED' }));
  });

  it('rejects bad options as developer misuse, naming them', () => {
    expect(() => new Sender({} as never)).toThrow(/"key"/);
    expect(() => new Sender(key, { stream: new Uint8Array(15) })).toThrow(/"stream"/);
    expect(() => new Sender(key, { seq: -1 })).toThrow(/"seq"/);
    expect(() => new Sender(key, { seq: 2 ** 53 + 2 })).toThrow(/"seq"/);
    expect(() => new Sender(key, { reserve: { blockSize: 0, persist: () => {} } })).toThrow(/"reserve.blockSize"/);
    expect(() => new Sender(key, { reserve: { blockSize: 1 } as never })).toThrow(/"reserve"/);
  });

  it('passes aad, binding and a per-message content type through', () => {
    const s = new Sender(key);
    const binding = new Uint8Array(33).fill(3);
    const aad = new Uint8Array([9]);
    const e = s.seal(payload, { aad, binding, contentType: 60 });
    expect(open(e, { keys: ring, aad, binding }).contentType).toBe(60);
    expect(() => open(e, { keys: ring, binding })).toThrow(expect.objectContaining({ code: 'ERR_BAD_SIGNATURE' }));
  });
});
