// The server's checks of a member's Post (spec/rooms.md §3), after the session envelope that
// carries it was accepted and authorized.
import { ProtocolError, type ErrorCode } from '../errors.js';
import { equalBytes, toHex } from '../bytes.js';
import type { PublicKey } from '../keys/keys.js';
import type { Resolved } from '../envelope/open.js';
import type { KeyStatement } from './wire.js';
import type { RoomMember, RoomState } from './room.js';
import { resolveFor, verifyResolvedWith, type SignatureSink } from './seal.js';
import { ROLE, roomAad } from './wire.js';

export interface VerifiedPost {
  readonly payload: Uint8Array;
  readonly seq: number;
  readonly ts: number;
}

/**
 * Epoch, decoding, kid, author-stream seq, signature — cheap checks first. A seq may skip (a post
 * the server refused, or one `validate` refuses after this): members see the gap. The next seq
 * moves once the signature verified.
 * @see [ROOM-3.3]
 */
export function checkPost<M extends RoomMember>(
  room: RoomState<M>,
  epoch: Uint8Array,
  post: Uint8Array,
  author: PublicKey,
  maxEnvelopeSize: number,
): ErrorCode | 'duplicate' | VerifiedPost {
  if (!equalBytes(epoch, room.epoch)) return 'ERR_STALE_EPOCH';
  try {
    const resolved = resolveFor(post, author, maxEnvelopeSize);
    const h = resolved.decoded.header;
    const stream = toHex(author.kid) + toHex(h.stream);
    const next = room.authors.get(stream) ?? 0;
    if (h.seq < next) return 'duplicate';
    verifyResolvedWith(resolved, roomAad(ROLE.author, epoch, room.name));
    room.authors.set(stream, h.seq + 1);
    return { payload: resolved.decoded.payload, seq: h.seq, ts: h.ts };
  } catch (err) {
    if (err instanceof ProtocolError) return err.code;
    throw err;
  }
}

/** An author's statement as a member or an auditor holds it. */
export interface HeldStatement {
  readonly s: KeyStatement;
  readonly key: PublicKey;
}

/**
 * A post inside a room event, under the statement of its author: the key's validity at the post's
 * `ts`, then the author's signature bound to the room and epoch. Members and `sealwire verify` both
 * come here, so an auditor reaches the verdict a member reached.
 * @see [ROOM-8.1]
 */
export function verifyAuthor(post: Uint8Array, held: HeldStatement, epoch: Uint8Array, room: string, maxSize: number, pre?: SignatureSink): Resolved {
  const resolved = resolveFor(post, held.key, maxSize);
  const h = resolved.decoded.header;
  if (h.ts < held.s.notBefore) throw new ProtocolError('ERR_KEY_NOT_YET_VALID', 'author key not yet valid');
  if (h.ts > held.s.notAfter) throw new ProtocolError('ERR_KEY_EXPIRED', 'author key expired');
  verifyResolvedWith(resolved, roomAad(ROLE.author, epoch, room), pre);
  return resolved;
}
