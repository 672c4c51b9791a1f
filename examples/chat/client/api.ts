// POST /api/login from the page. The token stays in memory: never in localStorage or a cookie.
import { toBase64Url, type LoginResponse } from '../shared/protocol.js';

export async function login(username: string, password: string, publicKey: Uint8Array): Promise<LoginResponse> {
  const res = await fetch('/api/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password, publicKey: toBase64Url(publicKey) }),
    credentials: 'omit',
    cache: 'no-store',
  });
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const error = (body as { error?: unknown } | undefined)?.error;
    throw new Error(typeof error === 'string' ? error : `login failed (HTTP ${res.status})`);
  }
  return body as LoginResponse;
}
