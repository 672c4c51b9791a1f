// A tiny structured logger: one JSON object per line to an injectable sink (pino is not a
// dependency of sealwire; this is the part of it the chat needs). Identifiers of people and
// devices go through `Pseudonymizer` before they reach a record.
import { createHmac, randomBytes } from 'node:crypto';

export type LogLevel = 'info' | 'warn' | 'error';
export type LogSink = (line: string) => void;
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  log(level: LogLevel, event: string, fields?: LogFields): void;
}

/**
 * @example
 * ```ts
 * const logger = createLogger({ sink: (line) => lines.push(line) })
 * logger.log('info', 'connect', { user: pseudonyms.of('user', 'alice') })
 * ```
 */
export function createLogger(options: { sink?: LogSink; clock?: () => number } = {}): Logger {
  const sink = options.sink ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const clock = options.clock ?? Date.now;
  return {
    log(level, event, fields = {}) {
      const record: Record<string, unknown> = { time: new Date(clock()).toISOString(), level, event };
      for (const [k, v] of Object.entries(fields)) if (v !== undefined) record[k] = v;
      try {
        sink(JSON.stringify(record));
      } catch {
        // A failing sink must not take the chat down with it.
      }
    },
  };
}

/**
 * Keyed pseudonyms: HMAC-SHA-256 under a key made at each start, truncated to 64 bits. Lines of
 * one run can be correlated (same user, same pseudonym); without the key, which is never written
 * anywhere, they cannot be linked back to a name, an address or across runs.
 */
export class Pseudonymizer {
  readonly #key: Buffer;

  constructor(key: Uint8Array = randomBytes(32)) {
    if (!(key instanceof Uint8Array) || key.length < 16) throw new RangeError('"key" expected at least 16 bytes');
    this.#key = Buffer.from(key);
  }

  /** The pseudonym of `value` in namespace `kind` (`user`, `key`, `ip`…); undefined stays undefined. */
  of(kind: string, value: string | undefined | null): string | undefined {
    if (value === undefined || value === null) return undefined;
    return createHmac('sha256', this.#key).update(kind).update('\0').update(value).digest('hex').slice(0, 16);
  }
}
