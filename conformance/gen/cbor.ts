// A byte-level CBOR builder for the generator. Written apart from src/wire/cbor.ts on purpose: the
// vectors' expected bytes must not come from the code they test, and malformed vectors need heads
// the real writer refuses to produce (long forms, indefinite lengths, unsorted maps).
import { cat, enc } from './ref.js';

export type Bytes = Uint8Array;

/** A head in its preferred (shortest) form. */
export function head(major: number, arg: number | bigint): Bytes {
  const n = BigInt(arg);
  const m = major << 5;
  if (n < 24n) return Uint8Array.of(m | Number(n));
  if (n < 0x100n) return Uint8Array.of(m | 24, Number(n));
  if (n < 0x10000n) return headLong(major, n, 2);
  if (n < 0x1_0000_0000n) return headLong(major, n, 4);
  return headLong(major, n, 8);
}

/** A head with the argument forced into `size` bytes (1, 2, 4 or 8): non-preferred when too long. */
export function headLong(major: number, arg: number | bigint, size: 1 | 2 | 4 | 8): Bytes {
  const n = BigInt(arg);
  const ai = { 1: 24, 2: 25, 4: 26, 8: 27 }[size];
  const out = new Uint8Array(1 + size);
  out[0] = (major << 5) | ai;
  for (let i = 0; i < size; i++) out[size - i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
}

export const uint = (n: number | bigint): Bytes => head(0, n);
export const nint = (n: number | bigint): Bytes => head(1, -1n - BigInt(n));
export const int = (n: number | bigint): Bytes => (BigInt(n) < 0n ? nint(n) : uint(n));
export const bstr = (b: Bytes): Bytes => cat(head(2, b.length), b);
export const tstr = (s: string): Bytes => {
  const b = enc.encode(s);
  return cat(head(3, b.length), b);
};
export const tstrRaw = (b: Bytes): Bytes => cat(head(3, b.length), b);
export const arr = (...items: Bytes[]): Bytes => cat(head(4, items.length), ...items);
export const tag = (n: number, item: Bytes): Bytes => cat(head(6, n), item);
/** A map written in exactly the order given: the caller decides whether it is deterministic. */
export const mapRaw = (entries: [Bytes, Bytes][]): Bytes => cat(head(5, entries.length), ...entries.flat());
export const NULL = Uint8Array.of(0xf6);
export const TRUE = Uint8Array.of(0xf5);
export const BREAK = Uint8Array.of(0xff);
export const f64 = (x: number): Bytes => {
  const b = new Uint8Array(9);
  b[0] = 0xfb;
  new DataView(b.buffer).setFloat64(1, x);
  return b;
};
