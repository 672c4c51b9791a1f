// Token buckets (spec/policy.md §3): messages, charged before the signature is verified
// ([POL-1.2]), and new sessions ([POL-4.3]).
import { ProtocolError } from '../errors.js';
import type { Bucket } from './limit-store.js';

export interface RateLimit {
  /** Tokens added per second. */
  readonly perSecond: number;
  /** Bucket capacity: the largest burst. */
  readonly burst: number;
}

export const DEFAULT_CONNECTION_RATE: RateLimit = { perSecond: 50, burst: 100 };
export const DEFAULT_IDENTITY_RATE: RateLimit = { perSecond: 100, burst: 200 };
/** New sessions per peer IP address and per identity ([POL-4.3]). */
export const DEFAULT_IP_SESSION_RATE: RateLimit = { perSecond: 20, burst: 200 };
export const DEFAULT_IDENTITY_SESSION_RATE: RateLimit = { perSecond: 10, burst: 100 };

export function assertRateLimit(value: unknown, name: string): asserts value is RateLimit {
  const v = value as RateLimit | null;
  if (v === null || typeof v !== 'object') throw new TypeError(`"${name}" expected { perSecond, burst }`);
  if (typeof v.perSecond !== 'number' || !(v.perSecond > 0) || !Number.isFinite(v.perSecond)) {
    throw new RangeError(`"${name}.perSecond" expected a positive finite number, got ${String(v.perSecond)}`);
  }
  if (typeof v.burst !== 'number' || !Number.isSafeInteger(v.burst) || v.burst < 1) {
    throw new RangeError(`"${name}.burst" expected a positive integer, got ${String(v.burst)}`);
  }
}

/** A token bucket on an injected clock; starts full. */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    readonly limit: RateLimit,
    now: number,
  ) {
    this.#tokens = limit.burst;
    this.#last = now;
  }

  #refill(now: number): void {
    // A clock that steps back refills nothing rather than going negative.
    if (now > this.#last) {
      this.#tokens = Math.min(this.limit.burst, this.#tokens + ((now - this.#last) / 1000) * this.limit.perSecond);
      this.#last = now;
    }
  }

  /** True when a token was available and taken. */
  take(now: number): boolean {
    this.#refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** True when the bucket is back to full: safe to forget. */
  isFull(now: number): boolean {
    this.#refill(now);
    return this.#tokens >= this.limit.burst;
  }
}

/**
 * What one received envelope costs before its signature ([POL-1.2], [POL-3.1]): a token of its
 * connection's bucket and one of its identity's. Both are charged, so a connection cannot borrow
 * its identity's budget, nor the reverse.
 */
export class MessageCharge {
  constructor(
    private readonly connection: TokenBucket,
    private readonly identity: Bucket,
    private readonly clock: () => number,
  ) {}

  /** True when an envelope may have to wait for its identity's tokens ([POL-4.5]): they come from a shared store. */
  get waits(): boolean {
    return this.identity.ready !== undefined;
  }

  /** Undefined when the charge can be decided now; else a promise (never rejecting) to wait for first. */
  ready(): Promise<void> | undefined {
    return this.identity.ready?.();
  }

  /**
   * @throws {ProtocolError} `ERR_RATE_LIMITED` when either bucket was empty; `ERR_STORE` when the
   *   identity's tokens are spent and the shared store did not answer ([POL-4.7]).
   */
  charge(): void {
    const now = this.clock();
    const conn = this.connection.take(now);
    const ident = this.identity.take(now);
    if (!conn || !ident) throw new ProtocolError('ERR_RATE_LIMITED', 'rate limit exceeded');
  }
}
