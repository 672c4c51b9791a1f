// Prometheus metrics for one SecureServer, fed by its security events, its session and
// revocation hooks and, at scrape time, its getters. Labels are bounded sets (event type, error
// code, outcome, close code): never an identity, key id, room name or address.
import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';
import { ERROR_CODES } from '../errors.js';
import type { SecurityEvent } from '../policy/events.js';
import type { SecureServer } from '../session/server.js';
import { timeHandshakes, timePublish, timeReceiver } from './timing.js';

export interface MetricsOptions {
  /** Where the metrics are registered (prom-client `Registry`). */
  registry: Registry;
  /** Also register prom-client's process metrics (event-loop lag, memory…). Default false. */
  processMetrics?: boolean;
  /** Time one envelope open in this many. Default 16. */
  verifySampleEvery?: number;
  /** The server's clock (its `clock` option), for the relay latency. Default `Date.now`. */
  clock?: () => number;
  /** A verify pool (`VerifyPool`), for its queue depth. */
  pool?: { readonly pending: number };
}

export interface ServerMetrics {
  /** Stops counting and puts the server's methods back; the metrics stay registered. */
  stop(): void;
}

/** Refusals of a limit or cap, counted apart for the rate-limit alert. */
const LIMIT_CODES = new Set(['ERR_RATE_LIMITED', 'ERR_TOO_MANY_CONNECTIONS', 'ERR_TOO_LARGE', 'ERR_BACKPRESSURE', 'ERR_OUTBOX_FULL', 'ERR_STREAM_LIMIT']);

/** A code label from a bounded set: sealwire's `ERR_*` codes; anything else is `other`. */
function codeLabel(code: string | undefined): string {
  if (code === undefined) return 'none';
  return /^ERR_[A-Z0-9_]{1,40}$/.test(code) ? code : 'other';
}

/**
 * Registers the `sealwire_*` metrics of `server` on `options.registry` and keeps them current.
 *
 * @example
 * ```ts
 * const registry = new Registry()
 * collectMetrics(server, { registry })
 * http.get('/metrics', async (_req, res) => res.end(await registry.metrics()))
 * ```
 * @see [POL-7.2]
 */
export function collectMetrics(server: SecureServer, options: MetricsOptions): ServerMetrics {
  const registers = [options.registry];
  const every = options.verifySampleEvery ?? 16;
  if (!Number.isSafeInteger(every) || every < 1) throw new RangeError('"verifySampleEvery" expected a positive integer');
  if (options.processMetrics === true) collectDefaultMetrics({ register: options.registry });
  const c = counters(registers);
  // Series exist from the first scrape, so the first refusal is an increase, not a new series.
  for (const code of Object.keys(ERROR_CODES)) c.refused.inc({ code }, 0);
  for (const code of LIMIT_CODES) c.limits.inc({ code }, 0);
  c.handshakes.inc({ outcome: 'accept', code: 'none' }, 0);
  c.resumes.inc({ outcome: 'refused' }, 0);
  c.resumes.inc({ outcome: 'complete' }, 0);
  for (const code of ['ERR_STORE', 'ERR_STATE_LOST']) c.storeErrors.inc({ code }, 0);
  const seconds = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2];
  const verify = new Histogram({
    name: 'sealwire_verify_duration_seconds',
    help: 'Time to open one envelope (parse, signature, freshness, replay), sampled',
    buckets: seconds,
    registers,
  });
  const handshake = new Histogram({
    name: 'sealwire_handshake_duration_seconds',
    help: 'Time from transport accept to an established session',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10],
    registers,
  });
  const relay = new Histogram({
    name: 'sealwire_publish_delivery_seconds',
    help: 'Time from the signed timestamp of a relayed message to its delivery to the room',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers,
  });
  gauges(server, registers, options.pool);
  const undo = [
    server.on('event', (e) => onEvent(c, e)),
    server.on('session', (s) => void (s.resumed && c.resumes.inc({ outcome: 'complete' }))),
    server.keys.onRevoke(() => c.revocations.inc()),
    timeReceiver(server.receiver, every, (s) => verify.observe(s)),
    timeHandshakes(server, (s) => handshake.observe(s)),
    timePublish(server, options.clock ?? Date.now, (s) => relay.observe(s)),
  ];
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      for (const u of undo) u();
    },
  };
}

type Counters = ReturnType<typeof counters>;

function counters(registers: Registry[]) {
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) => new Counter<L>({ name, help, labelNames, registers });
  return {
    opened: counter('sealwire_envelopes_opened_total', 'Envelopes accepted on an established session'),
    refused: counter('sealwire_envelopes_refused_total', 'Envelopes refused, by error code', ['code']),
    handshakes: counter('sealwire_handshakes_total', 'Handshakes by outcome and error code', ['outcome', 'code']),
    refusals: counter('sealwire_refusals_total', 'Every refusal, by event type and error code', ['type', 'code']),
    limits: counter('sealwire_limit_refusals_total', 'Refusals of a rate limit or cap, by error code', ['code']),
    sessionsOpened: counter('sealwire_sessions_opened_total', 'Sessions established'),
    sessionsClosed: counter('sealwire_sessions_closed_total', 'Sessions ended, by close code and error code', ['close_code', 'code']),
    revocations: counter('sealwire_revocations_total', 'Key revocations applied'),
    resumes: counter('sealwire_resumes_total', 'Resumes: complete (the session went on) or refused (the client starts over)', ['outcome']),
    storeErrors: counter('sealwire_store_errors_total', 'Replay store failures (ERR_STORE, ERR_STATE_LOST)', ['code']),
  };
}

function onEvent(c: Counters, e: SecurityEvent): void {
  const code = codeLabel(e.code);
  if (e.type === 'close') {
    c.sessionsClosed.inc({ close_code: String(e.closeCode ?? 0), code });
    return;
  }
  if (e.type === 'message') {
    if (e.outcome === 'accept') c.opened.inc();
    else c.refused.inc({ code });
  }
  if (e.type === 'handshake') {
    c.handshakes.inc({ outcome: e.outcome, code });
    if (e.outcome === 'accept') c.sessionsOpened.inc();
    if (code === 'ERR_RESUME_REFUSED') c.resumes.inc({ outcome: 'refused' });
  }
  if (e.outcome !== 'reject') return;
  c.refusals.inc({ type: e.type, code });
  if (LIMIT_CODES.has(code)) c.limits.inc({ code });
  if (code === 'ERR_STORE' || code === 'ERR_STATE_LOST') c.storeErrors.inc({ code });
}

/** Gauges read at scrape time from the server's getters. */
function gauges(server: SecureServer, registers: Registry[], pool: { readonly pending: number } | undefined): void {
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  };
  gauge('sealwire_sessions', 'Live sessions', () => server.sessions.size);
  gauge('sealwire_rooms', 'Rooms with at least one member', () => {
    const rooms = new Set<string>();
    for (const s of server.sessions) for (const r of s.rooms) rooms.add(r);
    return rooms.size;
  });
  gauge('sealwire_room_memberships', 'Room memberships over all sessions', () => {
    let n = 0;
    for (const s of server.sessions) n += s.rooms.size;
    return n;
  });
  gauge('sealwire_outbox_depth_max', 'Largest count of unacknowledged envelopes in one session', () => {
    let max = 0;
    for (const s of server.sessions) max = Math.max(max, s.unacknowledged);
    return max;
  });
  const store = server.receiver.store as { readonly size?: unknown; readonly maxStreams?: unknown };
  if (typeof store.size === 'number') gauge('sealwire_replay_streams', 'Streams tracked by the replay store', () => store.size as number);
  if (typeof store.maxStreams === 'number') gauge('sealwire_replay_streams_limit', 'Most streams the replay store tracks', () => store.maxStreams as number);
  if (pool !== undefined) gauge('sealwire_pool_queue_depth', 'Verifications waiting for or inside a pool worker', () => pool.pending);
}
