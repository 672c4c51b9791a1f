// Liveness for `ws` sessions ([POL-5.6]): a ping every interval; a socket that has not answered the
// previous one by the next is cut. uWS does the same itself (`idleTimeout`, automatic pings).
import type { WebSocket } from 'ws';

/** Default interval between pings: a dead peer is cut within two of them. */
export const DEFAULT_HEARTBEAT_MS = 30_000;

export class Heartbeat {
  readonly #answered = new Map<WebSocket, boolean>();
  readonly #timer: ReturnType<typeof setInterval> | undefined;

  /** `intervalMs` 0 turns liveness off. */
  constructor(intervalMs: number) {
    if (intervalMs > 0) {
      this.#timer = setInterval(() => this.#beat(), intervalMs);
      this.#timer.unref?.();
    }
  }

  track(ws: WebSocket): void {
    if (this.#timer === undefined) return;
    this.#answered.set(ws, true);
    ws.on('pong', () => this.#answered.set(ws, true));
    ws.once('close', () => this.#answered.delete(ws));
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#answered.clear();
  }

  #beat(): void {
    for (const [ws, answered] of this.#answered) {
      // A socket we paused ([POL-8.5]) cannot read the pong: its silence is ours, not the peer's.
      if (!answered && !ws.isPaused) {
        ws.terminate();
        continue;
      }
      this.#answered.set(ws, false);
      if (ws.readyState === ws.OPEN) ws.ping();
    }
  }
}
