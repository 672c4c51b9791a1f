// Sampled timing of a Receiver's opens, switched on by sealwire/metrics (timeOpens): one call in
// `every` is measured, the others pay a counter increment, and a receiver without metrics pays
// one field check.

/** @internal */
export interface Timing {
  readonly observe: (seconds: number) => void;
  readonly every: number;
  n: number;
}

/** @internal Runs `run`, timing it (to its settlement, for a promise) when its turn comes. */
export function timed<T>(t: Timing, run: () => T): T {
  if (++t.n < t.every) return run();
  t.n = 0;
  const t0 = performance.now();
  const done = (): void => t.observe((performance.now() - t0) / 1000);
  try {
    const v = run();
    if (v instanceof Promise) v.then(done, done);
    else done();
    return v;
  } catch (err) {
    done();
    throw err;
  }
}
