// `sealwire/redis`: replay state shared by several nodes in Redis (spec/replay.md §9). The window
// logic of §4 and the forgetting and cap of §6 run inside one Lua script per call, so a commit is
// one atomic check-and-set however many nodes commit to the same stream ([RPL-9.1]). No Redis
// client is imported: the caller passes how to run a script with the client it already has.
import { sha1 } from '../crypto/sha1.js';
import { toHex } from '../bytes.js';
import { DEFAULT_MAX_AGE_MS, DEFAULT_MAX_FUTURE_SKEW_MS, MAX_AGE_LIMIT_MS, MAX_FUTURE_SKEW_LIMIT_MS } from './freshness.js';
import { assertOptionalUint, DEFAULT_MAX_STREAMS, MAX_STREAMS_LIMIT } from './memory.js';
import type { ReplayRequest, ReplayStore, ReplayVerdict } from './store.js';
import { assertWindow, DEFAULT_WINDOW } from './window.js';
import { isNoScript } from '../store-calls.js';

/**
 * Runs a Lua script with its keys and arguments and resolves with its reply: `EVAL script
 * numkeys key… arg…`. With ioredis: `(script, keys, args) => redis.eval(script, keys.length,
 * ...keys, ...args)`; with node-redis: `(script, keys, args) => client.eval(script, { keys,
 * arguments: args })`.
 */
export type RedisEval = (script: string, keys: string[], args: string[]) => Promise<unknown>;

/**
 * Runs a script Redis already holds, by its SHA-1: `EVALSHA sha1 numkeys key… arg…`. With ioredis:
 * `(sha, keys, args) => redis.evalsha(sha, keys.length, ...keys, ...args)`. It must reject with
 * Redis's `NOSCRIPT` error when the script is not loaded; the store then sends it once with `eval`.
 */
export type RedisEvalSha = (sha1: string, keys: string[], args: string[]) => Promise<unknown>;

export interface RedisReplayStoreOptions {
  /** How to run a script on your Redis client. */
  eval: RedisEval;
  /** Optional: how to run a loaded script by its SHA-1, so each call sends 40 bytes, not the script. */
  evalSha?: RedisEvalSha;
  /**
   * Prefix of every key this store writes. Default `{sealwire}:replay:`. The braces are a Redis
   * Cluster hash tag: a script touches a stream's key, the stream index and the horizon at once,
   * so they must live on one shard.
   */
  prefix?: string;
  /** Window size W (positions), a multiple of 32 from 32 to 8,192. Default 1,024. */
  window?: number;
  /** Strict in-order mode (no bitmap). Default false. */
  strict?: boolean;
  /** Cap on tracked streams, over all nodes. Default 100,000. */
  maxStreams?: number;
  /** The receivers' `maxAgeMs` (default 60,000): every node must use the same ([RPL-9.2]). */
  maxAgeMs?: number;
  /** The receivers' `maxFutureSkewMs` (default 5,000): every node must use the same ([RPL-9.2]). */
  maxFutureSkewMs?: number;
  /** The clock that stamps a new store's `startedAt`. Default `Date.now`. */
  clock?: () => number;
}

// One script for both calls: ARGV[7] says which, ARGV[8] is the startedAt this node holds. A
// stream's state is a hash {t: top, e: expiresAt, b: bitmap} under its own key; the index is a
// sorted set of stream keys by expiresAt; the horizon is the largest expiresAt forgotten
// ([RPL-6.2]). Numbers travel as decimal strings: Lua's numbers are doubles, exact for every seq
// below 2^53, and '%.0f' writes them without an exponent.
const SCRIPT = `
-- The shared state is the one this node connected to, or Redis lost it (a restart without
-- persistence): then nothing here may be trusted, and the node must take the new startedAt.
local started = redis.call('HGET', KEYS[4], 'startedAt')
if not started then return 'LOST' end
if started ~= ARGV[8] then return 'MOVED' end
local key, index, hkey = KEYS[1], KEYS[2], KEYS[3]
local seq, now, exp = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
-- The store's clock is the largest now any node applied: a state expired at it has expired for
-- every later verdict, reclaimed or not ([RPL-6.1]).
local clock = tonumber(redis.call('GET', KEYS[5]) or '-1')
if now > clock then
  clock = now
  redis.call('SET', KEYS[5], string.format('%.0f', now))
end
now = clock
local W, strict, cap, commit = tonumber(ARGV[4]), ARGV[5] == '1', tonumber(ARGV[6]), ARGV[7] == 'commit'
local blocks = W / 32 + 1
local function num(x) return string.format('%.0f', x) end
local function forget(limit)
  local old = redis.call('ZRANGEBYSCORE', index, '-inf', '(' .. num(now), 'WITHSCORES', 'LIMIT', 0, limit)
  if #old == 0 then return end
  local h = tonumber(redis.call('GET', hkey) or '-1')
  for i = 1, #old, 2 do
    redis.call('DEL', old[i])
    redis.call('ZREM', index, old[i])
    local e = tonumber(old[i + 1])
    if e > h then h = e end
  end
  redis.call('SET', hkey, num(h))
end
local function pos(s)
  local block = math.floor(s / 32)
  return (block % blocks) * 32 + (s - block * 32)
end
local function bitset(b, p)
  local byte = string.byte(b, math.floor(p / 8) + 1)
  return bit.band(byte, bit.lshift(1, p % 8)) ~= 0
end
local function withbit(b, p)
  local i = math.floor(p / 8)
  return string.sub(b, 1, i) .. string.char(bit.bor(string.byte(b, i + 1), bit.lshift(1, p % 8))) .. string.sub(b, i + 2)
end
local function verdict(top, b)
  if seq > top then return 'ok' end
  if strict then
    if seq == top then return 'ERR_REPLAY' end
    return 'ERR_TOO_OLD'
  end
  if top - seq >= W then return 'ERR_TOO_OLD' end
  if bitset(b, pos(seq)) then return 'ERR_REPLAY' end
  return 'ok'
end
-- A commit reclaims expired streams a few at a time; a check changes no verdict ([RPL-5.2]).
if commit then forget(2) end
-- The horizon counts every expired state, reclaimed or not ([RPL-6.2]): the largest expiresAt
-- below the clock is in the index. Only an envelope expiring before the clock can meet it.
local h = tonumber(redis.call('GET', hkey) or '-1')
if exp < now then
  local dead = redis.call('ZREVRANGEBYSCORE', index, '(' .. num(now), '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
  if dead[2] and tonumber(dead[2]) > h then h = tonumber(dead[2]) end
end
if exp <= h then return 'ERR_STALE' end
local state = redis.call('HMGET', key, 't', 'e', 'b')
if state[1] and tonumber(state[2]) < now then
  -- Expired: as if forgotten ([RPL-6.3]); a commit reclaims it before starting the stream again.
  if commit then
    redis.call('DEL', key)
    redis.call('ZREM', index, key)
    if tonumber(state[2]) > tonumber(redis.call('GET', hkey) or '-1') then redis.call('SET', hkey, state[2]) end
  end
  state = {false}
end
if not state[1] then
  -- A new stream (§4.1). The cap counts unexpired streams ([RPL-6.5]).
  if redis.call('ZCARD', index) >= cap then
    if redis.call('ZCARD', index) - redis.call('ZCOUNT', index, '-inf', '(' .. num(now)) >= cap then return 'ERR_STREAM_LIMIT' end
    -- Reclaim a bounded number (Redis runs nothing else meanwhile); expired ones left over are
    -- not counted, and later commits reclaim them.
    if commit then forget(64) end
  end
  if not commit then return 'ok' end
  if strict then
    redis.call('HSET', key, 't', num(seq), 'e', num(exp))
  else
    redis.call('HSET', key, 't', num(seq), 'e', num(exp), 'b', withbit(string.rep('\\0', blocks * 4), pos(seq)))
  end
  redis.call('ZADD', index, num(exp), key)
  return 'ok'
end
local top, e, b = tonumber(state[1]), tonumber(state[2]), state[3]
local v = verdict(top, b)
if v ~= 'ok' or not commit then return v end
if not strict then
  if seq > top then
    -- Zero every block the window slides onto (RFC 6479); after a jump of a whole window, all.
    local topBlock, block = math.floor(top / 32), math.floor(seq / 32)
    for i = 1, math.min(block - topBlock, blocks) do
      local z = ((topBlock + i) % blocks) * 4
      b = string.sub(b, 1, z) .. '\\0\\0\\0\\0' .. string.sub(b, z + 5)
    end
  end
  b = withbit(b, pos(seq))
end
if seq > top then top = seq end
if exp > e then
  e = exp
  redis.call('ZADD', index, num(e), key)
end
if strict then
  redis.call('HSET', key, 't', num(top), 'e', num(e))
else
  redis.call('HSET', key, 't', num(top), 'e', num(e), 'b', b)
end
return 'ok'
`;

const SCRIPT_SHA1 = toHex(sha1(new TextEncoder().encode(SCRIPT)));

// Creates the shared settings on first use and returns them: the nodes compare theirs ([RPL-9.2]).
const CONFIG_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'window', ARGV[1], 'strict', ARGV[2], 'maxStreams', ARGV[3], 'maxAgeMs', ARGV[4], 'maxFutureSkewMs', ARGV[5], 'startedAt', ARGV[6])
end
return redis.call('HMGET', KEYS[1], 'window', 'strict', 'maxStreams', 'maxAgeMs', 'maxFutureSkewMs', 'startedAt')
`;

const VERDICTS = new Set<string>(['ok', 'ERR_REPLAY', 'ERR_TOO_OLD', 'ERR_STALE', 'ERR_STREAM_LIMIT']);

/**
 * Replay windows in Redis, for nodes that may receive envelopes of the same streams (a load
 * balancer without stickiness): each check and commit is one Lua script, so a commit is atomic
 * across nodes. Expired streams are forgotten a few per commit, the largest expiry forgotten is
 * kept as the horizon, and new streams are refused at `maxStreams` rather than evicting live ones,
 * exactly as in {@link MemoryReplayStore}. The settings live in Redis: a node with other settings
 * is refused by {@link RedisReplayStore.connect}, and `startedAt` is when the shared state was
 * created, so a node restart costs nothing ([RPL-7.1]). If Redis loses the state (a restart without
 * persistence), the next call notices, is refused, and starts the state again; every node then
 * takes the new `startedAt`, so the restart bound covers what was forgotten ([RPL-9.5]). An
 * unreachable Redis fails closed: the receiver refuses with `ERR_STORE`.
 *
 * @example
 * ```ts
 * import Redis from 'ioredis'
 * import { RedisReplayStore } from 'sealwire/redis'
 * const redis = new Redis()
 * const store = await RedisReplayStore.connect({ eval: (s, keys, args) => redis.eval(s, keys.length, ...keys, ...args) })
 * const receiver = new Receiver({ keys: ring, store })
 * ```
 */
interface Settings {
  readonly window: number;
  readonly strict: boolean;
  readonly maxStreams: number;
  readonly maxAgeMs: number;
  readonly maxFutureSkewMs: number;
}

/**
 * The shared settings and startedAt, created with `settings` and `now` when absent.
 * @throws {RangeError} when the shared state has other settings ([RPL-9.2]).
 */
const FORGET_SCRIPT = "redis.call('DEL', KEYS[1]) redis.call('ZREM', KEYS[2], KEYS[1]) return 'ok'";

async function sharedStart(run: RedisEval, prefix: string, settings: Settings, now: number): Promise<number> {
  const reply = await run(
    CONFIG_SCRIPT,
    [`${prefix}config`],
    [
      String(settings.window),
      settings.strict ? '1' : '0',
      String(settings.maxStreams),
      String(settings.maxAgeMs),
      String(settings.maxFutureSkewMs),
      String(now),
    ],
  );
  if (!Array.isArray(reply) || reply.length !== 6) throw new Error('unexpected reply from Redis to the settings script');
  const [w, strict, maxStreams, maxAgeMs, maxFutureSkewMs, startedAt] = reply.map((v) => String(v));
  const shared: Settings = {
    window: Number(w),
    strict: strict === '1',
    maxStreams: Number(maxStreams),
    maxAgeMs: Number(maxAgeMs),
    maxFutureSkewMs: Number(maxFutureSkewMs),
  };
  for (const name of Object.keys(settings) as (keyof Settings)[]) {
    if (shared[name] !== settings[name]) {
      throw new RangeError(
        `"${name}" is ${String(settings[name])} here but ${String(shared[name])} in the shared replay state at ${prefix}: every node must use the same`,
      );
    }
  }
  return Number(startedAt);
}

export class RedisReplayStore implements ReplayStore {
  readonly window: number;
  readonly strict: boolean;
  readonly maxStreams: number;
  readonly maxAgeMs: number;
  readonly maxFutureSkewMs: number;
  readonly synchronous = false;
  readonly prefix: string;
  readonly #eval: RedisEval;
  readonly #evalSha: RedisEvalSha | undefined;
  readonly #settings: Settings;
  readonly #clock: () => number;
  readonly #index: string;
  readonly #horizon: string;
  readonly #clockKey: string;
  readonly #config: string;
  readonly #fixed: string[];
  #startedAt: number;

  /**
   * Connects to the shared state, creating it with these settings if it does not exist yet.
   *
   * @throws {TypeError|RangeError} on an invalid option (named). Rejects with a RangeError when
   *   the shared state was created with other settings ([RPL-9.2]), and with the client's error when
   *   Redis cannot be reached.
   */
  static async connect(options: RedisReplayStoreOptions): Promise<RedisReplayStore> {
    if (options === null || typeof options !== 'object') throw new TypeError('"options" expected object');
    if (typeof options.eval !== 'function') throw new TypeError('"eval" expected function');
    if (options.evalSha !== undefined && typeof options.evalSha !== 'function') throw new TypeError('"evalSha" expected function');
    const prefix = options.prefix ?? '{sealwire}:replay:';
    if (typeof prefix !== 'string') throw new TypeError('"prefix" expected string');
    const window = options.window ?? DEFAULT_WINDOW;
    assertWindow(window, 'window');
    if (options.strict !== undefined && typeof options.strict !== 'boolean') throw new TypeError('"strict" expected boolean');
    assertOptionalUint(options.maxStreams, 'maxStreams', 1, MAX_STREAMS_LIMIT);
    assertOptionalUint(options.maxAgeMs, 'maxAgeMs', 1, MAX_AGE_LIMIT_MS);
    assertOptionalUint(options.maxFutureSkewMs, 'maxFutureSkewMs', 0, MAX_FUTURE_SKEW_LIMIT_MS);
    const clock = options.clock ?? Date.now;
    if (typeof clock !== 'function') throw new TypeError('"clock" expected function');
    const settings: Settings = {
      window,
      strict: options.strict ?? false,
      maxStreams: options.maxStreams ?? DEFAULT_MAX_STREAMS,
      maxAgeMs: options.maxAgeMs ?? DEFAULT_MAX_AGE_MS,
      maxFutureSkewMs: options.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS,
    };
    const startedAt = await sharedStart(options.eval, prefix, settings, clock());
    return new RedisReplayStore(options.eval, options.evalSha, prefix, settings, clock, startedAt);
  }

  private constructor(run: RedisEval, runSha: RedisEvalSha | undefined, prefix: string, settings: Settings, clock: () => number, startedAt: number) {
    this.#eval = run;
    this.#evalSha = runSha;
    this.prefix = prefix;
    this.#settings = settings;
    this.window = settings.window;
    this.strict = settings.strict;
    this.maxStreams = settings.maxStreams;
    this.maxAgeMs = settings.maxAgeMs;
    this.maxFutureSkewMs = settings.maxFutureSkewMs;
    this.#clock = clock;
    this.#startedAt = startedAt;
    this.#index = `${prefix}streams`;
    this.#horizon = `${prefix}horizon`;
    this.#clockKey = `${prefix}clock`;
    this.#config = `${prefix}config`;
    this.#fixed = [String(settings.window), settings.strict ? '1' : '0', String(settings.maxStreams)];
  }

  /**
   * Since when the shared state holds every acceptance ([RPL-7.3]): when it was created, by this
   * node or another. It moves forward if Redis loses the state.
   */
  get startedAt(): number {
    return this.#startedAt;
  }

  check(request: ReplayRequest): Promise<ReplayVerdict> {
    return this.#run(request, 'check');
  }

  commit(request: ReplayRequest): Promise<ReplayVerdict> {
    return this.#run(request, 'commit');
  }

  /** [RPL-6.7]: drops one stream's state and its index entry; the horizon stays. */
  async forget(kid: Uint8Array, stream: Uint8Array): Promise<void> {
    const key = `${this.prefix}s:${toHex(kid)}:${toHex(stream)}`;
    await this.#eval(FORGET_SCRIPT, [key, this.#index], []);
  }

  async #run(req: ReplayRequest, op: 'check' | 'commit'): Promise<ReplayVerdict> {
    // Keys and arguments are built before anything is awaited: the caller may reuse its buffers.
    const keys = [`${this.prefix}s:${toHex(req.kid)}:${toHex(req.stream)}`, this.#index, this.#horizon, this.#config, this.#clockKey];
    const args = [String(req.seq), String(req.now), String(req.expiresAt), ...this.#fixed, op, String(this.#startedAt)];
    const reply = await this.#script(keys, args);
    const verdict = typeof reply === 'string' ? reply : String(reply);
    if (verdict === 'LOST' || verdict === 'MOVED') {
      // Redis lost the state (or another node found it lost and started it again): everything
      // accepted before is forgotten, so the restart bound must move to the new start ([RPL-7.2]).
      // This envelope was judged under the old one: refused (ERR_STORE); the next ones are not.
      this.#startedAt = await sharedStart(this.#eval, this.prefix, this.#settings, this.#clock());
      throw new Error('the shared replay state was lost and started again; this envelope is refused');
    }
    // Anything else means the script did not run as written: the receiver fails closed (ERR_STORE).
    if (!VERDICTS.has(verdict)) throw new Error(`unexpected reply from Redis: ${verdict.slice(0, 64)}`);
    return verdict as ReplayVerdict;
  }

  async #script(keys: string[], args: string[]): Promise<unknown> {
    if (this.#evalSha === undefined) return this.#eval(SCRIPT, keys, args);
    try {
      return await this.#evalSha(SCRIPT_SHA1, keys, args);
    } catch (err) {
      // Not loaded yet (or Redis restarted): EVAL runs it and caches it for the next EVALSHA.
      if (!isNoScript(err)) throw err;
      return this.#eval(SCRIPT, keys, args);
    }
  }
}

// Revocations shared by the nodes of a service ride on the same Redis (spec/policy.md §6.1).
export {
  shareRevocations,
  type RedisCommand,
  type RevocationSubscriber,
  type RevocationTarget,
  type RevokeOptions,
  type SharedRevocations,
  type ShareRevocationsOptions,
  type SubscriberEvents,
} from '../keys/shared-revocation.js';

// Room presence across the nodes of a service (spec/rooms.md [ROOM-11.1]).
export { sharePresence, type PresenceSource, type SharedPresence, type SharePresenceOptions } from '../session/shared-presence.js';

// Per-identity connection caps and rate limits across the nodes of a service (spec/policy.md §4.1).
export { shareLimits, type LimitsTarget, type SharedLimits, type ShareLimitsOptions } from '../policy/shared-limits.js';
export type { LimitStore, SharedRefusal } from '../policy/limit-store.js';

// Rooms shared by the nodes of a service through Redis Streams (spec/rooms.md §11.1).
export { shareRooms, type ShareRoomsOptions } from '../rooms/shared-redis.js';
export { shareResume, type ShareResumeOptions, type SharedResume } from '../session/shared-resume.js';
export type { SharedRoomStore } from '../rooms/shared.js';
