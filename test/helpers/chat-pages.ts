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
