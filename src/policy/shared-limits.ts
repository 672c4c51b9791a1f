// Identity limits shared by the nodes of one service through Redis (spec/policy.md §4.1): the
// connection cap, the new-session bucket and the message bucket are charged by one Lua script per
// call (limit-script.ts), so N nodes never give an identity N times its budget. Every call has a
// timeout; while Redis does not answer, the node refuses new transports and what needs the store
// fails closed with ERR_STORE ([POL-4.7]). No Redis client is imported: the caller passes a
// function over the client it already has. Portable: no Node built-ins here.
import { randomBytes, toHex } from '../bytes.js';
import type { RedisCommand } from '../keys/shared-revocation.js';
import { LIMIT_SCRIPT, LIMIT_SCRIPT_SHA1 } from './limit-script.js';
import type { LimitStore, SharedRefusal } from './limit-store.js';
import type { RateLimit } from './rate-limit.js';
import { isNoScript, withDeadline } from '../store-calls.js';

/** The server whose limits are shared: a `SecureServer` fits. */
export interface LimitsTarget {
  addAdmissionCheck(check: () => 'ERR_STORE' | null): () => void;
  useLimitStore(store: LimitStore | undefined): void;
}

export interface ShareLimitsOptions {
  /** Runs one command (EVALSHA, EVAL, SCRIPT, PING) on your connection. */
  readonly command: RedisCommand;
  /**
   * Prefix of every key. Default `sealwire:limits:`; each identity's keys then share the hash tag
   * `{hex of the identity}`, so one script's keys are on one Cluster shard and identities spread
   * over shards. A prefix with a hash tag of its own puts every key on its shard.
   */
  readonly prefix?: string;
  /** This node's name in the connection entries. Default: 16 random hex digits. */
  readonly node?: string;
  /** How long a connection entry lives unless its node renews it (every third of it). Default 15,000 ms ([POL-4.6]). */
  readonly leaseMs?: number;
  /** How long a call may take before the store counts as unreachable. Default 1,000 ms ([POL-4.7]). */
  readonly timeoutMs?: number;
  /** How often an unreachable store is asked again. Default 1,000 ms. */
  readonly retryMs?: number;
  /** Message tokens taken per grant. Default: a tenth of the identity bucket's burst ([POL-4.5]). */
  readonly grantSize?: number;
  /** Told of every failed call; the node stays closed to new transports until the store answers. */
  readonly onError?: (err: unknown) => void;
}

export interface SharedLimits {
  readonly node: string;
  /** Whether the store answered the last call: new transports are admitted. */
  readonly ready: boolean;
  /** Renews the leases of this node's connections now (also done every third of `leaseMs`). */
  renew(): Promise<void>;
  /**
   * Stops sharing: new sessions are limited by this process alone. The entries of sessions admitted
   * through the store are still renewed until those sessions end, so they keep counting ([POL-4.4]).
   */
  close(): void;
}

const DEFAULT_PREFIX = 'sealwire:limits:';

function assertMs(value: number, name: string, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`"${name}" expected an integer of at least ${min}, got ${String(value)}`);
}

/**
 * Shares `server`'s per-identity limits with every node that shares them through the same Redis:
 * an identity's connection cap, its new-session rate and its message rate hold over all nodes
 * together ([POL-4.4]). Resolves once Redis answered; while it does not, `server.admit` refuses
 * with `ERR_STORE` ([POL-4.7]). The per-address checks at the upgrade stay per node.
 *
 * @throws {TypeError|RangeError} for a malformed option. Rejects when Redis does not answer at start.
 * @example
 * ```ts
 * const redis = new Redis(url)
 * const limits = await shareLimits(server, { command: (command, args) => redis.call(command, ...args) })
 * ```
 * @see [POL-4.4]
 */
export async function shareLimits(server: LimitsTarget, options: ShareLimitsOptions): Promise<SharedLimits> {
  if (server === null || typeof server !== 'object' || typeof server.useLimitStore !== 'function' || typeof server.addAdmissionCheck !== 'function') {
    throw new TypeError('"server" expected a SecureServer');
  }
  if (options === null || typeof options !== 'object') throw new TypeError('"options" expected object');
  if (typeof options.command !== 'function') throw new TypeError('"command" expected function');
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  if (typeof prefix !== 'string' || prefix === '') throw new TypeError('"prefix" expected a non-empty string');
  const node = options.node ?? toHex(randomBytes(8));
  if (typeof node !== 'string' || node === '') throw new TypeError('"node" expected a non-empty string');
  assertMs(options.leaseMs ?? 15_000, 'leaseMs', 30);
  assertMs(options.timeoutMs ?? 1000, 'timeoutMs', 1);
  assertMs(options.retryMs ?? 1000, 'retryMs', 1);
  if (options.grantSize !== undefined) assertMs(options.grantSize, 'grantSize', 1);
  const store = new RedisLimits(options, prefix, node);
  await store.start();
  server.useLimitStore(store);
  store.removeCheck = server.addAdmissionCheck(() => (store.ready ? null : 'ERR_STORE'));
  store.detach = () => server.useLimitStore(undefined);
  return store;
}

class RedisLimits implements LimitStore, SharedLimits {
  readonly #command: RedisCommand;
  readonly #prefix: string;
  readonly #leaseMs: number;
  readonly #timeoutMs: number;
  readonly #retryMs: number;
  readonly #onError: (err: unknown) => void;
  readonly grantSize: number | undefined;
  /** This node's live connection entries, per identity. */
  readonly #slots = new Map<string, Set<string>>();
  #up = true;
  #probe: ReturnType<typeof setTimeout> | undefined;
  #renewal: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  removeCheck: () => void = () => {};
  detach: () => void = () => {};

  constructor(
    options: ShareLimitsOptions,
    prefix: string,
    readonly node: string,
  ) {
    this.#command = options.command;
    this.#prefix = prefix;
    this.#leaseMs = options.leaseMs ?? 15_000;
    this.#timeoutMs = options.timeoutMs ?? 1000;
    this.#retryMs = options.retryMs ?? 1000;
    this.#onError = options.onError ?? (() => {});
    this.grantSize = options.grantSize;
  }

  get ready(): boolean {
    return this.#up && !this.#closed;
  }

  async start(): Promise<void> {
    const sha = await this.#timed(this.#command('SCRIPT', ['LOAD', LIMIT_SCRIPT]));
    if (String(sha) !== LIMIT_SCRIPT_SHA1) throw new Error('unexpected SCRIPT LOAD reply');
    this.#renewal = setInterval(() => void this.renew(), Math.max(10, Math.floor(this.#leaseMs / 3)));
    unref(this.#renewal);
  }

  /** @see [POL-4.6] */
  async admit(identity: string, slot: string, sessions: RateLimit, cap: number): Promise<SharedRefusal | null> {
    const member = `${this.node}:${slot}`;
    let reply: unknown;
    try {
      reply = await this.#run(identity, ['admit', String(sessions.perSecond), String(sessions.burst), String(cap), member, String(this.#leaseMs)]);
    } catch {
      return 'ERR_STORE';
    }
    if (reply === 'ERR_RATE_LIMITED' || reply === 'ERR_TOO_MANY_CONNECTIONS') return reply;
    // Anything but 'ok' means the script did not run as written: fail closed.
    if (reply !== 'ok') return 'ERR_STORE';
    let mine = this.#slots.get(identity);
    if (mine === undefined) this.#slots.set(identity, (mine = new Set()));
    mine.add(member);
    return null;
  }

  release(identity: string, slot: string): void {
    const member = `${this.node}:${slot}`;
    const mine = this.#slots.get(identity);
    if (mine?.delete(member) === true && mine.size === 0) this.#slots.delete(identity);
    if (this.#closed && this.#slots.size === 0) clearInterval(this.#renewal);
    // Missed by the store: the entry ends with its lease, which nobody renews.
    this.#run(identity, ['release', member]).catch(() => {});
  }

  /** @see [POL-4.5] */
  async grant(identity: string, messages: RateLimit, n: number): Promise<number> {
    const reply = await this.#run(identity, ['grant', String(messages.perSecond), String(messages.burst), String(n)]);
    if (typeof reply !== 'number' || !Number.isSafeInteger(reply) || reply < 0 || reply > n) throw new Error('unexpected grant reply');
    return reply;
  }

  refund(identity: string, messages: RateLimit, n: number): void {
    this.#run(identity, ['grant', String(messages.perSecond), String(messages.burst), String(-n)]).catch(() => {});
  }

  async renew(): Promise<void> {
    const lease = String(this.#leaseMs);
    await Promise.all([...this.#slots].map(([identity, members]) => this.#run(identity, ['renew', lease, ...members]).catch(() => {})));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#slots.size === 0) clearInterval(this.#renewal);
    clearTimeout(this.#probe);
    this.removeCheck();
    this.detach();
  }

  /** One step of the script on the identity's keys: EVALSHA, and EVAL when Redis lost the script. */
  async #run(identity: string, args: string[]): Promise<unknown> {
    const base = `${this.#prefix}{${toHex(new TextEncoder().encode(identity))}}:`;
    const call = [base + 's', base + 'c', base + 'm', ...args];
    try {
      let reply: unknown;
      try {
        reply = await this.#timed(this.#command('EVALSHA', [LIMIT_SCRIPT_SHA1, '3', ...call]));
      } catch (err) {
        if (!isNoScript(err)) throw err;
        reply = await this.#timed(this.#command('EVAL', [LIMIT_SCRIPT, '3', ...call]));
      }
      this.#up = true;
      return reply;
    } catch (err) {
      this.#down(err);
      throw err;
    }
  }

  /** The store did not answer: refuse new transports, and ask again every `retryMs` ([POL-4.7]). */
  #down(err: unknown): void {
    try {
      this.#onError(err);
    } catch {
      // The caller's reporter failing changes nothing here.
    }
    this.#up = false;
    if (this.#probe !== undefined || this.#closed) return;
    const ask = (): void => {
      this.#timed(this.#command('PING', [])).then(
        () => {
          this.#probe = undefined;
          this.#up = true;
        },
        () => {
          if (this.#closed) return;
          this.#probe = setTimeout(ask, this.#retryMs);
          unref(this.#probe);
        },
      );
    };
    this.#probe = setTimeout(ask, this.#retryMs);
    unref(this.#probe);
  }

  #timed<T>(p: Promise<T>): Promise<T> {
    return withDeadline(p, this.#timeoutMs, () => new Error(`the limit store did not answer within ${this.#timeoutMs} ms`));
  }
}

// Node's timers keep a process alive; a browser's have no unref.
function unref(timer: unknown): void {
  (timer as { unref?: () => void } | undefined)?.unref?.();
}
