// Staying connected (spec/handshake.md §7): after a lost connection the client waits (exponential
// backoff with full jitter, so a restarted server is not hit by every client at once), then
// resumes the session where the server still holds it, or starts a fresh one and says what may be
// missing. Several nodes of one service may be named: a node that does not answer is passed over
// for the next. Runs in browsers: timers and the WebSocket client only.
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
  /** A session is open: the first, a resumed one, or a fresh one after a refused resume; `url` is the node's. */
  session: { readonly session: ClientSession; readonly resumed: boolean; readonly url: string };
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
  readonly #urls: readonly string[];
  /** The node tried first: the one the last session was on. */
  #at = 0;

  constructor(
    urls: readonly string[],
    private options: ConnectOptions,
    private readonly delays: Required<ReconnectOptions>,
  ) {
    super();
    this.#urls = urls;
  }

  /** The node the current (or last) session is on. */
  get url(): string {
    return this.#urls[this.#at]!;
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

  /**
   * Each node once, from the last one used: a node that cannot be reached, or refuses for a reason
   * another node may not share, is passed over; a final refusal ends the round.
   */
  async #attempt(previous: ClientSession | undefined): Promise<ClientSession> {
    let failure: unknown;
    for (let i = 0; i < this.#urls.length; i++) {
      const at = (this.#at + i) % this.#urls.length;
      try {
        const session = await this.#on(this.#urls[at]!, previous);
        this.#at = at;
        return this.#opened(session.session, session.resumed);
      } catch (err) {
        failure = err;
        if (FINAL.has((err as { code?: string }).code ?? '')) break;
      }
    }
    throw failure;
  }

  async #on(url: string, previous: ClientSession | undefined): Promise<{ session: ClientSession; resumed: boolean }> {
    if (previous === undefined) return { session: await connect(url, this.options), resumed: false };
    try {
      return { session: await connect(url, { ...this.options, resumeFrom: previous }), resumed: true };
    } catch (err) {
      // Another node, or one that lost the session: a fresh session, and what may be missing said.
      if ((err as { code?: ErrorCode }).code !== 'ERR_RESUME_REFUSED') throw err;
      this.emit('fresh', { unacknowledged: previous.unacknowledged });
      return { session: await connect(url, this.options), resumed: false };
    }
  }

  #opened(session: ClientSession, resumed: boolean): ClientSession {
    // close() while this attempt was connecting: the new session must not outlive it.
    if (this.#stopped) {
      session.close();
      return session;
    }
    this.#current = session;
    this.emit('session', { session, resumed, url: this.url });
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
 * resolves; `session` announces each later one. Given several URLs (the nodes of one service),
 * each attempt tries them in turn, starting with the node the last session was on.
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
export async function stayConnected(url: string | readonly string[], options: ConnectOptions, reconnect: ReconnectOptions = {}): Promise<StayConnected> {
  const delays = { minDelayMs: reconnect.minDelayMs ?? 250, maxDelayMs: reconnect.maxDelayMs ?? 10_000 };
  if (!(delays.minDelayMs > 0) || !(delays.maxDelayMs >= delays.minDelayMs)) throw new RangeError('"minDelayMs" and "maxDelayMs" expected 0 < min <= max');
  const urls = typeof url === 'string' ? [url] : [...url];
  if (urls.length === 0 || !urls.every((u) => typeof u === 'string')) throw new TypeError('"url" expected a string or a non-empty array of strings');
  const client = new StayConnected(urls, options, delays);
  await client.start();
  return client;
}
