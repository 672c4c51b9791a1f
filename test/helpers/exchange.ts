// The server's half of an exactly-once exchange across cuts: `n` numbered messages ("d0", "d1", …)
// sent to whichever server session is open, waiting while none is or its outbox is full.
import type { ServerSession } from '../../src/index.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `predicate` every 2 ms; throws naming `what` after `timeoutMs`. */
export async function waitUntil(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** The newest open session of `sessions`. */
export function openSession(sessions: readonly ServerSession[]): ServerSession | undefined {
  return [...sessions].reverse().find((x) => x.state === 'open');
}

/** Sends d0…d(n-1); yields every `every` messages (`pauseMs`) so the client's receipts get in. */
export async function sendDownstream(sessions: readonly ServerSession[], n: number, every: number, pauseMs: number): Promise<void> {
  for (let i = 0; i < n; ) {
    const ss = openSession(sessions);
    if (ss === undefined || !ss.writable) {
      await sleep(1);
      continue;
    }
    ss.send(null, new TextEncoder().encode(`d${i++}`));
    if (i % every === 0) await sleep(pauseMs);
  }
}
