// Resume state in Redis (spec/handshake.md §7.1): what a node needs to take a session over when the
// node that held it died. One hash per state under its own hash tag (a state touches one Cluster
// slot; states spread over shards), and one small key per session id naming its state. Every write
// is one Lua script that first checks the writer still holds the state, so a node that lost it
// (another took it over) writes nothing and sends nothing more on it. No Redis client is
// imported: `command` runs one command on yours.
import { sha1 } from '../crypto/sha1.js';
import { toHex } from '../bytes.js';
import { ProtocolError } from '../errors.js';
import type { RedisCommand } from '../keys/shared-revocation.js';
import { isNoScript, withDeadline } from '../store-calls.js';

export interface ShareResumeOptions {
  /** Runs one command (EVALSHA, EVAL, GET, SET, PEXPIRE, DEL) on your connection. */
  readonly command: RedisCommand;
  /** Default `sealwire:resume:`; a state is `{<prefix><state>}`, a session id `<prefix>id:<id>`. */
  readonly prefix?: string;
  /** Default 1,000 ms: a call that takes longer fails the session it was for with `ERR_STORE`. */
  readonly timeoutMs?: number;
}

/** A state as a node took it over: the holder it replaced, and its fields. */
export interface TakenState {
  readonly previous: string;
  readonly fields: ReadonlyMap<string, string>;
}

/** Resume state shared by the nodes of one service. */
export interface SharedResume {
  /** The state a session id names, if the store still holds it. */
  lookup(id: string): Promise<string | undefined>;
  /** Holds a new state under `holder`. */
  create(state: string, holder: string, fields: ReadonlyMap<string, string>, ttlMs: number): Promise<void>;
  /**
   * Takes a state over for `holder`: every later write of its previous holder fails. `'held'`
   * when `expect` still holds it (nothing changed); undefined when the store has no such state of
   * client key `kid` (hex): a state is never taken from under its client for another key.
   */
  take(state: string, holder: string, ttlMs: number, kid: string, expect?: string): Promise<TakenState | 'held' | undefined>;
  /** False when `holder` no longer holds the state: nothing was written. */
  write(state: string, holder: string, set: ReadonlyMap<string, string>, del: readonly string[], ttlMs: number): Promise<boolean>;
  /** Lets session id `id` name `state` for `ttlMs`. */
  name(id: string, state: string, ttlMs: number): Promise<void>;
  /** Keeps states and ids their holder still uses from expiring. */
  refresh(states: readonly string[], ids: readonly string[], ttlMs: number): Promise<void>;
  /** Forgets a state for good (its key was revoked, [ROOM-2.5]). */
  drop(state: string): Promise<void>;
}

const CREATE = `
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'holder', ARGV[1], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

const TAKE = `
local h = redis.call('HGET', KEYS[1], 'holder')
if not h then return false end
if redis.call('HGET', KEYS[1], 'kid') ~= ARGV[4] then return {'other', ''} end
if h == ARGV[3] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {'held'}
end
redis.call('HSET', KEYS[1], 'holder', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local all = redis.call('HGETALL', KEYS[1])
table.insert(all, 1, h)
return all`;

const WRITE = `
if redis.call('HGET', KEYS[1], 'holder') ~= ARGV[1] then return 0 end
local n = tonumber(ARGV[3])
if n > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 4, 3 + 2 * n)) end
if #ARGV > 3 + 2 * n then redis.call('HDEL', KEYS[1], unpack(ARGV, 4 + 2 * n)) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

const SHAS = new Map([CREATE, TAKE, WRITE].map((s) => [s, toHex(sha1(new TextEncoder().encode(s)))]));

function positive(v: number | undefined, fallback: number, name: string): number {
  const n = v ?? fallback;
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`"${name}" expected a positive integer, got ${String(v)}`);
  return n;
}

class RedisResume implements SharedResume {
  readonly #command: RedisCommand;
  readonly #prefix: string;
  readonly #timeoutMs: number;

  constructor(o: ShareResumeOptions) {
    if (o === null || typeof o !== 'object' || typeof o.command !== 'function') throw new TypeError('"command" expected a function');
    this.#command = o.command;
    this.#prefix = o.prefix ?? 'sealwire:resume:';
    if (typeof this.#prefix !== 'string' || /[{}]/.test(this.#prefix)) throw new TypeError('"prefix" expected a string without braces');
    this.#timeoutMs = positive(o.timeoutMs, 1000, 'timeoutMs');
  }

  #state(state: string): string {
    return `{${this.#prefix}${state}}`;
  }

  #id(id: string): string {
    return `${this.#prefix}id:${id}`;
  }

  /** Every call has a deadline ([POL-4.7] for this store): a store that does not answer fails closed. */
  #timed<T>(p: Promise<T>): Promise<T> {
    return withDeadline(p, this.#timeoutMs, () => new ProtocolError('ERR_STORE', 'the resume store did not answer in time'));
  }

  async #script(script: string, key: string, args: string[]): Promise<unknown> {
    const rest = ['1', key, ...args];
    try {
      return await this.#timed(this.#command('EVALSHA', [SHAS.get(script)!, ...rest]));
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return this.#timed(this.#command('EVAL', [script, ...rest]));
    }
  }

  async lookup(id: string): Promise<string | undefined> {
    const v = await this.#timed(this.#command('GET', [this.#id(id)]));
    return typeof v === 'string' && v !== '' ? v : undefined;
  }

  async create(state: string, holder: string, fields: ReadonlyMap<string, string>, ttlMs: number): Promise<void> {
    await this.#script(CREATE, this.#state(state), [holder, String(ttlMs), ...[...fields].flat()]);
  }

  async take(state: string, holder: string, ttlMs: number, kid: string, expect = ''): Promise<TakenState | 'held' | undefined> {
    const reply = await this.#script(TAKE, this.#state(state), [holder, String(ttlMs), expect, kid]);
    if (!Array.isArray(reply) || reply.length < 1 || reply[0] === 'other') return undefined;
    if (reply.length === 1) return 'held';
    const [previous, ...flat] = reply.map(String);
    const fields = new Map<string, string>();
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i]!, flat[i + 1]!);
    return { previous: previous!, fields };
  }

  async write(state: string, holder: string, set: ReadonlyMap<string, string>, del: readonly string[], ttlMs: number): Promise<boolean> {
    const reply = await this.#script(WRITE, this.#state(state), [holder, String(ttlMs), String(set.size), ...[...set].flat(), ...del]);
    return Number(reply) === 1;
  }

  async name(id: string, state: string, ttlMs: number): Promise<void> {
    await this.#timed(this.#command('SET', [this.#id(id), state, 'PX', String(ttlMs)]));
  }

  async refresh(states: readonly string[], ids: readonly string[], ttlMs: number): Promise<void> {
    // One command per key: the keys live in different Cluster slots.
    const keys = [...states.map((s) => this.#state(s)), ...ids.map((i) => this.#id(i))];
    await this.#timed(Promise.all(keys.map((k) => this.#command('PEXPIRE', [k, String(ttlMs)]))));
  }

  async drop(state: string): Promise<void> {
    await this.#timed(this.#command('DEL', [this.#state(state)]));
  }
}

/**
 * Resume state shared through Redis, so a client whose node died resumes its session on another
 * node with nothing lost (spec/handshake.md §7.1). Pass it as `resume: { shared }` to every node.
 * @example
 * ```ts
 * const redis = new Redis()
 * const server = new SecureServer({ key, resume: { shared: shareResume({ command: (c, a) => redis.call(c, ...a) }) } })
 * ```
 */
export function shareResume(o: ShareResumeOptions): SharedResume {
  return new RedisResume(o);
}
