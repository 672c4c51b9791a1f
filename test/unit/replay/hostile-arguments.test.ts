// The shared table of hostile argument values, thrown at every public entry point of the replay
// layer: developer misuse must surface as TypeError or RangeError naming the argument, never as a
// ProtocolError, another exception, or acceptance.
import { describe, expect, it } from 'vitest';
import {
  AsyncMemoryReplayStore,
  KeyRing,
  MemoryReplayStore,
  Receiver,
  Sender,
  generateKeyPair,
  importSigningKey,
} from '../../../src/index.js';
import { replayStateBytesPerStream } from '../../../src/protocol.js';

const HOSTILE: [string, unknown][] = [
  ['undefined', undefined],
  ['null', null],
  ['NaN', NaN],
  ['-1', -1],
  ['1.5', 1.5],
  ['Infinity', Infinity],
  ['2^53', 2 ** 53 + 2],
  ['empty string', ''],
  ['string', 'abc'],
  ['plain object', {}],
  ['array', [1, 2, 3]],
  ['fake Uint8Array', { length: 16, 0: 1, byteLength: 16 }],
  ['DataView', new DataView(new ArrayBuffer(16))],
  ['Uint16Array', new Uint16Array(16)],
  ['function', () => 1],
  ['bigint', 16n],
];

const kp = generateKeyPair();
const key = importSigningKey(kp.secretKey);
const ring = new KeyRing();
ring.add(kp.publicKey);

function misuse(fn: () => unknown): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err === undefined || err instanceof TypeError || err instanceof RangeError, String(err)).toBe(true);
}

function mustThrowMisuse(fn: () => unknown): void {
  expect(fn).toThrow();
  misuse(fn);
}

describe.each(HOSTILE)('hostile value: %s', (_name, v) => {
  it('Receiver constructor and options', () => {
    mustThrowMisuse(() => new Receiver(v as never));
    mustThrowMisuse(() => new Receiver({ keys: v as never }));
    for (const opt of ['maxEnvelopeSize', 'window', 'maxFutureSkewMs', 'maxAgeMs', 'maxStreams', 'startedAt', 'clock', 'verify', 'store']) {
      if (v === undefined) continue; // undefined means "default"
      if (opt === 'clock' || opt === 'verify') {
        if (typeof v !== 'function') mustThrowMisuse(() => new Receiver({ keys: ring, [opt]: v } as never));
        continue;
      }
      // Every table value is invalid for every numeric option, and for `store`.
      mustThrowMisuse(() => new Receiver({ keys: ring, [opt]: v } as never));
    }
  });

  it('Receiver.openSync and Receiver.open', async () => {
    const r = new Receiver({ keys: ring, startedAt: 0 });
    mustThrowMisuse(() => r.openSync(v as never));
    if (v !== undefined && (v === null || typeof v !== 'object')) mustThrowMisuse(() => r.openSync(new Uint8Array(8), v as never));
    for (const field of ['aad', 'binding', 'now', 'beforeSignature', 'sessionStartedAt']) {
      if (v === undefined) continue;
      if (field === 'beforeSignature' && typeof v === 'function') continue;
      if (field === 'now' && typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) continue;
      mustThrowMisuse(() => r.openSync(new Uint8Array(8), { [field]: v } as never));
    }
    await expect(r.open(v as never)).rejects.toBeInstanceOf(TypeError);
  });

  it('Sender constructor and seal', () => {
    mustThrowMisuse(() => new Sender(v as never));
    if (v !== undefined) {
      mustThrowMisuse(() => new Sender(key, { stream: v } as never));
      if (!(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 2 ** 53)) mustThrowMisuse(() => new Sender(key, { seq: v } as never));
      mustThrowMisuse(() => new Sender(key, { reserve: v } as never));
    }
    const s = new Sender(key);
    // A string is a payload (sealed as UTF-8); any other non-bytes value is misuse.
    if (typeof v !== 'string') {
      mustThrowMisuse(() => s.seal(v as never));
      expect(s.nextSeq).toBe(0);
    }
  });

  it('stores and the memory estimate', () => {
    if (v === undefined) return;
    mustThrowMisuse(() => new MemoryReplayStore({ window: v } as never));
    mustThrowMisuse(() => new AsyncMemoryReplayStore({ window: v } as never));
    mustThrowMisuse(() => replayStateBytesPerStream(v as never));
    if (typeof v !== 'boolean') mustThrowMisuse(() => new MemoryReplayStore({ strict: v } as never));
  });
});
