// Freshness against the receiver's clock (spec/replay.md §3): stateless, so it runs before any
// replay state is read.
import { ProtocolError } from '../errors.js';

/** Default max future skew: 5 s (spec/replay.md §10). Also the restart unavailability window. */
export const DEFAULT_MAX_FUTURE_SKEW_MS = 5_000;
/** Default max age: 60 s (spec/replay.md §10). Bounds late delivery and how long state is kept. */
export const DEFAULT_MAX_AGE_MS = 60_000;
/** Largest accepted skew: one day. */
export const MAX_FUTURE_SKEW_LIMIT_MS = 86_400_000;
/** Largest accepted max age: seven days. */
export const MAX_AGE_LIMIT_MS = 7 * 86_400_000;

/**
 * [RPL-3.1] `ts > now + maxFutureSkewMs` → ERR_FUTURE; [RPL-3.2] `ts < now - maxAgeMs` → ERR_STALE.
 * Both bounds are inclusive: `ts = now + skew` and `ts = now - maxAge` are fresh.
 */
export function checkFreshness(ts: number, now: number, maxFutureSkewMs: number, maxAgeMs: number): void {
  if (ts > now + maxFutureSkewMs) throw new ProtocolError('ERR_FUTURE', 'envelope timestamp is too far in the future');
  if (ts < now - maxAgeMs) throw new ProtocolError('ERR_STALE', 'envelope timestamp is older than the max age');
}
