// The anti-replay window of spec/replay.md §4: RFC 6479's bitmap, which slides by clearing whole
// 32-bit blocks instead of shifting bits. Pure functions over a slice of a shared Uint32Array, so
// one allocation serves many streams (the memory budget of §10 rules out a typed array per stream).

/** Smallest window accepted. Small windows suit ordered transports and let tests reach the edges. */
export const MIN_WINDOW = 32;
/** Largest window accepted: WireGuard's order of magnitude (8,128 slots). */
export const MAX_WINDOW = 8192;
/** Default window: 1,024 positions (spec/replay.md §10 gives the reasons). */
export const DEFAULT_WINDOW = 1024;

export const SEQ_OK = 0;
export const SEQ_REPLAY = 1;
export const SEQ_TOO_OLD = 2;
export type SeqVerdict = typeof SEQ_OK | typeof SEQ_REPLAY | typeof SEQ_TOO_OLD;

/** Throws RangeError unless `window` is a multiple of 32 in [MIN_WINDOW, MAX_WINDOW]. */
export function assertWindow(window: unknown, name = 'window'): asserts window is number {
  if (typeof window !== 'number' || !Number.isInteger(window) || window < MIN_WINDOW || window > MAX_WINDOW || window % 32 !== 0) {
    throw new RangeError(`"${name}" expected a multiple of 32 from ${MIN_WINDOW} to ${MAX_WINDOW}, got ${String(window)}`);
  }
}

/**
 * 32-bit blocks a window of W positions needs: W/32 + 1. The extra block is RFC 6479's: the W
 * positions behind the highest seq span at most W/32 + 1 blocks, so sliding only zeroes blocks.
 */
export function windowBlocks(window: number): number {
  return window / 32 + 1;
}

/**
 * Would `seq` be accepted by a window whose highest accepted seq is `top`? Reads only.
 * Sequence numbers reach 2^53 - 1, so block and bit come from division, not bitwise operators.
 */
export function checkWindow(words: Uint32Array, base: number, window: number, top: number, seq: number): SeqVerdict {
  if (seq > top) return SEQ_OK;
  if (top - seq >= window) return SEQ_TOO_OLD;
  const block = Math.floor(seq / 32);
  const bit = seq - block * 32;
  return ((words[base + (block % (window / 32 + 1))]! >>> bit) & 1) === 1 ? SEQ_REPLAY : SEQ_OK;
}

/**
 * Marks `seq` seen and returns the new highest seq. The caller has just had SEQ_OK from
 * {@link checkWindow} for the same state: check and mark run with no await between them.
 */
export function markWindow(words: Uint32Array, base: number, window: number, top: number, seq: number): number {
  const blocks = window / 32 + 1;
  const block = Math.floor(seq / 32);
  if (seq > top) {
    // Zero every block the window slides onto; after a jump of a whole window, all of them.
    const topBlock = Math.floor(top / 32);
    const n = Math.min(block - topBlock, blocks);
    for (let i = 1; i <= n; i++) words[base + ((topBlock + i) % blocks)] = 0;
    top = seq;
  }
  const at = base + (block % blocks);
  words[at] = words[at]! | (1 << (seq - block * 32));
  return top;
}

/** Strict in-order mode (§4.3): only a seq above the highest accepted one passes. */
export function checkStrict(top: number, seq: number): SeqVerdict {
  if (seq > top) return SEQ_OK;
  return seq === top ? SEQ_REPLAY : SEQ_TOO_OLD;
}
