// Headless Chromium against a chat server started by the test: Debian's /usr/bin/chromium through
// playwright-core, a fresh profile per page (own IndexedDB, own key), logged in like a user.
import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/** Policy: only a developer machine without Chromium may skip; in CI a missing browser fails. */
export const skipWithoutChromium = !existsSync(CHROMIUM) && !process.env['CI'];

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
}

/** Logs `user` (password `<user>-demo`) in on a new page of `context` and waits for #lobby. */
export async function loginPage(context: BrowserContext, chatUrl: string, user: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(chatUrl.replace('localhost', '127.0.0.1'));
  await page.fill('#username', user);
  await page.fill('#password', `${user}-demo`);
  await page.click('#login-button');
  await page.waitForSelector('#room-title:has-text("#lobby")', { timeout: 10_000 });
  return page;
}

/** Types `text` into the composer and sends it. */
export async function say(page: Page, text: string): Promise<void> {
  await page.fill('#composer-input', text);
  await page.click('#send');
}

/** Resolves once the page shows `text` from `from` in the current room. */
export async function shows(page: Page, from: string, text: string, timeout = 15_000): Promise<void> {
  await page.waitForFunction(
    ([f, t]) => Array.from(document.querySelectorAll(`#messages .msg[data-from="${f}"] .text`)).some((e) => e.textContent === t),
    [from, text] as const,
    { timeout },
  );
}
