// RFC 9162 §2.1 Merkle trees over SHA-256 (spec/rooms.md §5): one signed root for a tick's room
// events, and an inclusion proof for each.
import { sha256 } from '../crypto/sha256.js';
import { equalBytes } from '../bytes.js';

/** Events under one root ([ROOM-5.3]): a proof then holds at most 10 hashes. */
export const MAX_BATCH = 1024;
const HASH_LENGTH = 32;

function hashWithPrefix(prefix: number, a: Uint8Array, b?: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + a.length + (b?.length ?? 0));
  out[0] = prefix;
  out.set(a, 1);
  if (b !== undefined) out.set(b, 1 + a.length);
  return sha256(out);
}

/** SHA-256(0x00 || leaf). @see [ROOM-5.1] */
export function leafHash(leaf: Uint8Array): Uint8Array {
  return hashWithPrefix(0x00, leaf);
}

const node = (left: Uint8Array, right: Uint8Array): Uint8Array => hashWithPrefix(0x01, left, right);

/** The largest power of two below `n` (n ≥ 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export interface MerkleTree {
  readonly root: Uint8Array;
  /** The audit path of leaf `index`, bottom-up (RFC 9162 §2.1.3.1). */
  proof(index: number): Uint8Array[];
}

/**
 * Builds the tree once; every subtree hash is kept, so each proof costs O(log n).
 * @see [ROOM-5.1]
 */
export function merkleTree(leafHashes: readonly Uint8Array[]): MerkleTree {
  const n = leafHashes.length;
  if (n < 1 || n > MAX_BATCH) throw new RangeError(`a batch holds 1 to ${MAX_BATCH} leaves, got ${n}`);
  const memo = new Map<number, Uint8Array>();
  const hash = (start: number, size: number): Uint8Array => {
    if (size === 1) return leafHashes[start]!;
    const key = start * 2048 + size;
    let h = memo.get(key);
    if (h === undefined) {
      const k = split(size);
      memo.set(key, (h = node(hash(start, k), hash(start + k, size - k))));
    }
    return h;
  };
  const root = hash(0, n);
  const proof = (index: number): Uint8Array[] => {
    if (!Number.isInteger(index) || index < 0 || index >= n) throw new RangeError(`"index" expected 0..${n - 1}`);
    const path: Uint8Array[] = [];
    let start = 0;
    let size = n;
    let m = index;
    while (size > 1) {
      const k = split(size);
      if (m < k) {
        path.push(hash(start + k, size - k));
        size = k;
      } else {
        path.push(hash(start, k));
        start += k;
        size -= k;
        m -= k;
      }
    }
    return path.reverse();
  };
  return { root, proof };
}

/**
 * RFC 9162 §2.1.3.2: true when `path` proves leaf `index` of a tree of `count` leaves under `root`.
 * Any malformed input (index out of range, a path too long or short, a hash not of 32 bytes) is
 * false, never an exception.
 * @see [ROOM-5.2]
 */
export function verifyInclusion(leaf: Uint8Array, index: number, count: number, path: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || index < 0 || index >= count || count > MAX_BATCH) return false;
  if (leaf.length !== HASH_LENGTH || root.length !== HASH_LENGTH) return false;
  let fn = index;
  let sn = count - 1;
  let r = leaf;
  for (const p of path) {
    if (!(p instanceof Uint8Array) || p.length !== HASH_LENGTH || sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = node(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = node(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(r, root);
}
