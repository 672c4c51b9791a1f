// The verification pool on Web Workers: `sealwire/pool/web` and the unchanged worker module,
// bundled for the browser and run in headless Chromium (Debian's /usr/bin/chromium through
// playwright-core) from a page served here on 127.0.0.1.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { bundleForBrowser } from '../helpers/browser-bundle.js';

const CHROMIUM = '/usr/bin/chromium';
// Policy (as in chat-browser.test.ts): only a developer machine without Chromium may skip.
const skip = !existsSync(CHROMIUM) && !process.env['CI'];
if (skip) console.warn(`pool-web.test.ts skipped: ${CHROMIUM} not found (apt-get install -y chromium); CI runs it`);

describe('sealwire/pool/web bundles for the browser', () => {
  it('the launcher and the worker import no node builtin', async () => {
    for (const entry of ['../../src/pool/web.ts', '../../src/pool/worker.ts']) {
      const { inputs } = await bundleForBrowser(new URL(entry, import.meta.url));
      expect(inputs.filter((p) => p.startsWith('node:'))).toEqual([]);
      expect(inputs.some((p) => p.endsWith('src/pool/scheduler.ts') || p.endsWith('src/pool/protocol.ts'))).toBe(true);
    }
  });
});

describe.skipIf(skip)('VerifyPool on Web Workers in headless Chromium', () => {
  let server: Server;
  let browser: Browser;
  let origin: string;

  beforeAll(async () => {
    const [page, worker] = await Promise.all([
      bundleForBrowser(new URL('../browser/pool-page.ts', import.meta.url)),
      bundleForBrowser(new URL('../../src/pool/worker.ts', import.meta.url)),
    ]);
    const files: Record<string, [string, string]> = {
      '/': ['text/html', '<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>'],
      '/page.js': ['text/javascript', page.code],
      '/worker.js': ['text/javascript', worker.code],
    };
    server = createServer((req, res) => {
      const file = files[req.url ?? ''];
      if (file === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': file[0], 'cache-control': 'no-store' }).end(file[1]);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('verifies like the strict rule, keeps the Receiver order and fails closed', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => typeof (globalThis as { poolChecks?: unknown }).poolChecks === 'function');
    const r = await page.evaluate(() => (globalThis as unknown as { poolChecks(): Promise<Record<string, unknown>> }).poolChecks());
    await page.close();
    expect(errors).toEqual([]);
    expect(r['threads']).toBe(2);
    expect(r['backend']).toBe('noble'); // no node:crypto in a page
    const want = r['want'] as boolean[];
    expect(r['got']).toEqual(want);
    // Every kind of case occurred: valid ones pass, each tampering fails.
    expect(want.filter(Boolean).length).toBe(12);
    expect(r['pooledOutcomes']).toEqual(r['syncOutcomes']);
    expect(new Set(r['syncOutcomes'] as string[])).toEqual(new Set(['ok', 'ERR_REPLAY', 'ERR_BAD_SIGNATURE']));
    const order = r['order'] as number[];
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(r['afterClose']).toMatch(/closed/);
    const broken = r['brokenOutcomes'] as string[];
    for (const o of broken) expect(o).toMatch(/^other: Error: verification (worker stopped|pool cannot start workers)/);
    expect(broken.at(-1)).toMatch(/cannot start workers/);
  }, 60_000);
});
