// A server that rewrites an author's words, seen from the chat in a real browser (spec/rooms.md
// §3, §8): between the chat server and two pages sits a rewriter holding the server's own signing
// key (Playwright routes each page's WebSocket through it). It replaces alice's "pay bob 10" with
// other words and signs the room event again, as a compromised server could. Both pages refuse the
// event with ERR_BAD_SIGNATURE, say so in words, never show the forged text, and read on.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { fromHex, importSigningKey } from '../../src/index.js';
import { sealRoom } from '../../src/rooms/seal.js';
import { decodeRoomEvent, encodeRoomEvent, KIND_POST, ROLE, ROOM_CONTENT_TYPE, roomAad } from '../../src/rooms/wire.js';
import { decodeEnvelope, encodeEnvelope } from '../../src/wire/envelope.js';
import { startChat, type ChatServer } from '../../examples/chat/server/app.js';
import { launchChromium, loginPage, skipWithoutChromium } from '../helpers/chat-pages.js';

const ORIGINAL = 'pay bob 10';
const FORGED = 'pay mallory 10000';

describe.skipIf(skipWithoutChromium)('the chat behind a server that rewrites an author’s words', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sealwire-chat-tamper-'));
  let chat: ChatServer;
  let browser: Browser;
  let rewritten = 0;

  beforeAll(async () => {
    chat = await startChat({ port: 0, tls: false, dataDir, logSink: () => {} });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await chat?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The compromised server's rewrite: alice's post, other words under her signature, re-signed. */
  function rewrite(frame: Buffer): Buffer {
    const serverKey = importSigningKey(fromHex((JSON.parse(readFileSync(join(dataDir, 'server-keys.json'), 'utf8')) as { serverSeed: string }).serverSeed));
    try {
      if (frame[0] === 0x82) return frame; // one post per tick here: single events only
      const { header, payload } = decodeEnvelope(frame);
      if (header.contentType !== ROOM_CONTENT_TYPE) return frame;
      const event = decodeRoomEvent(payload);
      if (event.body.kind !== KIND_POST) return frame;
      const post = decodeEnvelope(event.body.post);
      if (new TextDecoder().decode(post.payload) !== ORIGINAL) return frame;
      const forged = encodeEnvelope(post.protectedBytes, new TextEncoder().encode(FORGED), post.signature);
      const body = encodeRoomEvent({ room: event.room, body: { kind: KIND_POST, post: forged } });
      rewritten++;
      return Buffer.from(sealRoom(serverKey, { contentType: ROOM_CONTENT_TYPE, stream: header.stream, seq: header.seq, ts: header.ts }, body, roomAad(ROLE.event)));
    } catch {
      return frame; // not an envelope: a handshake message
    }
  }

  async function loginAs(user: string, tampered: boolean): Promise<Page> {
    const context = await browser.newContext();
    if (tampered) {
      await context.routeWebSocket(/\/ws$/, (ws) => {
        const server = ws.connectToServer();
        ws.onMessage((m) => server.send(m));
        server.onMessage((m) => ws.send(typeof m === 'string' ? m : rewrite(m)));
      });
    }
    return loginPage(context, chat.url, user);
  }

  const texts = (page: Page): Promise<string[]> => page.$$eval('#messages .msg .text', (els) => els.map((e) => e.textContent ?? ''));

  it('every tampered page refuses the rewritten message with a sentence and its code, and reads on', async () => {
    const alice = await loginAs('alice', false);
    const bob = await loginAs('bob', true);
    const carol = await loginAs('carol', true);
    await alice.fill('#composer-input', ORIGINAL);
    await alice.click('#send');
    for (const page of [bob, carol]) {
      await page.waitForSelector('#notices li:has-text("a message in #lobby: A message was not signed by the one it names as its author")', { timeout: 10_000 });
      expect(await page.textContent('#notices code')).toBe('ERR_BAD_SIGNATURE');
    }
    expect(rewritten).toBe(2);
    await alice.fill('#composer-input', 'and thanks');
    await alice.click('#send');
    for (const page of [bob, carol]) {
      await page.waitForFunction(() => Array.from(document.querySelectorAll('#messages .msg .text')).some((e) => e.textContent === 'and thanks'), undefined, { timeout: 10_000 });
      const shown = await texts(page);
      expect(shown).not.toContain(FORGED);
      expect(shown).not.toContain(ORIGINAL); // withheld: the server can do that, not more
      // Chromium has Ed25519 in WebCrypto: the page verified natively, and refused the forgery so.
      expect(await page.getAttribute('.msg:has(.text:text-is("and thanks")) .verified', 'title')).toMatch(/verified on this device with WebCrypto/);
    }
    expect(await texts(alice)).toContain(ORIGINAL);
  }, 60_000);
});
