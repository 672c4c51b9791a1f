// The sender chain ratchet (spec/e2ee.md §4.1, [E2E-4.3]): both ends derive the same keys, a
// receiver skips ahead within the bound, and an index is handed out once.
import { describe, expect, it } from 'vitest';
import { Chain, step } from '../../../src/e2ee/chain.js';
import { MAX_SKIP } from '../../../src/e2ee/suite.js';
import { isProtocolError } from '../../../src/errors.js';
import { toHex } from '../../../src/bytes.js';

const ck = new Uint8Array(32).fill(7);
const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (err) {
    return isProtocolError(err) ? err.code : 'not a ProtocolError';
  }
  return undefined;
};

describe('sender chain', () => {
  it('sender and receiver derive the same message keys, each index once', () => {
    const a = new Chain(ck);
    const b = new Chain(ck);
    const sent = [a.advance(), a.advance(), a.advance()];
    expect(sent.map((s) => s.index)).toEqual([0, 1, 2]);
    expect(toHex(b.take(0).key)).toBe(toHex(sent[0]!.key.key));
    // out of order: 2 before 1, then 1 from the skipped keys
    expect(toHex(b.take(2).key)).toBe(toHex(sent[2]!.key.key));
    expect(toHex(b.take(1).key)).toBe(toHex(sent[1]!.key.key));
    expect(codeOf(() => b.take(1))).toBe('ERR_E2EE_CHAIN_INDEX');
    expect(codeOf(() => b.take(0))).toBe('ERR_E2EE_CHAIN_INDEX');
  });

  it('forward secrecy: each step deletes where it came from, and keys differ per index', () => {
    const s0 = step(ck);
    const s1 = step(s0.next);
    expect(toHex(s0.message.key)).not.toBe(toHex(s1.message.key));
    expect(toHex(s0.next)).not.toBe(toHex(ck));
    expect(s0.message.nonce).toHaveLength(12);
  });

  it(`skips at most ${MAX_SKIP} ahead; a skipped key beyond the window is forgotten`, () => {
    const b = new Chain(ck);
    expect(codeOf(() => b.take(MAX_SKIP + 1))).toBe('ERR_E2EE_CHAIN_INDEX');
    expect(codeOf(() => b.take(MAX_SKIP))).toBeUndefined();
    // indices 0..255 are held; jumping another full window pushes the oldest out
    expect(codeOf(() => b.take(2 * MAX_SKIP))).toBeUndefined();
    expect(codeOf(() => b.take(0))).toBe('ERR_E2EE_CHAIN_INDEX');
    expect(codeOf(() => b.take(2 * MAX_SKIP - 1))).toBeUndefined();
  });

  it('a key put back after a failed decryption can be taken again', () => {
    const b = new Chain(ck);
    const k = b.take(3);
    b.restore(3, k);
    expect(toHex(b.take(3).key)).toBe(toHex(k.key));
  });

  it('rejects a chain key of the wrong length', () => {
    expect(() => new Chain(new Uint8Array(31))).toThrow(TypeError);
  });
});
