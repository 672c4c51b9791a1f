// The page's notices: what happened, in a sentence, newest first, its error code kept in a
// details line for whoever wants it.
import { isProtocolError } from '../../../src/errors.js';
import { byId, el, time } from './dom.js';
import { plain } from './words.js';

export function notice(text: string, code?: string): void {
  const list = byId('notices');
  const details = code === undefined ? null : el('details', {}, el('summary', {}, 'details'), el('code', {}, code));
  list.prepend(el('li', {}, `${time(Date.now())} ${text} `, details));
  while (list.children.length > 20) list.lastElementChild!.remove();
}

/** A refusal in plain words, its code kept in a details line. */
export function refusal(what: string, err: unknown): void {
  const { sentence, code } = plain(errorCode(err));
  notice(`${what}: ${sentence}`, code);
}

export function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (isProtocolError(err) || typeof code === 'string') return code as string;
  return err instanceof Error ? err.message : String(err);
}
