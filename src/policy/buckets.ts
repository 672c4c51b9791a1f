// Token buckets keyed by a peer address or an identity ([POL-3.1], [POL-4.3]), bounded: a bucket
// that refilled to full says nothing a new one would not, so it may be forgotten.
import { TokenBucket, type RateLimit } from './rate-limit.js';

const MIN_PRUNE_AT = 1024;

/** One bucket per key, created full on first use. */
export class BucketMap {
  readonly #buckets = new Map<string, TokenBucket>();
  #pruneAt = MIN_PRUNE_AT;

  /** `inUse(key)` keeps a key's bucket even when full (its holder still draws on it). */
  constructor(
    readonly limit: RateLimit,
    private readonly inUse: (key: string) => boolean = () => false,
  ) {}

  get size(): number {
    return this.#buckets.size;
  }

  /** The key's bucket, created when absent. */
  get(key: string, now: number): TokenBucket {
    let b = this.#buckets.get(key);
    if (b === undefined) {
      if (this.#buckets.size >= this.#pruneAt) this.#prune(now);
      this.#buckets.set(key, (b = new TokenBucket(this.limit, now)));
    }
    return b;
  }

  /** True when the key's bucket had a token, now taken. */
  take(key: string, now: number): boolean {
    return this.get(key, now).take(now);
  }

  // The next prune waits until the map doubled, so a map of busy buckets is not scanned per insert.
  #prune(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (!this.inUse(key) && bucket.isFull(now)) this.#buckets.delete(key);
    }
    this.#pruneAt = Math.max(MIN_PRUNE_AT, 2 * this.#buckets.size);
  }
}
