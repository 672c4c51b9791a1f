// A room log: the frames a server sent, saved before they left, so its rooms keep their epochs and
// history across a restart (spec/rooms.md [ROOM-6.7]). Restoring checks every saved frame as a
// member would: a log that does not read back whole restores nothing, and those rooms start anew.
import { toHex } from '../bytes.js';
import { ProtocolError } from '../errors.js';
import type { PublicKey } from '../keys/keys.js';
import { decodeEnvelope } from '../wire/envelope.js';
import { FrameChecker } from './frames.js';
import { MAX_ROOM_STATEMENTS } from './room.js';
import { encodeStatement, KIND_POST } from './wire.js';

/** Where a server keeps its rooms' frames across restarts. */
export interface RoomLog {
  /** The frames an earlier run saved, oldest first: read once, when the server starts. */
  readonly saved: readonly Uint8Array[];
  /**
   * Saves one frame. Called before any member is sent it; when it throws, the frame is not sent
   * and its room starts a new epoch ([ROOM-6.1]).
   */
  append(frame: Uint8Array): void;
  /** Replaces everything saved with `frames`, the rooms' statements and history still held. */
  rewrite(frames: readonly Uint8Array[]): void;
}

export interface RestoredFrame {
  readonly frame: Uint8Array;
  readonly first: number;
  readonly count: number;
  /** The server's ts of its first event: when it entered history. */
  readonly at: number;
}

export interface RestoredRoom {
  readonly name: string;
  readonly epoch: Uint8Array;
  readonly frames: RestoredFrame[];
  /** Statements by kid (hex), in the order they were saved. */
  readonly statements: Map<string, { payload: Uint8Array; frame: Uint8Array }>;
  /** Next seq of each author stream (kid||stream hex) seen in the restored posts ([ROOM-3.4]). */
  readonly authors: Map<string, number>;
}

interface Building extends RestoredRoom {
  epochHex: string;
  next: number;
  broken: boolean;
}

/**
 * The rooms `saved` holds, each at its last epoch, when every frame verifies under `serverKey` and
 * each room's offsets follow on. One frame that does not verify restores nothing: the log is not
 * what this server sent (another key, a damaged file), so no epoch can be trusted to be whole.
 * @see [ROOM-6.7]
 */
export function restoreRooms(saved: readonly Uint8Array[], serverKey: PublicKey, maxFrameSize: number): RestoredRoom[] {
  const checker = new FrameChecker(serverKey, maxFrameSize);
  const rooms = new Map<string, Building>();
  const fresh = (name: string): Building => ({
    name,
    epoch: new Uint8Array(0),
    epochHex: '',
    frames: [],
    statements: new Map(),
    authors: new Map(),
    next: 0,
    broken: false,
  });
  try {
    for (const frame of saved) {
      const checked = checker.check(frame);
      if (checked.type === 'statement') {
        const s = checked.statement;
        let r = rooms.get(s.room);
        if (r === undefined) rooms.set(s.room, (r = fresh(s.room)));
        const kid = toHex(s.kid);
        r.statements.delete(kid); // re-inserted last: the set keeps the most recent
        r.statements.set(kid, { payload: encodeStatement(s), frame });
        if (r.statements.size > MAX_ROOM_STATEMENTS) r.statements.delete(r.statements.keys().next().value!);
        continue;
      }
      const first = checked.events[0]!;
      let r = rooms.get(first.event.room);
      if (r === undefined) rooms.set(first.event.room, (r = fresh(first.event.room)));
      const epochHex = toHex(first.epoch);
      if (epochHex !== r.epochHex) {
        // A later epoch of the room (it was forgotten and began again): only the last one counts.
        rooms.set(r.name, (r = { ...fresh(r.name), statements: r.statements, epoch: first.epoch, epochHex, next: first.offset }));
      }
      for (const e of checked.events) {
        if (e.event.room !== r.name || toHex(e.epoch) !== epochHex || e.offset !== r.next) r.broken = true;
        r.next = e.offset + 1;
        if (e.event.body.kind !== KIND_POST) continue;
        const h = decodeEnvelope(e.event.body.post).header;
        const stream = toHex(h.kid) + toHex(h.stream);
        r.authors.set(stream, Math.max(r.authors.get(stream) ?? 0, h.seq + 1));
      }
      r.frames.push({ frame, first: first.offset, count: checked.events.length, at: first.ts });
    }
  } catch (err) {
    if (err instanceof ProtocolError) return [];
    throw err;
  }
  return [...rooms.values()].filter((r) => !r.broken && r.frames.length > 0);
}
