// Bundles (spec/rooms.md §5): the events one room gets in one tick, sent in one frame under one
// signature over their Merkle root (RFC 9162). Every member receives the whole bundle, so it
// recomputes the root from the events themselves; no per-event proof travels.
import { randomBytes } from '../bytes.js';
import type { AsyncSigningKey, SigningKey } from '../keys/keys.js';
import { STREAM_ID_LENGTH } from '../wire/envelope.js';
import { leafHash, merkleTree } from './merkle.js';
import { prepareRoom, sealWithKey, type Unsigned } from './seal.js';
import { BATCH_CONTENT_TYPE, MAX_BUNDLE, encodeBatchRoot, encodeBundle, ROLE, roomAad } from './wire.js';

const BATCH_AAD = roomAad(ROLE.batch);

export class BundleSealer {
  /** The server's batch-root stream: its seq numbers the roots. */
  readonly #stream = randomBytes(STREAM_ID_LENGTH);
  #seq = 0;

  constructor(
    private readonly key: SigningKey | AsyncSigningKey,
    private readonly kid: Uint8Array,
    /** The largest frame a member accepts (the server's max_message_size). */
    private readonly maxFrameSize: number,
  ) {}

  /**
   * One frame per chunk of at most {@link MAX_BUNDLE} events that fits a member's frame limit, in
   * order, with its event count. A chunk of one is sent alone, as the single form.
   * @see [ROOM-5.3]
   */
  seal(events: readonly Unsigned[], now: number): { frame: Uint8Array | Promise<Uint8Array>; count: number }[] {
    const out: { frame: Uint8Array | Promise<Uint8Array>; count: number }[] = [];
    for (const chunk of this.#chunks(events)) {
      if (chunk.length === 1) {
        out.push({ frame: sealWithKey(this.key, chunk[0]!), count: 1 });
        continue;
      }
      const { root } = merkleTree(chunk.map((u) => leafHash(u.toBeSigned)));
      const unsigned = prepareRoom(
        this.kid,
        { contentType: BATCH_CONTENT_TYPE, stream: this.#stream, seq: this.#seq++, ts: now },
        encodeBatchRoot(root, chunk.length),
        BATCH_AAD,
      );
      const bundle = (rootFrame: Uint8Array): Uint8Array =>
        encodeBundle({ root: rootFrame, events: chunk.map((u) => ({ protectedBytes: u.protectedBytes, payload: u.payload })) });
      const rootFrame = sealWithKey(this.key, unsigned);
      out.push({ frame: rootFrame instanceof Promise ? rootFrame.then(bundle) : bundle(rootFrame), count: chunk.length });
    }
    return out;
  }

  /** Room for the root envelope and the array heads: a generous 1 KiB. */
  *#chunks(events: readonly Unsigned[]): Generator<Unsigned[]> {
    let chunk: Unsigned[] = [];
    let bytes = 1024;
    for (const u of events) {
      const size = u.protectedBytes.length + u.payload.length + 16;
      if (chunk.length > 0 && (chunk.length === MAX_BUNDLE || bytes + size > this.maxFrameSize)) {
        yield chunk;
        chunk = [];
        bytes = 1024;
      }
      chunk.push(u);
      bytes += size;
    }
    if (chunk.length > 0) yield chunk;
  }
}
