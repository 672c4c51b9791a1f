// Receipt envelopes: the envelope checks of spec/envelope.md, then the receipt rules of
// spec/receipts.md §4 (content type, then payload).
import { ProtocolError } from '../errors.js';
import { open, type Opened, type OpenOptions } from '../envelope/open.js';
import { decodeReceipt, RECEIPT_CONTENT_TYPE, type Receipt } from './receipt.js';

/** A receipt whose envelope verified under the acknowledging side's key. */
export interface VerifiedReceipt {
  readonly receipt: Receipt;
  /** Key id of the side that signed the receipt (the receiver of the acknowledged envelopes). */
  readonly kid: Uint8Array;
  /** Key ring identity of that side, when the ring has one. */
  readonly identity: string | undefined;
  /** The acknowledging side's receipt stream, and the receipt's seq and time on it. */
  readonly stream: Uint8Array;
  readonly seq: number;
  readonly ts: number;
}

/**
 * Reads the receipt out of an envelope that has already been opened — by `open()` or, on a live
 * connection, by a replay-protected `Receiver`, which is how a sender refuses a replayed receipt.
 *
 * @throws {ProtocolError} `ERR_NOT_RECEIPT` when the content type is not
 *   {@link RECEIPT_CONTENT_TYPE}; `ERR_RECEIPT_MALFORMED` for a payload that breaks the CDDL.
 * @example
 * ```ts
 * const opened = receiver.open(bytes)            // replay window over the peer's receipt stream
 * outbox.ack(receiptFromOpened(opened))
 * ```
 */
export function receiptFromOpened(opened: Opened): VerifiedReceipt {
  if (
    opened === null ||
    typeof opened !== 'object' ||
    !(opened.payload instanceof Uint8Array) ||
    !(opened.kid instanceof Uint8Array) ||
    !(opened.stream instanceof Uint8Array) ||
    typeof opened.seq !== 'number' ||
    typeof opened.ts !== 'number'
  ) {
    throw new TypeError('"opened" expected the result of open() or a Receiver');
  }
  if (opened.contentType !== RECEIPT_CONTENT_TYPE) {
    throw new ProtocolError('ERR_NOT_RECEIPT', 'envelope content type is not a receipt');
  }
  return {
    receipt: decodeReceipt(opened.payload),
    kid: opened.kid.slice(),
    identity: opened.identity,
    stream: opened.stream.slice(),
    seq: opened.seq,
    ts: opened.ts,
  };
}

/**
 * Verifies a receipt envelope statelessly: signature under the acknowledging side's key, content
 * type, strict payload decode. What an auditor runs offline; it keeps no replay state, so a live
 * sender opens receipts through its `Receiver` and calls {@link receiptFromOpened} instead.
 *
 * @throws {ProtocolError} every code of `open()`, then `ERR_NOT_RECEIPT`, `ERR_RECEIPT_MALFORMED`.
 * @example
 * ```ts
 * const { receipt, identity } = verifyReceipt(bytes, { keys: ring })
 * ```
 */
export function verifyReceipt(envelope: Uint8Array, options: OpenOptions): VerifiedReceipt {
  return receiptFromOpened(open(envelope, options));
}
