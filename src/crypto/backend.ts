/**
 * The one seam between sealwire and an Ed25519 implementation. Backends only compute: every input
 * has already passed the strict rule of spec/verification.md (exact lengths, canonical R, S < L,
 * public key canonical, not small-order and torsion-free), so all backends give one verdict.
 */
export interface Ed25519Backend {
  /** Stable name, shown in benchmarks and in the conformance driver's `--backend`. */
  readonly name: string;
  /** Prepares a validated 32-byte public key for repeated use (e.g. a cached KeyObject). */
  importPublicKey(publicKey: Uint8Array): unknown;
  /** Prepares a 32-byte secret seed whose public key is `publicKey`. */
  importSecretKey(secretKey: Uint8Array, publicKey: Uint8Array): unknown;
  /** Cofactorless verification ([S]B = R + [k]A, compared exactly) of a pre-checked signature. */
  verify(publicKey: unknown, message: Uint8Array, signature: Uint8Array): boolean;
  sign(secretKey: unknown, message: Uint8Array): Uint8Array;
  /**
   * Rules K3–K4 natively (a curve point, not small-order, torsion-free) on a key that already
   * passed K1–K2. Absent: the portable check runs. Must give the portable check's verdict.
   */
  isValidPoint?(publicKey: Uint8Array): boolean;
}
