// The batch form (spec/rooms.md §5): one signature over the Merkle root of a tick's room events,
// each event sent with its inclusion proof and the signed root.
import { randomBytes } from '../bytes.js';
import type { AsyncSigningKey, SigningKey } from '../keys/keys.js';
import { STREAM_ID_LENGTH } from '../wire/envelope.js';
import { leafHash, MAX_BATCH, merkleTree } from './merkle.js';
import { finish, prepareRoom, signWith, type Unsigned } from './seal.js';
import { BATCH_CONTENT_TYPE, encodeBatched, encodeBatchRoot, ROLE, roomAad } from './wire.js';

const BATCH_AAD = roomAad(ROLE.batch);
/** The server's batch-root stream: its seq numbers the roots. */
const BATCH_STREAM = randomBytes(STREAM_ID_LENGTH);

/**
 * Frames for `events`, in order: chunks of at most {@link MAX_BATCH} under one signed root each.
 * @see [ROOM-5.1]
 */
export function sealBatch(key: SigningKey | AsyncSigningKey, kid: Uint8Array, id: number, events: readonly Unsigned[]): (Uint8Array | Promise<Uint8Array>)[] {
  const out: (Uint8Array | Promise<Uint8Array>)[] = [];
  for (let start = 0; start < events.length; start += MAX_BATCH) {
    const chunk = events.slice(start, start + MAX_BATCH);
    const tree = merkleTree(chunk.map((u) => leafHash(u.toBeSigned)));
    const root = prepareRoom(
      kid,
      { contentType: BATCH_CONTENT_TYPE, stream: BATCH_STREAM, seq: id * 1024 + start / MAX_BATCH, ts: Date.now() },
      encodeBatchRoot(tree.root, chunk.length),
      BATCH_AAD,
    );
    const sig = signWith(key, root.toBeSigned);
    const frameOf = (rootFrame: Uint8Array) => (u: Unsigned, index: number) =>
      encodeBatched({ protectedBytes: u.protectedBytes, payload: u.payload, index, path: tree.proof(index), root: rootFrame });
    if (sig instanceof Promise) {
      const rootFrame = sig.then((s) => finish(root, s));
      chunk.forEach((u, i) => out.push(rootFrame.then((f) => frameOf(f)(u, i))));
    } else {
      const make = frameOf(finish(root, sig));
      chunk.forEach((u, i) => out.push(make(u, i)));
    }
  }
  return out;
}
