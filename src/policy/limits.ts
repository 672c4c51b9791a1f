// Connection caps per identity and per peer address (spec/policy.md [POL-4.2]).

export const DEFAULT_MAX_CONNECTIONS_PER_IDENTITY = 16;
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 64;

/** Counts open connections per key; `acquire` refuses at the cap. */
export class ConnectionCounter {
  readonly #counts = new Map<string, number>();

  constructor(readonly max: number) {}

  count(key: string): number {
    return this.#counts.get(key) ?? 0;
  }

  /** True when a slot was taken; every true must be paired with one `release`. */
  acquire(key: string): boolean {
    const n = this.#counts.get(key) ?? 0;
    if (n >= this.max) return false;
    this.#counts.set(key, n + 1);
    return true;
  }

  release(key: string): void {
    const n = this.#counts.get(key) ?? 0;
    if (n <= 1) this.#counts.delete(key);
    else this.#counts.set(key, n - 1);
  }
}

export function assertCap(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`"${name}" expected a positive integer, got ${String(value)}`);
  }
}
