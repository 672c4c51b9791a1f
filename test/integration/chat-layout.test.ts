// The chat page holds a long conversation (issue 22): with 200 messages in #lobby, the newest one
// and the composer are on screen at 1280×800 and at phone size (390×844), and a non-admin gets no
// empty panel column. Screenshots go to test-artifacts/.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startChat, type ChatServer } from '../../examples/chat/server/app.js';
import { launchChromium, loginPage, skipWithoutChromium } from '../helpers/chat-pages.js';
import { connectAs } from '../../examples/chat/bots/node-client.js';
import type { ClientSession } from '../../src/index.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

describe.skipIf(skipWithoutChromium)('the chat page with a long conversation', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sealwire-chat-layout-'));
  let chat: ChatServer;
  let browser: Browser;
  const senders: ClientSession[] = [];

  beforeAll(async () => {
    // This test fills a room fast; the chat's human-paced rates are not what it is about.
    const fast = { perSecond: 1000, burst: 1000 };
    chat = await startChat({ port: 0, tls: false, dataDir, logSink: () => {}, rateLimit: { connection: fast, identity: fast } });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    for (const s of senders) s.close();
    await browser?.close();
    await chat?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function open(width: number, height: number): Promise<Page> {
    return loginPage(await browser.newContext({ viewport: { width, height } }), chat.url, 'alice');
  }

  /** Whether the element's box lies inside the viewport. */
  async function onScreen(page: Page, selector: string): Promise<boolean> {
    const box = await page.locator(selector).boundingBox();
    const vp = page.viewportSize()!;
    return box !== null && box.y >= 0 && box.y + box.height <= vp.height && box.x >= 0 && box.x + box.width <= vp.width;
  }

  it('200 messages: the newest and the composer stay on screen, desktop and phone', async () => {
    const pages = [await open(1280, 800), await open(390, 844)];
    const target = { url: chat.url.replace('localhost', '127.0.0.1'), ca: chat.ca };
    const { session: bob } = await connectAs(target, 'bob', 'bob-demo');
    senders.push(bob);
    await bob.join('lobby');
    // In steps of 50 the pages take in before the next: a member's outbox holds 128 relays until
    // its receipts come back (room streams will lift that, issue 17).
    for (let i = 0; i < 200; i++) {
      while (!bob.writable) await new Promise((r) => setTimeout(r, 5));
      bob.send('lobby', `message ${i + 1} of 200`);
      if ((i + 1) % 50 === 0) {
        for (const page of pages) await page.waitForFunction((n) => document.querySelectorAll('#messages .msg').length >= n, i + 1, { timeout: 15_000 });
      }
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const [i, page] of pages.entries()) {
      expect(await page.$$eval('#messages .msg', (els) => els.length)).toBe(200);
      const last = '#messages .msg:last-child';
      await page.waitForSelector(`${last} .text:text-is("message 200 of 200")`);
      expect(await onScreen(page, last), 'newest message').toBe(true);
      expect(await onScreen(page, '#composer-input'), 'composer').toBe(true);
      expect(await onScreen(page, '#send'), 'send button').toBe(true);
      await page.screenshot({ path: join(ARTIFACTS, `chat-200-${i === 0 ? '1280x800' : '390x844'}.png`) });
    }
    // A non-admin has no panel, and no empty column for it.
    const [desktop] = pages;
    expect(await desktop!.isVisible('#panel')).toBe(false);
    const conversation = await desktop!.locator('#conversation').boundingBox();
    expect(conversation!.x + conversation!.width).toBeGreaterThan(1280 - 40);
  }, 90_000);
});
