// The chat's policy, decided on the identity and roles sealwire verified (never on payload
// claims): which rooms exist, who may enter them, which role may run which custom action, and
// what a message may contain.
import type { AuthorizeRequest, ValidateRequest } from '../../../src/index.js';
import {
  ACTION_BROADCAST,
  ACTION_DELETE,
  ACTION_HISTORY,
  ACTION_TOKEN,
  SECURITY_ROOM,
  isAcceptableText,
  type DeleteRequest,
  type RoomInfo,
} from '../shared/protocol.js';

export interface Room extends RoomInfo {
  /** For private rooms: the identities invited. */
  readonly invited?: readonly string[];
}

export const ROOMS: readonly Room[] = [
  { name: 'lobby', kind: 'public', description: 'Everyone' },
  { name: 'dev', kind: 'public', description: 'Build talk' },
  { name: 'vault', kind: 'private', description: 'Invited only: alice, bob, ada', invited: ['alice', 'bob', 'ada'] },
  // Members encrypt for each other's devices; the server orders and relays, and cannot read.
  { name: 'secret', kind: 'private', e2ee: true, description: 'End-to-end encrypted: alice, bob, ada', invited: ['alice', 'bob', 'ada'] },
  { name: SECURITY_ROOM, kind: 'admin', description: 'Live security panel (admins)' },
];

const byName = new Map(ROOMS.map((r) => [r.name, r]));

export function mayEnter(room: string | null, identity: string, roles: readonly string[]): boolean {
  const r = room === null ? undefined : byName.get(room);
  if (r === undefined) return false;
  if (r.kind === 'public') return true;
  if (r.kind === 'private') return r.invited?.includes(identity) === true;
  return roles.includes('admin');
}

/** sealwire's `authorize` hook ([POL-2.1]): false is answered with ERR_FORBIDDEN. */
export function authorize({ identity, roles, action, room }: AuthorizeRequest): boolean {
  switch (action) {
    case 'leave':
      return true;
    case 'join':
    case ACTION_HISTORY:
      return mayEnter(room, identity, roles);
    case 'send':
      // The panel room is the server's to write in.
      return room !== SECURITY_ROOM && mayEnter(room, identity, roles);
    case ACTION_DELETE:
      return (roles.includes('moderator') || roles.includes('admin')) && room !== SECURITY_ROOM && mayEnter(room, identity, roles);
    case ACTION_BROADCAST:
      return roles.includes('admin') && room === null;
    case ACTION_TOKEN:
      return room === null;
    default:
      return false; // Policy: unknown actions are refused, not ignored.
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeText(payload: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(payload);
  } catch {
    return undefined;
  }
}

export function parseDelete(payload: Uint8Array): DeleteRequest | undefined {
  const text = decodeText(payload);
  if (text === undefined || text.length > 200) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (Object.keys(o).length !== 2 || typeof o['keyId'] !== 'string' || !/^[0-9a-f]{64}$/.test(o['keyId'])) return undefined;
  if (typeof o['seq'] !== 'number' || !Number.isSafeInteger(o['seq']) || o['seq'] < 0) return undefined;
  return { keyId: o['keyId'], seq: o['seq'] };
}

/** Whether a room's posts are end-to-end encrypted: opaque to this server. */
export function isEncrypted(room: string | null): boolean {
  return room !== null && byName.get(room)?.e2ee === true;
}

/** sealwire's `validate` hook ([POL-2.5]): false is answered with ERR_PAYLOAD_INVALID. */
export function validate({ action, payload, room }: ValidateRequest): boolean {
  switch (action) {
    case 'send':
      // Ciphertext, key distributions and device keys: nothing here to read, only to relay. Each
      // is still signed by its author and checked by every member; sealwire bounds its size.
      if (isEncrypted(room)) return payload.length > 0;
      return isAcceptableText(decodeText(payload) ?? '');
    case ACTION_BROADCAST: {
      const text = decodeText(payload);
      return text !== undefined && isAcceptableText(text);
    }
    case ACTION_DELETE:
      return parseDelete(payload) !== undefined;
    case ACTION_HISTORY:
    case ACTION_TOKEN:
      return payload.length === 0;
    default:
      return false;
  }
}
