// The chat survives its server restarting (issue 22): two users chat in headless Chromium, the
// server is stopped and started again on the same port and data directory, both pages show
// "reconnecting…" and come back by themselves, without a password, and the conversation goes on;
// every message is shown once. Logging out afterwards shows no error.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startChat, type ChatServer } from '../../examples/chat/server/app.js';
import { launchChromium, loginPage, skipWithoutChromium } from '../helpers/chat-pages.js';

const launcher = fileURLToPath(new URL('../../bin/sealwire.mjs', import.meta.url));
const run = (args: string[]): Promise<{ code: number; stdout: string }> =>
  new Promise((resolve) =>
    execFile(process.execPath, [launcher, ...args], { timeout: 20_000 }, (err, stdout) => resolve({ code: err === null ? 0 : Number(err.code), stdout })),
  );


describe.skipIf(skipWithoutChromium)('the chat across a server restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sealwire-chat-restart-'));
  let chat: ChatServer;
  let browser: Browser;
  let port: number;

  beforeAll(async () => {
    chat = await startChat({ port: 0, tls: false, dataDir, logSink: () => {} });
    port = Number(new URL(chat.url).port);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await chat?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function loginAs(user: string, server: ChatServer = chat): Promise<Page> {
    return loginPage(await browser.newContext(), server.url, user);
  }

  async function say(page: Page, text: string): Promise<void> {
    await page.fill('#composer-input', text);
    await page.click('#send');
  }

  const count = (page: Page, text: string): Promise<number> =>
    page.$$eval('#messages .msg .text', (els, t) => els.filter((e) => e.textContent === t).length, text);

  async function waitForText(page: Page, text: string): Promise<void> {
    await page.waitForFunction((t) => Array.from(document.querySelectorAll('#messages .msg .text')).some((e) => e.textContent === t), text, { timeout: 15_000 });
  }

  it('both pages reconnect by themselves after a restart, and every message is shown once', async () => {
    const alice = await loginAs('alice');
    const bob = await loginAs('bob');
    await say(alice, 'before the restart');
    await waitForText(bob, 'before the restart');
    // Delivered: the server's signed receipt covered it.
    await alice.waitForSelector('.msg:has(.text:text-is("before the restart")) .mark.delivered', { timeout: 10_000 });

    // carol has the login form open when the server goes away.
    const carol = await (await browser.newContext()).newPage();
    await carol.goto(chat.url.replace('localhost', '127.0.0.1'));
    await chat.close();
    await alice.waitForSelector('#connection:has-text("reconnecting")', { timeout: 10_000 });
    await bob.waitForSelector('#connection:has-text("reconnecting")', { timeout: 10_000 });
    // Logging in while the server is down says so in words, not "Failed to fetch".
    await carol.fill('#username', 'carol');
    await carol.fill('#password', 'carol-demo');
    await carol.click('#login-button');
    await carol.waitForSelector('#login-error:has-text("The server cannot be reached")', { timeout: 10_000 });
    // Sent while the server is down: shown as failed, with a retry, never silently gone.
    await say(alice, 'while it was away');
    await alice.waitForSelector('.msg:has(.text:text-is("while it was away")) .mark.failed .retry');
    chat = await startChat({ port, tls: false, dataDir, logSink: () => {} });
    await alice.waitForSelector('#connection:has-text("reconnected")', { timeout: 15_000 });
    await bob.waitForSelector('#connection:has-text("reconnected")', { timeout: 15_000 });
    // [ROOM-6.7]: the server kept its rooms in its data directory: same epoch, nothing lost, and
    // someone who logs in now reads the conversation from before the restart, verified.
    const maya = await loginAs('maya');
    await waitForText(maya, 'before the restart');
    expect(await maya.getAttribute('.msg:has(.text:text-is("before the restart")) .verified', 'title')).toMatch(/verified on this device/);
    for (const page of [alice, bob]) expect(await page.textContent('#notices')).not.toContain('history lost');
    // No password typed again: the login form never came back.
    expect(await alice.isVisible('#login')).toBe(false);
    expect(await bob.isVisible('#login')).toBe(false);

    await say(alice, 'after the restart');
    await waitForText(bob, 'after the restart');
    await alice.click('.msg:has(.text:text-is("while it was away")) .retry');
    await waitForText(bob, 'while it was away');
    await alice.waitForSelector('.msg:has(.text:text-is("while it was away")) .mark.delivered', { timeout: 10_000 });
    await say(bob, 'welcome back');
    await waitForText(alice, 'welcome back');
    await alice.waitForSelector('.msg:has(.text:text-is("after the restart")) .mark.delivered', { timeout: 10_000 });
    await bob.waitForSelector('.msg:has(.text:text-is("welcome back")) .mark.delivered', { timeout: 10_000 });
    for (const page of [alice, bob, maya]) {
      expect(await count(page, 'before the restart')).toBe(1);
      expect(await count(page, 'after the restart')).toBe(1);
      expect(await count(page, 'welcome back')).toBe(1);
      expect(await count(page, 'while it was away')).toBe(1);
    }

    // The room log in the data directory is evidence: `sealwire verify` checks every frame in it.
    const verify = await run(['verify', '--keys', join(dataDir, 'keys.json'), join(dataDir, 'rooms.log')]);
    expect(verify.stdout).toMatch(/ok room-event from=alice room=lobby .*kind=post signed-by=author .*text="before the restart"/);
    expect(verify.code).toBe(0);

    // Logging out is not an error.
    await alice.click('#logout');
    await alice.waitForSelector('#login', { state: 'visible' });
    expect(await alice.textContent('#login-error')).toBe('');
  }, 90_000);

  it('a session runs past its token lifetime: the page renews the token over the session ([HS-8.6])', async () => {
    const shortDir = mkdtempSync(join(tmpdir(), 'sealwire-chat-renew-'));
    const short = await startChat({ port: 0, tls: false, dataDir: shortDir, tokenTtlSec: 3, logSink: () => {} });
    try {
      const [alice, bob] = [await loginAs('alice', short), await loginAs('bob', short)];
      const firstUntil = await alice.textContent('#token-until');
      await new Promise((r) => setTimeout(r, 5000)); // past the first token's 3 s
      expect(await alice.isVisible('#login')).toBe(false);
      expect(await alice.textContent('#token-until')).not.toBe(firstUntil);
      await say(alice, 'still here after the token expired');
      await waitForText(bob, 'still here after the token expired');
    } finally {
      await short.close();
      rmSync(shortDir, { recursive: true, force: true });
    }
  }, 60_000);
});
