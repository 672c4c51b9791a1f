// Our server as the live mode configures it: the published server key, both live identities in the
// ring, every room open. `serveWs` puts it on 127.0.0.1 (port 0) behind the `ws` adapter.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeyRing, SecureServer, type SecureServerOptions } from '../../src/index.js';
import { attach } from '../../src/adapters/ws/index.js';
import { LIVE_IDENTITIES, liveClientKey, liveServerKey } from './keys.js';

export function liveSecureServer(extra: Partial<SecureServerOptions> = {}): SecureServer {
  const keys = new KeyRing();
  for (const id of LIVE_IDENTITIES) keys.add(liveClientKey(id).publicKey, { identity: id });
  return new SecureServer({ key: liveServerKey(), keys, authorize: () => true, ...extra });
}

export async function serveWs(secure: SecureServer): Promise<{ url: string; cut(): void; close(): Promise<void> }> {
  const http = createServer();
  const attached = attach(secure, { server: http, path: '/live' });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/live`,
    /** Every client connection is lost, without a close frame (a network failure). */
    cut() {
      for (const ws of attached.wss.clients) ws.terminate();
    },
    async close() {
      attached.close();
      secure.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
