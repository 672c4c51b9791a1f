// Signatures of a room frame verified ahead, asynchronously (WebCrypto in a browser), so the
// member's checks, which run in order and synchronously, find them done (spec/rooms.md §8). A
// signature counts only for the exact key and message it was verified over; anything not found
// here is verified synchronously as before, so the verdict never depends on this.
import { equalBytes } from '../bytes.js';
import type { AsyncVerify } from '../crypto/webcrypto.js';
import type { PublicKey } from '../keys/keys.js';

/** One signature a frame's checks will need. */
export interface SignatureCheck {
  readonly key: PublicKey;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
}

export class Preverified {
  readonly #valid: SignatureCheck[] = [];

  /** Verifies `checks` with `verify`, keeping those that verified. */
  static async of(checks: readonly SignatureCheck[], verify: AsyncVerify): Promise<Preverified> {
    const p = new Preverified();
    const verdicts = await Promise.all(checks.map((c) => verify(c.key, c.message, c.signature).catch(() => false)));
    checks.forEach((c, i) => verdicts[i] === true && p.#valid.push(c));
    return p;
  }

  merge(other: Preverified): void {
    this.#valid.push(...other.#valid);
  }

  /** True when this exact signature verified under this key over this message. */
  has(key: PublicKey, message: Uint8Array, signature: Uint8Array): boolean {
    return this.#valid.some((c) => equalBytes(c.signature, signature) && equalBytes(c.key.bytes, key.bytes) && equalBytes(c.message, message));
  }
}
