// Room names (spec/handshake.md §8): shown to people and written to logs, so printable and short.

export const MAX_ROOM_LENGTH = 128;

const RESERVED_ACTIONS = new Set(['join', 'leave', 'send']);
const ACTION_RE = /^[a-z0-9._:-]{1,64}$/;

/** A custom action name: 1–64 of [a-z0-9._:-], not one of the built-in requests. */
export function isValidAction(action: unknown): action is string {
  return typeof action === 'string' && ACTION_RE.test(action) && !RESERVED_ACTIONS.has(action);
}

export function isValidRoom(room: unknown): room is string {
  // Every UTF-16 unit takes at least one UTF-8 byte: longer strings cannot fit.
  if (typeof room !== 'string' || room.length === 0 || room.length > MAX_ROOM_LENGTH) return false;
  // One pass, as every message is checked: no C0, DEL or C1 control (a room name is shown to
  // people and written to logs), and the UTF-8 length as TextEncoder counts it (a lone surrogate
  // becomes U+FFFD, 3 bytes) without encoding.
  let n = 0;
  for (let i = 0; i < room.length; i++) {
    const c = room.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return false;
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && (room.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n <= MAX_ROOM_LENGTH;
}
