// `sealwire verify` of room transcripts (spec/rooms.md §9): room frames checked as a member checks
// them, with the server's key from the keys file, and each post's author envelope under the
// statement the file holds for its kid. No replay state: an auditor checks evidence, not order.
import { sha256 } from '../crypto/sha256.js';
import { ProtocolError } from '../errors.js';
import { equalBytes, toHex } from '../bytes.js';
import { importPublicKey, keyId, type PublicKey } from '../keys/keys.js';
import type { KeyRing } from '../keys/keyring.js';
import type { NodeKeys } from '../nodes/node-keys.js';
import { FrameChecker, isRoomFrame, type CheckedEvent } from '../rooms/frames.js';
import { verifyAuthor } from '../rooms/posts.js';
import { decodeBundle, KIND_POST, KIND_PRESENCE, KIND_RELAY, type KeyStatement } from '../rooms/wire.js';
import { decodeEnvelope } from '../wire/envelope.js';

/** Room frames are not bound to a session ([ROOM-1.2]): a record with a binding is a session envelope. */
export const isRoomRecord = (bytes: Uint8Array, binding: Uint8Array | undefined): boolean => binding === undefined && isRoomFrame(bytes);

const MAX_FRAME = 16 * 1024 * 1024;
const KINDS: Record<number, string> = { [KIND_POST]: 'post', [KIND_RELAY]: 'relay', [KIND_PRESENCE]: 'presence' };

/** What a verified room record says, beyond the fields every record has. */
export interface RoomFacts {
  readonly room: string;
  /** The epoch (hex); null for a statement. */
  readonly epoch: string | null;
  readonly offset: number | null;
  /** `post` (the author signed it), `relay`, `presence`, `announce` (the server's word), `statement`. */
  readonly kind: string;
  /** Who signed the words: the author (a post), else the server. */
  readonly signedBy: 'author' | 'server' | null;
  /** The server's kid (hex). */
  readonly serverKid: string | null;
  /** The payload as text when it is UTF-8, else hex. */
  readonly text: string | null;
}

export interface RoomRecordResult {
  readonly verdict: string;
  readonly message?: string;
  readonly identity: string | null;
  readonly kid: string | null;
  readonly stream: string | null;
  readonly seq: number | null;
  readonly ts: number | null;
  readonly room: RoomFacts | null;
}

/** Offsets a (room, epoch) spans in the file, and those it does not hold. */
export interface RoomSpan {
  readonly room: string;
  readonly epoch: string;
  readonly first: number;
  readonly last: number;
  readonly missing: number[];
}

const text = new TextDecoder('utf-8', { fatal: true });
function show(payload: Uint8Array): string {
  try {
    return text.decode(payload);
  } catch {
    return toHex(payload);
  }
}

/** Checks the room records of one file in order; statements count for the posts after them. */
export class RoomTranscript {
  readonly #checkers = new Map<string, FrameChecker>();
  readonly #statements = new Map<string, { s: KeyStatement; key: PublicKey }>();
  /** Hash of the verified event at each room, epoch and offset: two histories are equivocation. */
  readonly #seen = new Map<string, string>();
  readonly #spans = new Map<string, { room: string; epoch: string; offsets: Set<number> }>();

  /** Frames of nodes the keys file does not list, checked under an operator's node set ([NODE-5.1]). */
  readonly #nodes: FrameChecker | undefined;

  constructor(
    private readonly ring: KeyRing,
    nodes?: NodeKeys,
  ) {
    this.#nodes = nodes === undefined ? undefined : new FrameChecker(nodes, MAX_FRAME);
  }

  /** One record: a single frame gives one result, a bundle one per event. @see [ROOM-9.1] */
  check(bytes: Uint8Array): RoomRecordResult[] {
    let serverKid: Uint8Array;
    try {
      serverKid = decodeEnvelope(bytes[0] === 0x82 ? decodeBundle(bytes).root : bytes).header.kid;
    } catch (err) {
      return [this.#failed(err)];
    }
    const entry = this.ring.get(serverKid);
    const hex = toHex(serverKid);
    let checker = this.#checkers.get(hex);
    if (entry === undefined) {
      if (this.#nodes === undefined) return [this.#failed(new ProtocolError('ERR_UNKNOWN_KEY', 'the server key is not in the keys file'))];
      checker = this.#nodes;
    } else if (checker === undefined) {
      this.#checkers.set(hex, (checker = new FrameChecker(entry.key, MAX_FRAME)));
    }
    let checked;
    try {
      checked = checker.check(bytes);
    } catch (err) {
      return [this.#failed(err)];
    }
    if (checked.type === 'statement') return [this.#statement(checked.statement, hex)];
    return checked.events.map((e, i) => this.#event(e, hex, bytes, i));
  }

  spans(): RoomSpan[] {
    return [...this.#spans.values()].map(({ room, epoch, offsets }) => {
      const sorted = [...offsets].sort((a, b) => a - b);
      const first = sorted[0]!;
      const last = sorted[sorted.length - 1]!;
      const missing: number[] = [];
      for (let o = first; o <= last && missing.length < 100; o++) if (!offsets.has(o)) missing.push(o);
      return { room, epoch, first, last, missing };
    });
  }

  #statement(s: KeyStatement, serverKid: string): RoomRecordResult {
    const base = { identity: s.identity, kid: toHex(s.kid), stream: null, seq: null, ts: null };
    const facts: RoomFacts = { room: s.room, epoch: null, offset: null, kind: 'statement', signedBy: 'server', serverKid, text: null };
    try {
      const key = importPublicKey(s.key);
      if (!equalBytes(keyId(s.key), s.kid)) throw new ProtocolError('ERR_BAD_KEY', 'kid is not the key thumbprint');
      // The keys file is the auditor's own knowledge: a server naming another key for a listed
      // identity is what the auditor must see.
      const listed = this.ring.keysOf(s.identity);
      if (listed.length > 0 && !listed.some((k) => equalBytes(k.key.bytes, s.key))) {
        return { ...base, verdict: 'ERR_KEY_MISMATCH', message: `the keys file lists other keys for "${s.identity}"`, room: facts };
      }
      this.#statements.set(`${s.room}\u0000${toHex(s.kid)}`, { s, key });
      return { ...base, verdict: 'ok', room: facts };
    } catch (err) {
      return { ...this.#failed(err), ...base, room: facts };
    }
  }

  #event(e: CheckedEvent, serverKid: string, frame: Uint8Array, index: number): RoomRecordResult {
    const b = e.event.body;
    const epoch = toHex(e.epoch);
    const facts = { room: e.event.room, epoch, offset: e.offset, serverKid };
    const at = `${e.event.room}\u0000${epoch}\u0000${e.offset}`;
    // An event is its place in the frame that carries it: the frame's hash and the index.
    const hash = `${toHex(sha256(frame))}:${index}`;
    let result: RoomRecordResult;
    if (b.kind === KIND_POST) {
      result = this.#post(e, b.post, facts);
    } else {
      const by = b.kind === KIND_PRESENCE ? b.identity : b.from;
      const words = b.kind === KIND_PRESENCE ? (b.joined ? 'joined' : 'left') : show(b.data);
      const kind = KINDS[b.kind] ?? 'announce';
      result = { verdict: 'ok', identity: by, kid: serverKid, stream: null, seq: null, ts: e.ts, room: { ...facts, kind, signedBy: 'server', text: words } };
    }
    const earlier = this.#seen.get(at);
    if (earlier !== undefined && earlier !== hash) {
      // Each event is sealed once ([ROOM-2.3]): a resent frame is the same bytes, and other bytes
      // the server signed at the same offset are two histories.
      return { ...result, verdict: 'ERR_EQUIVOCATION', message: 'the server signed another event at this offset' };
    }
    this.#seen.set(at, hash);
    const spanKey = `${e.event.room}\u0000${epoch}`;
    let span = this.#spans.get(spanKey);
    if (span === undefined) this.#spans.set(spanKey, (span = { room: e.event.room, epoch, offsets: new Set() }));
    span.offsets.add(e.offset);
    return result;
  }

  /** Step 7 of spec/rooms.md §8 without the member's author streams. */
  #post(e: CheckedEvent, post: Uint8Array, facts: Omit<RoomFacts, 'kind' | 'signedBy' | 'text'>): RoomRecordResult {
    const room: RoomFacts = { ...facts, kind: 'post', signedBy: 'author', text: null };
    let kid: Uint8Array | undefined;
    try {
      const h0 = decodeEnvelope(post).header;
      kid = h0.kid;
      const held = this.#statements.get(`${e.event.room}\u0000${toHex(kid)}`);
      if (held === undefined) throw new ProtocolError('ERR_UNKNOWN_KEY', 'no statement for this author earlier in the file');
      const resolved = verifyAuthor(post, held, e.epoch, e.event.room, MAX_FRAME);
      const h = resolved.decoded.header;
      const payload = resolved.decoded.payload;
      return {
        verdict: 'ok',
        identity: held.s.identity,
        kid: toHex(kid),
        stream: toHex(h.stream),
        seq: h.seq,
        ts: h.ts,
        room: { ...room, text: show(payload) },
      };
    } catch (err) {
      return { ...this.#failed(err), kid: kid === undefined ? null : toHex(kid), room };
    }
  }

  #failed(err: unknown): RoomRecordResult {
    if (!(err instanceof ProtocolError)) throw err;
    return { verdict: err.code, message: err.message, identity: null, kid: null, stream: null, seq: null, ts: null, room: null };
  }
}
