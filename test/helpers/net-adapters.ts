// The seam that lets one integration suite run against every transport adapter: each adapter
// starts a real server on 127.0.0.1, port 0, around a SecureServer. Add yours to `ADAPTERS`.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect as netConnectSocket, createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { WebSocket as WsSocket } from 'ws';
import type * as Uws from 'uWebSockets.js';
import type { ClientSession, SecureServer } from '../../src/index.js';
import type { ConnectOptions } from '../../src/adapters/ws/index.js';
import { attach as attachNet, connect as connectNet } from '../../src/adapters/net/index.js';
import { attach } from '../../src/adapters/ws/index.js';
import { attach as attachUws } from '../../src/adapters/uws/index.js';
import type { TestCertificate } from './net-tls.js';

export interface RunningAdapter {
  /** ws://127.0.0.1:port/path or wss://… */
  readonly url: string;
  readonly port: number;
  /** Cuts every open connection abruptly at the server (no close frame): a network failure. */
  cut(): void;
  close(): Promise<void>;
}

export interface AdapterFactory {
  readonly name: string;
  /** Whether this adapter reads the TLS exporter (channel binding on the server side). */
  readonly channelBinding: boolean;
  /** `heartbeatMs` (ws) and `idleTimeout` (uWS, seconds) set the adapter's liveness ([POL-5.6]). */
  start(secure: SecureServer, options: { tls?: TestCertificate; path?: string; heartbeatMs?: number; idleTimeout?: number }): Promise<RunningAdapter>;
  /** The client side, for transports that are not a WebSocket (default: sealwire/ws `connect`). */
  connect?(adapter: RunningAdapter, options: ConnectOptions): Promise<ClientSession>;
  /** Cuts the newest client connection at the client (default: the newest TrackedWebSocket). */
  cutClient?(): void;
}

/** Raw TCP with length-prefixed frames (sealwire/net): the suites' non-WebSocket transport. */
export const netAdapter: AdapterFactory = (() => {
  let last: Socket | undefined;
  return {
    name: 'net',
    channelBinding: false,
    async start(secure) {
      const tcp = createNetServer();
      const sockets = new Set<Socket>();
      tcp.on('connection', (sock) => {
        sockets.add(sock);
        sock.once('close', () => sockets.delete(sock));
      });
      const attached = attachNet(secure, tcp);
      const port = await listen(tcp);
      return {
        url: `tcp://127.0.0.1:${port}`,
        port,
        cut: () => {
          for (const sock of sockets) sock.destroy();
        },
        close: async () => {
          attached.close();
          for (const sock of sockets) sock.destroy();
          await new Promise<void>((resolve) => tcp.close(() => resolve()));
        },
      };
    },
    connect(adapter, options) {
      const { WebSocket: _ws, channelBinding: _cb, wsOptions: _o, ...rest } = options;
      last = netConnectSocket(adapter.port, '127.0.0.1');
      return connectNet(last, rest);
    },
    cutClient() {
      last?.destroy();
    },
  };
})();

function listen(server: HttpServer | NetServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

export const wsAdapter: AdapterFactory = {
  name: 'ws',
  channelBinding: true,
  async start(secure, { tls, path = '/sealwire', heartbeatMs }) {
    const http = tls === undefined ? createHttpServer() : createHttpsServer({ cert: tls.cert, key: tls.key });
    // Anything that is not our upgrade path gets a plain 404, like a real application would.
    http.on('request', (_req, res) => res.writeHead(404).end());
    const attached = attach(secure, { server: http, path, ...(heartbeatMs !== undefined ? { heartbeatMs } : {}) });
    const port = await listen(http);
    return {
      url: `${tls === undefined ? 'ws' : 'wss'}://127.0.0.1:${port}${path}`,
      port,
      cut: () => {
        for (const ws of attached.wss.clients as Set<WsSocket>) ws.terminate();
      },
      close: async () => {
        await attached.close();
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
      },
    };
  },
};

const require = createRequire(import.meta.url);

/**
 * uWebSockets.js, asserting that it is the native binary: the package silently falls back to a
 * JavaScript shim when the binary does not load (src/uws.js), and a test passing on the shim
 * would prove nothing about the adapter users run.
 */
export function nativeUws(): typeof Uws {
  const uws = require('uWebSockets.js') as typeof Uws;
  const binary = join(dirname(require.resolve('uWebSockets.js')), '..', 'binaries', `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`);
  if (require(binary) !== uws) throw new Error(`uWebSockets.js is not the native binary ${binary}: the JS fallback is loaded`);
  return uws;
}

export const uwsAdapter: AdapterFactory = {
  name: 'uws',
  // uWS does not expose the TLS exporter, so the server cannot check channel binding.
  channelBinding: false,
  async start(secure, { tls, path = '/sealwire', idleTimeout }) {
    const uws = nativeUws();
    let dir: string | undefined;
    let app: Uws.TemplatedApp;
    if (tls === undefined) {
      app = uws.App();
    } else {
      dir = mkdtempSync(join(tmpdir(), 'sealwire-uws-'));
      writeFileSync(join(dir, 'cert.pem'), tls.cert);
      writeFileSync(join(dir, 'key.pem'), tls.key);
      app = uws.SSLApp({ cert_file_name: join(dir, 'cert.pem'), key_file_name: join(dir, 'key.pem') });
    }
    const attached = attachUws(secure, { app, path, ...(idleTimeout !== undefined ? { idleTimeout } : {}) });
    app.any('/*', (res) => void res.writeStatus('404 Not Found').end());
    const listenOnce = (): Promise<Uws.us_listen_socket | false> => new Promise((resolve) => app.listen('127.0.0.1', 0, resolve));
    let listenSocket = await listenOnce();
    // Under load uWS has been seen to refuse an ephemeral port once; asking again for another one is safe.
    for (let attempt = 1; listenSocket === false && attempt < 3; attempt++) listenSocket = await listenOnce();
    if (listenSocket === false) throw new Error('uWS could not listen');
    const port = uws.us_socket_local_port(listenSocket as unknown as Uws.us_socket);
    return {
      url: `${tls === undefined ? 'ws' : 'wss'}://127.0.0.1:${port}${path}`,
      port,
      cut: () => {
        for (const s of attached.sessions) attached.socketOf(s)?.close();
      },
      close: async () => {
        attached.close();
        uws.us_listen_socket_close(listenSocket);
        if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** Every adapter the integration suite runs against. */
export const ADAPTERS: AdapterFactory[] = [wsAdapter, uwsAdapter];
