// IPC messages between bench/e2e/run.ts and its server and client processes.

export type ServerCommand = { op: 'stats' } | { op: 'reset' } | { op: 'memory' } | { op: 'stop' };

export type ServerReply =
  | { op: 'ready'; port: number; serverKey: string; uwsNative: boolean; backend: string; poolThreads: number }
  | { op: 'stats'; count: number; seconds: number; cores: number; sessions: number }
  | { op: 'reset' }
  | { op: 'memory'; heap: number; buffers: number; rss: number; sessions: number }
  | { op: 'stopped' };

export type ClientCommand =
  /** Opens `conns` more connections (sealwire: sessions with a key each, each joined to a room of its own). */
  | { op: 'connect'; url: string; mode: 'unsigned' | 'sealwire'; conns: number; serverKey: string }
  /** Every connection sends `size`-byte payloads until `count` in all are sent or `seconds` pass. */
  | { op: 'flood'; size: number; count: number; seconds: number }
  /** Closed-loop round trips on connection 0: one request in flight at a time. */
  | { op: 'rtt'; size: number; samples: number; seconds: number }
  | { op: 'close' };

export type ClientReply =
  | { op: 'connected'; conns: number; seconds: number }
  | { op: 'flooded'; sent: number; seconds: number; cores: number }
  | { op: 'rtt'; samples: number; p50: number; p99: number; mean: number }
  | { op: 'closed' }
  | { op: 'error'; message: string };
