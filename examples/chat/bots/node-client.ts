// How a Node program (the bots, the tests) uses the chat exactly as the page does: log in over
// HTTPS with a fresh Ed25519 key, then open a sealwire session with the key-bound token, pinning
// the server key the login returned and trusting the chat's own certificate.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import WebSocket from 'ws';
import { generateKeyPair, importPublicKey, importSigningKey, type ClientSession, type SigningKey } from '../../../src/index.js';
import { connect, type WebSocketConstructor } from '../../../src/adapters/ws/index.js';
import { fromBase64Url, toBase64Url, type LoginResponse } from '../shared/protocol.js';

export interface Target {
  /** The page URL, e.g. https://localhost:8443/ */
  readonly url: string;
  /** PEM of the chat's certificate (TLS). */
  readonly ca: string | undefined;
}

export interface HttpResult {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One HTTP(S) request to the chat; trusts only `target.ca` for TLS. */
export function httpCall(
  target: Target,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpResult> {
  const url = new URL(path, target.url);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      { method: init.method ?? 'GET', headers: init.headers ?? {}, ...(target.ca !== undefined ? { ca: target.ca } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

export function origin(target: Target): string {
  return new URL(target.url).origin;
}

export function newKey(): { key: SigningKey; secretKey: Uint8Array } {
  const pair = generateKeyPair();
  return { key: importSigningKey(pair.secretKey), secretKey: pair.secretKey };
}

/** POST /api/login; throws with the status on refusal. */
export async function login(target: Target, username: string, password: string, publicKey: Uint8Array): Promise<LoginResponse> {
  const res = await httpCall(target, '/api/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: origin(target) },
    body: JSON.stringify({ username, password, publicKey: toBase64Url(publicKey) }),
  });
  if (res.status !== 200) throw Object.assign(new Error(`login refused: HTTP ${res.status}`), { status: res.status });
  return JSON.parse(res.body) as LoginResponse;
}

export interface Connected {
  readonly session: ClientSession;
  readonly login: LoginResponse;
  readonly key: SigningKey;
}

/** Opens a session with an existing login (the token and the key it is bound to). */
export function openSession(
  target: Target,
  credentials: { login: LoginResponse; key: SigningKey },
  extra: { WebSocket?: WebSocketConstructor; origin?: string; token?: string } = {},
): Promise<ClientSession> {
  const serverKey = importPublicKey(fromBase64Url(credentials.login.serverKey)!);
  return connect(credentials.login.wsUrl, {
    WebSocket: extra.WebSocket ?? WebSocket,
    key: credentials.key,
    serverKey,
    credential: extra.token ?? credentials.login.token,
    origin: extra.origin ?? origin(target),
    channelBinding: credentials.login.channelBinding,
    ...(target.ca !== undefined ? { wsOptions: { ca: target.ca } } : {}),
  });
}

/** Logs in with a fresh key and opens a session. */
export async function connectAs(target: Target, username: string, password: string): Promise<Connected> {
  const { key } = newKey();
  const response = await login(target, username, password, key.publicKey);
  const session = await openSession(target, { login: response, key });
  return { session, login: response, key };
}
