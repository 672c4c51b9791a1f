// [POL-5.6] on uWebSockets.js: `idleTimeout` with automatic pings. A peer that does not answer
// pings is cut after the timeout; a sealwire client that sends nothing but answers pings (every
// ws and browser client does by itself) stays. uWS counts in 4 s ticks and refuses a timeout
// under 8 s, so this test idles for about 9 s. Real sockets on 127.0.0.1.
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyRing, SecureServer, generateKeyPair, importSigningKey } from '../../src/index.js';
import { attach } from '../../src/adapters/uws/index.js';
import { connect } from '../../src/adapters/ws/index.js';
import { nativeUws } from '../helpers/net-adapters.js';
import { serverKey, serverPublic } from '../helpers/server-fixture.js';

const uws = nativeUws();
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

async function start(idleTimeout: number): Promise<{ url: string; key: ReturnType<typeof importSigningKey> }> {
  const key = importSigningKey(generateKeyPair().secretKey);
  const keys = new KeyRing();
  keys.add(key.publicKey, { identity: 'alice' });
  const secure = new SecureServer({ key: serverKey, keys, authorize: () => true });
  const app = uws.App();
  const attached = attach(secure, { app, path: '/live', idleTimeout });
  const listen = await new Promise<unknown>((resolve) => app.listen('127.0.0.1', 0, resolve));
  if (listen === false) throw new Error('uWS could not listen');
  cleanup.push(() => {
    attached.close();
    uws.us_listen_socket_close(listen as never);
  });
  return { url: `ws://127.0.0.1:${uws.us_socket_local_port(listen as never)}/live`, key };
}

describe('uWS liveness', () => {
  it('cuts a peer that does not answer pings after idleTimeout, and keeps an idle session that does', async () => {
    const { url, key } = await start(8);
    const session = await connect(url, { WebSocket, key, serverKey: serverPublic, channelBinding: false });
    const silent = new WebSocket(url, { autoPong: false });
    await new Promise((r) => silent.once('open', r));
    const opened = Date.now();
    const code = await new Promise<number>((resolve) => silent.on('close', (c) => resolve(c)));
    const after = Date.now() - opened;
    expect(code).toBe(1006);
    expect(after).toBeGreaterThan(3_000);
    expect(after).toBeLessThan(9_500);
    // The session was just as idle, sent nothing, and answered uWS's pings itself.
    expect(session.state).toBe('open');
    session.close();
  }, 15_000);

  it('refuses an idleTimeout uWS would abort the process for', async () => {
    const secure = new SecureServer({ key: serverKey, authorize: () => true });
    for (const idleTimeout of [1, 7, 961, 2.5]) {
      expect(() => attach(secure, { app: uws.App(), idleTimeout }), String(idleTimeout)).toThrow(/"idleTimeout" expected 0 or seconds from 8 to 960/);
    }
    secure.close();
  });
});
