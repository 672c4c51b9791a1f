// A SecureServer on a real adapter that knows one client device key ("alice", no credential
// needed), with rate limits out of the way, and the options a client connects with (its socket
// reachable through TrackedWebSocket.last). `extra.key` replaces the server's key.
import { KeyRing, SecureServer, importPublicKey, type AsyncSigningKey, type SecureServerOptions, type SigningKey } from '../../src/index.js';
import type { ConnectOptions, WebSocketConstructor } from '../../src/adapters/ws/index.js';
import type { AdapterFactory, RunningAdapter } from './net-adapters.js';
import { serverKey, serverPublic } from './server-fixture.js';
import { TrackedWebSocket } from './tracked-ws.js';

const UNLIMITED = { perSecond: 1e6, burst: 1e6 };

export async function deviceServer(
  factory: AdapterFactory,
  key: SigningKey | AsyncSigningKey,
  running: RunningAdapter[],
  extra: Partial<SecureServerOptions> = {},
): Promise<{ server: SecureServer; adapter: RunningAdapter; options: ConnectOptions }> {
  const keys = extra.keys ?? new KeyRing();
  keys.add(key.publicKey, { identity: 'alice' });
  const server = new SecureServer({ key: serverKey, keys, authorize: () => true, rateLimit: { connection: UNLIMITED, identity: UNLIMITED }, ...extra });
  const adapter = await factory.start(server, {});
  running.push(adapter);
  const options = {
    WebSocket: TrackedWebSocket as unknown as WebSocketConstructor,
    key,
    serverKey: extra.key === undefined ? serverPublic : importPublicKey(extra.key.publicKey),
    channelBinding: factory.channelBinding,
  } as ConnectOptions;
  return { server, adapter, options };
}
