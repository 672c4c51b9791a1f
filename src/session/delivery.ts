// What one end of a session keeps across reconnects (spec/handshake.md §7, spec/receipts.md §6):
// its data stream and the outbox of envelopes the peer has not acknowledged, and the
// acknowledgement record of the peer's data stream. A resumed session takes this over whole.
import { ReceiptBuilder } from '../delivery/builder.js';
import { Outbox } from '../delivery/outbox.js';
import { Sender } from '../envelope/sender.js';
import { SigningQueue } from './signing.js';
import { equalBytes } from '../bytes.js';
import type { VerifiedReceipt } from '../delivery/verify.js';
import type { AsyncSigningKey, SigningKey } from '../keys/keys.js';
import type { ResumeJournal } from './journal.js';

/** Unacknowledged envelopes a session holds per direction. At most the peer's replay window ([RCP-1.2]). */
export const DEFAULT_SESSION_OUTBOX_CAPACITY = 128;
/** Bytes of unacknowledged envelopes a session holds per direction. */
export const DEFAULT_SESSION_OUTBOX_BYTES = 1 << 20;
/** A receipt goes out after this many accepted envelopes… */
export const DEFAULT_RECEIPT_EVERY = 32;
/** …or this long after the first one it does not yet cover. */
export const DEFAULT_RECEIPT_DELAY_MS = 20;
/**
 * Resumes of one state whose resent envelopes the peer never acknowledged ([HS-7.9], [HS-7.11]):
 * each keeps one more hash per pending envelope, so neither end resumes a state past this.
 */
export const MAX_RESEALS_WITHOUT_RECEIPT = 8;

/** Whether a state's outbox was re-sealed too often without a receipt to be resumed again. @see [HS-7.11] */
export function resealBoundReached(outbox: { readonly resealsSinceReceipt: number }): boolean {
  return outbox.resealsSinceReceipt >= MAX_RESEALS_WITHOUT_RECEIPT;
}

/** @internal Who is told about acknowledgements: the session currently owning the state. */
export interface DeliveryOwner {
  delivered(seqs: readonly number[]): void;
  drained(): void;
  /** The state cannot go on (an asynchronous signature failed): the holding session ends. */
  failed(err: unknown): void;
}

/** @internal */
export interface SessionDeliveryOptions {
  key: SigningKey | AsyncSigningKey;
  peerKid: Uint8Array;
  /** The acknowledgement record of peer streams; a server shares one across its sessions. */
  builder: ReceiptBuilder;
  capacity: number;
  maxBytes: number;
  clock: () => number;
}

/** @internal */
export class SessionDelivery {
  readonly sender: Sender;
  readonly outbox: Outbox;
  readonly builder: ReceiptBuilder;
  /** The peer's key: a client's changes when a node of another key takes its session over (§7.1). */
  peerKid: Uint8Array;
  /**
   * Earlier server data streams of the state, oldest first (§7.1): a client keeps their records, a
   * server that took the state over ignores receipts for them.
   */
  readonly earlier: { readonly kid: Uint8Array; readonly stream: Uint8Array }[] = [];
  /** On a server sharing resume state: what it stores ahead of what it sends. */
  journal: ResumeJournal | undefined;
  /** The peer's data stream, fixed by its first data envelope (or carried over by resume). */
  peerStream: Uint8Array | undefined;
  owner: DeliveryOwner | undefined;
  /**
   * Set while a session holding this state waits on a step that answers later (an async hook or
   * store) with received envelopes in process; a session that takes the state over processes
   * nothing until it is done ([HS-7.10]).
   */
  settling: { readonly by: object; readonly done: Promise<void>; readonly resolve: () => void } | undefined;
  /** With an AsyncSigningKey: what the sessions holding this state are still signing. */
  readonly signing = new SigningQueue();

  /** True for a stream of the peer's earlier nodes: what it acknowledges is no longer ours to resend (§7.1). */
  isEarlier(kid: Uint8Array, stream: Uint8Array): boolean {
    return this.earlier.length > 0 && this.earlier.some((e) => equalBytes(e.kid, kid) && equalBytes(e.stream, stream));
  }

  /** A verified receipt of the peer; one for an earlier node's stream came too late to matter (§7.1). */
  ack(r: VerifiedReceipt): void {
    if (!this.isEarlier(r.receipt.kid, r.receipt.stream)) this.outbox.ack(r);
  }

  constructor(o: SessionDeliveryOptions) {
    // [HS-6.7]: a fresh random data stream, seqs from 0 with no gap ([RCP-1.1]).
    this.sender = new Sender(o.key, { clock: o.clock });
    this.peerKid = o.peerKid.slice();
    this.builder = o.builder;
    this.outbox = new Outbox({
      kid: o.key.kid,
      stream: this.sender.stream,
      // No fixed receiver: a receipt reaches the outbox only after the session checked its key is
      // the peer's ([HS-6.4]), and a client's peer key changes when a node of another key takes
      // the session over, its outbox going on ([HS-7.14]).
      capacity: o.capacity,
      maxBytes: o.maxBytes,
      onDelivered: (seqs) => {
        this.journal?.acked(seqs);
        this.owner?.delivered(seqs);
      },
      onDrain: () => this.owner?.drained(),
    });
  }
}

export function assertOutboxLimits(capacity: unknown, bytes: unknown, prefix: string): void {
  if (typeof capacity !== 'number' || !Number.isSafeInteger(capacity) || capacity < 1 || capacity > 1024) {
    throw new RangeError(`"${prefix}outboxCapacity" expected an integer from 1 to 1024, got ${String(capacity)}`);
  }
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 1) {
    throw new RangeError(`"${prefix}outboxBytes" expected a positive integer, got ${String(bytes)}`);
  }
}
