// Which of a shared room's queued events may still be appended (spec/rooms.md §11.1): none sealed
// for an epoch the room left, and no post the stream already holds. Run under the room's lock,
// between a read of the stream and the next append.
import { toHex } from '../bytes.js';
import type { PendingEvent } from './room.js';

/** Takes the events `gone` names out of `pending` in one pass, and returns them in order. */
function take(pending: PendingEvent[], gone: (p: PendingEvent) => boolean): PendingEvent[] {
  const taken: PendingEvent[] = [];
  let kept = 0;
  for (const p of pending) {
    if (gone(p)) taken.push(p);
    else pending[kept++] = p;
  }
  pending.length = kept;
  return taken;
}

/** Posts sealed for an epoch the room left cannot be sent in the new one ([ROOM-3.3]). */
export function refuseStale(pending: PendingEvent[], epoch: Uint8Array): void {
  const hex = toHex(epoch);
  for (const p of take(pending, (p) => p.epoch !== undefined && p.epoch !== hex)) p.settled?.('ERR_STALE_EPOCH');
}

/**
 * Posts this node accepted before it read that another node appended them (`learned`: next seq
 * per author stream, from the stream): resent duplicates after all, dropped without a Result, as
 * [ROOM-3.3] drops one found at its check; settled as appended, since the stream holds them.
 * @see [ROOM-11.8]
 */
export function dropResent(pending: PendingEvent[], learned: ReadonlyMap<string, number>): void {
  if (learned.size === 0 || pending.length === 0) return;
  for (const p of take(pending, (p) => p.at !== undefined && p.at.seq < (learned.get(p.at.stream) ?? 0))) p.dropped?.();
}
