// A member's checks of one room frame up to its order in the stream (spec/rooms.md §8 steps 1–4,
// §4, §5): which kind of frame, the server's signature or batch proof, the payload's shape.
import { ProtocolError, SIGNATURE_FAILED } from '../errors.js';
import { toHex } from '../bytes.js';
import { decodeEnvelope, encodeEnvelope, sigStructure } from '../wire/envelope.js';
import type { PublicKey } from '../keys/keys.js';
import { equalBytes } from '../bytes.js';
import { NodeKeys } from '../nodes/node-keys.js';
import { NODES_CONTENT_TYPE } from '../nodes/node-set.js';
import type { Resolved } from '../envelope/open.js';
import { leafHash, merkleTree } from './merkle.js';
import { resolveFor, verifyResolvedWith, type SignatureSink } from './seal.js';
import { Lru } from './lru.js';
import {
  BATCH_CONTENT_TYPE,
  BUNDLE_FIRST_BYTE,
  decodeBundle,
  decodeBatchRoot,
  decodeRoomEvent,
  decodeStatement,
  KEY_CONTENT_TYPE,
  ROLE,
  ROOM_CONTENT_TYPE,
  roomAad,
  type KeyStatement,
  type RoomEvent,
} from './wire.js';

const EVENT_AAD = roomAad(ROLE.event);
const STATEMENT_AAD = roomAad(ROLE.statement);
const BATCH_AAD = roomAad(ROLE.batch);
const NO_SIGNATURE = new Uint8Array(64);

export interface CheckedEvent {
  readonly event: RoomEvent;
  readonly epoch: Uint8Array;
  readonly offset: number;
  readonly ts: number;
  /** The kid of the node that sealed it (the root's, for a bundle). */
  readonly kid: Uint8Array;
}

export type CheckedFrame =
  { readonly type: 'events'; readonly events: readonly CheckedEvent[] } | { readonly type: 'statement'; readonly statement: KeyStatement };

/**
 * What a frame that is not a session envelope is ([ROOM-1.1], [NODE-4.1]): a room frame (a
 * batched event, or an envelope whose content type is text and names a room frame) or a node set.
 * Session data envelopes carry 60, so the full decode runs only for frames with a text content
 * type (rooms, node sets and receipts).
 */
export function frameKind(bytes: Uint8Array): 'room' | 'nodes' | undefined {
  if (bytes[0] === BUNDLE_FIRST_BYTE) return 'room';
  if (bytes[0] !== 0xd2 || bytes[1] !== 0x84) return undefined;
  // protected bstr head (1 + 1 or 1 + 2 bytes), map head a7, 01, alg (one byte), 03, content type.
  const p = bytes[2] === 0x58 ? 4 : bytes[2] === 0x59 ? 5 : -1;
  if (p < 0 || bytes[p] !== 0xa7 || bytes[p + 1] !== 0x01 || bytes[p + 3] !== 0x03) return undefined;
  if ((bytes[p + 4]! & 0xe0) !== 0x60) return undefined;
  try {
    const ct = decodeEnvelope(bytes).header.contentType;
    return ct === ROOM_CONTENT_TYPE || ct === KEY_CONTENT_TYPE ? 'room' : ct === NODES_CONTENT_TYPE ? 'nodes' : undefined;
  } catch {
    return undefined; // the session's receiver reports it
  }
}

export function isRoomFrame(bytes: Uint8Array): boolean {
  return frameKind(bytes) === 'room';
}

/**
 * Up to the signature against the server's key, or against the node set's key for the frame's
 * kid and ts ([NODE-5.1]; size and decoding first, as for one key).
 */
function resolveIn(bytes: Uint8Array, keys: PublicKey | NodeKeys, maxEnvelopeSize: number): Resolved {
  if (!(keys instanceof NodeKeys)) return resolveFor(bytes, keys, maxEnvelopeSize);
  if (bytes.length > maxEnvelopeSize) throw new ProtocolError('ERR_TOO_LARGE', `envelope exceeds ${maxEnvelopeSize} bytes`);
  const decoded = decodeEnvelope(bytes);
  const key = keys.resolve(decoded.header.kid, decoded.header.ts);
  return { decoded, entry: { key, kid: key.kid, identity: undefined, notBefore: 0, notAfter: Number.MAX_SAFE_INTEGER, issuedAt: 0, revoked: false } };
}

export class FrameChecker {
  /** Root envelopes already verified, by their bytes. */
  readonly #roots = new Lru<true>(64);

  constructor(
    /** The server's key, or a node set's keys (spec/nodes.md §5). */
    private readonly keys: PublicKey | NodeKeys,
    private readonly maxEnvelopeSize: number,
  ) {}

  /** @see [ROOM-1.3] (every code of §8 steps 1–4) */
  check(bytes: Uint8Array, pre?: SignatureSink): CheckedFrame {
    if (bytes.length > this.maxEnvelopeSize) throw new ProtocolError('ERR_TOO_LARGE', 'room frame too large');
    if (bytes[0] === BUNDLE_FIRST_BYTE) return this.#bundle(bytes, pre);
    const resolved = resolveIn(bytes, this.keys, this.maxEnvelopeSize);
    const h = resolved.decoded.header;
    if (h.contentType === KEY_CONTENT_TYPE) {
      verifyResolvedWith(resolved, STATEMENT_AAD, pre);
      return { type: 'statement', statement: decodeStatement(resolved.decoded.payload) };
    }
    if (h.contentType !== ROOM_CONTENT_TYPE) throw new ProtocolError('ERR_HEADER_VALUE', 'not a room frame');
    verifyResolvedWith(resolved, EVENT_AAD, pre);
    return { type: 'events', events: [{ event: decodeRoomEvent(resolved.decoded.payload), epoch: h.stream, offset: h.seq, ts: h.ts, kid: h.kid }] };
  }

  /**
   * The root envelope (kid, then its signature, verified once per root), then the root of the
   * bundle's own events, then each event's header and payload as the single form's.
   * @see [ROOM-5.2]
   */
  #bundle(bytes: Uint8Array, pre: SignatureSink | undefined): CheckedFrame {
    const b = decodeBundle(bytes);
    const resolved = resolveIn(b.root, this.keys, this.maxEnvelopeSize);
    const kid = resolved.decoded.header.kid;
    if (resolved.decoded.header.contentType !== BATCH_CONTENT_TYPE) throw new ProtocolError('ERR_HEADER_VALUE', 'not a batch root');
    const root = decodeBatchRoot(resolved.decoded.payload);
    const rootKey = toHex(b.root);
    if (!this.#roots.has(rootKey)) {
      verifyResolvedWith(resolved, BATCH_AAD, pre);
      if (!Array.isArray(pre)) this.#roots.set(rootKey, true);
    }
    const computed = merkleTree(b.events.map((e) => leafHash(sigStructure(e.protectedBytes, EVENT_AAD, e.payload)))).root;
    if (root.count !== b.events.length || !equalBytes(computed, root.root)) throw new ProtocolError('ERR_BAD_SIGNATURE', SIGNATURE_FAILED);
    const events = b.events.map((e) => {
      // The header's rules are the envelope's: decode it as the single form would be.
      const h = resolveIn(encodeEnvelope(e.protectedBytes, e.payload, NO_SIGNATURE), this.keys, this.maxEnvelopeSize).decoded.header;
      // The root's signature covers the events: they are the root's node's ([NODE-5.1]).
      if (!equalBytes(h.kid, kid)) throw new ProtocolError('ERR_SESSION_KEY', 'a bundle event of another key than its root');
      if (h.contentType !== ROOM_CONTENT_TYPE) throw new ProtocolError('ERR_HEADER_VALUE', 'not a room event');
      return { event: decodeRoomEvent(e.payload), epoch: h.stream, offset: h.seq, ts: h.ts, kid };
    });
    return { type: 'events', events };
  }
}
