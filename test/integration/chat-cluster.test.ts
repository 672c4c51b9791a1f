// The chat's cluster mode in a real browser (issue 19): three chat nodes in their own processes
// share a redis-server started here, with their session resume state. alice's page is served by
// node a, bob's by node b: what one writes, the other reads. Then alice writes and node a is killed
// with SIGKILL right after: alice's page resumes its session on another node by itself, says which,
// and the message she sent right before the kill arrives once and is marked delivered, not failed
// ([HS-7.13], [ROOM-11.9]); she reads what bob wrote meanwhile and bob reads what she writes next.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, loginPage, say, shows, skipWithoutChromium } from '../helpers/chat-pages.js';
import { freePort, redisAvailable, startRedis } from '../helpers/redis-server.js';

describe.skipIf(skipWithoutChromium || (!redisAvailable() && !process.env['CI']))('the chat as three nodes on one Redis', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sealwire-chat-cluster-'));
  const nodes: { name: string; port: number; child?: ChildProcess }[] = [];
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let browser: Browser;

  function startNode(n: { name: string; port: number; child?: ChildProcess }, redisPort: number): Promise<void> {
    const flags = ['--plain', '--no-bots', '--port', String(n.port), '--data-dir', dataDir, '--node', n.name];
    flags.push('--nodes', nodes.map((x) => `${x.name}:${x.port}`).join(','), '--redis-port', String(redisPort));
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/chat/server/main.ts', ...flags], { stdio: ['ignore', 'ignore', 'pipe'] });
    n.child = child;
    return new Promise((resolve, reject) => {
      let seen = '';
      child.stderr!.on('data', (d: Buffer) => {
        seen += d.toString();
        if (seen.includes('Ctrl-C stops')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`node ${n.name} exited with ${code}: ${seen.slice(-500)}`)));
    });
  }

  beforeAll(async () => {
    redis = await startRedis();
    for (const name of ['a', 'b', 'c']) nodes.push({ name, port: await freePort() });
    // Node a first: it makes the keys the others then share from the data directory.
    await startNode(nodes[0]!, redis.port);
    await Promise.all(nodes.slice(1).map((n) => startNode(n, redis.port)));
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    for (const n of nodes) n.child?.kill('SIGKILL');
    await redis?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('pages on two nodes read each other, and a page whose node is killed resumes on another with nothing lost', async () => {
    const [a, b] = nodes;
    const alice = await loginPage(await browser.newContext(), `http://127.0.0.1:${a!.port}/`, 'alice');
    const bob = await loginPage(await browser.newContext(), `http://127.0.0.1:${b!.port}/`, 'bob');
    expect(await alice.textContent('#connection')).toContain('on node a');
    expect(await bob.textContent('#connection')).toContain('on node b');
    await say(alice, 'written on node a');
    await shows(bob, 'alice', 'written on node a');
    await say(bob, 'written on node b');
    await shows(alice, 'bob', 'written on node b');

    // Sent, and the node killed before its receipt can come: the page resumes elsewhere and resends it.
    await say(alice, 'right before the kill');
    a!.child!.kill('SIGKILL');
    await alice.waitForFunction(() => /on node [bc]/.test(document.querySelector('#connection')?.textContent ?? ''), null, { timeout: 20_000 });
    // Resumed, not a fresh session: nothing of hers was marked failed, no notice of missing messages.
    expect(await alice.textContent('#connection')).not.toContain('new session');
    await shows(bob, 'alice', 'right before the kill');
    await alice.waitForFunction(
      (t) =>
        Array.from(document.querySelectorAll('#messages .msg')).some(
          (m) => m.querySelector('.text')?.textContent === t && m.querySelector('.mark.delivered') !== null,
        ),
      'right before the kill',
      { timeout: 15_000 },
    );
    expect(await alice.$$('#messages .mark.failed')).toHaveLength(0);
    expect(await alice.textContent('#notices')).not.toContain('could not be resumed');
    await say(bob, 'while node a was down');
    await shows(alice, 'bob', 'while node a was down');
    await say(alice, 'back, on another node');
    await shows(bob, 'alice', 'back, on another node');
    // Each message once on each page, in one order.
    const texts = (p: Page) => p.$$eval('#messages .msg .text', (els) => els.map((e) => e.textContent ?? ''));
    const want = ['written on node a', 'written on node b', 'right before the kill', 'while node a was down', 'back, on another node'];
    for (const page of [alice, bob]) expect((await texts(page)).filter((t) => want.includes(t))).toEqual(want);
  });
});
