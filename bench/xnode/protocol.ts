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
    }
  | { op: 'publish'; count: number; size: number; perTick: number; gapMs: number }
  | { op: 'stats' }
  | { op: 'stop' };

/** Round trips this node made to Redis through the `command`/`reader` functions, and their argument bytes. */
export interface RedisCalls {
  command: number;
  reader: number;
  argBytes: number;
  byName: Record<string, number>;
}

export type NodeReply =
  | { op: 'ready' }
  | { op: 'listening'; url: string; serverKey: string }
  | { op: 'published'; sentAt: number[] }
  | { op: 'stats'; calls: RedisCalls }
  | { op: 'error'; message: string };
