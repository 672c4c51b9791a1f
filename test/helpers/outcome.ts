// What a call came to, as a comparable string: 'ok', a ProtocolError's code, or 'other: …'.
// Plain code with no node: import, so the browser pages under test/browser use it too.
import { isProtocolError } from '../../src/errors.js';

export function outcomeOfSync(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return isProtocolError(err) ? err.code : `other: ${String(err)}`;
  }
}

export async function outcomeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return isProtocolError(err) ? err.code : `other: ${String(err)}`;
  }
}
