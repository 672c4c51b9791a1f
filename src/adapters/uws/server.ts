// Binds a SecureServer to a uWebSockets.js App or SSLApp. Admission (origin allow-list, per-IP cap)
// is decided in the `upgrade` handler before any handshake work ([POL-5.1]); frames are capped by
// `maxPayloadLength` ([POL-4.1]); compression stays off ([POL-5.2]); the send buffer follows the
// backpressure policy of spec/policy.md §8 through getBufferedAmount() and `drain`.
// Only types come from uWebSockets.js: the user's App brings the native module, and importing
// this file loads nothing.
import type { HttpRequest, HttpResponse, TemplatedApp, WebSocket, us_socket_context_t } from 'uWebSockets.js';
import { ProtocolError, isProtocolError } from '../../errors.js';
import type { Admission, SecureServer } from '../../session/server.js';
import type { ServerSession } from '../../session/server-session.js';
import type { Transport } from '../../session/index.js';
import { ERROR_HEADER, upgradeStatus } from '../shared/upgrade.js';

export interface AttachUwsOptions {
  /** Your `uWS.App()` or `uWS.SSLApp()`. sealwire registers one `ws` route on it. */
  app: TemplatedApp;
  /** The route pattern. Default `"/*"`. */
  path?: string;
  /**
   * Seconds without traffic before uWS closes the socket; it pings at half of it, so a peer that
   * answers pings stays ([POL-5.6]). 0 (off) or 8 to 960; default 120.
   */
  idleTimeout?: number;
}

export interface AttachedUws {
  /** Open sessions handled by this route. */
  readonly sessions: ReadonlySet<ServerSession>;
  /** The uWS socket under a session while it is open (e.g. for `getRemoteAddress`, or `close()` to cut it). */
  socketOf(session: ServerSession): WebSocket<unknown> | undefined;
  /** Refuses new upgrades (HTTP 503) and closes every session. Close your listen socket yourself. */
  close(): void;
}

/** Per-socket state; `closed` guards every call into a socket uWS has already freed. */
interface SocketData {
  admission: Admission;
  session: ServerSession | undefined;
  closed: boolean;
}

// uWS.DISABLED: a literal, so that no value is imported from uWebSockets.js.
const COMPRESSION_DISABLED = 0;
/** Bytes over max_message_size that uWS still reads, so that the refusal can carry 1009. */
const OVERSIZE_MARGIN = 64 * 1024;
// uWS's reason when it cuts a frame over maxPayloadLength itself.
const UWS_TOO_BIG = 'Received too big message';
// uWS send(): 0 = queued with backpressure, 1 = written, 2 = dropped over maxBackpressure.
const SEND_DROPPED = 2;
const text = new TextDecoder();

/**
 * Serves sealwire sessions on a uWebSockets.js app.
 *
 * @throws {TypeError|RangeError} when `app` is not a uWS app, or an option is invalid (named).
 * @example
 * ```ts
 * import uWS from 'uWebSockets.js'
 * import { attach } from 'sealwire/uws'
 * const app = uWS.App()
 * attach(secureServer, { app, path: '/chat' })
 * app.listen(8080, (listenSocket) => { if (!listenSocket) throw new Error('port in use') })
 * ```
 */
export function attach(secure: SecureServer, options: AttachUwsOptions): AttachedUws {
  if (options === null || typeof options !== 'object') throw new TypeError('"options" expected object');
  const { app, path = '/*', idleTimeout = 120 } = options;
  if (app === null || typeof app !== 'object' || typeof app.ws !== 'function') throw new TypeError('"app" expected a uWS App or SSLApp');
  if (typeof path !== 'string' || !path.startsWith('/')) throw new TypeError('"path" expected a route pattern starting with "/"');
  // uWS aborts the whole process (not an exception) for 1 to 7 or over 960: refuse them here.
  if (!Number.isSafeInteger(idleTimeout) || (idleTimeout !== 0 && (idleTimeout < 8 || idleTimeout > 960))) {
    throw new RangeError(`"idleTimeout" expected 0 or seconds from 8 to 960, got ${String(idleTimeout)}`);
  }
  const limits = secure.limits;
  const sockets = new Map<ServerSession, WebSocket<SocketData>>();
  let stopped = false;
  // [ROOM-7.2]: a room frame goes to every member in one call; uWS drops it for a member over
  // maxBackpressure, and that member recovers the gap from history (spec/rooms.md §6).
  secure.setFanout({ publish: (topic, frame) => void app.publish(topic, frame, true, false) });

  app.ws<SocketData>(path, {
    compression: COMPRESSION_DISABLED,
    // [POL-4.1]: uWS cuts a larger frame without a close frame (the client would see 1006 and no
    // code), so frames a little over the limit are read and refused here with 1009, as ws does.
    maxPayloadLength: limits.maxMessageSize + OVERSIZE_MARGIN,
    // [POL-8.4]: uWS never holds more than the session's cap; the session keeps below it itself.
    maxBackpressure: limits.maxBufferedAmount,
    closeOnBackpressureLimit: 0,
    idleTimeout,
    sendPingsAutomatically: true,

    upgrade(res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void {
      admitUpgrade(secure, stopped, res, req, context);
    },

    open(ws: WebSocket<SocketData>): void {
      const data = ws.getUserData();
      const session = secure.accept(transportOf(ws, data), data.admission);
      data.session = session;
      if (session.state !== 'closed') sockets.set(session, ws);
    },

    message(ws: WebSocket<SocketData>, message: ArrayBuffer, isBinary: boolean): void {
      const data = ws.getUserData();
      const session = data.session;
      if (session === undefined) return;
      if (message.byteLength > limits.maxMessageSize) {
        // RFC 6455 1009 on the wire (clients report ERR_TOO_LARGE), the typed verdict on the session.
        // Record first (uWS runs the close handler inside end()), with the transport already marked
        // closed so the session's own 4009 does not replace the 1009 on the wire.
        data.closed = true;
        session.reject(new ProtocolError('ERR_TOO_LARGE', 'frame exceeds maxMessageSize'));
        ws.end(1009, 'message too big');
        return;
      }
      if (!isBinary) {
        session.fail(new ProtocolError('ERR_MALFORMED', 'text frames are not sealwire messages'));
        return;
      }
      // uWS neuters `message` when this callback returns; receive() copies it synchronously.
      session.receive(new Uint8Array(message));
    },

    drain(ws: WebSocket<SocketData>): void {
      ws.getUserData().session?.transportDrained();
    },

    close(ws: WebSocket<SocketData>, code: number, message: ArrayBuffer): void {
      const data = ws.getUserData();
      data.closed = true;
      if (data.session !== undefined) sockets.delete(data.session);
      if (data.session === undefined) {
        data.admission.release();
        return;
      }
      const reason = text.decode(message);
      if (reason === UWS_TOO_BIG) data.session.reject(new ProtocolError('ERR_TOO_LARGE', 'frame far over maxMessageSize'));
      else data.session.transportClosed(code, reason);
    },
  });

  return {
    get sessions() {
      return new Set(sockets.keys());
    },
    socketOf: (session) => sockets.get(session),
    close: () => {
      stopped = true;
      secure.setFanout(undefined);
      for (const s of [...sockets.keys()]) s.close(1000, 'server closed');
    },
  };
}

/** [POL-5.1]: admission runs in the upgrade, before any handshake work; refusals carry the code. */
function admitUpgrade(secure: SecureServer, stopped: boolean, res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void {
  // The request lives on the stack of this call: read everything before anything else.
  const key = req.getHeader('sec-websocket-key');
  const protocol = req.getHeader('sec-websocket-protocol');
  const origin = req.getHeader('origin');
  const address = text.decode(res.getRemoteAddressAsText());
  let aborted = false;
  let admission: Admission | undefined;
  // The client may vanish before the upgrade completes: its slot is released then.
  res.onAborted(() => {
    aborted = true;
    admission?.release();
  });
  try {
    if (stopped) throw new ProtocolError('ERR_SESSION_CLOSED', 'server is closed');
    admission = secure.admit({ address, ...(origin !== '' ? { origin } : {}) });
  } catch (err) {
    const e = isProtocolError(err) ? err : new ProtocolError('ERR_INTERNAL', 'internal error');
    const { status, text: reason } = upgradeStatus(e);
    if (!aborted) {
      res.cork(() => {
        res.writeStatus(`${status} ${reason}`).writeHeader(ERROR_HEADER, e.code).writeHeader('Content-Type', 'text/plain').end(e.code, true);
      });
    }
    return;
  }
  if (aborted) return;
  const data: SocketData = { admission, session: undefined, closed: false };
  // No extensions are accepted: permessage-deflate stays off whatever the client offers.
  res.cork(() => res.upgrade(data, key, protocol, '', context));
}

/** The session's view of a uWS socket; `data.closed` guards every call into a freed socket. */
function transportOf(ws: WebSocket<SocketData>, data: SocketData): Transport {
  return {
    send: (bytes) => {
      if (data.closed) return;
      if (ws.send(bytes, true, false) === SEND_DROPPED) {
        throw new ProtocolError('ERR_BACKPRESSURE', 'uWS dropped a message over maxBackpressure');
      }
    },
    close: (code, reason) => {
      if (data.closed) return;
      data.closed = true;
      ws.end(code, reason);
    },
    bufferedAmount: () => (data.closed ? 0 : ws.getBufferedAmount()),
    subscribe: (topic) => {
      if (!data.closed) ws.subscribe(topic);
    },
    unsubscribe: (topic) => {
      if (!data.closed) ws.unsubscribe(topic);
    },
    // No pauseReading: this uWS build cannot stop reading a WebSocket, so the session's
    // caps on queued envelopes, in count and in bytes, bound it ([POL-8.5], [POL-8.6]).
  };
}
