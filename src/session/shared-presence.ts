// Presence across the nodes of one service (spec/rooms.md [ROOM-11.1]): who is in a room, whichever
// node they are connected to. Each node writes what its own sessions joined under a key that
// expires unless refreshed, so the members of a node that died leave by themselves. The library
// brings no Redis client: `command` runs one command on yours.
import { randomBytes, toHex } from '../bytes.js';
import type { RedisCommand } from '../keys/shared-revocation.js';

/** What presence reads of a server: its sessions, who they are and the rooms they joined. */
export interface PresenceSource {
  readonly sessions: ReadonlySet<{ readonly state: string; readonly identity: string | undefined; readonly rooms: ReadonlySet<string> }>;
}

export interface SharePresenceOptions {
  /** Runs one command (SET, ZADD, ZRANGEBYSCORE, MGET, DEL, ZREM) on your connection. */
  readonly command: RedisCommand;
  /** This node's name in the shared set. Default: 16 random hex digits. */
  readonly node?: string;
  /** Default `{sealwire}:presence:`; one hash tag, so every key lives on one shard. */
  readonly prefix?: string;
  /** How often the node writes its members. Default 1,000 ms; its entry expires after 3 times that. */
  readonly refreshMs?: number;
  readonly clock?: () => number;
  /** A refresh that failed (the next one tries again). */
  readonly onError?: (err: unknown) => void;
}

export interface SharedPresence {
  readonly node: string;
  /** The identities in `room` on every live node, sorted, each once. */
  members(room: string): Promise<string[]>;
  /** Writes this node's members now (also done every `refreshMs`). */
  refresh(): Promise<void>;
  /** Stops refreshing and removes this node's entry at once. */
  close(): Promise<void>;
}

/**
 * Shares `server`'s room members with the other nodes through Redis.
 *
 * @example
 * ```ts
 * const presence = await sharePresence(server, { command: (c, args) => redis.call(c, ...args) })
 * console.log(await presence.members('lobby')) // ['alice', 'bob'], on any node
 * ```
 * @see [ROOM-11.1]
 */
export async function sharePresence(server: PresenceSource, options: SharePresenceOptions): Promise<SharedPresence> {
  const { command } = options;
  if (typeof command !== 'function') throw new TypeError('"command" expected a function');
  const node = options.node ?? toHex(randomBytes(8));
  const prefix = options.prefix ?? '{sealwire}:presence:';
  const refreshMs = options.refreshMs ?? 1000;
  if (!Number.isSafeInteger(refreshMs) || refreshMs < 10) throw new RangeError('"refreshMs" expected an integer of at least 10');
  const clock = options.clock ?? Date.now;
  const ttl = 3 * refreshMs;
  const index = `${prefix}nodes`;
  const keyOf = (n: string): string => `${prefix}n:${n}`;

  const snapshot = (): Record<string, string[]> => {
    const rooms: Record<string, Set<string>> = {};
    for (const s of server.sessions) {
      if (s.state !== 'open' || s.identity === undefined) continue;
      for (const room of s.rooms) (rooms[room] ??= new Set()).add(s.identity);
    }
    return Object.fromEntries(Object.entries(rooms).map(([room, ids]) => [room, [...ids].sort()]));
  };
  const refresh = async (): Promise<void> => {
    await command('SET', [keyOf(node), JSON.stringify(snapshot()), 'PX', String(ttl)]);
    const now = clock();
    await command('ZADD', [index, String(now), node]);
    // Nodes silent for longer than an entry lives are gone: the index keeps the live ones only.
    await command('ZREMRANGEBYSCORE', [index, '-inf', `(${now - ttl}`]);
  };
  await refresh();
  let closed = false;
  const timer = setInterval(() => {
    refresh().catch((err: unknown) => options.onError?.(err));
  }, refreshMs);
  (timer as { unref?: () => void }).unref?.();

  return {
    node,
    refresh,
    async members(room) {
      // Nodes seen within the entry's lifetime; an entry that expired since reads as null.
      const nodes = ((await command('ZRANGEBYSCORE', [index, String(clock() - ttl), '+inf'])) as unknown[]).map(String);
      if (nodes.length === 0) return [];
      const values = (await command('MGET', nodes.map(keyOf))) as unknown[];
      const out = new Set<string>();
      for (const v of values) {
        if (typeof v !== 'string') continue; // expired since the index was read
        try {
          const ids = (JSON.parse(v) as Record<string, unknown>)[room];
          if (Array.isArray(ids)) for (const id of ids) if (typeof id === 'string') out.add(id);
        } catch {
          // another writer's garbage under our prefix: not a member
        }
      }
      return [...out].sort();
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await command('DEL', [keyOf(node)]);
      await command('ZREM', [index, node]);
    },
  };
}
