// A member's room frames in arrival order, their signatures verified ahead by an asynchronous
// verifier (WebCrypto in a browser) while earlier frames are still being checked. Positions go
// through the same queue, so a member sees frames and Positions in the order it would without it.
import { getDefaultBackend } from '../crypto/select.js';
import { webCryptoVerify, type AsyncVerify } from '../crypto/webcrypto.js';
import type { RoomMember } from './member.js';
import { Preverified } from './preverify.js';
import type { PositionInfo } from './room.js';

/**
 * How a member verifies room frames: `'auto'` (default) uses the platform's WebCrypto where no
 * native backend is installed (a browser) and it passes its probe, else the synchronous backend;
 * `'sync'` always the backend; or an asynchronous check: a function, or a verification pool
 * (`VerifyPool` from `sealwire/pool` or `sealwire/pool/web`) for bursts.
 */
export type RoomVerify = 'auto' | 'sync' | AsyncVerify | { readonly verify: AsyncVerify };

export class FramePipeline {
  #verify: AsyncVerify | undefined;
  #name: string;
  /** The last queued step; undefined while nothing waits, and frames are checked at once. */
  #chain: Promise<void> | undefined;

  constructor(
    private readonly member: RoomMember,
    choice: RoomVerify = 'auto',
  ) {
    this.#name = getDefaultBackend().name;
    if (typeof choice === 'function' || typeof choice === 'object') {
      this.#verify = typeof choice === 'function' ? choice : choice.verify;
      this.#name = 'custom';
    } else if (choice === 'auto' && this.#name === 'noble') {
      // Chosen once: frames that come before the probe answers are checked synchronously, in order.
      void webCryptoVerify().then((v) => {
        if (v === undefined) return;
        this.#verify = v;
        this.#name = 'webcrypto';
      });
    }
  }

  /** What verifies room frames: `webcrypto`, `custom`, or the backend's name. */
  get verification(): string {
    return this.#name;
  }

  frame(bytes: Uint8Array): void {
    const verify = this.#verify;
    if (verify === undefined) return this.#then(() => this.member.frame(bytes));
    // Started now, beside the frames still queued; what needs a statement still queued is
    // verified when this frame's turn comes.
    const ahead = Preverified.of(this.member.signatures(bytes), verify);
    this.#then(async () => {
      const pre = await ahead;
      const rest = this.member.signatures(bytes).filter((c) => !pre.has(c.key, c.message, c.signature));
      if (rest.length > 0) pre.merge(await Preverified.of(rest, verify));
      this.member.frame(bytes, pre);
    });
  }

  positioned(p: PositionInfo): void {
    this.#then(() => this.member.positioned(p));
  }

  /** Runs `step` once every frame and Position queued so far was checked. */
  after(step: () => void): void {
    this.#then(step);
  }

  #then(step: () => void | Promise<void>): void {
    if (this.#chain === undefined) {
      const r = step();
      if (!(r instanceof Promise)) return;
      this.#track(r);
      return;
    }
    this.#track(this.#chain.then(step));
  }

  #track(p: Promise<void>): void {
    // A step never rejects the queue: the member reports every refusal itself.
    const c = p.catch(() => {});
    this.#chain = c;
    void c.then(() => {
      if (this.#chain === c) this.#chain = undefined;
    });
  }
}
