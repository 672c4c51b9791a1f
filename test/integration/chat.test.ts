// The chat example (examples/chat) over real sockets on 127.0.0.1: the HTTPS login endpoint, the
// room policy and moderation, the logs, and every attack of the attacker bot with its exact code.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { generateKeyPair, jwkThumbprint, type SessionMessage, type ClientSession } from '../../src/index.js';
import { startChat, type ChatServer } from '../../examples/chat/server/app.js';
import { loadOrCreateCertificate } from '../../examples/chat/server/cert.js';
import { Pseudonymizer, createLogger } from '../../examples/chat/server/logger.js';
import { verifyPassword } from '../../examples/chat/server/passwords.js';
import { DEMO_USERS } from '../../examples/chat/server/users.js';
import { runAttacks, XSS_PAYLOAD } from '../../examples/chat/bots/attacker.js';
import { startGreeter, startModbot, type Bot } from '../../examples/chat/bots/friendly.js';
import { connectAs, httpCall, login, newKey, openSession, type Target } from '../../examples/chat/bots/node-client.js';

let chat: ChatServer;
let target: Target;
let lines: string[] = [];
let open: ClientSession[] = [];

async function as(user: string): Promise<ClientSession> {
  const { session } = await connectAs(target, user, `${user}-demo`);
  open.push(session);
  return session;
}

function postLogin(body: unknown, headers: Record<string, string> = {}): ReturnType<typeof httpCall> {
  return httpCall(target, '/api/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: new URL(target.url).origin, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function nextMessage(session: ClientSession, predicate: (m: SessionMessage) => boolean, ms = 3000): Promise<SessionMessage> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => (off(), reject(new Error('no matching message'))), ms);
    const off = session.on('message', (m) => {
      if (predicate(m)) {
        clearTimeout(t);
        off();
        resolve(m);
      }
    });
  });
}

const text = (m: SessionMessage): string => new TextDecoder().decode(m.payload);
const pub = (): string => Buffer.from(generateKeyPair().publicKey).toString('base64url');

describe('demo users', () => {
  it('the passwords documented in examples/chat/README.md match the stored scrypt hashes', async () => {
    const readme = readFileSync(new URL('../../examples/chat/README.md', import.meta.url), 'utf8');
    for (const u of DEMO_USERS) {
      const row = readme.split('\n').find((l) => l.startsWith(`| ${u.name} |`));
      expect(row, u.name).toBeDefined();
      const password = row!.split('|')[2]!.trim();
      expect(await verifyPassword(password, u.passwordHash), u.name).toBe(true);
      expect(await verifyPassword(`${password}x`, u.passwordHash), u.name).toBe(false);
    }
    expect(await verifyPassword('alice-demo', undefined)).toBe(false); // unknown user
  });
});

for (const adapter of ['ws', 'uws'] as const) {
  describe(`the chat server on the ${adapter} adapter`, () => {
    const dataDir = mkdtempSync(join(tmpdir(), `sealwire-chat-${adapter}-`));
    beforeAll(async () => {
      lines = [];
      open = [];
      chat = await startChat({ port: 0, adapter, dataDir, logSink: (l) => lines.push(l) });
      target = { url: chat.url.replace('localhost', '127.0.0.1'), ca: chat.ca };
    });

    afterAll(async () => {
      for (const s of open) if (s.state !== 'closed') s.close();
      await chat?.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    describe('POST /api/login', () => {
      it('issues a short-lived EdDSA JWT bound to the posted key, with roles and the server key', async () => {
        const { key } = newKey();
        const res = await login(target, 'maya', 'maya-demo', key.publicKey);
        expect(decodeProtectedHeader(res.token).alg).toBe('EdDSA');
        const claims = decodeJwt(res.token);
        expect(claims.sub).toBe('maya');
        expect(claims['roles']).toEqual(['user', 'moderator']);
        expect(claims['cnf']).toEqual({ jkt: jwkThumbprint(key.publicKey) });
        expect(claims.exp! - claims.iat!).toBe(300);
        expect(res.serverKey).toBe(Buffer.from(chat.serverPublicKey).toString('base64url'));
        // On the host name the page was loaded from; uWS listens on its own port.
        expect(res.wsUrl).toBe(chat.wsUrl.replace('localhost', '127.0.0.1'));
        expect(new URL(res.wsUrl).port === new URL(target.url).port).toBe(adapter === 'ws');
        // Node's TLS exporter is readable with ws, not with uWS: clients bind only where it is checked.
        expect(res.channelBinding).toBe(adapter === 'ws');
        const session = await openSession(target, { login: res, key });
        open.push(session);
        expect([session.identity, session.roles]).toEqual(['maya', ['user', 'moderator']]);
        session.close();
      });

      it('answers an unknown user exactly as a wrong password', async () => {
        const wrong = await postLogin({ username: 'alice', password: 'nope', publicKey: pub() });
        const unknown = await postLogin({ username: 'nobody', password: 'nope', publicKey: pub() });
        expect([wrong.status, unknown.status]).toEqual([401, 401]);
        expect(wrong.body).toBe(unknown.body);
        expect(wrong.headers['cache-control']).toBe('no-store');
      });

      it('refuses malformed requests before checking any password', async () => {
        expect((await postLogin({ username: 'alice', password: 'alice-demo', publicKey: pub() }, { 'Content-Type': 'text/plain' })).status).toBe(415);
        expect((await postLogin({ username: 'alice', password: 'alice-demo', publicKey: pub() }, { Origin: 'https://evil.example' })).status).toBe(403);
        expect((await postLogin('{"username":')).status).toBe(400);
        expect((await postLogin({ username: 'alice', password: 'alice-demo', publicKey: pub().slice(0, 40) })).status).toBe(400);
        // A small-order point (the identity) never gets a token: sealwire's strict key rule.
        const identity = Buffer.alloc(32);
        identity[0] = 1;
        expect((await postLogin({ username: 'alice', password: 'alice-demo', publicKey: identity.toString('base64url') })).status).toBe(400);
        expect((await postLogin({ username: 'alice', password: 'x'.repeat(5000), publicKey: pub() })).status).toBe(413);
        expect((await httpCall(target, '/api/login')).status).toBe(405);
      });
    });

    describe('the page', () => {
      it('is served with a strict CSP and security headers on every response', async () => {
        for (const path of ['/', '/app.js', '/app.css', '/api/login', '/missing']) {
          const res = await httpCall(target, path);
          const csp = String(res.headers['content-security-policy']);
          expect(csp, path).toContain("script-src 'self'");
          expect(csp, path).toContain("frame-ancestors 'none'");
          expect(csp, path).toContain("require-trusted-types-for 'script'");
          expect(csp, path).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
          expect(res.headers['x-content-type-options'], path).toBe('nosniff');
          expect(res.headers['x-frame-options'], path).toBe('DENY');
        }
        const page = await httpCall(target, '/');
        expect(page.body).not.toMatch(/<script>|<style>|\son[a-z]+=/i); // nothing inline for the CSP to allow
        const js = await httpCall(target, '/app.js');
        expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
        expect(js.body).not.toMatch(/\.innerHTML\s*=|insertAdjacentHTML|outerHTML\s*=/);
      });
    });

    describe('rooms and roles', () => {
      it('relays lobby messages between members, as the verified sender with roles', async () => {
        const [alice, bob] = [await as('alice'), await as('bob')];
        await alice.join('lobby');
        await bob.join('lobby');
        const got = nextMessage(bob, (m) => m.identity === 'alice');
        alice.send('lobby', 'hi bob');
        const m = await got;
        expect([m.room, text(m), m.roles]).toEqual(['lobby', 'hi bob', ['user']]);
      });

      it('keeps the private room to invited users: carol can neither join nor read it', async () => {
        const [alice, bob, carol] = [await as('alice'), await as('bob'), await as('carol')];
        const seenByCarol: SessionMessage[] = [];
        carol.on('message', (m) => seenByCarol.push(m));
        await alice.join('vault');
        await bob.join('vault');
        await expect(carol.join('vault')).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
        await expect(carol.request('history', '', 'vault')).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
        const refused = new Promise((resolve) => carol.on('refused', resolve));
        carol.send('vault', 'let me in');
        expect(await refused).toMatchObject({ code: 'ERR_NOT_JOINED' });
        const got = nextMessage(bob, (m) => m.room === 'vault');
        alice.send('vault', 'the vault code is 42');
        expect(text(await got)).toBe('the vault code is 42');
        await new Promise((r) => setTimeout(r, 100));
        expect(seenByCarol.filter((m) => m.room === 'vault')).toEqual([]);
        expect(chat.secure.members('vault').map((s) => s.identity).sort()).toEqual(['alice', 'bob']);
      });

      it('lets moderators delete and admins broadcast; refuses both to users', async () => {
        const [alice, bob, maya, ada] = [await as('alice'), await as('bob'), await as('maya'), await as('ada')];
        for (const s of [alice, bob, maya]) await s.join('dev');
        alice.send('dev', 'a message to delete');
        // A message is named by its author's signed (key id, seq): the same on every member and the server.
        const { keyId, seq, verified } = await nextMessage(bob, (m) => text(m) === 'a message to delete');
        expect(verified).toBe('author');
        expect(chat.chat.history('dev').some((m) => m.seq === seq && m.keyId === keyId)).toBe(true);
        const del = JSON.stringify({ keyId, seq });
        await expect(alice.request('delete', del, 'dev')).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
        const notice = nextMessage(bob, (m) => m.action === 'delete');
        await maya.request('delete', del, 'dev');
        expect([(await notice).identity, text(await notice)]).toEqual(['maya', del]);
        expect(chat.chat.history('dev').some((m) => m.seq === seq && m.keyId === keyId)).toBe(false);

        await expect(maya.request('broadcast', 'not an admin', null)).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
        const broadcast = nextMessage(bob, (m) => m.action === 'broadcast');
        await ada.request('broadcast', 'maintenance at noon', null);
        const b = await broadcast;
        expect([b.identity, b.room, text(b), b.roles.includes('admin')]).toEqual(['ada', null, 'maintenance at noon', true]);
      });

      it('refuses text the chat does not carry (control characters, empty, too long)', async () => {
        const alice = await as('alice');
        await alice.join('lobby');
        for (const bad of ['\u0007bell', '   ', 'x'.repeat(1001), 'rtl \u202e override']) {
          const refused = new Promise((resolve) => alice.on('refused', resolve));
          alice.send('lobby', bad);
          expect(await refused).toMatchObject({ code: 'ERR_PAYLOAD_INVALID' });
        }
      });
    });

    describe('the bots', () => {
      let bots: Bot[] = [];
      afterAll(() => bots.forEach((b) => b.stop()));

      it("rejects every one of mallory's attacks with its own code, and the panel counts them", async () => {
        const greeter = startGreeter(target);
        const modbot = startModbot(target);
        bots = [greeter, modbot];
        await Promise.all([greeter.ready, modbot.ready]);
        // The greeter has spoken, so mallory can learn a victim's key id from the lobby history.
        await expect.poll(() => chat.chat.history('lobby').some((m) => m.identity === 'greeter')).toBe(true);
        const before = (await chat.monitor.snapshot()).rejected;
        const results = await runAttacks(target);
        expect(Object.fromEntries(results.map((r) => [r.attack, r.observed]))).toEqual({
          'password guess': 'LOGIN_FAILED',
          'forged token (sub=ada, roles=admin)': 'ERR_UNAUTHENTICATED',
          'stolen token, other key': 'ERR_CREDENTIAL_KEY_MISMATCH',
          'foreign origin': 'ERR_ORIGIN',
          'join private room': 'ERR_FORBIDDEN',
          'join security panel room': 'ERR_FORBIDDEN',
          'admin broadcast': 'ERR_FORBIDDEN',
          'moderator delete': 'ERR_FORBIDDEN',
          'replay in same session': 'ERR_REPLAY',
          'replay into another session': 'ERR_REPLAY',
          'tampered envelope': 'ERR_BAD_SIGNATURE',
          'forged signature': 'ERR_BAD_SIGNATURE',
          'impersonate another key': 'ERR_SESSION_KEY',
          'oversized frame': 'ERR_TOO_LARGE',
          flood: 'ERR_RATE_LIMITED',
        });
        // The server saw each one too (not only the attacker's side of the story).
        const after = await chat.monitor.snapshot();
        const delta = (code: string): number => (after.rejected[code] ?? 0) - (before[code] ?? 0);
        expect(delta('ERR_REPLAY')).toBe(2);
        expect(delta('ERR_BAD_SIGNATURE')).toBe(2);
        for (const code of ['LOGIN_FAILED', 'ERR_UNAUTHENTICATED', 'ERR_CREDENTIAL_KEY_MISMATCH', 'ERR_ORIGIN', 'ERR_SESSION_KEY', 'ERR_TOO_LARGE', 'ERR_RATE_LIMITED']) {
          expect(delta(code), code).toBeGreaterThanOrEqual(1);
        }
        expect(delta('ERR_FORBIDDEN')).toBe(4);
        expect(after.attacks.replay).toBeGreaterThanOrEqual(2);
        // Mallory's XSS text is carried as text; her spam is deleted by modbot, a moderator.
        expect(chat.chat.history('lobby').some((m) => m.identity === 'mallory' && new TextDecoder().decode(m.payload) === XSS_PAYLOAD)).toBe(true);
        await expect.poll(() => chat.chat.history('lobby').some((m) => /spam/.test(new TextDecoder().decode(m.payload)))).toBe(false);
      });
    });

    describe('logs', () => {
      it('one JSON line per connection, disconnection and rejection; pseudonyms only, no payloads or tokens', () => {
        const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
        expect(records.length).toBeGreaterThan(20);
        for (const r of records) {
          expect(typeof r['time']).toBe('string');
          expect(['connect', 'disconnect', 'reject', 'login']).toContain(r['event']);
        }
        const events = new Set(records.map((r) => r['event']));
        expect([...events].sort()).toEqual(['connect', 'disconnect', 'login', 'reject']);
        const all = lines.join('\n');
        for (const secret of ['alice', 'mallory', 'carol', '127.0.0.1', 'eyJ', 'demo', 'vault code', XSS_PAYLOAD]) {
          expect(all, secret).not.toContain(secret);
        }
        const rejects = records.filter((r) => r['event'] === 'reject');
        expect(rejects.every((r) => typeof r['code'] === 'string')).toBe(true);
        expect(rejects.some((r) => r['code'] === 'ERR_REPLAY' && typeof r['user'] === 'string' && typeof r['peer'] === 'string')).toBe(true);
        // One user, one pseudonym within a run.
        const users = new Set(records.filter((r) => r['code'] === 'ERR_REPLAY').map((r) => r['user']));
        expect(users.size).toBe(1);
      });
    });

    // Last: it locks carol out of this server for a minute.
    describe('login throttling', () => {
      it('throttles a user name after 5 failures from one address, even with the right password', async () => {
        for (let i = 0; i < 5; i++) expect((await postLogin({ username: 'carol', password: `guess${i}`, publicKey: pub() })).status).toBe(401);
        expect((await postLogin({ username: 'carol', password: 'carol-demo', publicKey: pub() })).status).toBe(429);
        expect((await chat.monitor.snapshot()).rejected['LOGIN_THROTTLED']).toBeGreaterThanOrEqual(1);
      });
    });
  });
}

describe('pseudonyms', () => {
  it('pseudonyms are keyed: stable under one key, unlinkable across keys and kinds', () => {
    const a = new Pseudonymizer(new Uint8Array(32).fill(1));
    const b = new Pseudonymizer(new Uint8Array(32).fill(2));
    expect(a.of('user', 'alice')).toBe(a.of('user', 'alice'));
    expect(a.of('user', 'alice')).toMatch(/^[0-9a-f]{16}$/);
    expect(a.of('user', 'alice')).not.toBe(b.of('user', 'alice'));
    expect(a.of('user', 'alice')).not.toBe(a.of('ip', 'alice'));
    expect(a.of('user', undefined)).toBeUndefined();
  });

  it('rotate their key with the UTC day: stable within a day, unlinkable across days', () => {
    let now = Date.UTC(2026, 0, 1, 0, 0, 1);
    const p = new Pseudonymizer(undefined, () => now);
    const first = p.of('user', 'alice');
    now += 23 * 3_600_000;
    expect(p.of('user', 'alice')).toBe(first);
    now += 3_600_000;
    expect(p.of('user', 'alice')).not.toBe(first);
    expect(p.of('user', 'alice')).toBe(p.of('user', 'alice'));
  });
});

describe('logger', () => {
  it('writes pino JSON lines with the event and an ISO time, and censors credentials and bodies', () => {
    const lines: string[] = [];
    const logger = createLogger({ sink: (l) => lines.push(l) });
    logger.log('warn', 'reject', { code: 'ERR_REPLAY', token: 'eyJhbGciOi', password: 'hunter2', payload: 'secret text', user: 'a1b2' });
    logger.pino.error({ err: new Error('boom') }, 'sealwire: a listener threw');
    expect(lines).toHaveLength(2);
    const r = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(r).toMatchObject({ level: 'warn', event: 'reject', code: 'ERR_REPLAY', user: 'a1b2', token: '[redacted]', password: '[redacted]', payload: '[redacted]' });
    expect(new Date(r['time'] as string).toISOString()).toBe(r['time']);
    for (const secret of ['eyJ', 'hunter2', 'secret text']) expect(lines.join('\n')).not.toContain(secret);
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: 'error', event: 'sealwire: a listener threw' });
  });
});


describe('certificate and transport', () => {
  it('creates the certificate once (key 0600), reuses it, and replaces a broken one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealwire-cert-'));
    try {
      const first = loadOrCreateCertificate(dir);
      expect(first.created).toBe(true);
      expect(statSync(join(dir, 'key.pem')).mode & 0o777).toBe(0o600);
      const again = loadOrCreateCertificate(dir);
      expect([again.created, again.fingerprint]).toEqual([false, first.fingerprint]);
      writeFileSync(join(dir, 'cert.pem'), 'garbage');
      const fresh = loadOrCreateCertificate(dir);
      expect(fresh.created).toBe(true);
      expect(fresh.fingerprint).not.toBe(first.fingerprint);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves plain WS only on loopback, and then works end to end', async () => {
    await expect(startChat({ port: 0, tls: false, host: '0.0.0.0', logSink: () => {} })).rejects.toThrow(RangeError);
    const plain = await startChat({ port: 0, tls: false, logSink: () => {} });
    try {
      expect(plain.url).toMatch(/^http:\/\/localhost:\d+\/$/);
      const { session, login: res } = await connectAs({ url: plain.url.replace('localhost', '127.0.0.1'), ca: undefined }, 'bob', 'bob-demo');
      expect(res.wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
      expect(session.identity).toBe('bob');
      session.close();
    } finally {
      await plain.close();
    }
  });

  it('serves plain WS on the uws adapter too, and refuses an unknown adapter', async () => {
    await expect(startChat({ port: 0, adapter: 'nope' as 'ws', logSink: () => {} })).rejects.toThrow(RangeError);
    const plain = await startChat({ port: 0, tls: false, adapter: 'uws', logSink: () => {} });
    try {
      const { session, login: res } = await connectAs({ url: plain.url.replace('localhost', '127.0.0.1'), ca: undefined }, 'alice', 'alice-demo');
      expect(res.wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
      expect(res.channelBinding).toBe(false);
      expect(session.identity).toBe('alice');
      session.close();
    } finally {
      await plain.close();
    }
  });
});


describe('npm start on a busy port', () => {
  it('says so in one plain line with the flag that fixes it, and exits 1', async () => {
    const { createServer: createNet } = await import('node:net');
    const { execFile } = await import('node:child_process');
    const blocker = createNet();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const main = fileURLToPath(new URL('../../examples/chat/server/main.ts', import.meta.url));
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, ['--import', 'tsx', main, '--port', String(port), '--plain', '--no-bots'], { timeout: 30_000 }, (_e, _o, stderr) =>
        resolve({ code: child.exitCode, stderr }),
      );
    });
    blocker.close();
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`sealwire chat: port ${port} is in use (another chat still running?). Stop it, or pick another: npm start -- --port 9443\n`);
  }, 40_000);
});
