// One live check: a name, the MUST ids it covers, and a run that throws on a violation.
export interface LiveCheck<C> {
  name: string;
  covers: string[];
  run(ctx: C): Promise<void>;
  /** A check that waits on the server's own timers takes longer than the default 8 s. */
  timeoutMs?(ctx: C): number;
}

export interface LiveReport {
  passed: number;
  failed: number;
}

const TIMEOUT_MS = 8_000;

/** Runs every check in order, one line each, then "N passed, N failed". */
export async function runChecks<C>(checks: LiveCheck<C>[], ctx: C, log: (line: string) => void = console.log): Promise<LiveReport> {
  let passed = 0;
  let failed = 0;
  for (const c of checks) {
    let timer: NodeJS.Timeout | undefined;
    const ms = c.timeoutMs?.(ctx) ?? TIMEOUT_MS;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    });
    try {
      await Promise.race([c.run(ctx), timeout]);
      passed++;
      log(`PASS ${c.name} [${c.covers.join(', ')}]`);
    } catch (err) {
      failed++;
      log(`FAIL ${c.name} [${c.covers.join(', ')}]: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }
  log(`${passed} passed, ${failed} failed`);
  return { passed, failed };
}

export function expectEqual(actual: unknown, expected: unknown, what: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}
