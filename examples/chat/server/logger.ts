// The chat's logs: pino, one JSON object per line to stdout or an injectable sink, with a
// redaction list as a second line of defence (credentials and message bodies never belong in a
// record) and identifiers of people and devices pseudonymized before they reach one.
import { createHmac, randomBytes } from 'node:crypto';
import pino from 'pino';

export type LogLevel = 'info' | 'warn' | 'error';
export type LogSink = (line: string) => void;
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  log(level: LogLevel, event: string, fields?: LogFields): void;
  /** The pino logger underneath, for sealwire's own operational messages (SecureServer `logger`). */
  readonly pino: pino.Logger;
}

/** Fields no record may carry, whatever a caller passes: censored, not dropped, so the mistake shows. */
export const REDACT = ['password', 'token', 'authorization', 'cookie', 'payload', 'text', 'secretKey', 'privateKey', '*.password', '*.token', '*.authorization', '*.payload'];

/**
 * @example
 * ```ts
 * const logger = createLogger({ sink: (line) => lines.push(line) })
 * logger.log('info', 'connect', { user: pseudonyms.of('user', 'alice') })
 * ```
 */
export function createLogger(options: { sink?: LogSink } = {}): Logger {
  const sink = options.sink;
  const destination =
    sink === undefined
      ? pino.destination({ fd: 1, sync: true })
      : {
          write(line: string) {
            try {
              sink(line.endsWith('\n') ? line.slice(0, -1) : line);
            } catch {
              // A failing sink must not take the chat down with it.
            }
          },
        };
  const base = pino(
    {
      base: null,
      messageKey: 'event',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT, censor: '[redacted]' },
    },
    destination,
  );
  return {
    pino: base,
    log(level, event, fields = {}) {
      const record: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(fields)) if (v !== undefined) record[k] = v;
      base[level](record, event);
    },
  };
}

const DAY_MS = 86_400_000;

/**
 * Keyed pseudonyms: HMAC-SHA-256, truncated to 64 bits, under a key drawn at random for each UTC
 * day and never written anywhere. Lines of one day can be correlated (same user, same pseudonym);
 * once the day's key is replaced they cannot be linked back to a name or address, nor across days.
 */
export class Pseudonymizer {
  readonly #fixed: Buffer | undefined;
  readonly #clock: () => number;
  #key: Buffer = Buffer.alloc(0);
  #day = NaN;

  /** `key` pins one key (tests); without it the key is rotated daily by `clock`. */
  constructor(key?: Uint8Array, clock: () => number = Date.now) {
    if (key !== undefined && (!(key instanceof Uint8Array) || key.length < 16)) throw new RangeError('"key" expected at least 16 bytes');
    this.#fixed = key === undefined ? undefined : Buffer.from(key);
    this.#clock = clock;
  }

  /** The pseudonym of `value` in namespace `kind` (`user`, `key`, `ip`…); undefined stays undefined. */
  of(kind: string, value: string | undefined | null): string | undefined {
    if (value === undefined || value === null) return undefined;
    return createHmac('sha256', this.#current()).update(kind).update('\0').update(value).digest('hex').slice(0, 16);
  }

  #current(): Buffer {
    if (this.#fixed !== undefined) return this.#fixed;
    const day = Math.floor(this.#clock() / DAY_MS);
    if (day !== this.#day) {
      this.#key.fill(0);
      this.#key = randomBytes(32);
      this.#day = day;
    }
    return this.#key;
  }
}
