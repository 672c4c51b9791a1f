// Server sessions paired with clients on an in-memory link, for the session tests that look at
// what each end sends: a server whose ring holds the client key as alice, and helpers to wait.
import {
  ClientSession,
  KeyRing,
  SecureServer,
  generateKeyPair,
  importSigningKey,
  type SecureServerOptions,
  type ServerSession,
  type SigningKey,
} from '../../src/index.js';
import { memoryLink, type MemoryLink } from './net-memory.js';
import { closedAfterEach, serverKey, serverPublic } from './server-fixture.js';

export const servers = closedAfterEach();

export const newKey = (): SigningKey => importSigningKey(generateKeyPair().secretKey);
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export async function until(p: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!p()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(2);
  }
}

export function makeServer(key: SigningKey, options: Partial<SecureServerOptions> = {}): SecureServer {
  const keys = options.keys ?? new KeyRing();
  if (keys.get(key.kid) === undefined) keys.add(key.publicKey, { identity: 'alice' });
  const server = new SecureServer({ key: serverKey, keys, authorize: () => true, ...options });
  servers.push(server);
  return server;
}

export interface Pair {
  session: ServerSession;
  client: ClientSession;
  link: MemoryLink;
}

export function pair(server: SecureServer, key: SigningKey, resumeFrom?: ClientSession): Pair {
  const link = memoryLink();
  const session = server.accept(link.server, server.admit({ address: '127.0.0.1' }));
  const client = new ClientSession(link.client, { key, serverKey: serverPublic, ...(resumeFrom ? { resumeFrom } : {}) });
  link.connect(session, client);
  return { session, client, link };
}
