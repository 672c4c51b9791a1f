// Limits shared by the nodes of one service (spec/policy.md §4.1): what a shared store answers,
// and a node's share of an identity's message bucket, spent synchronously from tokens the store
// granted ahead. Portable: no Node built-ins here.
import { ProtocolError } from '../errors.js';
import type { RateLimit } from './rate-limit.js';

/** Why the store refuses an identity a session: its session rate, its cap, or no answer. */
export type SharedRefusal = 'ERR_RATE_LIMITED' | 'ERR_TOO_MANY_CONNECTIONS' | 'ERR_STORE';

/** The identity's limits across nodes, as `SecureServer.useLimitStore` takes them. */
export interface LimitStore {
  /**
   * Takes a token of the identity's new-session bucket, then a connection slot named `slot` under
   * `cap`, atomically ([POL-4.6]). Resolves with the refusal (`ERR_STORE` when the store did not
   * answer), or null when the slot is taken. Never rejects.
   */
  admit(identity: string, slot: string, sessions: RateLimit, cap: number): Promise<SharedRefusal | null>;
  /** Gives a slot back; one the store misses ends with its lease. */
  release(identity: string, slot: string): void;
  /** Takes up to `n` tokens of the identity's message bucket and resolves with how many; rejects when the store did not answer. */
  grant(identity: string, messages: RateLimit, n: number): Promise<number>;
  /** Returns `n` unspent tokens. */
  refund(identity: string, messages: RateLimit, n: number): void;
  /** Tokens asked per grant; undefined: a tenth of `burst` ([POL-4.5]). */
  readonly grantSize?: number | undefined;
}

/** A bucket as a message charge spends it: `ready` (when present) answers later. */
export interface Bucket {
  take(now: number): boolean;
  ready?(): Promise<void> | undefined;
}

/** A node's share of one identity's message bucket: tokens the store granted, spent here ([POL-4.5]). */
export class Allowance implements Bucket {
  #tokens = 0;
  #pending: Promise<void> | undefined;
  /** The last grant got no answer: an envelope that finds no token is refused with ERR_STORE. */
  #down = false;
  #dropped = false;
  readonly #ask: number;

  constructor(
    private readonly store: LimitStore,
    private readonly identity: string,
    private readonly limit: RateLimit,
  ) {
    this.#ask = Math.min(limit.burst, store.grantSize ?? Math.ceil(limit.burst / 10));
    void this.#fetch();
  }

  /**
   * @see [POL-4.5]
   * @throws {ProtocolError} `ERR_STORE` when no token is left and the store did not answer the last grant.
   */
  take(_now: number): boolean {
    if (this.#tokens >= 1) {
      this.#tokens--;
      // The next grant is asked before this one is spent, so a steady sender never waits.
      if (2 * this.#tokens < this.#ask) void this.#fetch();
      return true;
    }
    if (this.#down) throw new ProtocolError('ERR_STORE', 'the shared limit store did not answer');
    return false;
  }

  /** Undefined when a token is here; else a promise (never rejecting) of the next grant's answer. */
  ready(): Promise<void> | undefined {
    return this.#tokens >= 1 ? undefined : this.#fetch();
  }

  /** The identity's last connection here ended: unspent tokens go back to the bucket. */
  drop(): void {
    this.#dropped = true;
    this.#giveBack();
  }

  #giveBack(): void {
    const n = Math.floor(this.#tokens);
    this.#tokens = 0;
    if (n > 0) this.store.refund(this.identity, this.limit, n);
  }

  #fetch(): Promise<void> {
    if (this.#dropped) return Promise.resolve();
    return (this.#pending ??= this.store
      .grant(this.identity, this.limit, this.#ask)
      .then(
        (n) => {
          // More than asked, or not a count: a store that did not answer as it must ([POL-4.7]).
          if (!Number.isSafeInteger(n) || n < 0 || n > this.#ask) {
            this.#down = true;
            return;
          }
          this.#tokens += n;
          this.#down = false;
          if (this.#dropped) this.#giveBack();
        },
        () => {
          this.#down = true;
        },
      )
      .finally(() => (this.#pending = undefined)));
  }
}
