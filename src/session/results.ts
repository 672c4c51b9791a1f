// Results that found the outbox full wait, in request order, for the room the client's receipts
// free ([HS-8.5]); nothing the server sends overtakes them.
import { ProtocolError, isProtocolError, type ErrorCode } from '../errors.js';
import { OP_RESULT, encodeServerMessage } from './messages.js';

// Results that may wait for room in the outbox; a client with more is not acknowledging.
const MAX_WAITING_RESULTS = 1024;

/** What the queue needs of its session. */
export interface ResultHost {
  isOpen(): boolean;
  /** Seals and queues a payload on the data stream; throws `ERR_OUTBOX_FULL` when there is no room. */
  seal(payload: Uint8Array): void;
}

export class ResultQueue {
  #waiting: { payload: Uint8Array; result: boolean }[] = [];
  /** How many of `#waiting` are Results: the bound of [HS-8.5] counts them only. */
  #results = 0;

  constructor(private readonly host: ResultHost) {}

  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Answers request `refSeq`, now or once room opens.
   * @see [HS-8.5]
   */
  send(refSeq: number, code: ErrorCode | null): void {
    if (!this.host.isOpen()) return;
    const payload = encodeServerMessage({ op: OP_RESULT, refSeq, code });
    if (this.flush() && this.#trySend(payload)) return;
    if (this.#results >= MAX_WAITING_RESULTS) throw new ProtocolError('ERR_OUTBOX_FULL', 'the client does not acknowledge what it receives');
    this.#results++;
    this.#waiting.push({ payload, result: true });
  }

  /**
   * A Position ([ROOM-6.3]): in order with the Results, bounded on its own. Past the bound it is
   * dropped: a client that acknowledges nothing gets no more of them, and the periodic check
   * ([ROOM-6.5]) sends a fresh one once it does.
   */
  position(payload: Uint8Array): void {
    if (!this.host.isOpen()) return;
    if (this.flush() && this.#trySend(payload)) return;
    if (this.#waiting.length - this.#results >= MAX_WAITING_RESULTS) return;
    this.#waiting.push({ payload, result: false });
  }

  /** Sends the Results that wait for room, in order; true when none is left waiting. */
  flush(): boolean {
    const waiting = this.#waiting;
    let sent = 0;
    while (sent < waiting.length && this.host.isOpen() && this.#trySend(waiting[sent]!.payload)) {
      if (waiting[sent]!.result) this.#results--;
      sent++;
    }
    if (sent > 0) waiting.splice(0, sent);
    return waiting.length === 0;
  }

  /** False when the outbox has no room for it (or the session is closing). */
  #trySend(payload: Uint8Array): boolean {
    try {
      this.host.seal(payload);
      return true;
    } catch (err) {
      if (isProtocolError(err, 'ERR_OUTBOX_FULL') || isProtocolError(err, 'ERR_SESSION_CLOSED')) return false;
      throw err;
    }
  }
}
