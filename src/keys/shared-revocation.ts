// Revocations shared by the nodes of one service through Redis (spec/policy.md §6.1): each one is
// stored (SET, with PX when it can end), published, and applied to every node's key ring, which
// closes the affected sessions ([POL-6.1]). Pub/sub loses what is published while a subscriber is
// away, so a node loads the stored set whenever its subscription comes back, and refuses new
// transports until it has ([POL-6.5], [POL-6.6]). No Redis client is imported: the caller passes
// functions over the clients it already has. Portable: no Node built-ins here.
import { assertBytes, assertSafeUint, fromHex, toHex } from '../bytes.js';
import type { KeyRing } from './keyring.js';

/**
 * Runs one Redis command and resolves with its reply. With ioredis: `(command, args) =>
 * redis.call(command, ...args)`; with node-redis: `(command, args) => client.sendCommand([command, ...args])`.
 */
export type RedisCommand = (command: string, args: string[]) => Promise<unknown>;

/** What the subscriber connection reports: call `message` per message, `down` when it drops, `up` when it is back. */
export interface SubscriberEvents {
  message(channel: string, text: string): void;
  up(): void;
  down(): void;
}

/**
 * The subscriber connection (with ioredis, a second connection: one that subscribes can run no
 * other command). `subscribe` must resolve once Redis confirmed the SUBSCRIBE; it is called at
 * start and after every `up`. `on` is called once, at start.
 */
export interface RevocationSubscriber {
  subscribe(channel: string): Promise<unknown>;
  on(events: SubscriberEvents): void;
  /** Optional: UNSUBSCRIBE, called by `close()`. */
  unsubscribe?(channel: string): Promise<unknown>;
}

/** The server whose key ring is shared: a `SecureServer` fits. */
export interface RevocationTarget {
  readonly keys: KeyRing;
  addAdmissionCheck(check: () => 'ERR_STORE' | null): () => void;
}

export interface ShareRevocationsOptions {
  /** Runs commands (SET, PUBLISH, SCAN, MGET) on your normal connection. */
  command: RedisCommand;
  subscriber: RevocationSubscriber;
  /** Prefix of every key, and the channel's name. Default `{sealwire}:revoked:` (a Cluster hash tag: one shard). */
  prefix?: string;
  /**
   * How long after a key's `notAfter` its revocation is kept when `until` is not given: the
   * receivers' `maxAgeMs` (default 60,000), since an envelope stamped at `notAfter` is fresh that long.
   */
  graceMs?: number;
  /** How long to wait before loading again after a failed load. Default 1,000 ms. */
  retryMs?: number;
  /** Told of a store failure or an unreadable message; the node stays closed to new transports meanwhile. */
  onError?: (err: unknown) => void;
  clock?: () => number;
}

export interface RevokeOptions {
  /** Until when (ms since the epoch) the record is kept: past it the key or credential is invalid anyway. Default: for good (see `graceMs`). */
  until?: number;
}

export interface SharedRevocations {
  /**
   * Revokes a key id on every node. Applied here at once; resolves once stored and published
   * ([POL-6.3]). Rejects when Redis did not take it: the revocation then holds on this node only.
   */
  revokeKey(kid: Uint8Array, options?: RevokeOptions): Promise<void>;
  /** Revokes on every node the keys of `identity` issued before `issuedBefore` (ms); as `revokeKey`. */
  revokeIdentity(identity: string, issuedBefore: number, options?: RevokeOptions): Promise<void>;
  /** Whether the node is subscribed and loaded: new transports are admitted. */
  readonly ready: boolean;
  /** Stops listening and removes the admission check. */
  close(): Promise<void>;
}

type Revocation = { k: string; u?: number } | { i: string; b: number; u?: number };

const DEFAULT_PREFIX = '{sealwire}:revoked:';
const SCAN_COUNT = '500';

// A stored or published record: {"k": hex kid} or {"i": identity, "b": issuedBefore}, "u": until.
function parse(text: string): Revocation | undefined {
  let r: unknown;
  try {
    r = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (r === null || typeof r !== 'object') return undefined;
  const o = r as Record<string, unknown>;
  if (o['u'] !== undefined && !(typeof o['u'] === 'number' && Number.isSafeInteger(o['u']))) return undefined;
  const until = o['u'] === undefined ? {} : { u: o['u'] };
  if (typeof o['k'] === 'string' && /^(?:[0-9a-f]{2})+$/.test(o['k'])) return { k: o['k'], ...until };
  if (typeof o['i'] === 'string' && typeof o['b'] === 'number' && Number.isSafeInteger(o['b']) && o['b'] >= 0) {
    return { i: o['i'], b: o['b'], ...until };
  }
  return undefined;
}

// Glob characters of SCAN MATCH, escaped so the prefix matches itself.
function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => '\\' + c);
}

function utf8Hex(s: string): string {
  return toHex(new TextEncoder().encode(s));
}

function assertUntil(options: RevokeOptions | undefined): number | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object') throw new TypeError('"options" expected object');
  if (options.until !== undefined) assertSafeUint(options.until, 'until');
  return options.until;
}

/**
 * Shares the revocations of `server.keys` with every node that shares them through the same
 * Redis: a revocation made here is stored, published and applied; one made elsewhere is applied
 * here within moments, closing the sessions of the key ([POL-6.4]). Resolves once subscribed and
 * the stored set is loaded; until then, and whenever the subscriber is down, `server.admit`
 * refuses with `ERR_STORE` ([POL-6.6]). Revoke through the returned object: a call on
 * `server.keys` stays on this node.
 *
 * @throws {TypeError} for a malformed option. Rejects when the first load fails (the admission
 *   check is removed again).
 * @example
 * ```ts
 * const redis = new Redis(url), sub = new Redis(url)
 * const shared = await shareRevocations(server, {
 *   command: (command, args) => redis.call(command, ...args),
 *   subscriber: {
 *     subscribe: (channel) => sub.subscribe(channel),
 *     on: (e) => sub.on('message', e.message).on('ready', e.up).on('close', e.down),
 *   },
 * })
 * await shared.revokeKey(kid) // every node closes that key's sessions
 * ```
 */
export async function shareRevocations(server: RevocationTarget, options: ShareRevocationsOptions): Promise<SharedRevocations> {
  if (server === null || typeof server !== 'object' || typeof server.addAdmissionCheck !== 'function') {
    throw new TypeError('"server" expected a SecureServer');
  }
  if (options === null || typeof options !== 'object') throw new TypeError('"options" expected object');
  if (typeof options.command !== 'function') throw new TypeError('"command" expected function');
  const sub = options.subscriber;
  if (sub === null || typeof sub !== 'object' || typeof sub.subscribe !== 'function' || typeof sub.on !== 'function') {
    throw new TypeError('"subscriber" expected {subscribe, on}');
  }
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  if (typeof prefix !== 'string' || prefix === '') throw new TypeError('"prefix" expected a non-empty string');
  assertSafeUint(options.graceMs ?? 0, 'graceMs');
  assertSafeUint(options.retryMs ?? 0, 'retryMs');
  const shared = new Shared(server, options, prefix);
  await shared.start();
  return shared;
}

class Shared implements SharedRevocations {
  readonly #keys: KeyRing;
  readonly #command: RedisCommand;
  readonly #subscriber: RevocationSubscriber;
  readonly #prefix: string;
  readonly #channel: string;
  readonly #graceMs: number;
  readonly #retryMs: number;
  readonly #clock: () => number;
  readonly #onError: (err: unknown) => void;
  readonly #removeCheck: () => void;
  // Counts subscriber losses: a load started before the latest loss proves nothing.
  #generation = 0;
  #ready = false;
  #closed = false;
  #started = false;
  #retry: ReturnType<typeof setTimeout> | undefined;
  // Settled by the first load that completes, or by the first failure before any did.
  #settle!: { resolve: () => void; reject: (err: unknown) => void };
  readonly #first = new Promise<void>((resolve, reject) => (this.#settle = { resolve, reject }));

  constructor(server: RevocationTarget, options: ShareRevocationsOptions, prefix: string) {
    this.#keys = server.keys;
    this.#command = options.command;
    this.#subscriber = options.subscriber;
    this.#prefix = prefix;
    this.#channel = prefix + 'events';
    this.#graceMs = options.graceMs ?? 60_000;
    this.#retryMs = options.retryMs ?? 1_000;
    this.#clock = options.clock ?? Date.now;
    this.#onError = options.onError ?? (() => {});
    this.#removeCheck = server.addAdmissionCheck(() => (this.ready ? null : 'ERR_STORE'));
  }

  get ready(): boolean {
    return this.#ready && !this.#closed;
  }

  async start(): Promise<void> {
    this.#subscriber.on({
      message: (ch, text) => this.#message(String(ch), String(text)),
      down: () => {
        this.#generation++;
        this.#ready = false;
      },
      up: () => {
        if (this.#closed) return;
        this.#generation++;
        this.#ready = false;
        void this.#resync();
      },
    });
    try {
      // An `up` during the first load supersedes it: `#first` waits for the latest.
      void this.#resync();
      await this.#first;
    } catch (err) {
      this.#closed = true;
      clearTimeout(this.#retry);
      this.#removeCheck();
      throw err;
    }
  }

  async revokeKey(kid: Uint8Array, options?: RevokeOptions): Promise<void> {
    assertBytes(kid, 'kid');
    let until = assertUntil(options);
    const entry = this.#keys.get(kid);
    // A key with an end: its envelopes stay fresh `graceMs` past it, then nothing can use it.
    if (until === undefined && entry !== undefined && entry.notAfter < Number.MAX_SAFE_INTEGER - this.#graceMs) {
      until = entry.notAfter + this.#graceMs;
    }
    const hex = toHex(kid);
    await this.#share(this.#prefix + 'k:' + hex, { k: hex, ...(until === undefined ? {} : { u: until }) }, until);
  }

  async revokeIdentity(identity: string, issuedBefore: number, options?: RevokeOptions): Promise<void> {
    if (typeof identity !== 'string') throw new TypeError('"identity" expected string');
    assertSafeUint(issuedBefore, 'issuedBefore');
    const until = assertUntil(options);
    // One record per cutoff: the ring keeps the largest, and two nodes never overwrite each other.
    const name = this.#prefix + 'i:' + utf8Hex(identity) + ':' + String(issuedBefore);
    await this.#share(name, { i: identity, b: issuedBefore, ...(until === undefined ? {} : { u: until }) }, until);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#removeCheck();
    await this.#subscriber.unsubscribe?.(this.#channel);
  }

  /** Applied here first, then stored, then pushed ([POL-6.3], [POL-6.4]). */
  async #share(name: string, r: Revocation, until: number | undefined): Promise<void> {
    this.#apply(r);
    const text = JSON.stringify(r);
    if (until === undefined) await this.#command('SET', [name, text]);
    else {
      const ttl = until - this.#clock();
      // Past its end the key is refused anyway: nothing to keep, but the push still closes sessions.
      if (ttl > 0) await this.#command('SET', [name, text, 'PX', String(ttl)]);
    }
    await this.#command('PUBLISH', [this.#channel, text]);
  }

  #message(channel: string, text: string): void {
    if (this.#closed || channel !== this.#channel) return;
    const r = parse(text);
    if (r === undefined) this.#report(new Error('unreadable revocation message'));
    else this.#apply(r);
  }

  // The ring notifies the server, which closes the key's sessions ([POL-6.1]); a listener's error
  // is reported, the revocation stands.
  #apply(r: Revocation): void {
    try {
      if ('k' in r) this.#keys.revokeKey(fromHex(r.k));
      else this.#keys.revokeIdentity(r.i, r.b);
    } catch (err) {
      this.#report(err);
    }
  }

  #report(err: unknown): void {
    try {
      this.#onError(err);
    } catch {
      // The caller's reporter failing changes nothing here.
    }
  }

  // Subscribe first, then load: a revocation published in between arrives by message, one stored
  // before is in the load ([POL-6.5]).
  async #resync(): Promise<void> {
    const mine = this.#generation;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    try {
      await this.#subscriber.subscribe(this.#channel);
      await this.#loadAll();
    } catch (err) {
      if (mine !== this.#generation || this.#closed) return;
      if (!this.#started) return this.#settle.reject(err);
      this.#report(err);
      this.#retry = setTimeout(() => void this.#resync(), this.#retryMs);
      return;
    }
    if (mine !== this.#generation || this.#closed) return;
    this.#ready = true;
    this.#started = true;
    this.#settle.resolve();
  }

  async #loadAll(): Promise<void> {
    let cursor = '0';
    do {
      const reply = await this.#command('SCAN', [cursor, 'MATCH', globEscape(this.#prefix) + '*', 'COUNT', SCAN_COUNT]);
      if (!Array.isArray(reply) || !Array.isArray(reply[1])) throw new Error('unexpected SCAN reply');
      cursor = String(reply[0]);
      const names = (reply[1] as unknown[]).map(String);
      if (names.length === 0) continue;
      const values = await this.#command('MGET', names);
      if (!Array.isArray(values)) throw new Error('unexpected MGET reply');
      for (const v of values) {
        if (v === null || v === undefined) continue; // expired between SCAN and MGET
        const r = parse(String(v));
        if (r === undefined) this.#report(new Error('unreadable stored revocation'));
        else this.#apply(r);
      }
    } while (cursor !== '0');
  }
}
