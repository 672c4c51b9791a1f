// Every code a chat user can meet, in a sentence: the page shows the sentence and keeps the code
// in a details line for whoever needs it (an operator, a bug report).
import type { ErrorCode } from '../../../src/errors.js';

const WORDS: Partial<Record<ErrorCode | string, string>> = {
  ERR_FORBIDDEN: 'You are not allowed to do that here.',
  ERR_PAYLOAD_INVALID: 'The server did not accept that message.',
  ERR_RATE_LIMITED: 'You are sending too fast. Wait a moment and try again.',
  ERR_SESSION_CLOSED: 'The connection is closed. The page reconnects by itself.',
  ERR_OUTBOX_FULL: 'Too many messages are waiting for the server. Wait a moment and try again.',
  ERR_CREDENTIAL_EXPIRED: 'Your login has expired. Please log in again.',
  ERR_UNAUTHENTICATED: 'The server did not accept your login. Please log in again.',
  ERR_KEY_REVOKED: 'This device was signed out by an administrator.',
  ERR_SERVER_IDENTITY: 'The server is not the one this page trusts. Do not continue; reload the page.',
  ERR_ORIGIN: 'This page is not allowed to connect from where it was loaded.',
  ERR_TOO_MANY_CONNECTIONS: 'You have too many windows open. Close one and try again.',
  ERR_HANDSHAKE_TIMEOUT: 'The server took too long to answer.',
  ERR_CLOCK_SKEW: "This device's clock is too far off. Set the time correctly and log in again.",
  ERR_RESUME_REFUSED: 'The server restarted; some messages may be missing.',
  // Room events this browser refused (spec/rooms.md §8): shown, never delivered.
  ERR_BAD_SIGNATURE: "A message was not signed by the one it names as its author: it was altered on the way and is not shown.",
  ERR_UNKNOWN_KEY: 'A message came from a key the server never introduced: it is not shown.',
  ERR_KEY_EXPIRED: "A message was signed after its author's login expired: it is not shown.",
  ERR_KEY_NOT_YET_VALID: "A message was signed before its author's login began: it is not shown.",
  ERR_REPLAY: 'A message arrived a second time: the copy is not shown.',
  ERR_WRONG_STREAM: "A message belonged to another version of this room's history: it is not shown.",
  ERR_SESSION_KEY: 'A room event was not signed by this server: it is not shown.',
  // End-to-end encrypted rooms: what this device could not read, and why.
  ERR_E2EE_NO_KEY: 'A message was encrypted before this device could read the room, or its key never came: it is not shown.',
  ERR_E2EE_DECRYPT: 'A message did not decrypt: it was altered, and is not shown.',
  ERR_E2EE_DEVICE_KEY: "A member's device key was not signed by that member: nothing is encrypted for it.",
  ERR_E2EE_KEY_REPLAY: 'Old room keys were sent again: they are not used.',
  ERR_E2EE_CHAIN_INDEX: 'A message came too far ahead of the ones before it: it is not shown.',
  ERR_E2EE_MALFORMED: 'An encrypted message was malformed: it is not shown.',
  ERR_E2EE_UNENCRYPTED: 'A message was sent unencrypted into an encrypted room: it is not shown.',
  'Failed to fetch': 'The server cannot be reached. Is it running?',
  'wrong user name or password': 'Wrong user name or password.',
  'too many failed logins, wait a minute': 'Too many failed logins. Wait a minute and try again.',
};

/** The sentence for `code`, and the code itself for the details line. */
export function plain(code: string): { sentence: string; code: string } {
  return { sentence: WORDS[code] ?? 'Something went wrong.', code };
}
