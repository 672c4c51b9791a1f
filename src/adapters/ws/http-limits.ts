// [POL-5.3]: limits below the WebSocket upgrade. The per-IP session cap starts only at the upgrade;
// before it, a raw TCP connection or a slowloris upgrade request costs the server a socket each.
// Node's own headersTimeout is checked only every `connectionsCheckingInterval` (30 s by default,
// fixed when the server is created), so the header deadline here runs its own timer per socket.
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';

export interface HttpLimits {
  /** A connection must have sent a complete request (or upgrade) head within this time. Default 10 s. */
  headersTimeoutMs?: number;
  /** A whole HTTP request must arrive within this time (Node's `requestTimeout`). Default 30 s. */
  requestTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this time. Default 5 s. */
  keepAliveTimeoutMs?: number;
  /** Open connections on the server, upgraded or not (Node's `maxConnections`). Default 10,000. */
  maxConnections?: number;
  /** Open connections from one IP address, upgraded or not. Default 256 (above the 64 sessions per IP). */
  maxConnectionsPerIp?: number;
}

export const DEFAULT_HTTP_LIMITS: Readonly<Required<HttpLimits>> = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 10_000,
  maxConnectionsPerIp: 256,
});

function positive(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`"${name}" expected a positive integer, got ${String(value)}`);
  return value;
}

/**
 * Bounds an http or https server below the upgrade ([POL-5.3]): sets Node's timeouts and connection
 * cap, caps connections per IP, and closes a connection that has not sent a request head in time.
 * Call it once, before `listen`. Returns a function that removes the listeners it added.
 *
 * @throws {RangeError} on a limit that is not a positive integer (named).
 * @example
 * ```ts
 * const http = createServer()
 * limitHttpServer(http, { headersTimeoutMs: 5_000 })
 * attach(secureServer, { server: http })
 * ```
 */
export function limitHttpServer(server: HttpServer | HttpsServer, limits: HttpLimits = {}): () => void {
  const l = { ...DEFAULT_HTTP_LIMITS, ...limits };
  for (const [name, value] of Object.entries(l)) positive(value, name);
  server.headersTimeout = l.headersTimeoutMs;
  server.requestTimeout = Math.max(l.requestTimeoutMs, l.headersTimeoutMs);
  server.keepAliveTimeout = l.keepAliveTimeoutMs;
  server.maxConnections = l.maxConnections;
  const perIp = new Map<string, number>();
  const timers = new WeakMap<object, ReturnType<typeof setTimeout>>();

  const onConnection = (socket: Socket): void => {
    const ip = socket.remoteAddress ?? '';
    const n = (perIp.get(ip) ?? 0) + 1;
    if (n > l.maxConnectionsPerIp) {
      socket.destroy();
      return;
    }
    perIp.set(ip, n);
    socket.once('close', () => {
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left === 0) perIp.delete(ip);
      else perIp.set(ip, left);
    });
  };
  // Over TLS the request arrives on the TLS socket, so the deadline starts there (Node's TLS
  // handshake timeout covers the time before it).
  const onHeadStart = (socket: Socket): void => {
    const timer = setTimeout(() => socket.destroy(), l.headersTimeoutMs);
    timer.unref?.();
    timers.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  };
  const onHead = (req: IncomingMessage): void => clearTimeout(timers.get(req.socket));
  const secure = 'setSecureContext' in server;
  const headEvent = secure ? 'secureConnection' : 'connection';
  server.prependListener('connection', onConnection);
  server.prependListener(headEvent, onHeadStart);
  server.prependListener('request', onHead);
  server.prependListener('upgrade', onHead);
  return () => {
    server.off('connection', onConnection);
    server.off(headEvent, onHeadStart);
    server.off('request', onHead);
    server.off('upgrade', onHead);
  };
}
