// RFC 9162 §2.1 trees and inclusion proofs (spec/rooms.md §5): the published Certificate
// Transparency reference tree, then every proof of every tree size up to 70, and every way of
// breaking one.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../src/bytes.js';
import { MAX_BATCH, leafHash, merkleTree, verifyInclusion } from '../../../src/rooms/merkle.js';

// The RFC 6962 reference tree used by certificate-transparency implementations: its eight leaves,
// the root of all eight and the audit path of leaf 0 (public test data of that project).
const CT_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(fromHex);
const CT_ROOT_8 = '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328';
const CT_PATH_0_OF_8 = [
  '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
  '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
  '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
];

const leaves = (n: number): Uint8Array[] => Array.from({ length: n }, (_, i) => leafHash(Uint8Array.of(i & 0xff, i >> 8)));

describe('[ROOM-5.1] the tree', () => {
  it('gives the reference root and audit path of RFC 6962', () => {
    const tree = merkleTree(CT_LEAVES.map(leafHash));
    expect(toHex(tree.root)).toBe(CT_ROOT_8);
    expect(tree.proof(0).map(toHex)).toEqual(CT_PATH_0_OF_8);
  });

  it('holds 1 to 1,024 leaves', () => {
    expect(() => merkleTree([])).toThrow(RangeError);
    expect(() => merkleTree(leaves(MAX_BATCH + 1))).toThrow(RangeError);
    expect(merkleTree(leaves(MAX_BATCH)).proof(MAX_BATCH - 1)).toHaveLength(10);
  });
});

describe('[ROOM-5.2] inclusion proofs', () => {
  it('every proof of every tree of 1 to 70 leaves verifies, and only at its own index (the count is signed with the root)', () => {
    for (let n = 1; n <= 70; n++) {
      const ls = leaves(n);
      const tree = merkleTree(ls);
      for (let i = 0; i < n; i++) {
        const path = tree.proof(i);
        expect(verifyInclusion(ls[i]!, i, n, path, tree.root), `${i} of ${n}`).toBe(true);
        if (n > 1) expect(verifyInclusion(ls[i]!, (i + 1) % n, n, path, tree.root)).toBe(false);
      }
    }
  });

  it('fails for any flipped bit, a truncated or extended path, an index out of range, a short hash', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 70 }), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 }), (n, iRaw, which, bit) => {
        const i = iRaw % n;
        const ls = leaves(n);
        const tree = merkleTree(ls);
        const path = tree.proof(i);
        const flip = (b: Uint8Array): Uint8Array => {
          const c = b.slice();
          c[bit % 32]! ^= 1 << (bit % 8);
          return c;
        };
        const k = which % path.length;
        expect(verifyInclusion(flip(ls[i]!), i, n, path, tree.root)).toBe(false);
        expect(verifyInclusion(ls[i]!, i, n, path, flip(tree.root))).toBe(false);
        expect(
          verifyInclusion(
            ls[i]!,
            i,
            n,
            path.map((p, j) => (j === k ? flip(p) : p)),
            tree.root,
          ),
        ).toBe(false);
        expect(verifyInclusion(ls[i]!, i, n, path.slice(0, -1), tree.root)).toBe(false);
        expect(verifyInclusion(ls[i]!, i, n, [...path, ls[0]!], tree.root)).toBe(false);
        expect(verifyInclusion(ls[i]!, n, n, path, tree.root)).toBe(false);
        expect(verifyInclusion(ls[i]!, -1, n, path, tree.root)).toBe(false);
        expect(
          verifyInclusion(
            ls[i]!,
            i,
            n,
            path.map((p, j) => (j === k ? p.subarray(0, 31) : p)),
            tree.root,
          ),
        ).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
