// [POL-5.6]: the ws adapter pings every `heartbeatMs` and cuts a connection that has not answered
// the previous ping; a client that answers (every sealwire client does: ws and browsers answer
// pings by themselves) stays open however long it is idle. Real sockets on 127.0.0.1.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyRing, SecureServer, generateKeyPair, importSigningKey } from '../../src/index.js';
import { attach, connect } from '../../src/adapters/ws/index.js';
import { serverKey, serverPublic } from '../helpers/server-fixture.js';
import { sleep } from '../helpers/exchange.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});

async function start(heartbeatMs: number): Promise<{ url: string; key: ReturnType<typeof importSigningKey> }> {
  const key = importSigningKey(generateKeyPair().secretKey);
  const keys = new KeyRing();
  keys.add(key.publicKey, { identity: 'alice' });
  const secure = new SecureServer({ key: serverKey, keys, authorize: () => true });
  const http = createServer();
  const attached = attach(secure, { server: http, heartbeatMs });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  cleanup.push(async () => {
    await attached.close();
    http.closeAllConnections();
    await new Promise<void>((r) => http.close(() => r()));
  });
  return { url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/`, key };
}

describe('ws liveness', () => {
  it('cuts a peer that does not answer pings within two intervals, and keeps one that does', async () => {
    const { url, key } = await start(100);
    const silent = new WebSocket(url, { autoPong: false });
    const closed = new Promise<number>((resolve) => silent.on('close', (code) => resolve(code)));
    await new Promise((r) => silent.once('open', r));
    const opened = Date.now();
    const session = await connect(url, { WebSocket, key, serverKey: serverPublic });
    expect(await closed).toBe(1006);
    expect(Date.now() - opened).toBeLessThan(1000);
    await sleep(500); // five intervals idle
    expect(session.state).toBe('open');
    session.close();
  });

  it('heartbeatMs 0 turns liveness off', async () => {
    const { url } = await start(0);
    const silent = new WebSocket(url, { autoPong: false });
    await new Promise((r) => silent.once('open', r));
    await sleep(300);
    expect(silent.readyState).toBe(WebSocket.OPEN);
    silent.terminate();
  });
});
