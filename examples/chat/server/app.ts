// The chat server, composed: HTTPS (or plain HTTP on loopback) serving the page and the login
// endpoint, sealwire sessions on /ws, the chat's policy, history and moderation, and the
// security monitor. `startChat` is what `npm start` and the tests run.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { SecureServer, importSigningKey, publicKeyOf, type RateLimit } from '../../../src/index.js';
import { joinCluster, type ClusterOptions } from './cluster.js';
import { loadOrCreateServerKeys } from './keys.js';
import { openRoomLog, type RoomLogFile } from '../../../src/rooms/file-log.js';
import { writeAuditKeys } from './audit.js';
import { jwtAuthenticator } from '../../../src/session/jwt.js';
import { attach, limitHttpServer } from '../../../src/adapters/ws/index.js';
import { collectMetrics } from '../../../src/metrics/index.js';
import { loadOrCreateCertificate, type Certificate } from './cert.js';
import { attachChat, type Chat } from './chat.js';
import { createLogger, Pseudonymizer, type LogSink } from './logger.js';
import { DEFAULT_TOKEN_TTL_SEC, TOKEN_AUDIENCE, TOKEN_ISSUER, issueToken, loginHandler } from './login.js';
import { Monitor } from './monitor.js';
import { ROOMS, authorize, isEncrypted, validate } from './rooms.js';
import { startUwsTransport } from './uws.js';
import { buildAssets, securityHeaders, serveStatic } from './static.js';
import { DEMO_USERS } from './users.js';

export const DEFAULT_PORT = 8443;
export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../.data', import.meta.url));
export const WS_PATH = '/ws';

export type AdapterName = 'ws' | 'uws';

export interface ChatOptions {
  /** Default 127.0.0.1: the demo is for this machine. */
  host?: string;
  /** Default 8443; 0 picks a free port. */
  port?: number;
  /** HTTPS + WSS with the self-signed certificate (default), or plain HTTP + WS on loopback only. */
  tls?: boolean;
  /** Where the certificate is kept. Default examples/chat/.data. */
  dataDir?: string;
  adapter?: AdapterName;
  /** With `uws`: its own port for the WebSocket (the page stays on `port`). Default port + 1, or any free port when `port` is 0. */
  wsPort?: number;
  /** Receives one JSON line per record. Default stdout. */
  logSink?: LogSink;
  tokenTtlSec?: number;
  /** Message rates per connection and per identity. Default 5/s (burst 20) and 10/s (burst 40): people type slowly. */
  rateLimit?: { connection: RateLimit; identity: RateLimit };
  /** One node of several sharing a Redis (`npm run start:cluster`); ws adapter only. Default: one process, in memory. */
  cluster?: ClusterOptions;
}

export interface ChatServer {
  /** The page, e.g. https://localhost:8443/ */
  readonly url: string;
  readonly origins: readonly string[];
  readonly wsUrl: string;
  readonly adapter: AdapterName;
  /** PEM trust anchor for Node clients (TLS only). */
  readonly ca: string | undefined;
  readonly certificate: Certificate | undefined;
  readonly serverPublicKey: Uint8Array;
  readonly secure: SecureServer;
  readonly monitor: Monitor;
  readonly chat: Chat;
  /** What `/metrics` serves (loopback callers only). */
  readonly registry: Registry;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/**
 * `/metrics` answers only callers on this machine: Prometheus scrapes from the host (or a
 * sidecar) without a token, and the counts — attack volume by code — are for the operator, not
 * for the users on the page, who would need none of them.
 */
export function serveMetrics(registry: Registry, req: IncomingMessage, res: ServerResponse): void {
  const address = req.socket.remoteAddress?.replace(/^::ffff:/, '');
  if (address === undefined || !LOOPBACK.has(address)) {
    res.writeHead(403).end();
    return;
  }
  registry.metrics().then(
    (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
    () => res.writeHead(500).end(),
  );
}

export async function startChat(options: ChatOptions = {}): Promise<ChatServer> {
  const host = options.host ?? '127.0.0.1';
  const tls = options.tls ?? true;
  const adapter = options.adapter ?? 'ws';
  if (!tls && !LOOPBACK.has(host)) throw new RangeError('plain HTTP/WS is only allowed on a loopback address: use TLS');
  if (adapter !== 'ws' && adapter !== 'uws') throw new RangeError(`"adapter" expected 'ws' or 'uws', got ${String(adapter)}`);
  if (options.cluster !== undefined && adapter !== 'ws') throw new RangeError('a cluster node uses the ws adapter');

  const certificate = tls ? loadOrCreateCertificate(options.dataDir ?? DEFAULT_DATA_DIR) : undefined;
  const assets = await buildAssets();
  const logger = createLogger(options.logSink === undefined ? {} : { sink: options.logSink });
  const pseudonyms = new Pseudonymizer();
  // Kept across restarts where there is a data directory (the default with TLS, as `npm start`).
  const dataDir = tls || options.dataDir !== undefined ? (options.dataDir ?? DEFAULT_DATA_DIR) : undefined;
  const { serverSeed, issuer } = await loadOrCreateServerKeys(dataDir);
  // So are the rooms' signed streams: after a restart members recover what they missed, and the
  // file is evidence anyone checks with `sealwire verify --keys <dataDir>/keys.json <dataDir>/rooms.log`.
  // Nodes of a cluster keep the rooms in their Redis instead, shared.
  const roomLog: RoomLogFile | undefined = dataDir === undefined || options.cluster !== undefined ? undefined : openRoomLog(join(dataDir, 'rooms.log'));
  const cluster =
    options.cluster === undefined
      ? undefined
      : joinCluster(options.cluster, (what, err) => logger.log('warn', 'store', { what, message: err instanceof Error ? err.message : String(err) }));
  if (dataDir !== undefined) writeAuditKeys(dataDir, publicKeyOf(serverSeed));

  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => void res.writeHead(503).end();
  const http = certificate === undefined ? createHttpServer() : createHttpsServer({ cert: certificate.cert, key: certificate.key, minVersion: 'TLSv1.2' });
  http.on('request', (req, res) => handler(req, res));
  limitHttpServer(http);
  // The origins, and so the allow-list, depend on the port: listen first (port 0 in tests).
  const port = await listen(http, options.port ?? DEFAULT_PORT, host);
  const scheme = tls ? 'https' : 'http';
  const wsScheme = tls ? 'wss' : 'ws';
  const hostnames = ['localhost', '127.0.0.1'];
  // A page loaded from any node may hold its session on any other.
  const ports = options.cluster?.nodes.map((n) => n.port) ?? [port];
  const origins = ports.flatMap((p) => hostnames.map((h) => `${scheme}://${h}:${p}`));

  let monitor: Monitor | undefined;
  const secure = new SecureServer({
    key: importSigningKey(serverSeed),
    authenticate: jwtAuthenticator({ key: issuer.publicKey, issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE, algorithms: ['EdDSA'] }),
    authorize,
    // The panel shows what the server knows of an encrypted room's posts: their sizes.
    validate: (r) => {
      const ok = validate(r);
      if (ok && r.action === 'send' && isEncrypted(r.room)) monitor?.encrypted(r.room!, r.payload.length);
      return ok;
    },
    origins,
    name: 'server',
    logger: logger.pino,
    limits: { maxMessageSize: 16_384, maxConnectionsPerIdentity: 8 },
    // A conversation to come back to: the last 1,000 events of each room, for up to a week.
    // Presence: a member who leaves is announced, so encrypted rooms stop sealing keys to its device.
    rooms: { historyCount: 1000, historyMs: 7 * 86_400_000, log: roomLog, presence: true, shared: cluster?.rooms },
    // A page whose node died resumes its session on another (spec/handshake.md §7.1).
    ...(cluster === undefined ? {} : { resume: { shared: cluster.resume } }),
    // Policy: people type slowly; a burst of 20 covers pasting, anything faster is a flood.
    rateLimit: options.rateLimit ?? { connection: { perSecond: 5, burst: 20 }, identity: { perSecond: 10, burst: 40 } },
  });
  const registry = new Registry();
  const metrics = collectMetrics(secure, { registry, processMetrics: true });
  monitor = new Monitor(secure, logger, pseudonyms, registry);
  await cluster?.attach(secure);
  const ttl = options.tokenTtlSec ?? DEFAULT_TOKEN_TTL_SEC;
  // A session renews its token over itself before it expires ([HS-8.6]): same identity, roles and key.
  const chat = attachChat(secure, {
    issueToken: (identity, roles, publicKey) => issueToken(issuer.privateKey, identity, roles, publicKey, Math.floor(Date.now() / 1000), ttl),
  });
  let wsPort = port;
  let closeTransport: () => Promise<void>;
  if (adapter === 'ws') {
    const attached = attach(secure, { server: http, path: WS_PATH });
    closeTransport = () => attached.close();
  } else {
    try {
      const uws = await startUwsTransport(secure, { host, port: options.wsPort ?? (options.port === 0 ? 0 : port + 1), path: WS_PATH, certificate });
      wsPort = uws.port;
      closeTransport = async () => uws.close();
    } catch (err) {
      http.close();
      throw err;
    }
  }
  // The WebSocket URL on the host name the page was loaded from (its Host header), so the CSP's
  // connect-src and the origin check line up.
  const wsUrlFor = (hostHeader: string | undefined): string => {
    const name = hostHeader?.replace(/:\d+$/, '');
    return `${wsScheme}://${name !== undefined && hostnames.includes(name) ? name : hostnames[0]}:${wsPort}${WS_PATH}`;
  };
  const wsPorts = options.cluster === undefined ? [wsPort] : ports;
  const headers = securityHeaders(wsPorts.flatMap((p) => hostnames.map((h) => `${wsScheme}://${h}:${p}`)));
  const nodeUrl = (hostHeader: string | undefined, p: number): string => wsUrlFor(hostHeader).replace(`:${wsPort}${WS_PATH}`, `:${p}${WS_PATH}`);
  const nodes = options.cluster;
  const login = loginHandler({
    users: DEMO_USERS,
    issuerKey: issuer.privateKey,
    serverPublicKey: publicKeyOf(serverSeed),
    origins: () => origins,
    wsUrl: wsUrlFor,
    ...(nodes === undefined
      ? {}
      : {
          cluster: (h: string | undefined) => {
            const i = nodes.nodes.findIndex((n) => n.name === nodes.node);
            const mine = [...nodes.nodes.slice(i), ...nodes.nodes.slice(0, i)];
            return { node: nodes.node, nodes: mine.map((n) => ({ name: n.name, wsUrl: nodeUrl(h, n.port) })) };
          },
        }),
    channelBinding: tls && adapter === 'ws',
    rooms: ROOMS,
    monitor,
    tokenTtlSec: options.tokenTtlSec ?? DEFAULT_TOKEN_TTL_SEC,
  });
  handler = (req, res) => {
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/api/login') {
      login(req, res).catch((err: unknown) => logger.log('error', 'internal', { message: err instanceof Error ? err.message : 'error' }));
      return;
    }
    if (path === '/metrics') {
      serveMetrics(registry, req, res);
      return;
    }
    serveStatic(assets, req, res);
  };

  let closing: Promise<void> | undefined;
  return {
    url: `${scheme}://localhost:${port}/`,
    origins,
    wsUrl: wsUrlFor(undefined),
    adapter,
    ca: certificate?.cert,
    certificate,
    serverPublicKey: publicKeyOf(serverSeed),
    secure,
    monitor,
    chat,
    registry,
    close() {
      closing ??= (async () => {
        metrics.stop();
        monitor.stop();
        chat.stop();
        await closeTransport();
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
        roomLog?.close();
        await cluster?.close();
      })();
      return closing;
    },
  };
}
