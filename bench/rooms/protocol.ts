// Messages between the rooms bench (bench/suites/rooms.ts) and its forked processes.

export type Mode = 'plain' | 'signed';

export type ServerCommand =
  { op: 'listen'; mode: Mode; members: number } | { op: 'memory' } | { op: 'publish'; count: number; size: number; perTick: number } | { op: 'stop' };

export type ServerReply =
  | { op: 'ready' }
  | { op: 'listening'; url: string; serverKey: string }
  | { op: 'memory'; heapUsed: number }
  | { op: 'published'; sentAt: number[]; signatures: number }
  | { op: 'error'; message: string };

export type SubscriberCommand =
  | { op: 'connect'; mode: Mode; url: string; serverKey: string; first: number; count: number }
  | { op: 'join'; room: string }
  | { op: 'expect'; messages: number }
  | { op: 'close' };

export type SubscriberReply =
  | { op: 'ready' }
  | { op: 'connected' }
  | { op: 'joined' }
  /** `lastAt[i]`: when the last of this process's members received message i (epoch ms). */
  | { op: 'received'; lastAt: number[]; sampled: number; verified: number }
  | { op: 'closed' }
  | { op: 'error'; message: string };

/** The subscriber keys are derived from their index, so the server knows them without a handshake of its own. */
export function memberSeed(i: number): Uint8Array {
  const seed = new Uint8Array(32);
  new DataView(seed.buffer).setUint32(0, i + 1);
  seed[31] = 0x5e;
  return seed;
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export const now = (): number => performance.timeOrigin + performance.now();

/** The bench servers' room, and limits no bench run may reach (rates, buffers). */
export const ROOM = 'bench';
export const NO_LIMIT = { perSecond: 1e9, burst: 1e9 };
export const BIG = 1 << 30;
