// The session core's tests on an in-memory link: a server with a test authenticate hook and
// clients connected to it, shared by test/session/core.test.ts and binding.test.ts.
import {
  ClientSession,
  ProtocolError,
  SecureServer,
  generateKeyPair,
  importSigningKey,
  type SessionMessage,
  type SecureServerOptions,
  type SecurityEvent,
} from '../../src/index.js';
import { memoryLink, type MemoryLink } from './net-memory.js';
import { closedAfterEach, serverKey, serverPublic } from './server-fixture.js';

export const servers = closedAfterEach();

export function makeServer(options: Partial<SecureServerOptions> = {}): { server: SecureServer; events: SecurityEvent[] } {
  const events: SecurityEvent[] = [];
  const server = new SecureServer({
    key: serverKey,
    authenticate: (credential) => {
      const who = new TextDecoder().decode(credential ?? new Uint8Array());
      if (who === '') throw new ProtocolError('ERR_UNAUTHENTICATED', 'no credential');
      return { identity: who, roles: who === 'admin' ? ['admin'] : ['user'] };
    },
    authorize: ({ roles, room }) => room !== 'staff' || roles.includes('admin'),
    onEvent: (e) => events.push(e),
    ...options,
  });
  servers.push(server);
  return { server, events };
}

export interface Connected {
  client: ClientSession;
  link: MemoryLink;
  key: ReturnType<typeof importSigningKey>;
}

export function connect(server: SecureServer, credential: string | undefined, extra: Partial<ConstructorParameters<typeof ClientSession>[1]> = {}): Connected {
  const link = memoryLink();
  const pair = generateKeyPair();
  // These tests use synchronous keys only (test/integration/async-keys.test.ts covers the others).
  const key = (extra.key as ReturnType<typeof importSigningKey> | undefined) ?? importSigningKey(pair.secretKey);
  const session = server.accept(link.server, server.admit({ address: '127.0.0.1' }));
  const client = new ClientSession(link.client, {
    key,
    serverKey: serverPublic,
    ...(credential !== undefined ? { credential } : {}),
    ...extra,
  });
  link.connect(session, client);
  return { client, link, key };
}

export function nextMessage(client: ClientSession): Promise<SessionMessage> {
  return new Promise((resolve) => {
    const off = client.on('message', (m) => {
      off();
      resolve(m);
    });
  });
}
