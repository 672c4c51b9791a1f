// Envelopes an AsyncSigningKey is still signing, across the sessions that hold one delivery state:
// each is handed on (to the outbox, to the transport) only once it and every envelope sealed before
// it are signed, so they leave in the order they were sealed ([HS-7.5]) whatever order the
// signatures finish in. A resumed session's re-seals queue behind its predecessor's last envelopes.

import { ProtocolError } from '../errors.js';

/** What ends a session whose asynchronous signing key failed: nothing about the cause is sent. */
export function signingFailed(cause: unknown): ProtocolError {
  return new ProtocolError('ERR_INTERNAL', 'the signing key failed', { cause });
}

interface Entry {
  envelope: Uint8Array | undefined;
  readonly sealing: Promise<Uint8Array>;
  readonly then: (envelope: Uint8Array) => void;
}

export class SigningQueue {
  readonly #entries: Entry[] = [];
  /** Data envelopes being signed, and the bytes the outbox will hold for them ([RCP-6.2]). */
  data = 0;
  bytes = 0;
  /** A signature failed: its sequence number is a gap no receipt can ever close. */
  broken = false;

  get length(): number {
    return this.#entries.length;
  }

  /** Settles once everything queued now is signed (or one failed). */
  signed(): Promise<unknown> {
    return Promise.all(this.#entries.map((e) => e.sealing));
  }

  /**
   * Queues `sealing`: `then` gets its envelope in turn. `failed` is told the first time a signature
   * fails; everything queued is dropped then, and the queue takes nothing more.
   */
  add(sealing: Promise<Uint8Array>, then: (envelope: Uint8Array) => void, failed: (err: unknown) => void, report: (err: unknown) => void): void {
    if (this.broken) return;
    const entries = this.#entries;
    const entry: Entry = { envelope: undefined, sealing, then };
    entries.push(entry);
    sealing.then(
      (envelope) => {
        entry.envelope = envelope;
        while (entries.length > 0 && entries[0]!.envelope !== undefined) {
          const next = entries.shift()!;
          try {
            next.then(next.envelope!);
          } catch (err) {
            report(err); // a bug, never a peer's doing
          }
        }
      },
      (err: unknown) => {
        if (this.broken) return;
        this.broken = true;
        entries.length = 0;
        this.data = 0;
        this.bytes = 0;
        failed(err);
      },
    );
  }
}
