// Where a SecureServer writes its own operational messages (pino, or anything with the same three
// methods). Security decisions are not logged here: they stay SecurityEvents ([POL-7.1]).

/** A pino-compatible logger: `(fields, message)`. */
export interface Logger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** @internal Checks `logger` has the three methods; returns it. */
export function assertLogger(logger: unknown): Logger {
  const l = logger as Partial<Logger> | null;
  if (l === null || typeof l !== 'object' || typeof l.info !== 'function' || typeof l.warn !== 'function' || typeof l.error !== 'function') {
    throw new TypeError('"logger" expected { info, warn, error } functions');
  }
  return l as Logger;
}

/** @internal Calls the logger; a logger that throws must not break the server. */
export function logTo(logger: Logger | undefined, level: keyof Logger, fields: Record<string, unknown>, message: string): void {
  if (logger === undefined) return;
  try {
    logger[level](fields, message);
  } catch {
    // Nothing left to report to.
  }
}
