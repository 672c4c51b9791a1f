// The session's checks of one received envelope between the Receiver's pre-check and the
// signature (spec/handshake.md §6, spec/policy.md §1): the peer's key, its two streams, the rate
// charge, and the acknowledgement range. The Receiver calls `hook(kind)` directly, so an envelope
// passes through here once and never goes back up into the inbound path or the session.
import { ProtocolError } from '../errors.js';
import { equalBytes } from '../bytes.js';
import { RECEIPT_CONTENT_TYPE } from '../delivery/receipt.js';
import type { OpenContext } from '../envelope/receiver.js';
import type { MessageCharge } from '../policy/rate-limit.js';
import type { EnvelopeHeader } from '../wire/envelope.js';
import type { SessionDelivery } from './delivery.js';

/** Set by the hook: whether the envelope it checked is a receipt. */
export interface Kind {
  isReceipt: boolean;
}

type Hook = NonNullable<OpenContext['beforeSignature']>;

export class PeerChecks {
  readonly #delivery: SessionDelivery;
  readonly #charge: MessageCharge | undefined;
  /** Streams pinned by envelopes still in process, before {@link SessionDelivery.peerStream} is set. */
  #pinnedDataStream: Uint8Array | undefined;
  #pinnedReceiptStream: Uint8Array | undefined;
  #peerReceiptStream: Uint8Array | undefined;

  /**
   * A resumed client's first data envelope from the server may open a new stream: a node took the
   * session over ([HS-7.14]). Undefined once that envelope came, or where it may not.
   */
  #handover: 'may' | 'new' | undefined;

  /** `charge` is absent where the receiving end charges nothing (a client). */
  constructor(delivery: SessionDelivery, charge: MessageCharge | undefined, mayHandOver = false) {
    this.#delivery = delivery;
    this.#charge = charge;
    this.#handover = mayHandOver && delivery.peerStream !== undefined ? 'may' : undefined;
  }

  /** The peer's receipt stream, once its first receipt was accepted. */
  get peerReceiptStream(): Uint8Array | undefined {
    return this.#peerReceiptStream;
  }

  /** A receipt of the peer was accepted: its stream is the peer's receipt stream from now on. */
  receiptAccepted(stream: Uint8Array): void {
    this.#peerReceiptStream ??= stream.slice();
  }

  /** [POL-3.1]: a resent duplicate answered with a receipt still costs its token. */
  chargeDuplicate(): void {
    this.#charge?.charge();
  }

  /**
   * The Receiver's `beforeSignature` for envelopes whose kind lands in `kind`.
   * @see [HS-6.4]
   */
  hook(kind: Kind): Hook {
    return ({ header }) => this.#check(header, kind);
  }

  #check(header: EnvelopeHeader, kind: Kind): void {
    const d = this.#delivery;
    // [HS-6.4]: another key the receiver knows is still not this session's peer.
    if (!equalBytes(header.kid, d.peerKid)) {
      throw new ProtocolError('ERR_SESSION_KEY', 'envelope key is not the session key');
    }
    // [HS-6.7], [HS-6.8]: one data stream and one receipt stream per peer and session. The first
    // envelope of each pins it for the envelopes behind it; any refusal ends the session, so a
    // pin taken by an envelope that is then refused never outlives it.
    const isReceipt = header.contentType === RECEIPT_CONTENT_TYPE;
    kind.isReceipt = isReceipt;
    let pinned = isReceipt ? (this.#peerReceiptStream ?? this.#pinnedReceiptStream) : (d.peerStream ?? this.#pinnedDataStream);
    if (!isReceipt && this.#handover !== undefined) {
      if (this.#handover === 'may' && !equalBytes(pinned!, header.stream)) this.#handover = 'new';
      if (this.#handover === 'new') pinned = this.#pinnedDataStream;
    }
    if (pinned === undefined) {
      if (isReceipt) {
        this.#pinnedReceiptStream = header.stream.slice();
      } else {
        // [HS-6.11]: a data stream new to this session starts at 0 on a stream of its own, so no
        // forgotten or foreign acknowledgement record is continued (a repeated seq 0 was already
        // refused by the replay pre-check).
        if (header.seq !== 0 || d.builder.has(header.kid, header.stream)) {
          throw new ProtocolError('ERR_WRONG_STREAM', 'a new data stream must start at seq 0 on a stream of its own');
        }
        this.#pinnedDataStream = header.stream.slice();
      }
    } else if (!equalBytes(pinned, header.stream)) {
      throw new ProtocolError('ERR_WRONG_STREAM', 'envelope on a stream this session does not use');
    }
    // A record taken over from another node may hold what this node's replay state never saw (§7.1).
    if (!isReceipt && d.builder.holds(header.kid, header.stream, header.seq)) {
      throw new ProtocolError('ERR_REPLAY', 'envelope was already accepted');
    }
    // The continued stream, or a new one from its first envelope on: either way, decided.
    if (!isReceipt && this.#handover === 'may') this.#handover = undefined;
    this.#charge?.charge();
    // [RCP-5.2]: never accept what no receipt could acknowledge.
    if (!isReceipt) d.builder.check(header);
  }
}
