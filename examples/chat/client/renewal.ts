// Token renewal: a fresh token over the session itself at 80% of the current one's life ([HS-8.6]),
// handed to the session and kept for reconnections: no surprise logouts.
import type { StayConnected } from '../../../src/adapters/ws/client-entry.js';
import type { ClientSession } from '../../../src/session/index.js';
import { ACTION_TOKEN, type LoginResponse } from '../shared/protocol.js';
import { byId, time } from './dom.js';
import { refusal } from './notices.js';

export interface Renewable {
  readonly session: ClientSession;
  readonly client: StayConnected;
  me: LoginResponse;
}

export class Renewal {
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly current: () => Renewable | undefined) {}

  /** Asks for a fresh token at 80% of the current one's life. */
  schedule(expiresAt: number): void {
    clearTimeout(this.#timer);
    const wait = Math.max(1000, (expiresAt - Date.now()) * 0.8);
    this.#timer = setTimeout(() => this.current()?.session.request(ACTION_TOKEN).catch((err: unknown) => refusal('token renewal', err)), wait);
  }

  async renewWith(token: string): Promise<void> {
    const s = this.current();
    if (s === undefined) return;
    try {
      await s.session.renew(token);
    } catch (err) {
      refusal('token renewal', err);
      return;
    }
    s.client.setCredential(token); // a reconnection presents the new token
    const exp = (JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { exp: number }).exp * 1000;
    s.me = { ...s.me, expiresAt: exp };
    byId('token-until').textContent = time(exp);
    this.schedule(exp);
  }

  stop(): void {
    clearTimeout(this.#timer);
  }
}
