// A client's requests waiting for their Result ([HS-8.2]): each resolves or rejects once, and all
// reject when the session ends.
import { ERROR_CODES, ProtocolError, type ErrorCode } from '../errors.js';

interface Pending {
  resolve(): void;
  reject(err: ProtocolError): void;
}

const CLOSE_CODES = new Set<number>(Object.values(ERROR_CODES));

// An unknown code from a newer server is still a refusal; it is reported as forbidden.
function toCode(code: string): ErrorCode {
  return Object.hasOwn(ERROR_CODES, code) && CLOSE_CODES.has(ERROR_CODES[code as ErrorCode]) ? (code as ErrorCode) : 'ERR_FORBIDDEN';
}

export class PendingRequests {
  readonly #pending = new Map<number, Pending>();

  /** Sends with `send` (which returns the request's seq) and waits for its Result. */
  request(send: () => number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.set(send(), { resolve, reject });
    });
  }

  /** Settles the request a Result names; a refusal nobody waits for is returned for the `refused` event. */
  settle(refSeq: number, refused: string | null): ErrorCode | undefined {
    const code = refused === null ? null : toCode(refused);
    const p = this.#pending.get(refSeq);
    if (p === undefined) return code ?? undefined;
    this.#pending.delete(refSeq);
    if (code === null) p.resolve();
    else p.reject(new ProtocolError(code, `request refused: ${code}`));
    return undefined;
  }

  rejectAll(err: ProtocolError): void {
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }
}
