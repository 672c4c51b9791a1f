// Author positions a node learns from its shared room's stream (spec/rooms.md [ROOM-11.8]): the
// posts other nodes appended move this node's next seq per author stream, so a Post resent to it
// after another node appended it is a duplicate here too. The frames come from the service's own
// store and members verify them anyway, so they are only decoded, never verified: no signature runs.
import { toHex } from '../bytes.js';
import { ProtocolError } from '../errors.js';
import { decodeEnvelope } from '../wire/envelope.js';
import type { Lru } from './lru.js';
import { BUNDLE_FIRST_BYTE, decodeBundle, decodeRoomEvent, KIND_POST, ROOM_CONTENT_TYPE, type RoomEventBody } from './wire.js';

/** A post's author stream, keyed kid||stream hex as [ROOM-3.3] keys it, and its seq. */
export interface PostAt {
  readonly stream: string;
  readonly seq: number;
}

function postAt(post: Uint8Array): PostAt {
  const h = decodeEnvelope(post).header;
  return { stream: toHex(h.kid) + toHex(h.stream), seq: h.seq };
}

/** Where a queued event's post sits on its author stream; undefined for other events. */
export function queuedAt(body: RoomEventBody): PostAt | undefined {
  if (body.kind !== KIND_POST) return undefined;
  try {
    return postAt(body.post);
  } catch (err) {
    if (err instanceof ProtocolError) return undefined; // checked before it was queued: not the case
    throw err;
  }
}

/** The payloads (room events, still encoded) of a frame's events: one, or a bundle's. */
function eventPayloads(frame: Uint8Array): Uint8Array[] {
  if (frame[0] === BUNDLE_FIRST_BYTE) return decodeBundle(frame).events.map((e) => e.payload);
  const d = decodeEnvelope(frame);
  return d.header.contentType === ROOM_CONTENT_TYPE ? [d.payload] : [];
}

/**
 * Raises `authors` (next seq per author stream) past every post of `room` that `frame` carries,
 * never lowering one, and notes each in `learned` the same way. A frame that does not decode moves
 * nothing: members refuse it on their own checks.
 * @see [ROOM-11.8]
 */
export function learnAuthors(authors: Lru<number>, room: string, frame: Uint8Array, learned: Map<string, number>): void {
  try {
    for (const payload of eventPayloads(frame)) {
      const e = decodeRoomEvent(payload);
      if (e.room !== room || e.body.kind !== KIND_POST) continue;
      const at = postAt(e.body.post);
      authors.set(at.stream, Math.max(authors.get(at.stream) ?? 0, at.seq + 1));
      learned.set(at.stream, Math.max(learned.get(at.stream) ?? 0, at.seq + 1));
    }
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
  }
}

/**
 * Keeps a statement entry of the stream in the room's statement set; false for bytes that are no
 * envelope (not a frame this library wrote), passed over as an entry of another writer is.
 */
export function keepStatement(
  r: { readonly statements: { set(kid: string, s: { payload: Uint8Array; frame: Uint8Array }): unknown } },
  kid: string,
  frame: Uint8Array,
): boolean {
  try {
    r.statements.set(kid, { payload: decodeEnvelope(frame).payload, frame });
    return true;
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    return false;
  }
}
