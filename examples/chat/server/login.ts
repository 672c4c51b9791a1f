// POST /api/login: checks a demo user's password (scrypt, constant-time) and issues a short-lived
// EdDSA JWT whose `cnf.jkt` names the client's Ed25519 key (RFC 7800): the token alone, stolen
// from a log or a proxy, opens no session ([HS-5.2]). The response also carries the server's
// public key, which the client pins for the sealwire handshake.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SignJWT, type CryptoKey as JoseKey } from 'jose';
import { importPublicKey, isProtocolError, jwkThumbprint } from '../../../src/index.js';
import { fromBase64Url, type LoginResponse, type RoomInfo } from '../shared/protocol.js';
import type { Monitor } from './monitor.js';
import { verifyPassword } from './passwords.js';
import { mayEnter } from './rooms.js';
import type { DemoUser } from './users.js';

export const TOKEN_ISSUER = 'sealwire-chat';
export const TOKEN_AUDIENCE = 'sealwire-chat/ws';
/** Five minutes: the session closes with ERR_CREDENTIAL_EXPIRED when its token expires. */
export const DEFAULT_TOKEN_TTL_SEC = 300;
const MAX_BODY = 2048;
/** Failed logins per (user name, address) in {@link FAILURE_WINDOW_MS} before 429. */
const MAX_FAILURES = 5;
const FAILURE_WINDOW_MS = 60_000;
/** Most (user name, address) pairs tracked at once. */
const MAX_TRACKED = 10_000;

export interface LoginOptions {
  users: readonly DemoUser[];
  issuerKey: JoseKey;
  serverPublicKey: Uint8Array;
  /** The page's origin(s): a login from any other origin is refused (no cross-site logins). */
  origins: () => readonly string[];
  /** The WebSocket URL for the Host the page was loaded from. */
  wsUrl: (hostHeader: string | undefined) => string;
  /** Several nodes: this one's name and every node's WebSocket URL for that Host, this one first. */
  cluster?: (hostHeader: string | undefined) => NonNullable<LoginResponse['cluster']>;
  channelBinding: boolean;
  rooms: readonly RoomInfo[];
  monitor: Monitor;
  tokenTtlSec?: number;
  clock?: () => number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly outcome: 'LOGIN_FAILED' | 'LOGIN_THROTTLED' | 'LOGIN_MALFORMED',
  ) {
    super(body);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > MAX_BODY) return reject(new HttpError(413, 'request too large', 'LOGIN_MALFORMED'));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, 'request too large', 'LOGIN_MALFORMED'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseRequest(body: string): { username: string; password: string; publicKey: Uint8Array } {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    throw new HttpError(400, 'malformed request', 'LOGIN_MALFORMED');
  }
  const o = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  const { username, password, publicKey } = o;
  if (typeof username !== 'string' || typeof password !== 'string' || typeof publicKey !== 'string' || username.length > 64) {
    throw new HttpError(400, 'malformed request', 'LOGIN_MALFORMED');
  }
  const key = fromBase64Url(publicKey);
  if (key?.length !== 32) throw new HttpError(400, 'publicKey expected 32 bytes, base64url', 'LOGIN_MALFORMED');
  try {
    importPublicKey(key); // the strict rule: no small-order or non-canonical keys get a token
  } catch (err) {
    if (isProtocolError(err)) throw new HttpError(400, 'publicKey rejected', 'LOGIN_MALFORMED');
    throw err;
  }
  return { username, password, publicKey: key };
}

/** A token for `identity` with `roles`, bound to the device key (cnf.jkt), valid `ttl` seconds from `iat`. */
export function issueToken(issuerKey: JoseKey, identity: string, roles: readonly string[], publicKey: Uint8Array, iat: number, ttl: number): Promise<string> {
  return new SignJWT({ roles: [...roles], cnf: { jkt: jwkThumbprint(publicKey) } })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setSubject(identity)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl)
    .sign(issuerKey);
}

/** The request handler for POST /api/login. */
export function loginHandler(options: LoginOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { users, issuerKey, monitor } = options;
  const ttl = options.tokenTtlSec ?? DEFAULT_TOKEN_TTL_SEC;
  const clock = options.clock ?? Date.now;
  const byName = new Map(users.map((u) => [u.name, u]));
  const failures = new Map<string, number[]>();

  const recentFailures = (key: string, now: number): number[] => {
    const list = (failures.get(key) ?? []).filter((t) => now - t < FAILURE_WINDOW_MS);
    if (list.length === 0) failures.delete(key);
    else failures.set(key, list);
    return list;
  };

  return async (req, res) => {
    const peer = req.socket.remoteAddress;
    let username: string | undefined;
    try {
      if (req.method !== 'POST') throw new HttpError(405, 'POST only', 'LOGIN_MALFORMED');
      // A JSON content type cannot be sent cross-site without a CORS preflight, which we never grant.
      if ((req.headers['content-type'] ?? '').split(';')[0]!.trim() !== 'application/json') {
        throw new HttpError(415, 'application/json expected', 'LOGIN_MALFORMED');
      }
      const origin = req.headers.origin;
      if (origin !== undefined && !options.origins().includes(origin)) throw new HttpError(403, 'origin not allowed', 'LOGIN_MALFORMED');
      const request = parseRequest(await readBody(req));
      username = request.username;
      const now = clock();
      const throttleKey = `${peer ?? ''}\u0000${username}`;
      if (recentFailures(throttleKey, now).length >= MAX_FAILURES) throw new HttpError(429, 'too many failed logins, wait a minute', 'LOGIN_THROTTLED');
      const user = byName.get(username);
      const ok = await verifyPassword(request.password, user?.passwordHash);
      if (!ok || user === undefined) {
        // Bounded: sweep expired entries when the table grows, and never keep more than MAX_TRACKED.
        if (failures.size >= MAX_TRACKED) {
          for (const k of [...failures.keys()]) recentFailures(k, now);
          if (failures.size >= MAX_TRACKED) failures.delete(failures.keys().next().value!);
        }
        failures.set(throttleKey, [...recentFailures(throttleKey, now), now]);
        // One answer for an unknown user and a wrong password.
        throw new HttpError(401, 'wrong user name or password', 'LOGIN_FAILED');
      }
      const iat = Math.floor(now / 1000);
      const token = await issueToken(issuerKey, user.name, user.roles, request.publicKey, iat, ttl);
      const body: LoginResponse = {
        token,
        expiresAt: (iat + ttl) * 1000,
        identity: user.name,
        roles: [...user.roles],
        serverKey: Buffer.from(options.serverPublicKey).toString('base64url'),
        wsUrl: options.wsUrl(req.headers.host),
        ...(options.cluster === undefined ? {} : { cluster: options.cluster(req.headers.host) }),
        channelBinding: options.channelBinding,
        rooms: options.rooms.map(({ name, kind, description, e2ee }) => ({ name, kind, description, mayJoin: mayEnter(name, user.name, user.roles), ...(e2ee === true ? { e2ee } : {}) })),
      };
      monitor.login('accept', username, peer);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(body));
    } catch (err) {
      if (!(err instanceof HttpError)) {
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end('internal error');
        throw err;
      }
      monitor.login(err.outcome, username, peer);
      res.writeHead(err.status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify({ error: err.body }));
    }
  };
}
