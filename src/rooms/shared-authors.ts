// Author positions a node learns from its shared room's stream (spec/rooms.md [ROOM-11.8]): the
// posts other nodes appended move this node's next seq per author stream, so a Post resent to it
// after another node appended it is a duplicate here too. The frames come from the service's own
// store and members verify them anyway, so they are only decoded, never verified: no signature runs.
import { toHex } from '../bytes.js';
import { ProtocolError } from '../errors.js';
import { decodeEnvelope } from '../wire/envelope.js';
import type { Lru } from './lru.js';
import { BUNDLE_FIRST_BYTE, decodeBundle, decodeRoomEvent, KIND_POST, ROOM_CONTENT_TYPE } from './wire.js';

/** The payloads (room events, still encoded) of a frame's events: one, or a bundle's. */
function eventPayloads(frame: Uint8Array): Uint8Array[] {
  if (frame[0] === BUNDLE_FIRST_BYTE) return decodeBundle(frame).events.map((e) => e.payload);
  const d = decodeEnvelope(frame);
  return d.header.contentType === ROOM_CONTENT_TYPE ? [d.payload] : [];
}

/**
 * Raises `authors` (kid||stream hex → next seq, as [ROOM-3.3] keys it) past every post of `room`
 * that `frame` carries; never lowers one. A frame that does not decode moves nothing: members
 * refuse it on their own checks.
 * @see [ROOM-11.8]
 */
export function learnAuthors(authors: Lru<number>, room: string, frame: Uint8Array): void {
  try {
    for (const payload of eventPayloads(frame)) {
      const e = decodeRoomEvent(payload);
      if (e.room !== room || e.body.kind !== KIND_POST) continue;
      const h = decodeEnvelope(e.body.post).header;
      const stream = toHex(h.kid) + toHex(h.stream);
      authors.set(stream, Math.max(authors.get(stream) ?? 0, h.seq + 1));
    }
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
  }
}
