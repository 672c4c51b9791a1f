// Small number helpers shared by the Ed25519 tests (and the browser page of the pool test): no
// node: import.

/** `n` as 32 little-endian bytes (a scalar in an Ed25519 signature's S half). */
export function numberToLE32(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** xorshift32, so a failure reproduces from its seed. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}
