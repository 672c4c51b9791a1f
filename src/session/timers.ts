// The timers of the session layer (handshake timeout, credential expiry, receipt delay, room
// position checks), injectable so that tests and the conformance driver can run them on a virtual
// clock and pin a timer's boundary to the millisecond.

/** A `setTimeout`/`clearTimeout` pair. The handle is opaque: only its own `clearTimeout` reads it. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  /** Ignores `undefined` and handles of timers that already fired or were cleared. */
  clearTimeout(handle: unknown): void;
}

/** The platform's timers: the default. */
export const GLOBAL_TIMERS: Timers = Object.freeze({
  setTimeout: (fn: () => void, ms: number): unknown => setTimeout(fn, ms),
  clearTimeout: (handle: unknown): void => clearTimeout(handle as ReturnType<typeof setTimeout> | undefined),
});

/** @throws {TypeError} when `timers` is given but lacks either function. */
export function resolveTimers(timers: Timers | undefined): Timers {
  if (timers === undefined) return GLOBAL_TIMERS;
  if (timers === null || typeof timers !== 'object' || typeof timers.setTimeout !== 'function' || typeof timers.clearTimeout !== 'function') {
    throw new TypeError('"timers" expected {setTimeout, clearTimeout}');
  }
  return timers;
}
