// Binds a SecureServer to a Socket.IO server or namespace: admission in a middleware, before any
// handshake work ([POL-5.1]); one session per Socket.IO connection, started when the client says
// it listens; frames as binary events tagged with that session's binding, so a packet Socket.IO
// replays or flushes after a reconnection never reaches a newer session.
import { ProtocolError, isProtocolError } from '../../errors.js';
import type { Admission, SecureServer } from '../../session/server.js';
import type { ServerSession } from '../../session/server-session.js';
import { heldUntilGone } from '../shared/hold.js';
import { CLOSE_EVENT, FRAME_EVENT, READY_EVENT, closeOf, frameBytes, isTag, type IoNamespaceLike, type IoServerSocketLike } from './wire.js';

export interface AttachedIo {
  /** Sessions open on this namespace. */
  readonly sessions: ReadonlySet<ServerSession>;
  /** Stops starting sessions (the middleware then refuses with `ERR_SESSION_CLOSED`) and closes every session. */
  close(): void;
}

/**
 * Serves sealwire sessions over a Socket.IO `Server` or `Namespace` you created. Socket.IO's own
 * events, rooms and acks are untouched and unsigned; sealwire's travel on the `sealwire` events.
 *
 * @throws {TypeError} when `io` is not a Socket.IO server or namespace.
 * @example
 * ```ts
 * const io = new Server(httpServer, { cors: { origin: 'https://chat.example' } })
 * const { close } = attach(secureServer, io.of('/chat'))
 * ```
 */
export function attach(secure: SecureServer, io: IoNamespaceLike): AttachedIo {
  if (io === null || typeof io !== 'object' || typeof io.use !== 'function' || typeof io.on !== 'function') {
    throw new TypeError('"io" expected a Socket.IO Server or Namespace');
  }
  const admissions = new WeakMap<IoServerSocketLike, Admission>();
  const sessions = new Set<ServerSession>();
  const timeoutMs = secure.limits.handshakeTimeoutMs;
  let closed = false;
  // [POL-5.1]: origin, per-IP cap and session rate before Socket.IO calls any connection handler.
  io.use((socket, next) => {
    try {
      if (closed) throw new ProtocolError('ERR_SESSION_CLOSED', 'server closed');
      admissions.set(socket, secure.admit(peerOf(socket)));
      next();
    } catch (err) {
      const e = isProtocolError(err) ? err : new ProtocolError('ERR_INTERNAL', 'internal error');
      next(Object.assign(new Error(e.code), { data: { code: e.code } }));
    }
  });
  const onConnection = (socket: IoServerSocketLike): void => {
    const admission = admissions.get(socket);
    // A connection Socket.IO recovered without running the middleware again: admitted once more here.
    if (admission === undefined) return admitLate(secure, socket, (a) => wait(socket, a));
    admissions.delete(socket);
    wait(socket, admission);
  };
  const wait = (socket: IoServerSocketLike, admission: Admission): void => {
    const held = socket.connected ? heldUntilGone(admission, (gone) => socket.once('disconnect', gone)) : admission;
    const timer = setTimeout(() => end(socket, new ProtocolError('ERR_HANDSHAKE_TIMEOUT', 'no sealwire client on this socket')), timeoutMs);
    socket.once('disconnect', () => clearTimeout(timer));
    socket.once(READY_EVENT, (tag: unknown) => {
      clearTimeout(timer);
      if (!isTag(tag)) return end(socket, new ProtocolError('ERR_MALFORMED', 'bad ready event'));
      const session = bind(secure, socket, held, tag);
      sessions.add(session);
      void session.closed.then(() => sessions.delete(session));
    });
  };
  io.on('connection', onConnection);
  return {
    sessions,
    close: () => {
      closed = true;
      io.off('connection', onConnection);
      secure.close();
    },
  };
}

function admitLate(secure: SecureServer, socket: IoServerSocketLike, then: (a: Admission) => void): void {
  try {
    then(secure.admit(peerOf(socket)));
  } catch (err) {
    end(socket, isProtocolError(err) ? err : new ProtocolError('ERR_INTERNAL', 'internal error'));
  }
}

function end(socket: IoServerSocketLike, error: ProtocolError): void {
  socket.emit(CLOSE_EVENT, error.closeCode, error.code);
  socket.disconnect(true);
}

/**
 * The peer's address and origin. A browser sends no Origin on a same-origin GET (long-polling),
 * only Sec-Fetch-Site, which scripts cannot set: the origin is then the request's own.
 * @see [POL-5.5]
 */
function peerOf(socket: IoServerSocketLike): { address?: string; origin?: string } {
  const h = socket.handshake.headers;
  const host = h['host'];
  let origin = typeof h['origin'] === 'string' ? h['origin'] : undefined;
  if (origin === undefined && h['sec-fetch-site'] === 'same-origin' && typeof host === 'string') {
    origin = `${socket.handshake.secure ? 'https' : 'http'}://${host}`;
  }
  const address = socket.handshake.address;
  return { ...(address ? { address } : {}), ...(origin !== undefined ? { origin } : {}) };
}

function bind(secure: SecureServer, socket: IoServerSocketLike, admission: Admission, tag: string): ServerSession {
  let peerClose: { code: number; reason: string } | undefined;
  const session = secure.accept(
    {
      // Never queued by Socket.IO for a later connection: a session lives on one connection.
      send: (bytes) => {
        if (socket.connected) socket.emit(FRAME_EVENT, tag, bytes);
      },
      close: (code, reason) => {
        if (!socket.connected) return;
        socket.emit(CLOSE_EVENT, code, reason);
        socket.disconnect(true);
      },
    },
    admission,
  );
  // A socket without a session would count against no cap: the session's end ends the socket.
  void session.closed.then(() => {
    if (socket.connected) socket.disconnect(true);
  });
  socket.on(FRAME_EVENT, (frameTag: unknown, data: unknown) => {
    if (frameTag !== tag) return; // flushed from an earlier session of this client: it resends what counts
    const bytes = frameBytes(data);
    if (bytes === undefined) session.fail(new ProtocolError('ERR_MALFORMED', 'sealwire frames are binary'));
    else session.receive(bytes);
  });
  socket.on(CLOSE_EVENT, (code: unknown, reason: unknown) => {
    peerClose = closeOf(code, reason);
    socket.disconnect(true);
  });
  socket.once('disconnect', () => session.transportClosed(peerClose?.code ?? 1006, peerClose?.reason ?? 'socket disconnected'));
  return session;
}
