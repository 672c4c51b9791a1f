// Key statements (spec/rooms.md §4): the server's word that an identity holds a key in a room,
// sealed once per room, key and credential, and sent to the room before the first post that needs
// it.
import { randomBytes, toHex } from '../bytes.js';
import { STREAM_ID_LENGTH } from '../wire/envelope.js';
import { encodeStatement, KEY_CONTENT_TYPE, ROLE, roomAad, type KeyStatement } from './wire.js';
import { equalBytes } from '../bytes.js';
import { prepareRoom, type Unsigned } from './seal.js';
import type { RoomState, RoomMember } from './room.js';
import type { TickSigner } from './signer.js';

const STATEMENT_AAD = roomAad(ROLE.statement);

export class StatementCache {
  readonly #stream = randomBytes(STREAM_ID_LENGTH);
  #seq = 0;

  constructor(
    private readonly kid: Uint8Array,
    private readonly signer: TickSigner,
    private readonly clock: () => number,
  ) {}

  /**
   * Sends `room` the author's statement unless the room holds it already, sealed with these
   * contents ([ROOM-4.3]); queued before the post's event, so it arrives first.
   */
  ensure<M extends RoomMember>(room: RoomState<M>, s: KeyStatement, send: (frame: Uint8Array) => void): void {
    const p = this.prepare(room, s);
    // Sent already (or being sealed in this tick, ahead of the event): members that joined since
    // got it with the room's statements ([ROOM-6.3]).
    if (p === undefined) return;
    const entry: { payload: Uint8Array; frame?: Uint8Array } = { payload: p.payload };
    room.statements.set(p.key, entry);
    this.signer.statement(p.u, (frame) => {
      entry.frame = frame;
      send(frame);
    });
  }

  /** The statement to seal for `s`, unless `room` holds one with these contents (kid hex as `key`). */
  prepare<M extends RoomMember>(room: RoomState<M>, s: KeyStatement): { key: string; payload: Uint8Array; u: Unsigned } | undefined {
    const payload = encodeStatement(s);
    const key = toHex(s.kid);
    const held = room.statements.get(key);
    if (held !== undefined && equalBytes(held.payload, payload)) return undefined;
    const u = prepareRoom(this.kid, { contentType: KEY_CONTENT_TYPE, stream: this.#stream, seq: this.#seq++, ts: this.clock() }, payload, STATEMENT_AAD);
    return { key, payload, u };
  }
}
