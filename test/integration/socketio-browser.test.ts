// sealwire/socket.io with a browser client: socket.io-client and sealwire's client bundled for the
// browser, run in headless Chromium (Debian's /usr/bin/chromium through playwright-core) against a
// Socket.IO server on 127.0.0.1, over WebSocket and over HTTP long-polling.
import { existsSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as IoServer } from 'socket.io';
import { io as ioClient } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { KeyRing, SecureServer, generateKeyPair, importSigningKey, toHex } from '../../src/index.js';
import { attach, connect } from '../../src/adapters/socket.io/index.js';
import { bundleForBrowser } from '../helpers/browser-bundle.js';
import { serverKey, serverPublic } from '../helpers/server-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
// Policy (as in chat-browser.test.ts): only a developer machine without Chromium may skip.
const skip = !existsSync(CHROMIUM) && !process.env['CI'];

describe.skipIf(skip)('sealwire over Socket.IO in headless Chromium', () => {
  let http: HttpServer;
  let io: IoServer;
  let browser: Browser;
  let origin: string;
  const alice = generateKeyPair();
  const bob = importSigningKey(generateKeyPair().secretKey);

  beforeAll(async () => {
    const page = await bundleForBrowser(new URL('../browser/socketio-page.ts', import.meta.url));
    expect(page.inputs.filter((p) => p.startsWith('node:'))).toEqual([]);
    http = createServer((req, res) => {
      if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>');
      else if (req.url === '/page.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(page.code);
    });
    io = new IoServer(http, { connectionStateRecovery: {} });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const keys = new KeyRing();
    keys.add(alice.publicKey, { identity: 'alice' });
    keys.add(bob.publicKey, { identity: 'bob' });
    const secure = new SecureServer({ key: serverKey, keys, authorize: () => true, origins: [origin] });
    attach(secure, io.of('/chat'));
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((r) => (io ? io.close(() => r()) : r()));
  });

  for (const transport of ['websocket', 'polling'] as const) {
    it(`a browser user and a Node user exchange signed messages (${transport})`, async () => {
      // bob, in Node, answers the first message he sees in the lobby.
      const socket = ioClient(`${origin}/chat`, { transports: [transport], extraHeaders: { origin } });
      const session = await connect(socket, { key: bob, serverKey: serverPublic, origin });
      await session.join('lobby');
      const heard = new Promise<string>((resolve) =>
        session.on('message', (m) => {
          resolve(`${m.identity}: ${new TextDecoder().decode(m.payload)}`);
          session.send('lobby', 'hello back from node');
        }),
      );
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${origin}/`);
      await page.waitForFunction(() => typeof (globalThis as { sioRun?: unknown }).sioRun === 'function');
      const result = await page.evaluate(
        ([t, secret, server]) => (globalThis as unknown as { sioRun(t: string, s: string, k: string): Promise<Record<string, unknown>> }).sioRun(t, secret, server),
        [transport, toHex(alice.secretKey), toHex(serverPublic.bytes)] as const,
      );
      await page.close();
      expect(errors).toEqual([]);
      expect(await heard).toBe('alice: hello from the browser');
      expect(result).toEqual({ identity: 'bob', text: 'hello back from node', transport, closeCode: 1000 });
      session.close();
      socket.disconnect();
    }, 30_000);
  }
});
