// `mallory`, the attacker bot: a real account (role user) that, each round, tries what a hostile
// insider or outsider would — guessing passwords, forging and stealing tokens, calling from a
// foreign origin, entering the private and admin rooms, acting as moderator and admin, replaying,
// tampering with, forging and impersonating envelopes, oversized frames and a flood. Every attempt
// reports the verdict it observed, and the server's panel shows the same rejections.
import { SignJWT, generateKeyPair as joseKeyPair } from 'jose';
import {
  fromHex,
  importSigningKey,
  isProtocolError,
  jwkThumbprint,
  seal,
  type ClientSession,
} from '../../../src/index.js';
import { decodeEnvelope } from '../../../src/protocol.js';
import { MESSAGE_CONTENT_TYPE } from '../../../src/session/messages.js';
import { ACTION_BROADCAST, ACTION_DELETE, SECURITY_ROOM } from '../shared/protocol.js';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '../server/login.js';
import { httpCall, login, newKey, openSession, origin, type Target } from './node-client.js';
import { tap } from './tap.js';

export interface AttackResult {
  readonly attack: string;
  /** The verdict a secure server gives. */
  readonly expected: string;
  /** The verdict observed: an `ERR_*` code, `LOGIN_FAILED`, or `accepted`. */
  readonly observed: string;
}

const USER = 'mallory';
const PASSWORD = 'mallory-demo';
export const XSS_PAYLOAD = '<img src=x onerror="window.__sealwireXss=1">';
const VERDICT_TIMEOUT_MS = 5000;

function codeOf(err: unknown): string {
  if (isProtocolError(err)) return err.code;
  const status = (err as { status?: unknown })?.status;
  return typeof status === 'number' ? `HTTP_${status}` : `error: ${err instanceof Error ? err.message : String(err)}`;
}

function withTimeout<T>(p: Promise<T>, label: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${label}: no verdict in ${VERDICT_TIMEOUT_MS} ms`)), VERDICT_TIMEOUT_MS);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e)),
    );
  });
}

/** The code the server closed `session` with. */
async function closeCode(session: ClientSession): Promise<string> {
  const info = await withTimeout(session.closed, 'close');
  return info.error?.code ?? `closed ${info.code}`;
}

async function verdict(p: Promise<unknown>): Promise<string> {
  try {
    await withTimeout(p, 'request');
    return 'accepted';
  } catch (err) {
    return codeOf(err);
  }
}

/** The data-phase binding (session id || client→server) the attacker's own session uses. */
function clientBinding(session: ClientSession): Uint8Array {
  const out = new Uint8Array(33);
  out.set(fromHex(session.sessionId!));
  out[32] = 0x01;
  return out;
}

/** One round of attacks, in a fixed order. `onResult` sees each verdict as it comes. */
export async function runAttacks(target: Target, onResult: (r: AttackResult) => void = () => {}): Promise<AttackResult[]> {
  const results: AttackResult[] = [];
  const record = (attack: string, expected: string, observed: string): void => {
    const r = { attack, expected, observed };
    results.push(r);
    onResult(r);
  };

  // 1. Online password guessing: one answer for unknown users and wrong passwords, throttled.
  const guess = await httpCall(target, '/api/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: origin(target) },
    body: JSON.stringify({ username: 'root', password: 'hunter2', publicKey: Buffer.from(newKey().key.publicKey).toString('base64url') }),
  });
  record('password guess', 'LOGIN_FAILED', guess.status === 401 ? 'LOGIN_FAILED' : `HTTP_${guess.status}`);

  const me = newKey();
  const creds = { login: await login(target, USER, PASSWORD, me.key.publicKey), key: me.key };

  // 2. A token minted with the attacker's own issuer key, claiming to be the admin.
  const fakeIssuer = await joseKeyPair('EdDSA', { crv: 'Ed25519' });
  const forged = await new SignJWT({ roles: ['admin'], cnf: { jkt: jwkThumbprint(me.key.publicKey) } })
    .setProtectedHeader({ alg: 'EdDSA' })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setSubject('ada')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(fakeIssuer.privateKey);
  record('forged token (sub=ada, roles=admin)', 'ERR_UNAUTHENTICATED', await verdict(openSession(target, creds, { token: forged })));

  // 3. A real token, stolen, used without the key it is bound to.
  const thief = newKey();
  record('stolen token, other key', 'ERR_CREDENTIAL_KEY_MISMATCH', await verdict(openSession(target, { login: creds.login, key: thief.key })));

  // 4. A page on another site opening the socket (cross-site WebSocket hijacking).
  record('foreign origin', 'ERR_ORIGIN', await verdict(openSession(target, creds, { origin: 'https://evil.example' })));

  // 5–8. Authorization on the verified identity: rooms and roles.
  const s1 = await openSession(target, creds);
  record('join private room', 'ERR_FORBIDDEN', await verdict(s1.join('vault')));
  record('join security panel room', 'ERR_FORBIDDEN', await verdict(s1.join(SECURITY_ROOM)));
  record('admin broadcast', 'ERR_FORBIDDEN', await verdict(s1.request(ACTION_BROADCAST, 'you have been hacked', null)));
  record('moderator delete', 'ERR_FORBIDDEN', await verdict(s1.request(ACTION_DELETE, JSON.stringify({ keyId: '00'.repeat(32), seq: 0 }), 'lobby')));

  await verdict(s1.join('lobby'));
  // Accepted, and harmless: the page renders it as text (the browser test checks it never runs).
  s1.send('lobby', XSS_PAYLOAD);
  s1.send('lobby', 'cheap spam, click here');
  await new Promise((r) => setTimeout(r, 100));
  s1.close();

  // 9. Replay an envelope the server already accepted, in the same session.
  const t2 = tap();
  const s2 = await openSession(target, creds, { WebSocket: t2.WebSocket });
  await verdict(s2.join('lobby'));
  const accepted = t2.sent.at(-1)!;
  t2.inject(accepted);
  record('replay in same session', 'ERR_REPLAY', await closeCode(s2));

  // 10. Replay it into a new session of the same key.
  const t3 = tap();
  const s3 = await openSession(target, creds, { WebSocket: t3.WebSocket });
  t3.inject(accepted);
  record('replay into another session', 'ERR_REPLAY', await closeCode(s3));

  // 11. Tamper: change one byte of a signed message ("pay 10" → "pay 90") before it leaves.
  const t4 = tap();
  const s4 = await openSession(target, creds, { WebSocket: t4.WebSocket });
  t4.hold = true;
  s4.send('lobby', 'pay 10 coins to mallory');
  const held = t4.held.pop()!;
  const at = Buffer.from(held).indexOf('pay 10');
  held[at + 4] = '9'.charCodeAt(0);
  t4.inject(held);
  record('tampered envelope', 'ERR_BAD_SIGNATURE', await closeCode(s4));

  // 12. Forge: a fresh envelope with the session's own key id, signed by another key.
  const t5 = tap();
  const s5 = await openSession(target, creds, { WebSocket: t5.WebSocket });
  t5.hold = true;
  s5.send('lobby', 'signed by someone else');
  const original = decodeEnvelope(t5.held.pop()!);
  const h = original.header;
  const other = importSigningKey(newKey().secretKey, { kid: h.kid });
  t5.inject(seal(other, original.payload, { seq: h.seq, stream: h.stream, ts: h.ts, contentType: MESSAGE_CONTENT_TYPE, binding: clientBinding(s5) }));
  record('forged signature', 'ERR_BAD_SIGNATURE', await closeCode(s5));

  // 13. Impersonate: an envelope naming another key in our session. The other key is our own second
  // device, logged in and connected meanwhile, so the server certainly holds it: the bot claims
  // only what it set up (a key learned from history may have left the server's ring by now).
  const device = newKey();
  const second = await openSession(target, { login: await login(target, USER, PASSWORD, device.key.publicKey), key: device.key });
  const t6 = tap();
  const s6 = await openSession(target, creds, { WebSocket: t6.WebSocket });
  const claimed = device.key.kid;
  const impostor = importSigningKey(newKey().secretKey, { kid: claimed });
  t6.inject(seal(impostor, new TextEncoder().encode('not checked: refused before the signature'), {
    seq: 0,
    stream: crypto.getRandomValues(new Uint8Array(16)),
    contentType: MESSAGE_CONTENT_TYPE,
    binding: clientBinding(s6),
  }));
  record('impersonate another key', 'ERR_SESSION_KEY', await closeCode(s6));
  second.close();

  // 14. A frame larger than the server's limit: refused by the WebSocket before it is buffered.
  const t7 = tap();
  const s7 = await openSession(target, creds, { WebSocket: t7.WebSocket });
  t7.inject(new Uint8Array(20_000));
  record('oversized frame', 'ERR_TOO_LARGE', await closeCode(s7));

  // 15. Flood: far more envelopes than the burst allows, charged before any signature check.
  // (Leave requests: valid and signed, always allowed, so nothing but the rate limit refuses them.)
  const s8 = await openSession(target, creds);
  for (let i = 0; i < 60 && s8.state === 'open'; i++) s8.leave('dev').catch(() => {});
  record('flood', 'ERR_RATE_LIMITED', await closeCode(s8));
  return results;
}

export interface Attacker {
  /** The first round's results. */
  readonly firstRound: Promise<AttackResult[]>;
  stop(): void;
}

/** Runs a round at once, then every `intervalMs`. */
export function startAttacker(target: Target, options: { intervalMs?: number; onResult?: (r: AttackResult) => void } = {}): Attacker {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const round = (): Promise<AttackResult[]> =>
    runAttacks(target, (r) => {
      if (!stopped) options.onResult?.(r);
    });
  const loop = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      round()
        .catch(() => [])
        .finally(loop);
    }, options.intervalMs ?? 30_000);
  };
  const firstRound = round().finally(loop);
  firstRound.catch(() => {});
  return {
    firstRound,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
