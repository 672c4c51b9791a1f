// Room streams in Redis (spec/rooms.md §11.1): one stream, meta hash and statement set per room,
// under one hash tag, so each script touches one Cluster slot and rooms spread over shards. The
// append is one Lua script that compares the head before it writes ([ROOM-11.2]). No Redis client
// is imported: `command` runs one command on yours, `reader` the blocking reads on a connection
// of their own.
import { fromBase64url, toBase64url, toHex } from '../bytes.js';
import { sha1 } from '../crypto/sha1.js';
import type { RedisCommand } from '../keys/shared-revocation.js';
import type { AppendReply, AppendRequest, SharedEntry, SharedHead, SharedRoomStore } from './shared.js';
import { isNoScript } from '../store-calls.js';

export interface ShareRoomsOptions {
  /** Runs one command (EVALSHA, EVAL, XRANGE, ZRANGE, HMGET) on your connection. */
  readonly command: RedisCommand;
  /** Runs XREAD BLOCK on a connection used for nothing else: a blocked read holds its connection. */
  readonly reader: RedisCommand;
  /** Default `sealwire:room:`; each room's keys are `{<prefix><room>}:m`, `:s`, `:k`, `:u`. */
  readonly prefix?: string;
  /** Default 2,000 ms ([ROOM-11.6]). */
  readonly appendTimeoutMs?: number;
  /** Default 500 ms: the node refuses this long after the deadline the script enforces. */
  readonly graceMs?: number;
  /** Default 250 ms: how long one XREAD blocks (a room a node starts to read waits at most this). */
  readonly blockMs?: number;
  /** Default 2,000 ms beyond `blockMs`. */
  readonly readTimeoutMs?: number;
  /** Default 1,000 ms: how often the node checks the heads of its rooms ([ROOM-11.3]). */
  readonly checkMs?: number;
  /**
   * On Redis Cluster: the hash slot of a key (with ioredis, `cluster-key-slot`'s default export),
   * so that the reader reads each slot's rooms with an XREAD of its own, all at once; one XREAD may
   * name keys of one slot only. Without it, one XREAD names every room the node reads.
   */
  readonly slotOf?: (key: string) => number;
}

const KEYS = (prefix: string, room: string): string[] => ['m', 's', 'k', 'u'].map((k) => `{${prefix}${room}}:${k}`);

// The deadline is Redis's clock against the node's: an append Redis runs late appends nothing.
const APPEND = `
local t = redis.call('TIME')
if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > tonumber(ARGV[3]) then return {'late'} end
local meta = redis.call('HMGET', KEYS[1], 'epoch', 'next')
if not meta[1] then return {'gone'} end
if meta[1] ~= ARGV[1] or meta[2] ~= ARGV[2] then return {'moved', meta[1], meta[2]} end
local next = tonumber(ARGV[2])
local out = {'ok'}
for i = 0, tonumber(ARGV[6]) - 1 do
  local c, ts, kid, f = ARGV[7 + i * 4], ARGV[8 + i * 4], ARGV[9 + i * 4], ARGV[10 + i * 4]
  local at = string.format('%.0f', next) .. '-*'
  if kid ~= '' then
    out[#out + 1] = redis.call('XADD', KEYS[2], at, 'f', f, 'c', '0', 't', ts, 'e', ARGV[1], 'k', kid)
    redis.call('HSET', KEYS[3], kid, f)
    redis.call('ZADD', KEYS[4], next, kid)
  else
    out[#out + 1] = redis.call('XADD', KEYS[2], at, 'f', f, 'c', c, 't', ts, 'e', ARGV[1])
    next = next + tonumber(c)
  end
end
redis.call('HSET', KEYS[1], 'next', string.format('%.0f', next))
local over = redis.call('ZCARD', KEYS[4]) - 1024
if over > 0 then
  local old = redis.call('ZPOPMIN', KEYS[4], over)
  for i = 1, #old, 2 do redis.call('HDEL', KEYS[3], old[i]) end
end
-- History keeps a bundle whole: the entry that holds offset keepFrom stays.
local keep = tonumber(ARGV[4])
if keep > 0 then
  local minid = string.format('%.0f', keep) .. '-0'
  local before = redis.call('XREVRANGE', KEYS[2], '(' .. minid, '-', 'COUNT', 1)
  if before[1] then
    local f = before[1][2]
    for j = 1, #f, 2 do
      if f[j] == 'c' and tonumber(string.match(before[1][1], '^(%d+)')) + tonumber(f[j + 1]) > keep then minid = before[1][1] end
    end
  end
  redis.call('XTRIM', KEYS[2], 'MINID', minid)
end
for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[5]) end
return out
`;

const HEAD = `
local meta = redis.call('HMGET', KEYS[1], 'epoch', 'next')
if not meta[1] then return {} end
for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
return meta
`;

// A new epoch only over the head the node saw, so nodes that see a lost room together converge.
const RESET = `
local meta = redis.call('HMGET', KEYS[1], 'epoch', 'next')
if (not meta[1] and ARGV[2] == '') or (meta[1] == ARGV[2] and meta[2] == ARGV[3]) then
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
  redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'next', '0')
  meta = {ARGV[1], '0'}
end
for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[4]) end
return meta
`;

const sha = (s: string): string => toHex(sha1(new TextEncoder().encode(s)));
const SHAS = new Map([APPEND, HEAD, RESET].map((s) => [s, sha(s)]));

function positive(v: number | undefined, fallback: number, name: string): number {
  const n = v ?? fallback;
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`"${name}" expected a positive integer`);
  return n;
}

function headOf(reply: unknown): SharedHead | null {
  if (!Array.isArray(reply) || typeof reply[0] !== 'string' || reply[1] === undefined) return null;
  return { epoch: reply[0], next: Number(reply[1]) };
}

/**
 * One stream entry. One this library did not write (another writer under the prefix, a damaged
 * key) keeps its id with `count` -1: the node passes over it, and a gap it leaves is handled as
 * any other ([ROOM-11.4]).
 */
function entryOf(raw: unknown): SharedEntry | undefined {
  if (!Array.isArray(raw) || typeof raw[0] !== 'string' || !/^\d+-\d+$/.test(raw[0])) return undefined;
  const id = raw[0];
  const fields: unknown[] = Array.isArray(raw[1]) ? (raw[1] as unknown[]) : [];
  const bad: SharedEntry = { id, first: -1, count: -1, ts: 0, epoch: '', frame: new Uint8Array(0) };
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) f.set(String(fields[i]), String(fields[i + 1]));
  const first = Number(id.slice(0, id.indexOf('-')));
  const count = Number(f.get('c'));
  const ts = Number(f.get('t'));
  const epoch = f.get('e');
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(count) || count < 0 || !Number.isSafeInteger(ts) || epoch === undefined) return bad;
  try {
    return { id, first, count, ts, epoch, kid: f.get('k'), frame: fromBase64url(f.get('f') ?? '') };
  } catch {
    return bad;
  }
}

const entries = (reply: unknown): SharedEntry[] => (Array.isArray(reply) ? reply.map(entryOf).filter((e) => e !== undefined) : []);

class RedisRoomStore implements SharedRoomStore {
  readonly appendTimeoutMs: number;
  readonly graceMs: number;
  readonly readTimeoutMs: number;
  readonly blockMs: number;
  readonly checkMs: number;
  readonly #command: RedisCommand;
  readonly #reader: RedisCommand;
  readonly #prefix: string;
  readonly #slotOf: ((key: string) => number) | undefined;

  constructor(o: ShareRoomsOptions) {
    if (o === null || typeof o !== 'object') throw new TypeError('"options" expected object');
    if (typeof o.command !== 'function') throw new TypeError('"command" expected a function');
    if (typeof o.reader !== 'function') throw new TypeError('"reader" expected a function');
    this.#command = o.command;
    this.#reader = o.reader;
    if (o.slotOf !== undefined && typeof o.slotOf !== 'function') throw new TypeError('"slotOf" expected a function');
    this.#slotOf = o.slotOf;
    this.#prefix = o.prefix ?? 'sealwire:room:';
    if (typeof this.#prefix !== 'string' || /[{}]/.test(this.#prefix)) throw new TypeError('"prefix" expected a string without braces');
    this.appendTimeoutMs = positive(o.appendTimeoutMs, 2000, 'appendTimeoutMs');
    this.graceMs = positive(o.graceMs, 500, 'graceMs');
    this.blockMs = positive(o.blockMs, 250, 'blockMs');
    this.readTimeoutMs = positive(o.readTimeoutMs, 2000, 'readTimeoutMs');
    this.checkMs = positive(o.checkMs, 1000, 'checkMs');
  }

  /** EVALSHA, and EVAL once when Redis does not hold the script (a restart, SCRIPT FLUSH). */
  async #script(script: string, keys: string[], args: string[]): Promise<unknown> {
    const rest = [String(keys.length), ...keys, ...args];
    try {
      return await this.#command('EVALSHA', [SHAS.get(script)!, ...rest]);
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return this.#command('EVAL', [script, ...rest]);
    }
  }

  async head(room: string, ttlMs: number): Promise<SharedHead | null> {
    return headOf(await this.#script(HEAD, KEYS(this.#prefix, room), [String(ttlMs)]));
  }

  async reset(room: string, fresh: string, seen: SharedHead | null, ttlMs: number): Promise<SharedHead> {
    const args = [fresh, seen?.epoch ?? '', seen === null ? '' : String(seen.next), String(ttlMs)];
    const head = headOf(await this.#script(RESET, KEYS(this.#prefix, room), args));
    if (head === null) throw new Error('sealwire: a room reset returned no head');
    return head;
  }

  async append(room: string, req: AppendRequest): Promise<AppendReply> {
    const args = [req.epoch, String(req.first), String(req.deadline), String(req.keepFrom), String(req.ttlMs), String(req.frames.length)];
    for (const f of req.frames) args.push(String(f.count), String(f.ts), f.kid ?? '', toBase64url(f.frame));
    const reply = (await this.#script(APPEND, KEYS(this.#prefix, room), args)) as unknown[];
    if (reply[0] === 'ok') return { ok: true, ids: reply.slice(1).map(String) };
    if (reply[0] === 'late') return { ok: false, head: null, late: true };
    return { ok: false, head: reply[0] === 'gone' ? null : headOf(reply.slice(1)) };
  }

  async range(room: string, after: string, count: number): Promise<SharedEntry[]> {
    return entries(await this.#command('XRANGE', [KEYS(this.#prefix, room)[1]!, `(${after}`, '+', 'COUNT', String(count)]));
  }

  async statements(room: string): Promise<{ kid: string; frame: Uint8Array }[]> {
    const [, , k, u] = KEYS(this.#prefix, room);
    const kids = ((await this.#command('ZRANGE', [u!, '0', '-1'])) as unknown[]).map(String);
    if (kids.length === 0) return [];
    const frames = (await this.#command('HMGET', [k!, ...kids])) as unknown[];
    const out: { kid: string; frame: Uint8Array }[] = [];
    kids.forEach((kid, i) => {
      if (typeof frames[i] === 'string') out.push({ kid, frame: fromBase64url(frames[i]) });
    });
    return out;
  }

  async read(after: ReadonlyMap<string, string>): Promise<Map<string, SharedEntry[]>> {
    const rooms = new Map<string, string>();
    const bySlot = new Map<number, [string, string][]>();
    for (const [room, id] of after) {
      const key = KEYS(this.#prefix, room)[1]!;
      rooms.set(key, room);
      const slot = this.#slotOf?.(key) ?? 0;
      let group = bySlot.get(slot);
      if (group === undefined) bySlot.set(slot, (group = []));
      group.push([key, id]);
    }
    const out = new Map<string, SharedEntry[]>();
    const reads = [...bySlot.values()].map(async (group) => {
      const args = ['COUNT', '1024', 'BLOCK', String(this.blockMs), 'STREAMS', ...group.map((g) => g[0]), ...group.map((g) => g[1])];
      this.#readReply((await this.#reader('XREAD', args)) as unknown[] | null, rooms, out);
    });
    await Promise.all(reads);
    return out;
  }

  /** One XREAD's answer, by room. */
  #readReply(reply: unknown[] | null, rooms: ReadonlyMap<string, string>, out: Map<string, SharedEntry[]>): void {
    // RESP2 answers [[key, entries], …]; a RESP3 map comes from some clients flat: [key, entries, …].
    const flat = typeof reply?.[0] === 'string';
    const streams: unknown[][] = [];
    for (let i = 0; reply !== null && i < reply.length; i += flat ? 2 : 1) streams.push(flat ? [reply[i], reply[i + 1]] : (reply[i] as unknown[]));
    for (const [key, list] of streams as [unknown, unknown][]) {
      const room = rooms.get(String(key));
      if (room !== undefined) out.set(room, entries(list));
    }
  }
}

/**
 * Room streams shared by the nodes of one service through Redis: pass it as `rooms.shared`. Each
 * room's offsets are assigned in Redis, so members on every node see one order, and a member
 * recovers its room's history on any node.
 *
 * @example
 * ```ts
 * const redis = new Redis(), reader = new Redis()
 * const server = new SecureServer({ key, authorize, rooms: { shared: shareRooms({
 *   command: (c, args) => redis.call(c, ...args),
 *   reader: (c, args) => reader.call(c, ...args),
 * }) } })
 * ```
 * @see [ROOM-11.2]
 */
export function shareRooms(options: ShareRoomsOptions): SharedRoomStore {
  return new RedisRoomStore(options);
}
