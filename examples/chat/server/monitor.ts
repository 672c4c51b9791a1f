// Security monitoring: every sealwire security event (and every login decision) becomes a count
// in the Prometheus registry `/metrics` serves — the panel and its chart read them back from
// there, so the operator's dashboard and the admins' panel cannot disagree — and, for
// connections, disconnections and rejections, one pseudonymized log line. Events never carry
// payloads or credentials ([POL-7.2]); the log adds none.
import { Counter, type Registry } from 'prom-client';
import type { SecureServer, SecurityEvent } from '../../../src/index.js';
import { ACTION_PANEL, SECURITY_ROOM, type PanelEvent, type PanelHistory, type PanelSnapshot } from '../shared/protocol.js';
import type { Logger, Pseudonymizer } from './logger.js';

export type LoginOutcome = 'accept' | 'LOGIN_FAILED' | 'LOGIN_THROTTLED' | 'LOGIN_MALFORMED';

type AttackClass = keyof PanelSnapshot['attacks'];

const ATTACK_CLASS: Record<string, AttackClass> = {
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
/** The chart's resolution and span: one point a second over the last five minutes. */
const SAMPLE_MS = 1000;
const HISTORY = 300;
const CLASSES = ['replay', 'forgery', 'rateLimit', 'access', 'credential', 'origin', 'size', 'other'] as const;
type ChartClass = (typeof CLASSES)[number];

/** A refusal code as a label: sealwire's `ERR_*` and the chat's `LOGIN_*`, nothing else. */
const codeLabel = (code: string): string => (/^(ERR|LOGIN)_[A-Z_]{1,40}$/.test(code) ? code : 'other');

interface Totals {
  readonly accepted: number;
  readonly refused: Record<ChartClass, number>;
}

export class Monitor {
  readonly #secure: SecureServer;
  readonly #logger: Logger;
  readonly #pseudonyms: Pseudonymizer;
  readonly #accepted: Counter<'type'>;
  readonly #refused: Counter<'code' | 'class'>;
  readonly #recent: PanelEvent[] = [];
  /** Sizes of the latest posts in end-to-end encrypted rooms: all this server can know of them. */
  readonly #sealed = new Map<string, number[]>();
  readonly #history: { time: number; accepted: number; refused: Record<ChartClass, number> }[] = [];
  #last: Totals = { accepted: 0, refused: Object.fromEntries(CLASSES.map((c) => [c, 0])) as Record<ChartClass, number> };
  /** Codes already reported by a reject event, per open session id. */
  readonly #reported = new Map<string, Set<string>>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #sampler: ReturnType<typeof setInterval>;
  #stopped = false;
  readonly #unsubscribe: () => void;

  constructor(secure: SecureServer, logger: Logger, pseudonyms: Pseudonymizer, registry: Registry) {
    this.#secure = secure;
    this.#logger = logger;
    this.#pseudonyms = pseudonyms;
    this.#accepted = new Counter({ name: 'chat_decisions_accepted_total', help: 'Chat decisions accepted, by event type (and login)', labelNames: ['type'], registers: [registry] });
    this.#refused = new Counter({ name: 'chat_decisions_refused_total', help: 'Chat refusals as the security panel counts them, by code and attack class', labelNames: ['code', 'class'], registers: [registry] });
    this.#unsubscribe = secure.on('event', (e) => this.#onEvent(e));
    this.#sampler = setInterval(() => void this.#sample(), SAMPLE_MS);
    this.#sampler.unref?.();
  }

  /** A login decision from the HTTPS endpoint (`user` is what was typed: pseudonymized). */
  login(outcome: LoginOutcome, user: string | undefined, peer: string | undefined): void {
    const fields = { user: this.#pseudonyms.of('user', user), peer: this.#pseudonyms.of('ip', peer) };
    if (outcome === 'accept') {
      this.#accepted.inc({ type: 'login' });
      this.#logger.log('info', 'login', fields);
    } else {
      this.#reject({ type: 'login', code: outcome, identity: null, room: null, time: Date.now() });
      this.#logger.log('warn', 'reject', { type: 'login', code: outcome, ...fields });
    }
    this.#changed();
  }

  /** A post accepted into an end-to-end encrypted room: its size, never its bytes. */
  encrypted(room: string, size: number): void {
    let sizes = this.#sealed.get(room);
    if (sizes === undefined) this.#sealed.set(room, (sizes = []));
    sizes.unshift(size);
    if (sizes.length > RECENT) sizes.pop();
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
      this.#accepted.inc({ type: e.type });
      if (e.type === 'handshake') this.#logger.log('info', 'connect', who);
    } else if (e.outcome === 'reject') {
      if (e.session !== undefined && e.code !== undefined) {
        let set = this.#reported.get(e.session);
        if (set === undefined) this.#reported.set(e.session, (set = new Set()));
        set.add(e.code);
      }
      this.#reject({ type: e.type, code: e.code ?? 'ERR_INTERNAL', identity: e.identity ?? null, room: e.room ?? null, time: e.time });
      this.#logger.log('warn', 'reject', { type: e.type, code: e.code, room: e.room, ...who });
    } else {
      const reported = e.session === undefined ? undefined : this.#reported.get(e.session);
      if (e.session !== undefined) this.#reported.delete(e.session);
      // Some ends of an open session are refusals that no message event reported (revocation,
      // backpressure, a stalled peer): count each once, here.
      if (e.session !== undefined && e.code !== undefined && reported?.has(e.code) !== true) {
        this.#reject({ type: 'close', code: e.code, identity: e.identity ?? null, room: null, time: e.time });
        this.#logger.log('warn', 'reject', { type: 'close', code: e.code, ...who });
      }
      this.#logger.log('info', 'disconnect', { code: e.code, closeCode: e.closeCode, ...who });
    }
    this.#changed();
  }

  #reject(event: PanelEvent): void {
    const code = codeLabel(event.code);
    this.#refused.inc({ code, class: ATTACK_CLASS[code] ?? 'other' });
    this.#recent.unshift(event);
    if (this.#recent.length > RECENT) this.#recent.pop();
  }

  async #totals(): Promise<{ accepted: Record<string, number>; rejected: Record<string, number>; refused: Record<ChartClass, number> }> {
    const accepted: Record<string, number> = {};
    const rejected: Record<string, number> = {};
    const refused = Object.fromEntries(CLASSES.map((c) => [c, 0])) as Record<ChartClass, number>;
    for (const v of (await this.#accepted.get()).values) accepted[String(v.labels.type)] = v.value;
    for (const v of (await this.#refused.get()).values) {
      const code = String(v.labels.code);
      rejected[code] = (rejected[code] ?? 0) + v.value;
      refused[v.labels.class as ChartClass] += v.value;
    }
    return { accepted, rejected, refused };
  }

  // One chart point a second: the counters' increase since the last point.
  async #sample(): Promise<void> {
    const t = await this.#totals();
    const now: Totals = { accepted: Object.values(t.accepted).reduce((a, b) => a + b, 0), refused: t.refused };
    const last = this.#last;
    this.#last = now;
    const refused = Object.fromEntries(CLASSES.map((c) => [c, now.refused[c] - last.refused[c]])) as Record<ChartClass, number>;
    this.#history.push({ time: Math.floor(Date.now() / 1000), accepted: now.accepted - last.accepted, refused });
    if (this.#history.length > HISTORY) this.#history.shift();
    this.#changed();
  }

  /** The panel as admins see it, its counts read from the registry. */
  async snapshot(): Promise<PanelSnapshot> {
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
    const t = await this.#totals();
    const { other: _other, ...attacks } = t.refused;
    const h = this.#history;
    const history: PanelHistory = {
      time: h.map((p) => p.time),
      accepted: h.map((p) => p.accepted),
      refused: Object.fromEntries(CLASSES.map((c) => [c, h.map((p) => p.refused[c])])) as unknown as PanelHistory['refused'],
    };
    const encrypted = [...this.#sealed].map(([room, sizes]) => ({ room, sizes: [...sizes] }));
    return { time: Date.now(), accepted: t.accepted, rejected: t.rejected, attacks, sessions, recent: [...this.#recent], history, encrypted };
  }

  /** Sends the current snapshot to the admins in the security room. */
  async publish(): Promise<void> {
    if (this.#stopped) return;
    const snapshot = await this.snapshot();
    if (this.#stopped) return;
    this.#secure.publish(SECURITY_ROOM, new TextEncoder().encode(JSON.stringify(snapshot)), { action: ACTION_PANEL });
  }

  // Coalesces bursts (a flood is hundreds of events) into one push per interval.
  #changed(): void {
    if (this.#timer !== undefined || this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.publish();
    }, PUBLISH_INTERVAL_MS);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearInterval(this.#sampler);
    this.#unsubscribe();
  }
}
