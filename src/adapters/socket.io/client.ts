// The client side over socket.io-client: one sealwire session per Socket.IO connection. Socket.IO
// reconnects by itself; the application then starts a new session on the same socket with
// `resumeFrom`, and sealwire's resume, not Socket.IO's buffers, decides what is delivered again.
// No `node:` import: this runs in browsers.
import { ERROR_CODES, ProtocolError, type ErrorCode } from '../../errors.js';
import { ClientSession, type ClientSessionOptions } from '../../session/client-session.js';
import { CLOSE_EVENT, FRAME_EVENT, READY_EVENT, closeOf, frameBytes, newTag, type IoClientSocketLike, type IoListener } from './wire.js';

export type IoConnectOptions = Omit<ClientSessionOptions, 'channelBinding'>;

/**
 * Runs a sealwire session on a socket.io-client socket, now if it is connected, else when it
 * connects. The session ends with the Socket.IO connection; after Socket.IO reconnects, start the
 * next one with `resumeFrom` (see the example).
 *
 * @throws {ProtocolError} (rejection) the handshake's or the server's refusal, among them the
 *   admission's (`ERR_ORIGIN`, `ERR_TOO_MANY_CONNECTIONS`, `ERR_RATE_LIMITED`) from the middleware.
 * @example
 * ```ts
 * const socket = io('https://chat.example/chat', { transports: ['websocket'] })
 * let session = await connect(socket, { key, serverKey, credential: jwt })
 * socket.io.on('reconnect', async () => { session = await connect(socket, { key, serverKey, credential: jwt, resumeFrom: session }) })
 * ```
 */
export function connect(socket: IoClientSocketLike, options: IoConnectOptions): Promise<ClientSession> {
  if (socket === null || typeof socket !== 'object' || typeof socket.emit !== 'function' || typeof socket.on !== 'function') {
    throw new TypeError('"socket" expected a socket.io-client Socket');
  }
  const tag = newTag();
  let peerClose: { code: number; reason: string } | undefined;
  const session = new ClientSession(
    {
      // Never into socket.io-client's send buffer: flushed after a reconnection it would reach a
      // newer session. What is not acknowledged is resent by resume instead.
      send: (bytes) => {
        if (socket.connected) socket.emit(FRAME_EVENT, tag, bytes);
      },
      close: (code, reason) => {
        if (socket.connected) socket.emit(CLOSE_EVENT, code, reason);
      },
    },
    { ...options, channelBinding: () => undefined },
  );
  const listeners: [string, IoListener][] = [
    [
      FRAME_EVENT,
      (frameTag: unknown, data: unknown) => {
        if (frameTag !== tag) return;
        const bytes = frameBytes(data);
        if (bytes === undefined) session.fail(new ProtocolError('ERR_MALFORMED', 'sealwire frames are binary'));
        else session.receive(bytes);
      },
    ],
    [CLOSE_EVENT, (code: unknown, reason: unknown) => (peerClose = closeOf(code, reason))],
    ['disconnect', (reason: unknown) => session.transportClosed(peerClose?.code ?? 1006, peerClose?.reason ?? String(reason))],
    ['connect_error', (err: unknown) => session.fail(refusal(err))],
    ['connect', () => socket.emit(READY_EVENT, tag)],
  ];
  for (const [event, fn] of listeners) socket.on(event, fn);
  void session.closed.then(() => {
    for (const [event, fn] of listeners) socket.off(event, fn);
  });
  if (session.state === 'closed') return session.ready.then(() => session);
  if (socket.connected) socket.emit(READY_EVENT, tag);
  return session.ready.then(() => session);
}

/** The admission's refusal, as the server's middleware named it. */
function refusal(err: unknown): ProtocolError {
  const code = (err as { data?: { code?: unknown } } | null)?.data?.code;
  if (typeof code === 'string' && Object.hasOwn(ERROR_CODES, code)) return new ProtocolError(code as ErrorCode, `connection refused: ${code}`);
  return new ProtocolError('ERR_SESSION_CLOSED', `connection failed: ${(err as Error | null)?.message ?? 'unknown'}`);
}
