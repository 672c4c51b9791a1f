// The seam that lets one integration suite run against every transport adapter: each adapter
// starts a real server on 127.0.0.1, port 0, around a SecureServer. Add yours to `ADAPTERS`.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SecureServer } from '../../src/index.js';
import { attach } from '../../src/adapters/ws/index.js';
import type { TestCertificate } from './net-tls.js';

export interface RunningAdapter {
  /** ws://127.0.0.1:port/path or wss://… */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface AdapterFactory {
  readonly name: string;
  /** Whether this adapter reads the TLS exporter (channel binding on the server side). */
  readonly channelBinding: boolean;
  start(secure: SecureServer, options: { tls?: TestCertificate; path?: string }): Promise<RunningAdapter>;
}

function listen(server: HttpServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

export const wsAdapter: AdapterFactory = {
  name: 'ws',
  channelBinding: true,
  async start(secure, { tls, path = '/sealwire' }) {
    const http = tls === undefined ? createHttpServer() : createHttpsServer({ cert: tls.cert, key: tls.key });
    // Anything that is not our upgrade path gets a plain 404, like a real application would.
    http.on('request', (_req, res) => res.writeHead(404).end());
    const attached = attach(secure, { server: http, path });
    const port = await listen(http);
    return {
      url: `${tls === undefined ? 'ws' : 'wss'}://127.0.0.1:${port}${path}`,
      port,
      close: async () => {
        await attached.close();
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
      },
    };
  },
};

/** Every adapter the integration suite runs against. */
export const ADAPTERS: AdapterFactory[] = [wsAdapter];
