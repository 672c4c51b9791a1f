// Security monitoring: every sealwire security event (and every login decision) becomes counters
// for the panel and, for connections, disconnections and rejections, one pseudonymized log line.
// Events never carry payloads or credentials ([POL-7.2]); the log adds none.
import type { SecureServer, SecurityEvent } from '../../../src/index.js';
import { ACTION_PANEL, SECURITY_ROOM, type PanelEvent, type PanelSnapshot } from '../shared/protocol.js';
import type { Logger, Pseudonymizer } from './logger.js';

export type LoginOutcome = 'accept' | 'LOGIN_FAILED' | 'LOGIN_THROTTLED' | 'LOGIN_MALFORMED';

const ATTACK_CLASS: Record<string, keyof PanelSnapshot['attacks']> = {
  ERR_REPLAY: 'replay',
  ERR_STALE: 'replay',
  ERR_TOO_OLD: 'replay',
  ERR_FUTURE: 'replay',
  ERR_BAD_SIGNATURE: 'forgery',
  ERR_SESSION_KEY: 'forgery',
  ERR_UNKNOWN_KEY: 'forgery',
  ERR_SERVER_IDENTITY: 'forgery',
  ERR_CHANNEL_BINDING: 'forgery',
  ERR_RATE_LIMITED: 'rateLimit',
  ERR_TOO_MANY_CONNECTIONS: 'rateLimit',
  LOGIN_THROTTLED: 'rateLimit',
  ERR_FORBIDDEN: 'access',
  ERR_NOT_JOINED: 'access',
  ERR_UNAUTHENTICATED: 'credential',
  ERR_CREDENTIAL_KEY_MISMATCH: 'credential',
  ERR_CREDENTIAL_EXPIRED: 'credential',
  LOGIN_FAILED: 'credential',
  ERR_ORIGIN: 'origin',
  ERR_TOO_LARGE: 'size',
};

const RECENT = 40;
const PUBLISH_INTERVAL_MS = 250;

export class Monitor {
  readonly #secure: SecureServer;
  readonly #logger: Logger;
  readonly #pseudonyms: Pseudonymizer;
  readonly #accepted: Record<string, number> = {};
  readonly #rejected: Record<string, number> = {};
  readonly #attacks: { -readonly [K in keyof PanelSnapshot['attacks']]: number } = {
    replay: 0,
    forgery: 0,
    rateLimit: 0,
    access: 0,
    credential: 0,
    origin: 0,
    size: 0,
  };
  readonly #recent: PanelEvent[] = [];
  /** Codes already reported by a reject event, per open session id. */
  readonly #reported = new Map<string, Set<string>>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  readonly #unsubscribe: () => void;

  constructor(secure: SecureServer, logger: Logger, pseudonyms: Pseudonymizer) {
    this.#secure = secure;
    this.#logger = logger;
    this.#pseudonyms = pseudonyms;
    this.#unsubscribe = secure.on('event', (e) => this.#onEvent(e));
  }

  /** A login decision from the HTTPS endpoint (`user` is what was typed: pseudonymized). */
  login(outcome: LoginOutcome, user: string | undefined, peer: string | undefined): void {
    const fields = { user: this.#pseudonyms.of('user', user), peer: this.#pseudonyms.of('ip', peer) };
    if (outcome === 'accept') {
      this.#count(this.#accepted, 'login');
      this.#logger.log('info', 'login', fields);
    } else {
      this.#reject({ type: 'login', code: outcome, identity: null, channel: null, time: Date.now() });
      this.#logger.log('warn', 'reject', { type: 'login', code: outcome, ...fields });
    }
    this.#changed();
  }

  #onEvent(e: SecurityEvent): void {
    const p = this.#pseudonyms;
    const who = {
      session: e.session?.slice(0, 16),
      user: p.of('user', e.identity),
      key: p.of('key', e.keyId),
      peer: p.of('ip', e.peer),
    };
    if (e.outcome === 'accept') {
      this.#count(this.#accepted, e.type);
      if (e.type === 'handshake') this.#logger.log('info', 'connect', who);
    } else if (e.outcome === 'reject') {
      if (e.session !== undefined && e.code !== undefined) {
        let set = this.#reported.get(e.session);
        if (set === undefined) this.#reported.set(e.session, (set = new Set()));
        set.add(e.code);
      }
      this.#reject({ type: e.type, code: e.code ?? 'ERR_INTERNAL', identity: e.identity ?? null, channel: e.channel ?? null, time: e.time });
      this.#logger.log('warn', 'reject', { type: e.type, code: e.code, channel: e.channel, ...who });
    } else {
      const reported = e.session === undefined ? undefined : this.#reported.get(e.session);
      if (e.session !== undefined) this.#reported.delete(e.session);
      // Some ends of an open session are refusals that no message event reported (revocation,
      // backpressure, a stalled peer): count each once, here.
      if (e.session !== undefined && e.code !== undefined && reported?.has(e.code) !== true) {
        this.#reject({ type: 'close', code: e.code, identity: e.identity ?? null, channel: null, time: e.time });
        this.#logger.log('warn', 'reject', { type: 'close', code: e.code, ...who });
      }
      this.#logger.log('info', 'disconnect', { code: e.code, closeCode: e.closeCode, ...who });
    }
    this.#changed();
  }

  #reject(event: PanelEvent): void {
    this.#count(this.#rejected, event.code);
    const cls = ATTACK_CLASS[event.code];
    if (cls !== undefined) this.#attacks[cls]++;
    this.#recent.unshift(event);
    if (this.#recent.length > RECENT) this.#recent.pop();
  }

  #count(table: Record<string, number>, key: string): void {
    table[key] = (table[key] ?? 0) + 1;
  }

  /** The panel as admins see it. */
  snapshot(): PanelSnapshot {
    const sessions = [];
    for (const s of this.#secure.sessions) {
      if (s.state !== 'open' || s.identity === undefined) continue;
      sessions.push({
        identity: s.identity,
        roles: [...s.roles],
        rooms: [...s.rooms],
        keyId: (s.keyId ?? '').slice(0, 16),
        session: (s.sessionId ?? '').slice(0, 16),
      });
    }
    return {
      time: Date.now(),
      accepted: { ...this.#accepted },
      rejected: { ...this.#rejected },
      attacks: { ...this.#attacks },
      sessions,
      recent: [...this.#recent],
    };
  }

  /** Sends the current snapshot to the admins in the security room now. */
  publish(): void {
    if (this.#stopped) return;
    this.#secure.publish(SECURITY_ROOM, new TextEncoder().encode(JSON.stringify(this.snapshot())), { action: ACTION_PANEL });
  }

  // Coalesces bursts (a flood is hundreds of events) into one push per interval.
  #changed(): void {
    if (this.#timer !== undefined || this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.publish();
    }, PUBLISH_INTERVAL_MS);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#unsubscribe();
  }
}
