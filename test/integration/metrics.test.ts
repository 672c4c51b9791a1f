// sealwire/metrics on a live server under attack: the chat (plain HTTP on loopback) with its
// /metrics, the attacker bot against it, the counters read by code from the exposition text, and
// a real Prometheus scraping it every second until the refusals and an alert show the attack.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from '../helpers/redis-server.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { serveMetrics, startChat, type ChatServer } from '../../examples/chat/server/app.js';
import { runAttacks } from '../../examples/chat/bots/attacker.js';
import { startGreeter, startModbot, type Bot } from '../../examples/chat/bots/friendly.js';
import { httpCall, type Target } from '../../examples/chat/bots/node-client.js';
import { KeyRing, MemoryReplayStore, Receiver, SecureServer, generateKeyPair, importSigningKey, seal, type ReplayStore } from '../../src/index.js';
import { collectMetrics } from '../../src/metrics/index.js';
import { connect } from '../../src/adapters/ws/index.js';
import { ADAPTERS, type RunningAdapter } from '../helpers/net-adapters.js';
import { deviceServer } from '../helpers/device-server.js';
import { TrackedWebSocket } from '../helpers/tracked-ws.js';

const PROMETHEUS = '/usr/bin/prometheus';
const RULES = fileURLToPath(new URL('../../deploy/prometheus/alerts.yml', import.meta.url));
// CI installs Debian's prometheus package (.ci/run); elsewhere a machine without it skips the scrape.
const hasPrometheus = existsSync(PROMETHEUS);
if (!hasPrometheus && process.env['CI']) throw new Error(`${PROMETHEUS} is missing: .ci/run installs it`);

/** The value of one series in Prometheus text exposition, or undefined if absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}


describe('sealwire/metrics on the chat under attack', () => {
  let chat: ChatServer;
  let target: Target;
  let bots: Bot[] = [];
  let before = '';
  let after = '';

  beforeAll(async () => {
    chat = await startChat({ port: 0, tls: false, logSink: () => {} });
    target = { url: chat.url.replace('localhost', '127.0.0.1'), ca: undefined };
  });
  afterAll(async () => {
    for (const b of bots) b.stop();
    await chat?.close();
  });

  it('counts every refusal of the attack by code, with no identity, room or address in a label', async () => {
    before = (await httpCall(target, '/metrics')).body;
    expect(sample(before, 'sealwire_envelopes_refused_total', { code: 'ERR_REPLAY' })).toBe(0);
    const greeter = startGreeter(target);
    const modbot = startModbot(target);
    bots = [greeter, modbot];
    await Promise.all([greeter.ready, modbot.ready]);
    await expect.poll(() => chat.chat.history('lobby').some((m) => m.identity === 'greeter')).toBe(true);
    await runAttacks(target);
    const res = await httpCall(target, '/metrics');
    expect(res.status).toBe(200);
    after = res.body;
    const refused = (code: string): number | undefined => sample(after, 'sealwire_envelopes_refused_total', { code });
    expect(refused('ERR_REPLAY')).toBe(2);
    expect(refused('ERR_BAD_SIGNATURE')).toBe(2);
    expect(refused('ERR_SESSION_KEY')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'sealwire_limit_refusals_total', { code: 'ERR_RATE_LIMITED' })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'sealwire_limit_refusals_total', { code: 'ERR_TOO_LARGE' })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'sealwire_handshakes_total', { outcome: 'reject', code: 'ERR_UNAUTHENTICATED' })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'sealwire_handshakes_total', { outcome: 'reject', code: 'ERR_CREDENTIAL_KEY_MISMATCH' })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'sealwire_refusals_total', { type: 'upgrade', code: 'ERR_ORIGIN' })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'sealwire_refusals_total', { type: 'join', code: 'ERR_FORBIDDEN' })).toBeGreaterThanOrEqual(2);
    expect(sample(after, 'sealwire_envelopes_opened_total')).toBeGreaterThan(0);
    expect(sample(after, 'sealwire_sessions_opened_total')).toBeGreaterThan(0);
    expect(sample(after, 'sealwire_sessions')).toBeGreaterThanOrEqual(2); // greeter and modbot at least
    expect(sample(after, 'sealwire_room_memberships')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'sealwire_replay_streams')).toBeGreaterThan(0);
    expect(sample(after, 'sealwire_handshake_duration_seconds_count')).toBeGreaterThan(0);
    // One open in 16 is timed: the sessions' receiver is the server's.
    const opened = sample(after, 'sealwire_envelopes_opened_total')! + sample(after, 'sealwire_envelopes_refused_total', { code: 'ERR_REPLAY' })!;
    expect(sample(after, 'sealwire_verify_duration_seconds_count')).toBeGreaterThanOrEqual(Math.floor(opened / 16) - 1);
    expect(sample(after, 'sealwire_verify_duration_seconds_count')).toBeGreaterThan(0);
    // modbot deletes mallory's spam; the chat relays each deletion with publish(…, { as }).
    await expect.poll(async () => sample((await httpCall(target, '/metrics')).body, 'sealwire_publish_delivery_seconds_count'), { timeout: 5000 }).toBeGreaterThan(0);
    after = (await httpCall(target, '/metrics')).body;
    expect(sample(after, 'sealwire_publish_delivery_seconds_bucket', { le: '5' })).toBe(sample(after, 'sealwire_publish_delivery_seconds_count'));
    expect(sample(after, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
    // The admins' panel reads the same registry: its counts are the ones Prometheus scrapes, and
    // its chart's per-second points add up to them.
    const panel = await chat.monitor.snapshot();
    expect(sample(after, 'chat_decisions_refused_total', { code: 'ERR_REPLAY', class: 'replay' })).toBe(panel.rejected['ERR_REPLAY']);
    expect(sample(after, 'chat_decisions_refused_total', { code: 'ERR_BAD_SIGNATURE', class: 'forgery' })).toBe(2);
    await expect.poll(async () => (await chat.monitor.snapshot()).history.refused.forgery.reduce((a, b) => a + b, 0), { timeout: 5000 }).toBe(panel.attacks.forgery);
    const chart = (await chat.monitor.snapshot()).history;
    expect(chart.accepted.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(chart.time.length).toBe(chart.refused.replay.length);
    // Labels come from bounded sets: none holds a user, key id, room or address.
    const labels = [...after.matchAll(/^sealwire_\w+\{(.*)\}/gm)].flatMap((m) => [...m[1]!.matchAll(/="([^"]*)"/g)].map((v) => v[1]!));
    expect(labels.length).toBeGreaterThan(50);
    for (const v of labels) expect(v, v).toMatch(/^(ERR_[A-Z0-9_]+|none|other|accept|reject|refused|complete|\d+|upgrade|handshake|message|join|leave|send|custom|close|[0-9.e+-]+|\+Inf)$/);
  }, 60_000);

  it.skipIf(!hasPrometheus)('is scraped by a real Prometheus whose counters and forgery alert show the attack', async () => {
    expect(after).not.toBe('');
    const dir = mkdtempSync(join(tmpdir(), 'sealwire-prom-'));
    const port = await freePort();
    const scrape = new URL(target.url);
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        `rule_files: [${JSON.stringify(RULES)}]`,
        'scrape_configs:',
        `  - { job_name: chat, metrics_path: /metrics, static_configs: [{ targets: ["127.0.0.1:${scrape.port}"] }] }`,
        '',
      ].join('\n'),
    );
    let prom: ChildProcess | undefined;
    try {
      prom = spawn(PROMETHEUS, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
      type Api = { data?: { result?: { value?: [number, string] }[]; alerts?: { labels: { alertname: string }; state: string }[] } };
      const api = async (path: string): Promise<Api> => {
        const res = await fetch(`http://127.0.0.1:${port}${path}`);
        return (await res.json()) as Api;
      };
      const query = async (q: string): Promise<number> => {
        const body = await api(`/api/v1/query?query=${encodeURIComponent(q)}`).catch(() => undefined);
        const v = body?.data?.result?.[0]?.value?.[1];
        return v === undefined ? NaN : Number(v);
      };
      // The first scrapes see the counts of the attack above; one more attack makes them an increase.
      await expect.poll(() => query('sealwire_envelopes_refused_total{code="ERR_REPLAY"}'), { timeout: 20_000, interval: 500 }).toBe(2);
      await runAttacks(target);
      await expect.poll(() => query('sealwire_envelopes_refused_total{code="ERR_BAD_SIGNATURE"}'), { timeout: 20_000, interval: 500 }).toBe(4);
      expect(await query('sealwire_envelopes_refused_total{code="ERR_REPLAY"}')).toBe(4);
      expect(await query('sum(sealwire_limit_refusals_total{code="ERR_RATE_LIMITED"})')).toBeGreaterThanOrEqual(2);
      const firing = async (): Promise<string[]> => {
        const body = await api('/api/v1/alerts').catch(() => undefined);
        return (body?.data?.alerts ?? []).filter((a) => a.state === 'firing').map((a) => a.labels.alertname);
      };
      await expect.poll(firing, { timeout: 20_000, interval: 500 }).toContain('SealwireForgeryBurst');
    } finally {
      prom?.kill();
      await new Promise((resolve) => (prom?.exitCode !== null ? resolve(undefined) : prom.once('exit', resolve)));
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('collectMetrics on a bare server', () => {
  it('times one open in N, counts revocations, and stop() puts the receiver and accept back', async () => {
    const registry = new Registry();
    let clock = Date.now();
    const server = new SecureServer({ key: importSigningKey(generateKeyPair().secretKey), authorize: () => true, clock: () => clock });
    const { openSync } = server.receiver;
    const { accept } = server;
    expect(typeof openSync).toBe('function');
    const pool = { pending: 3 };
    const metrics = collectMetrics(server, { registry, verifySampleEvery: 4, pool });
    expect(Object.hasOwn(server.receiver, 'openSync')).toBe(true);
    const pair = generateKeyPair();
    const entry = server.keys.add(pair.publicKey);
    const now = (clock += 60_000);
    const stream = new Uint8Array(16).fill(1);
    const signer = importSigningKey(pair.secretKey);
    for (let seq = 0; seq < 8; seq++) server.receiver.openSync(seal(signer, new Uint8Array([seq]), { seq, ts: now, stream }), { now });
    let text = await registry.metrics();
    expect(sample(text, 'sealwire_verify_duration_seconds_count')).toBe(2);
    expect(sample(text, 'sealwire_revocations_total')).toBe(0);
    expect(sample(text, 'sealwire_pool_queue_depth')).toBe(3);
    expect(sample(text, 'sealwire_replay_streams')).toBe(1);
    server.keys.revokeKey(entry.kid);
    text = await registry.metrics();
    expect(sample(text, 'sealwire_revocations_total')).toBe(1);
    metrics.stop();
    expect(Object.hasOwn(server.receiver, 'openSync')).toBe(false);
    expect(Object.hasOwn(server, 'accept')).toBe(false);
    expect(Object.hasOwn(server, 'publish')).toBe(false);
    expect(server.accept).toBe(accept);
    server.close();
    expect(() => collectMetrics(server, { registry: new Registry(), verifySampleEvery: 0 })).toThrow(RangeError);
  });

  it('/metrics answers loopback callers only', async () => {
    const registry = new Registry();
    const call = (remoteAddress: string) =>
      new Promise<number>((resolve) => {
        const res = { writeHead: (status: number) => ({ end: () => resolve(status) }) };
        serveMetrics(registry, { socket: { remoteAddress } } as never, res as never);
      });
    expect(await call('127.0.0.1')).toBe(200);
    expect(await call('::ffff:127.0.0.1')).toBe(200);
    expect(await call('::1')).toBe(200);
    expect(await call('10.0.0.7')).toBe(403);
    expect(await call('::ffff:192.168.1.2')).toBe(403);
  });
});

describe('resumes', () => {
  const running: RunningAdapter[] = [];
  afterAll(async () => {
    for (const r of running.splice(0)) await r.close();
  });

  it('counts a session that resumed after a cut as complete', async () => {
    const { server, adapter, options } = await deviceServer(ADAPTERS[0]!, importSigningKey(generateKeyPair().secretKey), running);
    const registry = new Registry();
    collectMetrics(server, { registry });
    const first = await connect(adapter.url, options);
    await first.join('r');
    TrackedWebSocket.last!.terminate();
    await first.closed;
    let resumed;
    for (let i = 0; resumed === undefined; i++) {
      try {
        resumed = await connect(adapter.url, { ...options, resumeFrom: first });
      } catch (err) {
        // Refused while the server has not yet seen the cut: retried, and counted as refused.
        if (i > 200) throw err;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    const text = await registry.metrics();
    expect(sample(text, 'sealwire_resumes_total', { outcome: 'complete' })).toBe(1);
    expect(sample(text, 'sealwire_sessions_opened_total')).toBe(2);
    resumed.close();
  });

  it('counts a replay store failure (ERR_STORE) as a store error', async () => {
    const keys = new KeyRing();
    const inner = new MemoryReplayStore({ startedAt: Date.now() - 60_000 });
    let down = false;
    // The same store, except that its check fails while `down`, as an unreachable Redis does.
    const store = new Proxy(inner, {
      get(target, prop) {
        if (prop === 'check' && down) {
          return () => {
            throw new Error('store unreachable');
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as ReplayStore;
    const receiver = new Receiver({ keys, store });
    const { server, adapter, options } = await deviceServer(ADAPTERS[0]!, importSigningKey(generateKeyPair().secretKey), running, { keys, receiver });
    const registry = new Registry();
    collectMetrics(server, { registry });
    const session = await connect(adapter.url, options);
    await session.join('r');
    session.send('r', 'fine');
    await expect.poll(async () => sample(await registry.metrics(), 'sealwire_envelopes_opened_total'), { timeout: 5000 }).toBeGreaterThanOrEqual(1);
    down = true;
    session.send('r', 'lost');
    await session.closed;
    const text = await registry.metrics();
    expect(sample(text, 'sealwire_store_errors_total', { code: 'ERR_STORE' })).toBe(1);
    expect(sample(text, 'sealwire_envelopes_refused_total', { code: 'ERR_STORE' })).toBe(1);
  });
});
