// One room on the server: its epoch, the next offset, its history, the author streams it follows
// and the statements it has sent, and its live members (spec/rooms.md §3, §4, §6).
import { randomBytes } from '../bytes.js';
import { STREAM_ID_LENGTH } from '../wire/envelope.js';
import { History } from './history.js';
import { Lru } from './lru.js';
import type { ErrorCode } from '../errors.js';
import type { KeyStatement, RoomEventBody } from './wire.js';

/** Author streams a room follows ([ROOM-3.4]). */
export const MAX_AUTHOR_STREAMS = 4096;
/** Statements a room and its members keep ([ROOM-4.2], [ROOM-4.3]). */
export const MAX_ROOM_STATEMENTS = 1024;

export interface PositionInfo {
  readonly room: string;
  readonly epoch: Uint8Array;
  readonly next: number;
  /** 0 current, 1 recovered, 2 lost, 3 check, 4 behind ([ROOM-6.3]–[ROOM-7.1]). */
  readonly status: 0 | 1 | 2 | 3 | 4;
  readonly count: number;
}

/** What the room side needs of a member's session. */
export interface RoomMember {
  /** Writes one room frame to the member's transport, as is. */
  sendFrame(frame: Uint8Array): void;
  /** Bytes its transport holds that have not reached the network. */
  buffered(): number;
  /** Seals a Position in the member's session. */
  position(p: PositionInfo): void;
  /** Native fan-out: the transport joins or leaves a publish topic (uWebSockets.js). */
  subscribe?(topic: string): void;
  unsubscribe?(topic: string): void;
}

/**
 * An event a shared room has yet to append ([ROOM-11.2]); `settled` hears its fate, except for a
 * post dropped as a resent duplicate ([ROOM-11.8]), which the stream holds already: as for one found
 * at its check, no Result follows, only `dropped` (its session envelope may then be acknowledged,
 * [ROOM-11.9]).
 */
export interface PendingEvent {
  readonly body: RoomEventBody;
  readonly author: KeyStatement | undefined;
  /** A post's epoch (hex): sealed for it, it cannot move to another ([ROOM-3.1]). */
  readonly epoch: string | undefined;
  /** A post's author stream (kid||stream hex) and seq: dropped once the stream holds it ([ROOM-11.8]). */
  readonly at: { readonly stream: string; readonly seq: number } | undefined;
  readonly settled: ((code: ErrorCode | null) => void) | undefined;
  readonly dropped?: (() => void) | undefined;
}

export class RoomState<M extends RoomMember> {
  epoch = randomBytes(STREAM_ID_LENGTH);
  /** Offset the next event gets; events are numbered when queued, so order is fixed then. */
  next = 0;
  readonly history: History;
  /** Next seq of each author stream (kid||stream hex). */
  readonly authors = new Lru<number>(MAX_AUTHOR_STREAMS);
  /** Statements sent to this room, by kid hex; `frame` once sealed. */
  readonly statements = new Lru<{ payload: Uint8Array; frame?: Uint8Array }>(MAX_ROOM_STATEMENTS);
  /** Members sent live events. */
  readonly live = new Set<M>();
  /** Members whose transport was full: no live events until they drain and recover ([ROOM-7.1]). */
  readonly behind = new Set<M>();
  /** Replaced by a new epoch of the room: frames still being sealed for it are dropped. */
  ended = false;
  /** Events since the last position check ([ROOM-6.5]). */
  active = false;
  readonly topic: string;
  /** Shared rooms ([ROOM-11.2]): the last stream entry held, and events waiting to be appended. */
  lastId = '0-0';
  /** The last entry the reader handed over, applied or not yet. */
  readId = '0-0';
  /** Appends, reloads and reads of this room run one after another. */
  chain: Promise<void> = Promise.resolve();
  readonly pending: PendingEvent[] = [];
  /** An append or a reload is running: one at a time per room. */
  busy = false;
  /** Hands a sealed frame of this room's events to history and the members (one closure per room). */
  deliver: ((frame: Uint8Array, count: number) => void) | undefined;

  constructor(
    readonly name: string,
    historyCount: number,
    historyMs: number,
  ) {
    this.history = new History(historyCount, historyMs);
    this.topic = `sealwire/room/${encodeURIComponent(name)}`;
  }

  get size(): number {
    return this.live.size + this.behind.size;
  }
}
