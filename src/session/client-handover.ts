// The client's side of a session taken over by a node of another key (spec/handshake.md §7.1): its
// own data stream, outbox and rooms go on; the server's data stream starts anew, and what earlier
// server streams sealed and the client did not acknowledge comes again as Resent, each dropped
// when the client's record of that stream already holds it.
import { equalBytes } from '../bytes.js';
import { ProtocolError } from '../errors.js';
import { resealBoundReached, type SessionDelivery } from './delivery.js';
import { OP_RESENT, decodeServerMessage, type ResentOp, type ServerOp } from './messages.js';

/** Records of earlier server streams a client keeps, beside the current one's. @see [HS-7.14] */
export const MAX_EARLIER_STREAMS = 8;

function remember(d: SessionDelivery, kid: Uint8Array, stream: Uint8Array): void {
  if (d.earlier.some((e) => equalBytes(e.kid, kid) && equalBytes(e.stream, stream))) return;
  d.earlier.push({ kid: kid.slice(), stream: stream.slice() });
  while (d.earlier.length > MAX_EARLIER_STREAMS) {
    const old = d.earlier.shift()!;
    d.builder.forget(old.kid, old.stream);
  }
}

/** The state moves to a session whose server stream is new to it, sealed by `kid`. @see [HS-7.14] */
export function handOver(d: SessionDelivery, kid: Uint8Array): void {
  if (d.peerStream !== undefined) remember(d, d.peerKid, d.peerStream);
  d.peerKid = kid.slice();
  d.peerStream = undefined;
}

/** At the Welcome: a server of another key than the state's stream took the session over. Returns whether one did. */
export function handedToKey(d: SessionDelivery, kid: Uint8Array): boolean {
  if (equalBytes(d.peerKid, kid)) return false;
  handOver(d, kid);
  return true;
}

/** Why a state may not be offered for resume, if it may not. @see [HS-7.11] */
export function resumeRefusal(d: SessionDelivery): ProtocolError | undefined {
  // [HS-7.11]: a state the server left unacknowledged through 8 re-seals is not offered again.
  if (resealBoundReached(d.outbox)) return new ProtocolError('ERR_RESUME_REFUSED', 'resumed 8 times without a receipt of the server: start a fresh session');
  // [HS-7.12]: a signature failed on its data stream; the gap could never be acknowledged.
  if (d.signing.broken) return new ProtocolError('ERR_RESUME_REFUSED', 'a signature failed on that session: start a fresh session');
  return undefined;
}

/**
 * The message a Resent carries, once: undefined when the record of its stream already holds it.
 * @throws {ProtocolError} `ERR_MESSAGE_MALFORMED` for a Resent naming the session's own server
 *   stream or carrying a Resent; `ERR_ACK_RANGE` when its seq is beyond what a record spans.
 * @see [HS-7.15]
 */
export function openResent(d: SessionDelivery, m: ResentOp): Exclude<ServerOp, ResentOp> | undefined {
  if (d.peerStream !== undefined && equalBytes(m.kid, d.peerKid) && equalBytes(m.stream, d.peerStream)) {
    throw new ProtocolError('ERR_MESSAGE_MALFORMED', 'a Resent names the current server stream');
  }
  const inner = decodeServerMessage(m.message);
  if (inner.op === OP_RESENT) throw new ProtocolError('ERR_MESSAGE_MALFORMED', 'a Resent carries a Resent');
  if (d.builder.holds(m.kid, m.stream, m.seq)) return undefined;
  remember(d, m.kid, m.stream);
  d.builder.record({ kid: m.kid, stream: m.stream, seq: m.seq }, m.message);
  return inner;
}
