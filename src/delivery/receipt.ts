// The receipt payload (spec/receipts.md §3): one deterministic CBOR array, one valid encoding per
// acknowledged state, so two receipts acknowledging the same thing are byte-identical payloads.
import { ProtocolError } from '../errors.js';
import { assertBytes, assertSafeUint } from '../bytes.js';
import { CborReader, CborWriter } from '../wire/cbor.js';
import { MAX_KID_LENGTH, MAX_UINT, STREAM_ID_LENGTH } from '../wire/envelope.js';

/**
 * Content type of every receipt envelope (spec/receipts.md §2). A vendor-tree media type rather than
 * a CoAP number: it needs no registry entry to be collision-free, and an auditor reading a header
 * dump sees what the envelope is. Receipts are cumulative, so the ~37 extra header bytes are paid
 * once per acknowledgement, not once per message.
 */
export const RECEIPT_CONTENT_TYPE = 'application/vnd.sealwire.receipt+cbor';
/** Payload format version, first element of the array. */
export const RECEIPT_VERSION = 1;
/** Bits in the largest selective-ack bitmap: seqs next+1 … next+1024 (spec/receipts.md §3.3). */
export const MAX_SACK_BITS = 1024;
const MAX_SACK_BYTES = MAX_SACK_BITS / 8;
const RECEIPT_HASH_LENGTH = 32;
/** A receipt payload is never longer than this; checked before decoding. */
const MAX_RECEIPT_PAYLOAD = 1 + 1 + 2 + MAX_KID_LENGTH + 1 + STREAM_ID_LENGTH + 9 + 2 + MAX_SACK_BYTES + 2 + RECEIPT_HASH_LENGTH;

/** What one receipt acknowledges for one sender stream. */
export interface Receipt {
  /** Key id of the acknowledged sender. */
  readonly kid: Uint8Array;
  /** Acknowledged sender stream id (16 bytes). */
  readonly stream: Uint8Array;
  /** Every seq below `next` was accepted; `next` itself was not (highest contiguous seq + 1). */
  readonly next: number;
  /** Bit i (byte i >> 3, mask 1 << (i & 7)) set ⇔ seq next + 1 + i accepted. No trailing zero byte. */
  readonly sack: Uint8Array;
  /** SHA-256 of the exact bytes of the accepted envelope with the highest seq ({@link highestAcked}). */
  readonly hash: Uint8Array;
}

function malformed(message: string, cause?: unknown): ProtocolError {
  return new ProtocolError('ERR_RECEIPT_MALFORMED', message, cause === undefined ? undefined : { cause });
}

/** The highest seq a receipt acknowledges: the one its hash belongs to (spec/receipts.md §3.4). */
export function highestAcked(r: Pick<Receipt, 'next' | 'sack'>): number {
  const n = r.sack.length;
  if (n === 0) return r.next - 1;
  const last = r.sack[n - 1]!;
  return r.next + 1 + (n - 1) * 8 + (31 - Math.clz32(last));
}

/**
 * True when the receipt acknowledges `seq`, cumulatively or in its selective-ack bitmap.
 *
 * @example
 * ```ts
 * const receipt = verifyReceipt(envelope, { keys: peerKey })
 * if (acknowledges(receipt.receipt, 42)) console.log('message 42 arrived')
 * ```
 */
export function acknowledges(r: Pick<Receipt, 'next' | 'sack'>, seq: number): boolean {
  if (seq < r.next) return true;
  const i = seq - r.next - 1;
  if (i < 0 || i >= r.sack.length * 8) return false;
  return (r.sack[i >> 3]! & (1 << (i & 7))) !== 0;
}

/** Every seq a receipt acknowledges above `next`, ascending. */
export function sackedSeqs(r: Pick<Receipt, 'next' | 'sack'>): number[] {
  const out: number[] = [];
  for (let byte = 0; byte < r.sack.length; byte++) {
    const b = r.sack[byte]!;
    for (let bit = 0; bit < 8; bit++) if (b & (1 << bit)) out.push(r.next + 1 + byte * 8 + bit);
  }
  return out;
}

/**
 * Encodes a receipt payload (spec/receipts.md §3). Applications rarely call this: a
 * {@link ReceiptBuilder} produces payloads from what the receiver accepted.
 *
 * @throws {TypeError|RangeError} when a field breaks the CDDL (the field is named).
 * @example
 * ```ts
 * const payload = encodeReceipt({ kid, stream, next: 10, sack: new Uint8Array(0), hash })
 * ```
 */
export function encodeReceipt(r: Receipt): Uint8Array {
  if (r === null || typeof r !== 'object') throw new TypeError('"receipt" expected object');
  assertBytes(r.kid, 'kid');
  if (r.kid.length === 0 || r.kid.length > MAX_KID_LENGTH) {
    throw new RangeError(`"kid" expected 1 to ${MAX_KID_LENGTH} bytes, got length=${r.kid.length}`);
  }
  assertBytes(r.stream, 'stream', STREAM_ID_LENGTH);
  assertSafeUint(r.next, 'next');
  assertBytes(r.sack, 'sack');
  assertBytes(r.hash, 'hash', RECEIPT_HASH_LENGTH);
  checkSack(r.next, r.sack, (m) => new RangeError(`"sack" ${m}`));
  const w = new CborWriter(64 + r.kid.length + r.sack.length);
  w.head(4, 6).int(RECEIPT_VERSION).bytes(r.kid).bytes(r.stream).int(r.next).bytes(r.sack).bytes(r.hash);
  return w.finish();
}

// One rule set for both directions, so the encoder can never emit what the decoder refuses.
function checkSack(next: number, sack: Uint8Array, fail: (m: string) => Error): void {
  if (sack.length > MAX_SACK_BYTES) throw fail(`exceeds ${MAX_SACK_BYTES} bytes`);
  if (sack.length > 0 && sack[sack.length - 1] === 0) throw fail('must not end in a zero byte');
  if (sack.length === 0 && next === 0) throw fail('and next acknowledge nothing');
  if (sack.length > 0 && highestAcked({ next, sack }) > MAX_UINT) throw fail('acknowledges a seq above 2^53-1');
}

/**
 * Strict decode of a receipt payload: deterministic CBOR, the exact CDDL of spec/receipts.md §3,
 * nothing else. Every failure is `ERR_RECEIPT_MALFORMED`, with the CBOR-level error as `cause`.
 *
 * @throws {ProtocolError} `ERR_RECEIPT_MALFORMED`.
 * @example
 * ```ts
 * const { kid, stream, next, sack, hash } = decodeReceipt(opened.payload)
 * ```
 */
export function decodeReceipt(payload: Uint8Array): Receipt {
  assertBytes(payload, 'payload');
  if (payload.length > MAX_RECEIPT_PAYLOAD) throw malformed(`receipt payload exceeds ${MAX_RECEIPT_PAYLOAD} bytes`);
  const r = new CborReader(payload);
  let fields: [number, Uint8Array, Uint8Array, number, Uint8Array, Uint8Array];
  try {
    const h = r.readHead();
    if (h.major !== 4 || h.arg !== 6) throw malformed('receipt must be an array of 6');
    const version = r.readValue(1);
    if (version !== RECEIPT_VERSION) throw malformed('unsupported receipt version');
    const kid = r.readValue(1);
    const stream = r.readValue(1);
    const next = r.readValue(1);
    const sack = r.readValue(1);
    const hash = r.readValue(1);
    if (r.pos !== r.end) throw malformed('bytes follow the receipt');
    if (!(kid instanceof Uint8Array) || kid.length === 0 || kid.length > MAX_KID_LENGTH) {
      throw malformed(`kid must be a byte string of 1 to ${MAX_KID_LENGTH} bytes`);
    }
    if (!(stream instanceof Uint8Array) || stream.length !== STREAM_ID_LENGTH) {
      throw malformed(`stream must be a byte string of ${STREAM_ID_LENGTH} bytes`);
    }
    if (typeof next !== 'number' || next < 0) throw malformed('next must be an unsigned integer below 2^53');
    if (!(sack instanceof Uint8Array)) throw malformed('sack must be a byte string');
    if (!(hash instanceof Uint8Array) || hash.length !== RECEIPT_HASH_LENGTH) {
      throw malformed(`hash must be a byte string of ${RECEIPT_HASH_LENGTH} bytes`);
    }
    fields = [version, kid, stream, next, sack, hash];
  } catch (err) {
    if (err instanceof ProtocolError && err.code === 'ERR_RECEIPT_MALFORMED') throw err;
    throw malformed('receipt payload is not valid deterministic CBOR', err);
  }
  const [, kid, stream, next, sack, hash] = fields;
  checkSack(next, sack, (m) => malformed(`sack ${m}`));
  // Copies: the result outlives the caller's buffer (a socket frame is often reused).
  return { kid: kid.slice(), stream: stream.slice(), next, sack: sack.slice(), hash: hash.slice() };
}
