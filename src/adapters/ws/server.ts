// Binds a SecureServer to `ws`: admission at the HTTP upgrade, before any handshake work
// ([POL-5.1]); frame size capped by `maxPayload` ([POL-4.1]); compression off ([POL-5.2]).
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { ProtocolError, isProtocolError } from '../../errors.js';
import type { Admission, SecureServer } from '../../session/server.js';
import type { ServerSession } from '../../session/server-session.js';
import { readTlsExporter, upgradeRefusal } from '../shared/upgrade.js';
import { DEFAULT_HEARTBEAT_MS, Heartbeat } from './heartbeat.js';

export interface AttachOptions {
  /**
   * Your http or https server: sealwire handles its `upgrade` events (on `path`) with its own
   * `noServer` WebSocketServer. Recommended: admission happens before the WebSocket upgrade.
   */
  server?: HttpServer | HttpsServer;
  /** With `server`: only upgrades for this pathname, others are left to other listeners. Default: all. */
  path?: string;
  /**
   * Or your existing WebSocketServer. It must have `perMessageDeflate: false` and a `maxPayload`
   * no larger than the server's `maxMessageSize`. Admission then runs on `connection`, after the
   * upgrade, and a refusal closes with the error's close code instead of an HTTP status.
   */
  wss?: WebSocketServer;
  /**
   * Milliseconds between pings; a client that has not answered one by the next ping is cut
   * ([POL-5.6]). Browsers and `ws` answer by themselves. Default 30,000; 0 turns it off.
   */
  heartbeatMs?: number;
}

export interface AttachedWs {
  readonly wss: WebSocketServer;
  /** Stops handling upgrades, closes every session and the WebSocketServer. */
  close(): Promise<void>;
}

/**
 * Serves sealwire sessions over `ws`.
 *
 * @throws {TypeError|RangeError} when neither `server` nor `wss` is given, or `wss` has
 *   compression on or a larger `maxPayload`.
 * @example
 * ```ts
 * const http = createServer()
 * const { close } = attach(secureServer, { server: http, path: '/chat' })
 * http.listen(8080)
 * ```
 */
export function attach(secure: SecureServer, options: AttachOptions): AttachedWs {
  if (options === null || typeof options !== 'object') throw new TypeError('"options" expected object');
  const { server, wss: given, path, heartbeatMs = DEFAULT_HEARTBEAT_MS } = options;
  if (!Number.isSafeInteger(heartbeatMs) || heartbeatMs < 0) throw new RangeError(`"heartbeatMs" expected a non-negative integer, got ${String(heartbeatMs)}`);
  const heartbeat = new Heartbeat(heartbeatMs);
  if ((server === undefined) === (given === undefined)) throw new TypeError('"options" expected exactly one of "server" or "wss"');
  if (path !== undefined && (typeof path !== 'string' || !path.startsWith('/'))) throw new TypeError('"path" expected a pathname');
  const maxPayload = secure.limits.maxMessageSize;

  if (given !== undefined) {
    const o = given.options as { perMessageDeflate?: unknown; maxPayload?: number };
    if (o.perMessageDeflate) throw new RangeError('"wss" must have perMessageDeflate: false');
    if (typeof o.maxPayload !== 'number' || o.maxPayload > maxPayload) {
      throw new RangeError(`"wss" maxPayload must be at most ${maxPayload} (limits.maxMessageSize)`);
    }
    const onConnection = (ws: WebSocket, req: IncomingMessage): void => {
      let admission: Admission;
      try {
        admission = secure.admit(peerOf(req));
      } catch (err) {
        const e = isProtocolError(err) ? err : new ProtocolError('ERR_INTERNAL', 'internal error');
        ws.close(e.closeCode, e.code);
        return;
      }
      heartbeat.track(ws);
      bind(secure, ws, admission, readTlsExporter(req.socket), req.socket);
    };
    given.on('connection', onConnection);
    return {
      wss: given,
      close: () => {
        heartbeat.stop();
        given.off('connection', onConnection);
        secure.close();
        return Promise.resolve();
      },
    };
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false, clientTracking: true });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (path !== undefined && pathname(req.url) !== path) return;
    let admission: Admission;
    try {
      admission = secure.admit(peerOf(req));
    } catch (err) {
      const e = isProtocolError(err) ? err : new ProtocolError('ERR_INTERNAL', 'internal error');
      socket.end(upgradeRefusal(e));
      socket.destroy();
      return;
    }
    // ws answers a malformed upgrade itself and never calls back: release the slot on any close.
    let upgraded = false;
    socket.once('close', () => {
      if (!upgraded) admission.release();
    });
    const exporter = readTlsExporter(req.socket);
    wss.handleUpgrade(req, socket, head, (ws) => {
      upgraded = true;
      heartbeat.track(ws);
      bind(secure, ws, admission, exporter, socket);
    });
  };
  server!.on('upgrade', onUpgrade);
  return {
    wss,
    close: () =>
      new Promise<void>((resolve) => {
        server!.off('upgrade', onUpgrade);
        heartbeat.stop();
        secure.close();
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  };
}

function peerOf(req: IncomingMessage): { address?: string; origin?: string } {
  const origin = req.headers.origin;
  const address = req.socket.remoteAddress;
  return { ...(address !== undefined ? { address } : {}), ...(typeof origin === 'string' ? { origin } : {}) };
}

function pathname(url: string | undefined): string {
  const q = (url ?? '/').indexOf('?');
  return q === -1 ? (url ?? '/') : (url ?? '/').slice(0, q);
}

/** How long an ended session's socket may take to finish the close handshake before it is cut. */
const CLOSE_GRACE_MS = 1000;

/**
 * [POL-5.4]: a session that ends releases its socket for real. A socket paused by [POL-8.5] would
 * never read the peer's close and sit in CLOSE-WAIT for ws's 30 s timeout, outside every cap; so
 * reading resumes, the socket is cut after CLOSE_GRACE_MS, and the per-IP slot is held until then.
 */
function holdUntilGone(ws: WebSocket, admission: Admission): Admission {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    admission.release();
  };
  ws.once('close', release);
  return { address: admission.address, origin: admission.origin, release: () => (ws.readyState === ws.CLOSED ? release() : undefined) };
}

function finish(ws: WebSocket): void {
  if (ws.readyState === ws.CLOSED) return;
  ws.resume();
  const timer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
  timer.unref?.();
  ws.once('close', () => clearTimeout(timer));
}

function bind(secure: SecureServer, ws: WebSocket, admission: Admission, tlsExporter: Uint8Array | undefined, socket: Duplex): ServerSession {
  const session = secure.accept(
    {
      send: (bytes) => ws.send(bytes, { binary: true }),
      close: (code, reason) => {
        ws.close(code, reason);
        finish(ws);
      },
      // spec/policy.md §8: ws queues in its sender and the socket; both count.
      bufferedAmount: () => ws.bufferedAmount,
      // [POL-8.5]: hold a peer back by TCP flow control while its envelopes wait for verification.
      pauseReading: () => ws.pause(),
      resumeReading: () => ws.resume(),
    },
    holdUntilGone(ws, admission),
    tlsExporter === undefined ? {} : { tlsExporter },
  );
  void session.closed.then(() => finish(ws));
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (!isBinary) {
      session.fail(new ProtocolError('ERR_MALFORMED', 'text frames are not sealwire messages'));
      return;
    }
    session.receive(toBytes(data));
  });
  ws.on('error', (err: Error & { code?: string }) => {
    // ws has already closed with 1009 (RFC 6455 "message too big"); record the typed verdict.
    if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') session.reject(new ProtocolError('ERR_TOO_LARGE', 'frame exceeds maxPayload'));
    else session.fail(new ProtocolError('ERR_MALFORMED', 'invalid WebSocket frame'));
  });
  ws.on('close', (code: number, reason: Buffer) => session.transportClosed(code, reason.toString()));
  // [POL-8.1]: the socket drained, so data paused by backpressure can go.
  const onDrain = (): void => session.transportDrained();
  socket.on('drain', onDrain);
  void session.closed.then(() => socket.off('drain', onDrain));
  return session;
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}
