// [HS-1.4]: a handshake message after the Welcome is out of order: the session ends with
// ERR_UNEXPECTED_MESSAGE (4048), told apart from an envelope by its first byte, never decoded as a
// malformed envelope (ERR_WRONG_TAG). Real servers on 127.0.0.1 behind each adapter; the client
// repeats its own ClientAuth, byte for byte, once its session is open.
import { afterEach, describe, expect, it } from 'vitest';
import { KeyRing, SecureServer, generateKeyPair, importSigningKey, type CloseInfo, type ServerSession } from '../../src/index.js';
import { ADAPTERS, type RunningAdapter } from '../helpers/net-adapters.js';
import { serverKey } from '../helpers/server-fixture.js';
import { connectRecorded, RecordingWebSocket } from '../helpers/net-clients.js';

const running: RunningAdapter[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
  RecordingWebSocket.instances.length = 0;
});

for (const adapter of ADAPTERS) {
  describe(`[HS-1.4] ${adapter.name} adapter: a handshake message in the data phase`, () => {
    it('a second ClientAuth closes the session with ERR_UNEXPECTED_MESSAGE (4048)', async () => {
      const keys = new KeyRing();
      const clientKey = importSigningKey(generateKeyPair().secretKey);
      keys.add(clientKey.publicKey, { identity: 'alice' });
      const server = new SecureServer({ key: serverKey, keys, authorize: () => true });
      const serverClosed = new Promise<CloseInfo>((resolve) => server.on('session', (s: ServerSession) => s.on('close', resolve)));
      const r = await adapter.start(server, {});
      running.push(r);
      const { client, socket } = await connectRecorded(r.url, clientKey, false);
      expect(client.state).toBe('open');
      const auth = socket.sent[0]!;
      // A CBOR array, as every handshake message is; an envelope starts with tag 18 (0xd2).
      expect(auth[0]! & 0xe0).toBe(0x80);
      socket.inject(auth);
      const [atClient, atServer] = await Promise.all([client.closed, serverClosed]);
      expect(atServer.error?.code).toBe('ERR_UNEXPECTED_MESSAGE');
      expect(atClient.code).toBe(4048);
      expect(atClient.error?.code).toBe('ERR_UNEXPECTED_MESSAGE');
      server.close();
    });
  });
}
