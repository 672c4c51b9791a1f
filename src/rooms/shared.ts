// What a room hub needs of a store its nodes share (spec/rooms.md §11.1): a room's head, an atomic
// compare-and-append, reads by entry id. The Redis implementation is in shared-redis.ts; the
// core imports no client and runs anywhere.

/** A room's head as the store holds it: its epoch (hex) and the offset the next event gets. */
export interface SharedHead {
  readonly epoch: string;
  readonly next: number;
}

/** One stored frame: an event frame (`count` ≥ 1) or a key statement (`count` 0, with its `kid`). */
export interface SharedEntry {
  /** `<first>-<n>`: entry order is offset order. */
  readonly id: string;
  /** Offset of its first event; for a statement, of the event it precedes. */
  readonly first: number;
  readonly count: number;
  /** The server's ts of its first event: when it entered history. */
  readonly ts: number;
  /** The epoch (hex) it was appended in. */
  readonly epoch: string;
  /** A statement's kid (hex). */
  readonly kid?: string | undefined;
  readonly frame: Uint8Array;
}

/** A frame to append: statements carry their kid, events their count. */
export interface NewFrame {
  readonly count: number;
  readonly ts: number;
  readonly kid?: string | undefined;
  readonly frame: Uint8Array;
}

export type AppendReply =
  | { readonly ok: true; readonly ids: readonly string[] }
  /** `head` null: the room is gone from the store; `late`: the store ran it after its deadline. */
  | { readonly ok: false; readonly head: SharedHead | null; readonly late?: boolean };

export interface AppendRequest {
  readonly epoch: string;
  readonly first: number;
  readonly frames: readonly NewFrame[];
  /** The node's clock past which the store must append nothing ([ROOM-11.6]). */
  readonly deadline: number;
  /** Entries wholly below this offset may be trimmed ([ROOM-11.7]). */
  readonly keepFrom: number;
  readonly ttlMs: number;
}

/** Room streams shared by the nodes of one service. */
export interface SharedRoomStore {
  /** Wait at most this long for an append before refusing the publish ([ROOM-11.6]). */
  readonly appendTimeoutMs: number;
  readonly graceMs: number;
  /** A read's timeout, beyond the time it blocks ([ROOM-11.4]). */
  readonly readTimeoutMs: number;
  /** How long one read waits for new entries. */
  readonly blockMs: number;
  /** How often a node checks the heads of the rooms it holds ([ROOM-11.3]). */
  readonly checkMs: number;
  /** The room's head (null when the store has none); its keys then expire `ttlMs` later ([ROOM-11.7]). */
  head(room: string, ttlMs: number): Promise<SharedHead | null>;
  /** Starts epoch `fresh` with an empty stream if the head is still `seen`; resolves with the head then. */
  reset(room: string, fresh: string, seen: SharedHead | null, ttlMs: number): Promise<SharedHead>;
  append(room: string, req: AppendRequest): Promise<AppendReply>;
  /** At most `count` entries after `after`, oldest first. */
  range(room: string, after: string, count: number): Promise<SharedEntry[]>;
  /** The room's statement frames, least recently appended first. */
  statements(room: string): Promise<{ kid: string; frame: Uint8Array }[]>;
  /** New entries of several rooms after the ids given, waiting up to `blockMs` for any. */
  read(after: ReadonlyMap<string, string>): Promise<Map<string, SharedEntry[]>>;
}

/** Compares two entry ids numerically (`ms-seq`). */
export function compareIds(a: string, b: string): number {
  const [am, as] = splitId(a);
  const [bm, bs] = splitId(b);
  return am !== bm ? am - bm : as - bs;
}

export function splitId(id: string): [number, number] {
  const dash = id.indexOf('-');
  return [Number(id.slice(0, dash)), Number(id.slice(dash + 1))];
}
