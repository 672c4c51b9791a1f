// What every shared store's calls to the caller's Redis client have in common: a deadline, so a
// store that does not answer fails closed, and the one error that means "send the script itself".

/** `p`, or a rejection with `error()` once `ms` passed without it settling. */
export function withDeadline<T>(p: Promise<T>, ms: number, error: () => unknown): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Redis refused an EVALSHA because it does not hold the script (a restart, SCRIPT FLUSH): send it with EVAL. */
export function isNoScript(err: unknown): boolean {
  return String((err as { message?: unknown } | null)?.message ?? err).includes('NOSCRIPT');
}
