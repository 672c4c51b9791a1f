// The chat example in a real browser: headless Chromium (Debian's /usr/bin/chromium through
// playwright-core) logs in four users against a chat server started here on 127.0.0.1 with its
// bots, exchanges messages, checks the private room, an XSS payload, the security panel, and
// saves a screenshot to test-artifacts/chat.png (chat-uws.png for the uWebSockets.js adapter).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startChat, type ChatServer } from '../../examples/chat/server/app.js';
import { runAttacks, startAttacker, XSS_PAYLOAD, type Attacker } from '../../examples/chat/bots/attacker.js';
import { startGreeter, startModbot, type Bot } from '../../examples/chat/bots/friendly.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
// Policy: only a developer machine without Chromium may skip; in CI a missing browser is a failure.
const skip = !haveChromium && !process.env['CI'];
if (skip) console.warn(`chat-browser.test.ts skipped: ${CHROMIUM} not found (apt-get install -y chromium); CI runs it`);

const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);

for (const adapter of ['ws', 'uws'] as const) describe.skipIf(skip)(`the chat in headless Chromium (${adapter} adapter)`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), `sealwire-chat-browser-${adapter}-`));
  let chat: ChatServer;
  let browser: Browser;
  let url: string;
  let bots: (Bot | Attacker)[] = [];
  const pages = new Map<string, Page>();
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    chat = await startChat({ port: 0, adapter, dataDir, logSink: () => {} });
    url = chat.url.replace('localhost', '127.0.0.1');
    const target = { url, ca: chat.ca };
    const greeter = startGreeter(target);
    bots = [greeter, startModbot(target)];
    await greeter.ready;
    const attacker = startAttacker(target);
    bots.push(attacker);
    await attacker.firstRound;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    for (const b of bots) b.stop();
    await browser?.close();
    await chat?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A fresh browser profile (own IndexedDB, own key) logged in as `user`. */
  async function loginAs(user: string): Promise<Page> {
    // The certificate is self-signed: the Node side trusts it as `ca`, the browser is told to.
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1480, height: 860 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(`${user}: ${e.message}`));
    await page.goto(url);
    await page.fill('#username', user);
    await page.fill('#password', `${user}-demo`);
    await page.click('#login-button');
    await page.waitForSelector(`#status:has-text("${user} (")`, { timeout: 10_000 });
    await page.waitForSelector('#room-title:has-text("#lobby")');
    pages.set(user, page);
    return page;
  }

  async function say(page: Page, text: string): Promise<void> {
    await page.fill('#composer-input', text);
    await page.click('#send');
  }

  const texts = (page: Page): Promise<string[]> => page.$$eval('#messages .msg .text', (els) => els.map((e) => e.textContent ?? ''));

  async function waitForText(page: Page, from: string, text: string): Promise<void> {
    await page.waitForFunction(
      ([f, t]) => Array.from(document.querySelectorAll(`#messages .msg[data-from="${f}"] .text`)).some((e) => e.textContent === t),
      [from, text] as const,
      { timeout: 5000 },
    );
  }

  it('alice and bob log in with keys made in the browser and exchange messages in #lobby', async () => {
    const alice = await loginAs('alice');
    const bob = await loginAs('bob');
    // WebCrypto Ed25519 made the key (Chromium has it), kept in IndexedDB for this user.
    expect(await alice.textContent('#status')).toMatch(/key [0-9a-f]{8} from webcrypto, new/);
    // Stored as a non-extractable CryptoKey pair: no script in the page can read the private key.
    const stored = await alice.evaluate(
      () =>
        new Promise<unknown>((resolve, reject) => {
          const r = indexedDB.open('sealwire-chat', 1);
          r.onerror = () => reject(r.error);
          r.onsuccess = () => {
            const get = r.result.transaction('keys').objectStore('keys').get('alice');
            get.onerror = () => reject(get.error);
            get.onsuccess = () => {
              const rec = get.result as { pair?: CryptoKeyPair; seed?: unknown };
              resolve({ seed: 'seed' in rec, type: rec.pair?.privateKey.type, extractable: rec.pair?.privateKey.extractable });
              r.result.close();
            };
          };
        }),
    );
    expect(stored).toEqual({ seed: false, type: 'private', extractable: false });
    expect(await alice.evaluate(() => document.cookie + localStorage.length + sessionStorage.length)).toBe('0' + '0');
    await say(alice, 'hello bob, this is signed');
    await waitForText(bob, 'alice', 'hello bob, this is signed');
    await say(bob, 'hi alice, verified');
    await waitForText(alice, 'bob', 'hi alice, verified');
    // [ROOM-3.1]: each browser verified the other's own signature (its non-extractable key), not the server's word.
    const mark = await alice.$eval('#messages .msg[data-from="bob"]:has(.text:text("hi alice, verified")) .verified', (e) => e.getAttribute('title') ?? '');
    // Chromium has Ed25519 in WebCrypto and gives the strict verdict: the page verifies with it.
    expect(mark).toMatch(/^signed by key [0-9a-f]{16}…, verified on this device with WebCrypto · offset \d+$/);
  });

  it('the private room: alice and bob talk in #vault, carol is refused and reads nothing', async () => {
    const [alice, bob] = [pages.get('alice')!, pages.get('bob')!];
    await alice.click('#rooms button[data-room="vault"]');
    await bob.click('#rooms button[data-room="vault"]');
    await alice.waitForSelector('#room-title:has-text("#vault")');
    await bob.waitForSelector('#room-title:has-text("#vault")');
    await say(alice, 'the vault code is 4242');
    await waitForText(bob, 'alice', 'the vault code is 4242');

    const carol = await loginAs('carol');
    // Shown as a room she is not invited to; asking anyway gets a sentence, the code in its details.
    expect(await carol.getAttribute('#rooms button[data-room="vault"]', 'class')).toBe('locked');
    expect(await carol.textContent('#rooms button[data-room="vault"]')).toContain('not invited');
    await carol.click('#rooms button[data-room="vault"]');
    await carol.waitForSelector('#notices li:has-text("#vault: You are not allowed to do that here.")');
    expect(await carol.textContent('#notices li details code')).toBe('ERR_FORBIDDEN');
    expect(await carol.getAttribute('#rooms button[data-room="vault"]', 'class')).toBe('locked');
    expect(await carol.textContent('#room-title')).toBe('#lobby');
    await say(alice, 'still secret: 4243');
    await waitForText(bob, 'alice', 'still secret: 4243');
    expect(await carol.evaluate(() => document.body.innerText)).not.toMatch(/vault code|4242|4243/);
  });

  it('an XSS payload is shown as text and never runs (and the CSP would refuse HTML sinks anyway)', async () => {
    const [alice, bob] = [pages.get('alice')!, pages.get('bob')!];
    await bob.click('#rooms button[data-room="lobby"]');
    await alice.click('#rooms button[data-room="lobby"]');
    const payload = '<img src=x onerror="window.__sealwireXss=1"><script>window.__sealwireXss=2</script>';
    await say(alice, payload);
    await waitForText(bob, 'alice', payload);
    // mallory's own attempt, sent by the attacker bot before anyone logged in, came with the history.
    await waitForText(bob, 'mallory', XSS_PAYLOAD);
    expect(await bob.$$('#messages img, #messages script')).toHaveLength(0);
    await bob.waitForTimeout(200); // an image error handler would have fired by now
    for (const page of [alice, bob]) expect(await page.evaluate(() => (window as { __sealwireXss?: unknown }).__sealwireXss)).toBeUndefined();
    // Trusted Types are enforced: an HTML string sink throws instead of parsing.
    expect(await bob.evaluate(() => {
      try {
        document.body.insertAdjacentHTML('beforeend', '<b>x</b>');
        return 'parsed';
      } catch (e) {
        return (e as Error).name;
      }
    })).toBe('TypeError');
    // modbot (a moderator) deleted mallory's spam before it could be shown.
    expect((await texts(bob)).some((t) => /spam/.test(t))).toBe(false);
  });

  it("ada (admin) sees the attacker's rejections on the live security panel and can broadcast", async () => {
    const ada = await loginAs('ada');
    await ada.waitForSelector('#panel:not([hidden]) #panel-codes tr');
    const expected = ['LOGIN_FAILED', 'ERR_UNAUTHENTICATED', 'ERR_CREDENTIAL_KEY_MISMATCH', 'ERR_ORIGIN', 'ERR_FORBIDDEN', 'ERR_REPLAY', 'ERR_BAD_SIGNATURE', 'ERR_SESSION_KEY', 'ERR_TOO_LARGE', 'ERR_RATE_LIMITED'];
    const counts = await ada.$$eval('#panel-codes tr', (rows) =>
      Object.fromEntries(rows.map((r) => [r.getAttribute('data-code'), Number(r.querySelector('.count')?.textContent)])),
    );
    for (const code of expected) expect(counts[code], code).toBeGreaterThanOrEqual(1);
    for (const tile of ['replay', 'forgery', 'rateLimit', 'access', 'credential', 'origin', 'size']) {
      expect(Number(await ada.textContent(`#panel-attacks [data-attack="${tile}"] b`)), tile).toBeGreaterThanOrEqual(1);
    }
    const sessions = await ada.$$eval('#panel-sessions tr td:first-child', (tds) => tds.map((td) => td.textContent));
    expect(sessions).toEqual(expect.arrayContaining(['alice', 'bob', 'carol', 'ada', 'greeter', 'modbot']));

    // The chart (uPlot, fed by the counters /metrics serves) draws, and rises while mallory attacks again.
    await ada.waitForSelector('#panel-chart canvas');
    const chartBox = await ada.$eval('#panel-chart canvas', (c) => ({ w: (c as HTMLCanvasElement).width, h: (c as HTMLCanvasElement).height }));
    expect(chartBox.w).toBeGreaterThan(100);
    expect(chartBox.h).toBeGreaterThan(50);
    const refusedBefore = Number(await ada.getAttribute('#panel-chart', 'data-refused'));
    await runAttacks({ url, ca: chat.ca });
    await ada.waitForFunction(
      (n) => Number(document.querySelector('#panel-chart')?.getAttribute('data-refused')) >= n + 10,
      refusedBefore,
      { timeout: 10_000 },
    );
    expect(Number(await ada.getAttribute('#panel-chart', 'data-accepted'))).toBeGreaterThan(0);

    // Live: a new attack shows up without reloading.
    const before = Number(await ada.textContent('#panel-codes tr[data-code="ERR_FORBIDDEN"] .count'));
    await pages.get('carol')!.click('#rooms button[data-room="vault"]');
    await ada.waitForFunction(
      (n) => Number(document.querySelector('#panel-codes tr[data-code="ERR_FORBIDDEN"] .count')?.textContent) > n,
      before,
      { timeout: 5000 },
    );

    await ada.fill('#broadcast-input', 'Maintenance at noon');
    await ada.click('#broadcast-form button');
    await pages.get('bob')!.waitForSelector('#messages .msg.broadcast[data-from="ada"] .text:has-text("Maintenance at noon")');
    await say(ada, 'welcome to the signed side');
    await waitForText(pages.get('alice')!, 'ada', 'welcome to the signed side');
    await ada.waitForTimeout(400); // the panel's next push (every 250 ms at most)
    mkdirSync(ARTIFACTS, { recursive: true });
    await ada.screenshot({ path: new URL(adapter === 'ws' ? 'chat.png' : `chat-${adapter}.png`, ARTIFACTS).pathname });
    expect(pageErrors).toEqual([]);
  });
});
