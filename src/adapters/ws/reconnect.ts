// Staying connected (spec/handshake.md §7): after a lost connection the client waits (exponential
// backoff with full jitter, so a restarted server is not hit by every client at once), then
// resumes the session where the server still holds it, or starts a fresh one and says what may be
// missing. Runs in browsers: timers and the WebSocket client only.
import { Emitter } from '../../session/emitter.js';
import type { ClientSession } from '../../session/client-session.js';
import type { ErrorCode } from '../../errors.js';
import { connect, type ConnectOptions } from './client.js';

export interface ReconnectOptions {
  /** First wait before reconnecting, ms. Default 250. */
  readonly minDelayMs?: number;
  /** Longest wait, ms. Default 10,000. */
  readonly maxDelayMs?: number;
}

export interface StayConnectedEvents extends Record<string, unknown> {
  /** A session is open: the first, a resumed one, or a fresh one after a refused resume. */
  session: { readonly session: ClientSession; readonly resumed: boolean };
  /** The connection was lost; the next attempt starts after `delayMs`. */
  reconnecting: { readonly attempt: number; readonly delayMs: number; readonly code?: ErrorCode };
  /**
   * The server no longer held the session: a fresh one started. `unacknowledged` of our messages
   * may not have reached it; what the server sent meanwhile is not resent.
   */
  fresh: { readonly unacknowledged: number };
  /** Gave up: the server refused the client itself (revoked key, bad credential, wrong server). */
  failed: { readonly code?: ErrorCode };
}

// Refusals no retry can cure: reconnecting would only hammer the server.
const FINAL: ReadonlySet<string> = new Set(['ERR_KEY_REVOKED', 'ERR_UNAUTHENTICATED', 'ERR_SERVER_IDENTITY', 'ERR_ORIGIN', 'ERR_CREDENTIAL_KEY_MISMATCH']);

/** A client that reconnects by itself; `current` is the open session, if any. */
export class StayConnected extends Emitter<StayConnectedEvents> {
  #current: ClientSession | undefined;
  #stopped = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly url: string,
    private options: ConnectOptions,
    private readonly delays: Required<ReconnectOptions>,
  ) {
    super();
  }

  /** The credential later connections present: call it after `session.renew(token)` with the same token. */
  setCredential(credential: Uint8Array | string): void {
    this.options = { ...this.options, credential };
  }

  get current(): ClientSession | undefined {
    return this.#current;
  }

  /** Ends the current session normally (1000) and stops reconnecting: close through here, not the session. */
  close(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#current?.close();
  }

  /** @internal */
  async start(): Promise<ClientSession> {
    return this.#attempt(undefined);
  }

  async #attempt(previous: ClientSession | undefined): Promise<ClientSession> {
    let session: ClientSession;
    let resumed = previous !== undefined;
    try {
      session = await connect(this.url, previous === undefined ? this.options : { ...this.options, resumeFrom: previous });
    } catch (err) {
      const code = (err as { code?: ErrorCode }).code;
      if (code === 'ERR_RESUME_REFUSED' && previous !== undefined) {
        this.emit('fresh', { unacknowledged: previous.unacknowledged });
        resumed = false;
        session = await connect(this.url, this.options);
      } else {
        throw err;
      }
    }
    // close() while this attempt was connecting: the new session must not outlive it.
    if (this.#stopped) {
      session.close();
      return session;
    }
    this.#current = session;
    this.emit('session', { session, resumed });
    void session.closed.then((info) => this.#lost(session, info.error?.code));
    return session;
  }

  #lost(session: ClientSession, code: ErrorCode | undefined, attempt = 1): void {
    // A server's normal close (1000) is often a restart: only our own close() stops reconnecting.
    if (this.#stopped) return;
    if (code !== undefined && FINAL.has(code)) return this.emit('failed', { code });
    const ceiling = Math.min(this.delays.maxDelayMs, this.delays.minDelayMs * 2 ** (attempt - 1));
    const delayMs = Math.round(this.delays.minDelayMs / 2 + Math.random() * (ceiling - this.delays.minDelayMs / 2));
    this.emit('reconnecting', { attempt, delayMs, ...(code !== undefined ? { code } : {}) });
    this.#timer = setTimeout(() => {
      if (this.#stopped) return;
      this.#attempt(session).catch((err: unknown) => {
        const c = (err as { code?: ErrorCode }).code;
        if (c !== undefined && FINAL.has(c)) this.emit('failed', { code: c });
        else this.#lost(session, c, attempt + 1);
      });
    }, delayMs);
  }
}

/**
 * Connects, and reconnects after every lost connection: resuming when the server still holds the
 * session, else starting fresh (event `fresh`). The first session is `current` when this
 * resolves; `session` announces each later one.
 *
 * @throws {ProtocolError} (rejection) when the first connection fails.
 * @example
 * ```ts
 * const client = await stayConnected(url, { WebSocket, key, serverKey })
 * client.current!.on('message', show)
 * client.on('session', ({ session }) => session.on('message', show))
 * client.on('reconnecting', ({ delayMs }) => status(`reconnecting in ${delayMs} ms…`))
 * ```
 */
export async function stayConnected(url: string, options: ConnectOptions, reconnect: ReconnectOptions = {}): Promise<StayConnected> {
  const delays = { minDelayMs: reconnect.minDelayMs ?? 250, maxDelayMs: reconnect.maxDelayMs ?? 10_000 };
  if (!(delays.minDelayMs > 0) || !(delays.maxDelayMs >= delays.minDelayMs)) throw new RangeError('"minDelayMs" and "maxDelayMs" expected 0 < min <= max');
  const client = new StayConnected(url, options, delays);
  await client.start();
  return client;
}
