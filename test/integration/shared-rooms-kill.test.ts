// Three node processes share a room and resume state through a real redis-server ([ROOM-11.2],
// [ROOM-11.4], [ROOM-11.5], [HS-7.13]); one is killed with SIGKILL mid-stream. Authors post in a
// seeded random order (the seed is printed; SEED=<n> replays it); the members of the dead node
// resume their sessions on the others (resumeFrom), so the dead node's author's unacknowledged
// posts are resent and appended once ([ROOM-11.8], [ROOM-11.9]) and its observer goes on with no
// gap: every observer ends with every posted message exactly once, in offset order, each author's
// in the order posted.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { generateKeyPair, importSigningKey, type ClientSession } from '../../src/index.js';
import { connect, type WebSocketConstructor } from '../../src/adapters/ws/index.js';
import { toHex } from '../../src/bytes.js';
import { importPublicKey } from '../../src/keys/keys.js';
import { REDIS_SERVER, redisAvailable, startRedis } from '../helpers/redis-server.js';
import { mulberry32 } from '../helpers/numbers.js';

const available = redisAvailable();
if (!available && process.env['CI']) throw new Error(`${REDIS_SERVER} is missing: .ci/run installs it`);

const root = fileURLToPath(new URL('../../', import.meta.url));
const text = new TextDecoder();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const serverPair = generateKeyPair();
const serverPublic = importPublicKey(serverPair.publicKey);
const ids = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
const secrets = new Map(ids.map((id) => [id, generateKeyPair().secretKey]));
const NODE_KEYS = JSON.stringify({ server: toHex(serverPair.secretKey), members: Object.fromEntries([...secrets].map(([id, k]) => [id, toHex(k)])) });

let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
const children: ChildProcess[] = [];
const sessions: ClientSession[] = [];
beforeAll(async () => {
  if (available) redis = await startRedis();
});
afterAll(async () => {
  for (const s of sessions) s.close();
  for (const c of children) c.kill('SIGKILL');
  await redis?.stop();
});

/** Starts a node process and resolves with its URL. */
function startNode(prefix: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/room-node.ts'], {
    cwd: root,
    env: { ...process.env, NODE_KEYS, REDIS_PORT: String(redis!.port), ROOM_PREFIX: prefix, RESUME_PREFIX: `${prefix}resume:` },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /url (\S+)\n/.exec(out);
      if (m) resolve({ url: m[1]!, child });
    });
    child.once('exit', (code) => reject(new Error(`node exited with ${code}`)));
  });
}

interface Member {
  client: ClientSession;
  got: string[];
}

/** A member joined to the lobby, or, given `resumeFrom`, that session resumed (its rooms go on). */
async function member(url: string, id: string, resumeFrom?: ClientSession, got: string[] = []): Promise<Member> {
  const client = await connect(url, {
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    key: importSigningKey(secrets.get(id)!),
    serverKey: serverPublic,
    ...(resumeFrom === undefined ? {} : { resumeFrom }),
  });
  sessions.push(client);
  client.on('message', (m) => got.push(`${m.offset}:${text.decode(m.payload)}`));
  client.on('error', () => {});
  if (resumeFrom === undefined) await client.join('lobby');
  return { client, got };
}

async function waitFor(p: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!p()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(10);
  }
}

describe.skipIf(!available)('three node processes, one killed mid-stream [ROOM-11.2] [HS-7.13]', () => {
  it('the dead node’s members resume on the others: every post once, in order, at every observer, with no gap', async () => {
    const seed = Number(process.env['SEED'] ?? Date.now() % 1_000_000);
    console.log(`shared-rooms kill -9 run, seed ${seed} (SEED=${seed} replays it)`);
    const random = mulberry32(seed);
    const prefix = `k${process.pid}:${seed}:`;
    const [a, b, c] = await Promise.all([startNode(prefix), startNode(prefix), startNode(prefix)]);
    // Authors on each node, and an observer on each node that never posts (it sees every message).
    const authors = [await member(a.url, 'alice'), await member(b.url, 'bob'), await member(c.url, 'carol')];
    const observers = [await member(a.url, 'dave'), await member(b.url, 'erin'), await member(c.url, 'frank')];
    const TOTAL = 150;
    const KILL_AT = 40 + Math.floor(random() * 60);
    const posted: string[] = [];
    for (let i = 0; i < TOTAL; i++) {
      if (i === KILL_AT) {
        // A burst from node c's author, then the kill before any receipt for it can come back: the
        // resumed session must resend these (and whatever else no receipt covered).
        for (let k = 0; k < 3; k++) {
          const t = `carol ${i}.${k}`;
          authors[2]!.client.send('lobby', t);
          posted.push(t);
        }
        c.child.kill('SIGKILL');
        // Node c's members see their sessions end, then resume them on a living node each.
        await Promise.all([authors[2]!.client.closed, observers[2]!.client.closed]);
        expect(authors[2]!.client.unacknowledged).toBeGreaterThanOrEqual(3);
        const [to, other] = random() < 0.5 ? [a, b] : [b, a];
        observers[2] = await member(to.url, 'frank', observers[2]!.client, observers[2]!.got);
        authors[2] = await member(other.url, 'carol', authors[2]!.client);
      }
      const j = Math.floor(random() * 3);
      const t = `${ids[j]} ${i}`;
      authors[j]!.client.send('lobby', t);
      posted.push(t);
      if (random() < 0.3) await sleep(Math.floor(random() * 5));
    }
    const truth = observers[0]!.got;
    const settled = (): boolean => observers.every((o) => o.got.length === truth.length);
    const missing = (): string => {
      const at = observers.map((o) => posted.filter((t) => !o.got.some((g) => g.endsWith(`:${t}`))).join(','));
      return `kill at ${KILL_AT}; missing at each observer: ${at.join(' | ')}; counts ${observers.map((o) => o.got.length).join(',')}`;
    };
    await waitFor(() => truth.length >= posted.length && settled(), 'every post at every observer').catch((err: Error) => {
      throw new Error(`${err.message}: ${missing()}`);
    });
    await sleep(500);
    // Offsets 0…n-1 with nothing skipped, the same at every observer (the resumed one included).
    expect(truth.map((g) => Number(g.slice(0, g.indexOf(':'))))).toEqual(truth.map((_, i) => i));
    for (const o of observers) expect(o.got).toEqual(truth);
    // Every post exactly once, the dead node's author's before the kill too; each author's in order.
    const texts = truth.map((g) => g.slice(g.indexOf(':') + 1));
    expect([...texts].sort()).toEqual([...posted].sort());
    for (const id of ids.slice(0, 3)) expect(texts.filter((t) => t.startsWith(`${id} `))).toEqual(posted.filter((t) => t.startsWith(`${id} `)));
  }, 60_000);
});
