import { describe, expect, it } from 'vitest';
import { sha256, sha256Native, sha256Noble } from '../../../src/crypto/sha256.js';

// The receipt hash seam (src/crypto/sha256.ts): node:crypto and @noble/hashes must give the same
// digest for every input, or receipts built in Node would not verify in a browser.
describe('sha256 seam', () => {
  it('uses the native hash in Node', () => {
    expect(sha256Native).toBeTypeOf('function');
    expect(sha256).toBe(sha256Native);
  });

  it('native and noble agree on empty, boundary and large inputs', () => {
    const sizes = [0, 1, 31, 32, 55, 56, 63, 64, 65, 127, 128, 1000, 4096, 65_536 + 3];
    for (const n of sizes) {
      const data = new Uint8Array(n);
      for (let i = 0; i < n; i++) data[i] = (i * 131 + n) & 0xff;
      const a = sha256Native!(data);
      const b = sha256Noble(data);
      expect(a, `length ${n}`).toEqual(b);
      expect(a.length).toBe(32);
    }
  });

  it('matches the FIPS 180-2 "abc" vector, hashes views by their bytes only, returns plain owned arrays', () => {
    const abc = new TextEncoder().encode('abc');
    const hex = (u: Uint8Array): string => Array.from(u, (x) => x.toString(16).padStart(2, '0')).join('');
    expect(hex(sha256(abc))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const big = new Uint8Array([9, 9, 0x61, 0x62, 0x63, 9]);
    const view = big.subarray(2, 5);
    expect(sha256Native!(view)).toEqual(sha256Noble(view));
    expect(hex(sha256Native!(view))).toBe(hex(sha256(abc)));
    const d = sha256Native!(abc);
    expect(Object.getPrototypeOf(d)).toBe(Uint8Array.prototype);
    expect(d.byteOffset).toBe(0);
    expect(d.buffer.byteLength).toBe(32);
  });
});

describe('ReceiptBuilder hashes the highest envelope as recorded', () => {
  it('a receipt built later names the bytes given to record(), even if the caller reused its buffer', async () => {
    const { ReceiptBuilder } = await import('../../../src/delivery/builder.js');
    const kid = new Uint8Array(32).fill(1);
    const stream = new Uint8Array(16).fill(2);
    for (const size of [100, 4096, 4097, 20_000]) {
      const b = new ReceiptBuilder();
      const buf = Buffer.alloc(size, 7);
      const expected = sha256Noble(new Uint8Array(buf));
      b.record({ kid, stream, seq: 0 }, buf);
      buf.fill(9); // the caller reuses its buffer
      expect(b.state(kid, stream)!.hash, `size ${size}`).toEqual(expected);
      // A lower seq recorded later does not change which envelope is named.
      const first = Buffer.alloc(size, 3);
      b.record({ kid, stream, seq: 2 }, first);
      b.record({ kid, stream, seq: 1 }, Buffer.alloc(size, 4));
      expect(b.state(kid, stream)!.hash).toEqual(sha256Noble(new Uint8Array(Buffer.alloc(size, 3))));
    }
  });
});
