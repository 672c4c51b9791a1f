// The server key every in-memory session test uses, and servers closed after each test.
import { afterEach } from 'vitest';
import { generateKeyPair, importPublicKey, importSigningKey, type SecureServer } from '../../src/index.js';

export const serverPair = generateKeyPair();
export const serverKey = importSigningKey(serverPair.secretKey);
export const serverPublic = importPublicKey(serverPair.publicKey);

/** A list whose servers are closed after each test of the calling file. */
export function closedAfterEach(): SecureServer[] {
  const servers: SecureServer[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });
  return servers;
}
