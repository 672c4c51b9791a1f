// The chat's end-to-end encrypted room in a real browser (spec/e2ee.md): alice and bob, each in
// their own Chromium profile, open #secret and exchange messages their pages encrypt and decrypt;
// the server relays and keeps only ciphertext. Its log and its room log file are searched for the
// words (a control sentence in #lobby is found there, so the search can fail), and the admin's
// panel shows what the server holds of the room: sizes.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startChat, type ChatServer } from '../../examples/chat/server/app.js';
import { launchChromium, loginPage, say, shows, skipWithoutChromium } from '../helpers/chat-pages.js';

describe.skipIf(skipWithoutChromium)('the chat’s end-to-end encrypted room', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sealwire-chat-e2ee-'));
  const logs: string[] = [];
  let chat: ChatServer;
  let browser: Browser;

  beforeAll(async () => {
    chat = await startChat({ port: 0, tls: false, dataDir, logSink: (line) => void logs.push(String(line)) });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await chat?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const login = async (user: string): Promise<Page> => loginPage(await browser.newContext(), chat.url, user);



  /** Everything the server wrote: its JSON log lines and its room log file (frames in hex). */
  const serverHolds = (text: string): boolean => {
    const file = readFileSync(join(dataDir, 'rooms.log'), 'utf8');
    return logs.join('\n').includes(text) || file.includes(text) || file.includes(Buffer.from(text).toString('hex'));
  };

  it('alice and bob read each other in #secret; the server holds ciphertext and sizes only', async () => {
    const [alice, bob, ada] = [await login('alice'), await login('bob'), await login('ada')];
    const control = `lobby words ${randomBytes(6).toString('hex')}`;
    await say(alice, control);
    await shows(bob, 'alice', control);

    for (const page of [alice, bob]) {
      expect(await page.textContent('#rooms button[data-room="secret"]')).toContain('end-to-end');
      await page.click('#rooms button[data-room="secret"]');
      await page.waitForSelector('#room-title:has-text("#secret")');
    }
    // Each page lists the devices it encrypts for on the room's lock: both, once bob's key arrived.
    await alice.waitForFunction(
      () => /Keys held by: .*bob \(device [0-9a-f]{8}\)/.test(document.querySelector('#rooms button[data-room="secret"]')?.getAttribute('title') ?? ''),
      null,
      { timeout: 10_000 },
    );
    expect(await alice.getAttribute('#rooms button[data-room="secret"]', 'title')).toMatch(/alice \(device [0-9a-f]{8}\)/);

    const words = `meet at the north gate ${randomBytes(6).toString('hex')}`;
    const reply = `agreed ${randomBytes(6).toString('hex')}`;
    await say(alice, words);
    await shows(bob, 'alice', words);
    await say(bob, reply);
    await shows(alice, 'bob', reply);
    // Verified as written by its author, then decrypted on this device.
    expect(await bob.$eval(`#messages .msg[data-from="alice"] .verified`, (e) => e.getAttribute('title') ?? '')).toMatch(/^signed by key [0-9a-f]{16}…/);

    // The server relayed, logged and saved: the lobby's words are there, #secret's are not.
    await new Promise((r) => setTimeout(r, 300));
    expect(serverHolds(control)).toBe(true);
    expect(serverHolds(words)).toBe(false);
    expect(serverHolds(reply)).toBe(false);
    // What the admin sees of #secret: sizes of ciphertext, nothing to read.
    await ada.waitForSelector('#panel-encrypted li[data-room="secret"]', { timeout: 10_000 });
    const panel = (await ada.textContent('#panel-encrypted li[data-room="secret"]')) ?? '';
    expect(panel).toMatch(/^#secret: \d+ latest posts, ciphertext only: \d+ B/);
    expect(panel).not.toContain(words);
    // carol is not invited: she never joins, and the page says so.
    const carol = await login('carol');
    expect(await carol.textContent('#rooms button[data-room="secret"]')).toContain('not invited');
  });
});
