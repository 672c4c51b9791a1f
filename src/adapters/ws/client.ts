// One client for Node's `ws` and the browser's WebSocket: both speak the standard WebSocket API.
// Where the implementation exposes more (Node `ws`: the TLS socket, the refused upgrade's
// headers), it is used by feature detection, never by a second code path. No `node:` import.
import { ERROR_CODES, ProtocolError, type ErrorCode } from '../../errors.js';
import { ClientSession, type ClientSessionOptions } from '../../session/client-session.js';
import { readTlsExporter } from '../shared/upgrade.js';

/** The standard WebSocket constructor shape (browsers, Node ≥ 22, or `ws`). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

interface PausableSocket {
  pause(): void;
  resume(): void;
}

/**
 * A WebSocket constructor: the browser's, Node 22's global, or `ws`. Typed loosely on purpose so
 * each of them is accepted as is; the client uses only the standard members ({@link WebSocketLike}).
 */
export type WebSocketConstructor = new (url: string, protocols?: string | string[], options?: never) => unknown;

export interface ConnectOptions extends Omit<ClientSessionOptions, 'channelBinding'> {
  /** The WebSocket implementation. Default `globalThis.WebSocket`; in Node 20 pass `WebSocket` from `ws`. */
  WebSocket?: WebSocketConstructor;
  /**
   * Bind the handshake to the TLS connection (RFC 9266) when the implementation exposes it (Node
   * `ws` over TLS 1.3). Turn off only behind a TLS-terminating proxy. Default true.
   */
  channelBinding?: boolean;
  /**
   * Extra options for Node `ws` (e.g. `ca` for a private certificate); ignored by browsers.
   * Compression is always off.
   */
  wsOptions?: Record<string, unknown>;
}

interface NodeWsExtras {
  on(event: 'upgrade', listener: (res: { socket: unknown }) => void): void;
  on(event: 'unexpected-response', listener: (req: { destroy(): void }, res: { statusCode?: number; headers: Record<string, unknown> }) => void): void;
}

/**
 * Opens a WebSocket and runs the sealwire handshake on it.
 *
 * @throws {ProtocolError} (rejection) the handshake's or the server's refusal: `ERR_SERVER_IDENTITY`,
 *   `ERR_CLOCK_SKEW`, `ERR_UNAUTHENTICATED`, `ERR_CREDENTIAL_EXPIRED`, `ERR_ORIGIN` (Node only;
 *   a browser cannot read a refused upgrade), `ERR_HANDSHAKE_TIMEOUT`, `ERR_SESSION_CLOSED`…
 * @example
 * ```ts
 * import WebSocket from 'ws' // browsers: omit, the global WebSocket is used
 * const session = await connect('wss://chat.example/ws', { WebSocket, key, serverKey, credential: jwt })
 * await session.join('lobby')
 * ```
 */
export function connect(url: string | URL, options: ConnectOptions): Promise<ClientSession> {
  if (options === null || typeof options !== 'object') throw new TypeError('"options" expected object');
  const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (typeof WS !== 'function' || typeof WS.prototype !== 'object') {
    throw new TypeError('"WebSocket" expected a WebSocket constructor (e.g. from "ws")');
  }
  const { WebSocket: _ws, channelBinding = true, wsOptions, ...sessionOptions } = options;
  const nodeOptions = {
    // The session re-checks every message against the server's limit; this bounds buffering first.
    maxPayload: 1 << 20,
    ...wsOptions,
    perMessageDeflate: false,
    ...(options.origin !== undefined && options.origin !== '' ? { origin: options.origin } : {}),
  };
  // The session first: options it refuses, or a resume it refuses itself ([HS-7.11]), open no socket.
  // It sends nothing before the server's hello, so the socket can follow.
  // Assigned once, after the session: its callbacks may run first (a refused resume), and a const
  // would be in its temporal dead zone then.
  // eslint-disable-next-line prefer-const
  let ws: WebSocketLike | undefined;
  let exporter: Uint8Array | undefined;
  const session = new ClientSession(
    {
      send: (bytes) => ws!.send(bytes),
      close: (code, reason) => ws?.close(code, reason),
      // Node's `ws` can stop reading ([POL-8.5]); the browser's WebSocket cannot, and needs not:
      // a client verifies only what one server sends it.
      ...(typeof (WS.prototype as Partial<PausableSocket>).pause === 'function'
        ? { pauseReading: () => (ws as unknown as PausableSocket).pause(), resumeReading: () => (ws as unknown as PausableSocket).resume() }
        : {}),
    },
    { ...sessionOptions, channelBinding: () => (channelBinding ? exporter : undefined) },
  );
  if (session.state === 'closed') return session.ready.then(() => session);
  ws = new WS(String(url), [], nodeOptions as never) as WebSocketLike;
  ws.binaryType = 'arraybuffer';
  const extras = ws as unknown as Partial<NodeWsExtras>;
  if (typeof extras.on === 'function') {
    extras.on('upgrade', (res) => {
      exporter = readTlsExporter(res.socket);
    });
    extras.on('unexpected-response', (req, res) => {
      const code = res.headers['x-sealwire-error'];
      req.destroy();
      session.fail(
        typeof code === 'string' && Object.hasOwn(ERROR_CODES, code)
          ? new ProtocolError(code as ErrorCode, `upgrade refused: ${code}`)
          : new ProtocolError('ERR_SESSION_CLOSED', `upgrade refused with HTTP ${res.statusCode ?? '?'}`),
      );
    });
  }
  ws.onmessage = (event) => {
    const data = event.data;
    if (data instanceof ArrayBuffer) session.receive(new Uint8Array(data));
    else session.fail(new ProtocolError('ERR_MALFORMED', 'text frames are not sealwire messages'));
  };
  ws.onclose = (event) => session.transportClosed(event.code, event.reason);
  // The close event follows every error and carries what there is to know.
  ws.onerror = () => {};
  return session.ready.then(() => session);
}
