// Driver ops of a sender (spec/replay.md §8) and of the error-code table (spec/errors.md): the
// sealing side's numbering, reservation across restarts and exhaustion, on the library's Sender.
import { toHex } from '../../src/bytes.js';
import { ERROR_CODES, ProtocolError } from '../../src/errors.js';
import { Sender } from '../../src/envelope/sender.js';
import type { Ed25519Backend } from '../../src/crypto/backend.js';
import { importSigningKey } from '../../src/keys/keys.js';
import { RequestError, hex, optUint, string, uint, type Answer, type Request } from './fields.js';

interface SenderState {
  secretKey: Uint8Array;
  stream: Uint8Array;
  /** The reservation block size K, when the sender reserves ([RPL-8.3]). */
  blockSize: number | undefined;
  /** The durable record: the last bound `persist` stored (what survives a restart). */
  stored: number | null;
  /** The clock the next seal reads (`ts` of the `sender.seal` request). */
  ts: number;
  sender: Sender;
}

export class SenderOps {
  #state: SenderState | undefined;

  constructor(readonly backend: Ed25519Backend) {}

  /** `sender.reset`: a sender continuing `stream` from `seq` (default 0), reserving in blocks of `blockSize` if given. */
  reset(req: Request): Answer {
    const secretKey = hex(req, 'secretKey', 32);
    const stream = hex(req, 'stream', 16);
    const blockSize = optUint(req, 'blockSize');
    if (blockSize === 0) throw new RequestError('"blockSize" expected a positive integer');
    const seq = optUint(req, 'seq') ?? 0;
    const state = { secretKey, stream, blockSize, stored: null, ts: 0 } as Omit<SenderState, 'sender'> as SenderState;
    state.sender = this.#start(state, seq);
    this.#state = state;
    return { ok: true };
  }

  /** `sender.seal`: the next envelope, stamped `ts`; `stored` is the durable bound after it. */
  seal(req: Request): Answer {
    const state = this.#require();
    state.ts = uint(req, 'ts');
    const payload = hex(req, 'payload');
    try {
      const envelope = state.sender.seal(payload);
      return { ok: true, seq: state.sender.nextSeq - 1, envelope: toHex(envelope), stored: state.stored };
    } catch (err) {
      if (err instanceof ProtocolError) return { ok: false, code: err.code, stored: state.stored };
      throw err;
    }
  }

  /** `sender.restart`: the process restarts; the stream continues at the stored bound (from 0 if none). */
  restart(): Answer {
    const state = this.#require();
    if (state.blockSize === undefined) throw new RequestError('"sender.restart" needs a sender reset with "blockSize"');
    state.sender = this.#start(state, state.stored ?? 0);
    return { ok: true, next: state.sender.nextSeq };
  }

  #start(state: SenderState, seq: number): Sender {
    const key = importSigningKey(state.secretKey, { backend: this.backend });
    const blockSize = state.blockSize;
    return new Sender(key, {
      stream: state.stream,
      seq,
      clock: () => state.ts,
      ...(blockSize !== undefined ? { reserve: { blockSize, persist: (_s: Uint8Array, upTo: number) => void (state.stored = upTo) } } : {}),
    });
  }

  #require(): SenderState {
    if (this.#state === undefined) throw new RequestError('no sender: send {"op":"sender.reset"} first');
    return this.#state;
  }
}

/** `error.close`: the close code this implementation gives the code `name` ([ERR-1.1], [ERR-1.5]). */
export function errorClose(req: Request): Answer {
  const code = string(req, 'name');
  if (!Object.hasOwn(ERROR_CODES, code)) return { ok: false, error: `unknown code ${code}` };
  return { ok: true, closeCode: ERROR_CODES[code as keyof typeof ERROR_CODES] };
}
