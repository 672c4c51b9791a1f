// Every runnable example under examples/ runs as written and prints what it promises: the JWT
// login, the uWebSockets.js server, replay state shared in Redis (against a redis-server started
// here on 127.0.0.1), and the browser client in headless Chromium (Debian's /usr/bin/chromium).
// examples/ws-minimal.ts has its own test (ws-example.test.ts).
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { redisAvailable, startRedis } from '../helpers/redis-server.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

function run(file: string, env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', file], { cwd: root, timeout: 30_000, env: { ...process.env, ...env } }, (_err, stdout, stderr) =>
      resolve({ stdout, stderr, code: child.exitCode }),
    );
  });
}

describe('examples', () => {
  it('jwt-login.ts: a key-bound JWT from your login, checked in the handshake', async () => {
    const r = await run('examples/jwt-login.ts');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('alice (user) in lobby: signed, and logged in with a key-bound token\n');
    expect(r.code).toBe(0);
  });

  it('uws-minimal.ts: the same server on uWebSockets.js', async () => {
    const r = await run('examples/uws-minimal.ts');
    expect(r.stdout).toBe('alice in lobby over uWebSockets.js: hello from uWS\n');
    expect(r.code).toBe(0);
  });

  const cleanup: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const f of cleanup) await f();
  });

  // CI installs redis-server (.ci/run); elsewhere a machine without it skips this one.
  it.skipIf(!redisAvailable() && !process.env['CI'])('redis-replay.ts: two nodes on one Redis store, the second refuses the replay', async () => {
    const redis = await startRedis();
    cleanup.push(() => redis.stop());
    const r = await run('examples/redis-replay.ts', { REDIS_PORT: String(redis.port) });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('node A accepted: pay bob 5 (from alice)\nnode B refused the same envelope: ERR_REPLAY\n');
    expect(r.code).toBe(0);
  });
});

const CHROMIUM = '/usr/bin/chromium';

// Only a developer machine without Chromium may skip (as the chat's browser tests).
describe.skipIf(!existsSync(CHROMIUM) && !process.env['CI'])('examples/browser-client', () => {
  it('a page logs in with its own WebCrypto key, sends signed, and stays connected past its token lifetime by renewing', async () => {
    // Tokens of at most 3 s: the page renews at 80% of what is left, over its live session.
    const server = spawn(process.execPath, ['--import', 'tsx', 'examples/browser-client/server.ts', '--port', '0', '--token-seconds', '3'], { cwd: root });
    let out = '';
    server.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
    try {
      const until = async (what: string, ok: () => boolean): Promise<void> => {
        for (const t0 = Date.now(); !ok(); await new Promise((r) => setTimeout(r, 50))) {
          if (Date.now() - t0 > 15_000) throw new Error(`no ${what}; server printed: ${out}`);
        }
      };
      await until('URL', () => /open (\S+)/.test(out));
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(/open (\S+)/.exec(out)![1]!);
      await page.waitForFunction(() => document.getElementById('status')?.textContent === 'connected', undefined, { timeout: 15_000 });
      await page.click('button');
      await until('message', () => out.includes('alice in lobby: hello from the browser\n'));
      const started = Date.now();
      // Past the first token's expiry (at most 3 s), and a send after it still arrives.
      await page.waitForFunction(() => Number(document.getElementById('status')?.dataset['renewals'] ?? 0) >= 2, undefined, { timeout: 15_000 });
      await page.waitForTimeout(Math.max(0, 3_500 - (Date.now() - started)));
      await page.fill('#text', 'after the first token expired');
      await page.click('button');
      await until('message after expiry', () => out.includes('alice in lobby: after the first token expired\n'));
      expect(await page.textContent('#status')).toBe('connected');
      expect(await page.evaluate(() => document.getElementById('status')?.dataset['reconnects'])).toBeUndefined();
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      server.kill();
    }
  }, 40_000);
});

