// Unit tests of the RFC 6479 window (src/replay/window.ts) and the in-memory store
// (src/replay/memory.ts): window edges, duplicates at every position, jumps, extreme sequence
// numbers, strict mode, forgetting, the stream cap and the memory estimate.
import { describe, expect, it } from 'vitest';
import { MAX_UINT } from '../../../src/wire/envelope.js';
import { MemoryReplayStore, replayStateBytesPerStream } from '../../../src/replay/memory.js';
import type { ReplayRequest } from '../../../src/replay/store.js';
import { assertWindow, checkWindow, markWindow, SEQ_OK, SEQ_REPLAY, SEQ_TOO_OLD, windowBlocks } from '../../../src/replay/window.js';

const KID = new Uint8Array(32).fill(7);
const T = 1_700_000_000_000;
const MAX_AGE = 60_000;

function streamId(n: number): Uint8Array {
  const s = new Uint8Array(16);
  new DataView(s.buffer).setUint32(12, n);
  return s;
}

function req(seq: number, opts: Partial<ReplayRequest> & { s?: number } = {}): ReplayRequest {
  const ts = opts.ts ?? T;
  return {
    kid: opts.kid ?? KID,
    stream: opts.stream ?? streamId(opts.s ?? 0),
    seq,
    ts,
    now: opts.now ?? ts,
    expiresAt: opts.expiresAt ?? ts + MAX_AGE,
  };
}

/** A bare window over its own words, driven the way the store drives it. */
class Win {
  readonly words: Uint32Array;
  top = -1;
  constructor(readonly w: number) {
    this.words = new Uint32Array(windowBlocks(w));
  }
  check(seq: number): number {
    return this.top < 0 ? SEQ_OK : checkWindow(this.words, 0, this.w, this.top, seq);
  }
  accept(seq: number): number {
    const v = this.check(seq);
    if (v === SEQ_OK) this.top = markWindow(this.words, 0, this.w, this.top < 0 ? seq : this.top, seq);
    return v;
  }
}

describe('window size', () => {
  it('accepts multiples of 32 from 32 to 8192 and names the argument otherwise', () => {
    for (const w of [32, 64, 1024, 4096, 8192]) expect(() => assertWindow(w)).not.toThrow();
    for (const w of [0, 16, 31, 33, 1000, 8224, 16384, 1024.5, NaN, '1024', undefined]) {
      expect(() => assertWindow(w), String(w)).toThrow(RangeError);
      expect(() => assertWindow(w), String(w)).toThrow(/"window"/);
    }
    expect(() => new MemoryReplayStore({ window: 1000 })).toThrow(RangeError);
    expect(() => new MemoryReplayStore({ maxStreams: 0 })).toThrow(/"maxStreams"/);
  });
});

for (const W of [32, 64, 1024, 8192]) {
  describe(`bitmap window W=${W}`, () => {
    it('W-1 behind is inside, W and W+1 behind are too old', () => {
      const top = 5 * W + 17;
      const win = new Win(W);
      expect(win.accept(top)).toBe(SEQ_OK);
      expect(win.check(top - (W - 1))).toBe(SEQ_OK);
      expect(win.check(top - W)).toBe(SEQ_TOO_OLD);
      expect(win.check(top - W - 1)).toBe(SEQ_TOO_OLD);
      expect(win.accept(top - (W - 1))).toBe(SEQ_OK);
      expect(win.accept(top - (W - 1))).toBe(SEQ_REPLAY);
    });

    it('every position of the window remembers its own duplicate, and only its own', () => {
      const win = new Win(W);
      const top = 3 * W + 5;
      expect(win.accept(top)).toBe(SEQ_OK);
      // Fill every other position, then check every position: seen ones are replays, others not.
      for (let seq = top - W + 1; seq < top; seq += 2) expect(win.accept(seq)).toBe(SEQ_OK);
      for (let seq = top - W + 1; seq <= top; seq++) {
        const seen = seq === top || (seq - (top - W + 1)) % 2 === 0;
        expect(win.check(seq), `seq ${seq}`).toBe(seen ? SEQ_REPLAY : SEQ_OK);
      }
    });

    it('slides one step at a time without losing the positions still inside', () => {
      const win = new Win(W);
      for (let seq = 0; seq < 3 * W + 40; seq++) {
        expect(win.accept(seq)).toBe(SEQ_OK);
        expect(win.accept(seq)).toBe(SEQ_REPLAY);
        if (seq >= W - 1) expect(win.check(seq - W + 1)).toBe(SEQ_REPLAY);
        if (seq >= W) expect(win.check(seq - W)).toBe(SEQ_TOO_OLD);
      }
    });

    it('far jumps clear exactly the positions that slid in', () => {
      for (const jump of [1, 31, 32, 33, W - 1, W, W + 1, W + 32, 10 * W, 2 ** 40]) {
        const win = new Win(W);
        const base = 7 * W + 3;
        for (let seq = base - W + 1; seq <= base; seq++) win.accept(seq);
        const top = base + jump;
        expect(win.accept(top), `jump ${jump}`).toBe(SEQ_OK);
        for (let seq = Math.max(0, top - W + 1); seq < top; seq++) {
          const expected = seq <= base ? SEQ_REPLAY : SEQ_OK;
          if (win.check(seq) !== expected) expect.fail(`jump ${jump}: seq ${seq} gave ${win.check(seq)}`);
        }
        expect(win.check(top - W)).toBe(SEQ_TOO_OLD);
      }
    });

    it('handles seq 0 and 2^53 - 1', () => {
      const win = new Win(W);
      expect(win.accept(0)).toBe(SEQ_OK);
      expect(win.accept(0)).toBe(SEQ_REPLAY);
      expect(win.accept(MAX_UINT)).toBe(SEQ_OK);
      expect(win.accept(MAX_UINT)).toBe(SEQ_REPLAY);
      expect(win.check(0)).toBe(SEQ_TOO_OLD);
      expect(win.accept(MAX_UINT - W + 1)).toBe(SEQ_OK);
      expect(win.accept(MAX_UINT - W + 1)).toBe(SEQ_REPLAY);
      expect(win.check(MAX_UINT - W)).toBe(SEQ_TOO_OLD);
      expect(win.accept(MAX_UINT - 1)).toBe(SEQ_OK);
      expect(win.check(MAX_UINT - 2)).toBe(SEQ_OK);
    });
  });
}

describe('MemoryReplayStore', () => {
  it('check never changes state; commit records exactly once', () => {
    const store = new MemoryReplayStore({ window: 64, startedAt: 0 });
    expect(store.check(req(10))).toBe('ok');
    expect(store.check(req(10))).toBe('ok');
    expect(store.size).toBe(0);
    expect(store.commit(req(10))).toBe('ok');
    expect(store.commit(req(10))).toBe('ERR_REPLAY');
    expect(store.check(req(10))).toBe('ERR_REPLAY');
    expect(store.check(req(10 - 64))).toBe('ERR_TOO_OLD');
    expect(store.peek(KID, streamId(0))).toMatchObject({ top: 10, expiresAt: T + MAX_AGE });
  });

  it('keys state by (kid, stream): other kids and streams have their own windows', () => {
    const store = new MemoryReplayStore({ startedAt: 0 });
    const kid2 = new Uint8Array(32).fill(8);
    expect(store.commit(req(1))).toBe('ok');
    expect(store.commit(req(1, { s: 1 }))).toBe('ok');
    expect(store.commit(req(1, { kid: kid2 }))).toBe('ok');
    expect(store.commit(req(1, { kid: kid2.subarray(0, 16) }))).toBe('ok');
    expect(store.commit(req(1, { kid: kid2 }))).toBe('ERR_REPLAY');
    expect(store.commit(req(1))).toBe('ERR_REPLAY');
    expect(store.size).toBe(4);
  });

  it('finds a stream by its bytes, not by the array that carried them (the key of the last call is reused)', () => {
    const store = new MemoryReplayStore({ startedAt: 0 });
    const kid2 = new Uint8Array(32).fill(8);
    const stream = streamId(0).slice();
    const at = (seq: number, s: Uint8Array, kid: Uint8Array = KID): ReplayRequest => ({ ...req(seq), kid, stream: s });
    expect(store.commit(at(1, stream))).toBe('ok');
    // The same array, changed in place: another stream.
    stream[15] = stream[15]! ^ 0xff;
    expect(store.check(at(1, stream))).toBe('ok');
    expect(store.commit(at(1, stream))).toBe('ok');
    // Back to the first stream's bytes in a new array: its window.
    stream[15] = stream[15]! ^ 0xff;
    expect(store.commit(at(1, stream.slice()))).toBe('ERR_REPLAY');
    // Same stream bytes under another kid: its own window, then the first kid again.
    expect(store.commit(at(1, stream, kid2))).toBe('ok');
    expect(store.check(at(1, stream))).toBe('ERR_REPLAY');
    expect(store.check(at(2, stream))).toBe('ok');
    expect(store.size).toBe(3);
  });

  it('strict mode accepts only increasing seq and keeps no bitmap', () => {
    const store = new MemoryReplayStore({ strict: true, startedAt: 0 });
    expect(store.commit(req(5))).toBe('ok');
    expect(store.commit(req(5))).toBe('ERR_REPLAY');
    expect(store.commit(req(4))).toBe('ERR_TOO_OLD');
    expect(store.commit(req(0))).toBe('ERR_TOO_OLD');
    expect(store.commit(req(7))).toBe('ok');
    expect(store.commit(req(6))).toBe('ERR_TOO_OLD');
    expect(store.commit(req(MAX_UINT))).toBe('ok');
    expect(store.commit(req(MAX_UINT))).toBe('ERR_REPLAY');
    expect(store.peek(KID, streamId(0))?.bitmap.length).toBe(0);
  });

  it('keeps a stream until the newest envelope it accepted is stale, then forgets it', () => {
    const store = new MemoryReplayStore({ startedAt: 0 });
    store.commit(req(1, { ts: T }));
    store.commit(req(2, { ts: T + 500 }));
    store.commit(req(0, { ts: T + 100 })); // an older ts never shortens the stream's life
    const exp = T + 500 + MAX_AGE;
    expect(store.peek(KID, streamId(0))?.expiresAt).toBe(exp);
    expect(store.sweep(exp)).toBe(0);
    expect(store.size).toBe(1);
    expect(store.sweep(exp + 1)).toBe(1);
    expect(store.size).toBe(0);
  });

  it('after forgetting, refuses as stale anything that forgotten state may have accepted', () => {
    const store = new MemoryReplayStore({ startedAt: 0 });
    store.commit(req(1, { ts: T }));
    store.sweep(T + MAX_AGE + 1);
    // A receiver clock stepped back must not reopen the forgotten window.
    expect(store.check(req(1, { ts: T, now: T }))).toBe('ERR_STALE');
    expect(store.commit(req(1, { ts: T, now: T }))).toBe('ERR_STALE');
    expect(store.commit(req(1, { ts: T + 1, now: T + 1 }))).toBe('ok');
    // Also once the stream is known again: its new window never saw seq 2 at ts T.
    expect(store.commit(req(2, { ts: T, now: T }))).toBe('ERR_STALE');
  });

  it('the incremental sweep on commit only forgets expired streams', () => {
    const store = new MemoryReplayStore({ startedAt: 0 });
    for (let s = 0; s < 20; s++) store.commit(req(0, { s, ts: T + s }));
    // At now = T + MAX_AGE + 10 streams 0..9 are expired, 10..19 are not.
    const now = T + MAX_AGE + 10;
    for (let i = 0; i < 40; i++) store.commit(req(i + 1, { s: 19, ts: now, now }));
    for (let s = 0; s < 20; s++) {
      if (s >= 10) expect(store.peek(KID, streamId(s)), `stream ${s}`).toBeDefined();
    }
    expect(store.size).toBeLessThan(20);
    expect(store.size).toBeGreaterThanOrEqual(10);
  });

  it('at the cap refuses new streams until one can no longer accept anything', () => {
    const store = new MemoryReplayStore({ maxStreams: 2, startedAt: 0 });
    expect(store.commit(req(0, { s: 0, ts: T }))).toBe('ok');
    expect(store.commit(req(0, { s: 1, ts: T + 1000 }))).toBe('ok');
    expect(store.check(req(0, { s: 2, ts: T + 2000 }))).toBe('ERR_STREAM_LIMIT');
    expect(store.commit(req(0, { s: 2, ts: T + 2000 }))).toBe('ERR_STREAM_LIMIT');
    // Known streams keep working at the cap.
    expect(store.commit(req(1, { s: 0, ts: T + 2000 }))).toBe('ok');
    // Stream 1 expires at T + 1000 + MAX_AGE; stream 0 was refreshed to T + 2000 + MAX_AGE.
    const at = T + 1000 + MAX_AGE;
    expect(store.commit(req(0, { s: 2, ts: at, now: at }))).toBe('ERR_STREAM_LIMIT');
    expect(store.commit(req(0, { s: 2, ts: at + 1, now: at + 1 }))).toBe('ok');
    expect(store.peek(KID, streamId(1))).toBeUndefined();
    expect(store.peek(KID, streamId(0))?.top).toBe(1);
    // The evicted stream's envelopes are refused, never silently accepted again.
    expect(store.commit(req(0, { s: 1, ts: T + 1000, now: at + 1 }))).toBe('ERR_STALE');
  });

  it('reuses the slot of a forgotten stream with a clean bitmap', () => {
    const store = new MemoryReplayStore({ window: 64, startedAt: 0 });
    for (let seq = 0; seq < 64; seq++) store.commit(req(seq, { s: 0 }));
    store.sweep(T + MAX_AGE + 1);
    const now = T + MAX_AGE + 2;
    expect(store.commit(req(100, { s: 1, ts: now, now }))).toBe('ok');
    for (let seq = 37; seq < 100; seq++) expect(store.check(req(seq, { s: 1, ts: now, now }))).toBe('ok');
  });
});

describe('memory per tracked stream', () => {
  it('is estimated at no more than 256 bytes at window 1,024', () => {
    expect(replayStateBytesPerStream(1024)).toBeLessThanOrEqual(256);
    expect(replayStateBytesPerStream(1024, true)).toBeLessThan(replayStateBytesPerStream(1024));
    expect(replayStateBytesPerStream(8192)).toBe(replayStateBytesPerStream(1024) + (8192 - 1024) / 8);
  });
});
