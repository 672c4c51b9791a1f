// The sender chain ratchet (spec/e2ee.md §4.1): each step derives the message key and nonce of
// one index and the next chain key, and forgets the one it came from.
import { hkdfExpandSha256 as expand } from '../crypto/symmetric.js';
import { ProtocolError } from '../errors.js';
import { CHAIN_KEY_LENGTH, LABEL, MAX_INDEX, MAX_SKIP, NONCE_LENGTH } from './suite.js';

export interface MessageKey {
  readonly key: Uint8Array;
  readonly nonce: Uint8Array;
}

/** One step: the message key of `ck`'s index and the chain key of the next. @see [E2E-4.1] */
export function step(ck: Uint8Array): { message: MessageKey; next: Uint8Array } {
  const okm = expand(ck, LABEL.message, CHAIN_KEY_LENGTH + NONCE_LENGTH);
  return {
    message: { key: okm.slice(0, CHAIN_KEY_LENGTH), nonce: okm.slice(CHAIN_KEY_LENGTH) },
    next: expand(ck, LABEL.chain, CHAIN_KEY_LENGTH),
  };
}

/**
 * A chain as one member holds it: the key of the next index, and the message keys it skipped on
 * the way to a later index (at most {@link MAX_SKIP}, oldest forgotten first).
 */
export class Chain {
  #ck: Uint8Array;
  #next = 0;
  readonly #skipped = new Map<number, MessageKey>();

  constructor(chainKey: Uint8Array) {
    if (!(chainKey instanceof Uint8Array) || chainKey.length !== CHAIN_KEY_LENGTH) throw new TypeError('"chainKey" expected 32 bytes');
    this.#ck = chainKey.slice();
  }

  /** The index the next {@link Chain.advance} hands out. */
  get next(): number {
    return this.#next;
  }

  /** The sender's side: the next index and its key. */
  advance(): { index: number; key: MessageKey } {
    if (this.#next > MAX_INDEX) throw new RangeError('chain exhausted: rotate');
    const { message, next } = step(this.#ck);
    this.#ck = next;
    return { index: this.#next++, key: message };
  }

  /**
   * The receiver's side: the key of `index`, skipping ahead at most {@link MAX_SKIP}. A key is
   * handed out once; call {@link Chain.restore} when it failed to decrypt, so a forged message
   * cannot burn the key of the real one.
   * @throws {ProtocolError} `ERR_E2EE_CHAIN_INDEX` @see [E2E-4.3]
   */
  take(index: number): MessageKey {
    if (index < this.#next) {
      const k = this.#skipped.get(index);
      if (k === undefined) throw new ProtocolError('ERR_E2EE_CHAIN_INDEX', 'chain index already used or forgotten');
      this.#skipped.delete(index);
      return k;
    }
    if (index - this.#next > MAX_SKIP || index > MAX_INDEX) throw new ProtocolError('ERR_E2EE_CHAIN_INDEX', 'chain index too far ahead');
    while (this.#next < index) {
      const { message, next } = step(this.#ck);
      this.#ck = next;
      this.#skipped.set(this.#next++, message);
      if (this.#skipped.size > MAX_SKIP) this.#skipped.delete(this.#skipped.keys().next().value!);
    }
    return this.advance().key;
  }

  /** Puts back a key {@link Chain.take} handed out for a message that did not decrypt. */
  restore(index: number, key: MessageKey): void {
    this.#skipped.set(index, key);
    if (this.#skipped.size > MAX_SKIP) this.#skipped.delete(this.#skipped.keys().next().value!);
  }
}
