// Our server as the live mode configures it: the published server key, both live identities in the
// ring, every room open. `serveWs` puts it on 127.0.0.1 (port 0) behind the `ws` adapter.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebSocket } from 'ws';
import { KeyRing, SecureServer, signNodeSet, type SecureServerOptions } from '../../src/index.js';
import { attach } from '../../src/adapters/ws/index.js';
import { LIVE_IDENTITIES, LIVE_SERVICE, liveClientKey, liveOperatorKey, liveServerKey } from './keys.js';

export function liveSecureServer(extra: Partial<SecureServerOptions> = {}): SecureServer {
  const keys = new KeyRing();
  for (const id of LIVE_IDENTITIES) keys.add(liveClientKey(id).publicKey, { identity: id });
  return new SecureServer({ key: liveServerKey(), keys, authorize: () => true, ...extra });
}

/** A node set of the live service signed by the live operator key; by default it lists the live server's key for an hour. */
export function liveNodeSet(version: number, options: { nodes?: Uint8Array[]; notAfter?: number; now?: number } = {}): Uint8Array {
  const notAfter = options.notAfter ?? Date.now() + 3_600_000;
  const nodes = (options.nodes ?? [liveServerKey().publicKey]).map((key) => ({ key }));
  return signNodeSet(liveOperatorKey(), { service: LIVE_SERVICE, version, notAfter, nodes, ...(options.now === undefined ? {} : { now: options.now }) });
}

export interface Served {
  url: string;
  /** Every client connection is lost, without a close frame (a network failure). */
  cut(): void;
  /** Sends bytes on every open connection as a frame of its own, after what the server sent before. */
  sendRaw(frame: Uint8Array): void;
  /** From now on, each frame sent on an open connection goes out as `rewrite` returns it (undefined: unchanged). */
  rewrite(rewrite: (frame: Uint8Array) => Uint8Array | undefined): void;
  /** `watch` sees each new client connection as it opens, before the server binds it, with its ordinal from 0. */
  onConnection(watch: (ws: WebSocket, index: number) => void): void;
  close(): Promise<void>;
}

/**
 * Serves `secure` on 127.0.0.1. With `next` (another node of the same service), the first
 * connection goes to `secure` and every later one to `next`, at the same URL: a client that
 * reconnects after a cut finds another node.
 */
export async function serveWs(secure: SecureServer, next?: SecureServer): Promise<Served> {
  const http = createServer();
  const nodes = [attach(secure, { server: http, path: '/live' })];
  if (next !== undefined) {
    nodes.push(attach(next, { server: http, path: '/next' }));
    let upgrades = 0;
    // Before either node reads the path: each takes only the upgrades of its own.
    http.prependListener('upgrade', (req: IncomingMessage) => {
      if (upgrades++ > 0) req.url = '/next';
    });
  }
  const open = (): WebSocket[] => nodes.flatMap((n) => [...n.wss.clients]);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/live`,
    cut() {
      for (const ws of open()) ws.terminate();
    },
    sendRaw(frame) {
      for (const ws of open()) ws.send(frame);
    },
    rewrite(rewrite) {
      for (const ws of open()) {
        const send = ws.send.bind(ws) as (...a: unknown[]) => void;
        ws.send = ((data: unknown, ...rest: unknown[]) => {
          const out = data instanceof Uint8Array ? (rewrite(new Uint8Array(data).slice()) ?? data) : data;
          send(out, ...rest);
        }) as typeof ws.send;
      }
    },
    onConnection(watch) {
      // The adapter upgrades with noServer, so no 'connection' is emitted: a socket enters
      // `clients` as it opens, just before the adapter binds it to a session.
      let index = 0;
      for (const n of nodes) {
        const clients = n.wss.clients;
        const add = clients.add.bind(clients);
        clients.add = (ws: WebSocket) => {
          add(ws);
          watch(ws, index++);
          return clients;
        };
      }
    },
    async close() {
      for (const n of nodes) void n.close();
      secure.close();
      next?.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
