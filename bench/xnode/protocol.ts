// Messages between the cross-node rooms bench (bench/suites/xnode.ts) and its node processes.
// Members are the rooms bench's subscriber processes (bench/rooms/subscriber.ts, signed mode).

export type NodeCommand =
  | {
      op: 'listen';
      members: number;
      /** The service key's seed: every node signs with the service's key (README "Across nodes"). */
      seed: number[];
      /** Room streams in this redis-server (127.0.0.1), under `prefix`; none: one node, in memory. */
      redis?: { port: number; prefix: string };
      /** Share resume state in the same redis-server too (`resume: { shared: shareResume(...) }`). */
      resume?: boolean;
    }
  | { op: 'publish'; count: number; size: number; perTick: number; gapMs: number }
  | { op: 'stats' }
  | { op: 'stop' };

/**
 * Round trips this node made to Redis through the rooms' `command`/`reader` functions and the resume
 * store's `command` (`byName` keys the latter `resume <COMMAND>`), and their argument bytes.
 */
export interface RedisCalls {
  command: number;
  reader: number;
  resume: number;
  argBytes: number;
  byName: Record<string, number>;
}

export type NodeReply =
  | { op: 'ready' }
  | { op: 'listening'; url: string; serverKey: string }
  | { op: 'published'; sentAt: number[] }
  | { op: 'stats'; calls: RedisCalls }
  | { op: 'error'; message: string };

/** The client author (bench/xnode/author.ts): member key `index` (memberSeed), on node A's `url`. */
export type AuthorCommand =
  | { op: 'connect'; url: string; serverKey: string; index: number }
  | { op: 'post'; count: number; size: number; perTick: number; gapMs: number }
  | { op: 'close' };

export type AuthorReply =
  | { op: 'ready' }
  | { op: 'joined' }
  /** When each post was handed to the session; how often a full outbox waited for `drain`; refusals. */
  | { op: 'posted'; sentAt: number[]; drains: number; refused: string[] }
  | { op: 'closed' }
  | { op: 'error'; message: string };
