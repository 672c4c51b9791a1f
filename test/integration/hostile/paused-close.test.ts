// Finding 1 of issue 15 ([POL-5.4]): a session that ends while its `ws` socket is paused by
// [POL-8.5] must release the socket at once, not leave it for ws's 30 s close timeout outside every
// cap. Real servers on 127.0.0.1, real Ed25519 behind a verify hook that holds each envelope so a
// queue builds; the flood's first replay ends the session while reading is paused.
import { afterEach, describe, expect, it } from 'vitest';
import { KeyRing, Receiver, SecureServer, generateKeyPair, importSigningKey, type PublicKey, type ServerSession } from '../../../src/index.js';
import { verifyStrict } from '../../../src/crypto/ed25519.js';
import { ADAPTERS, type RunningAdapter } from '../../helpers/net-adapters.js';
import { serverKey } from '../../helpers/server-fixture.js';
import { connectRecorded, RecordingWebSocket } from '../../helpers/net-clients.js';
import { heldOn } from '../../hostile/sockets.js';

const running: RunningAdapter[] = [];
afterEach(async () => {
  for (const s of RecordingWebSocket.instances.splice(0)) s.terminate();
  for (const r of running.splice(0)) await r.close();
});

const slowVerify = (key: PublicKey, message: Uint8Array, signature: Uint8Array): Promise<boolean> =>
  new Promise((resolve) => setTimeout(() => resolve(verifyStrict(key.backend, key.handle, message, signature)), 150));

for (const factory of ADAPTERS) {
  describe(`paused sockets over ${factory.name}`, () => {
    it('sessions ended while paused leave no server socket within 1 s', async () => {
      const keys = new KeyRing();
      const clientKey = importSigningKey(generateKeyPair().secretKey);
      keys.add(clientKey.publicKey, { identity: 'alice' });
      const server = new SecureServer({
        key: serverKey,
        keys,
        receiver: new Receiver({ keys, verify: slowVerify }),
        authorize: () => true,
        rateLimit: { connection: { perSecond: 1e6, burst: 1e6 }, identity: { perSecond: 1e6, burst: 1e6 }, ipSessions: { perSecond: 1e6, burst: 1e6 }, identitySessions: { perSecond: 1e6, burst: 1e6 } },
        limits: { maxPendingBytes: 64 * 1024 * 1024 },
      });
      const adapter = await factory.start(server, {});
      running.push(adapter);
      const sessions: ServerSession[] = [];
      server.on('session', (s) => sessions.push(s));
      const CLIENTS = 4;
      for (let i = 0; i < CLIENTS; i++) {
        const { client, socket } = await connectRecorded(adapter.url, clientKey, factory.channelBinding);
        client.send('r', new Uint8Array(30_000).fill(i));
        const frame = socket.sent.at(-1)!;
        // Far more than PAUSE_AT (64) waiting: `ws` stops reading this socket.
        for (let k = 0; k < 100; k++) socket.inject(frame);
      }
      const infos = await Promise.all(sessions.map((s) => s.closed));
      for (const info of infos) expect(info.reason).toBe('ERR_REPLAY');
      await new Promise((r) => setTimeout(r, 1000 + 200));
      expect(heldOn(adapter.port)).toBe(0);
    }, 30_000);
  });
}
