// A Send as a room event (spec/rooms.md §2, kind 2): the server names its author ([HS-8.4]).
import { fromHex } from '../bytes.js';
import { KIND_RELAY, type RoomEventBody } from './wire.js';

/** The verified message a Send carried, as the server saw it. */
export interface RelayedMessage {
  readonly identity: string;
  readonly roles: readonly string[];
  readonly keyId: string;
  readonly seq: number;
  readonly ts: number;
  readonly payload: Uint8Array;
}

export function relayBody(m: RelayedMessage & { readonly action: string }, data: Uint8Array = m.payload, action = m.action): RoomEventBody {
  return { kind: KIND_RELAY, action, from: m.identity, fromRoles: m.roles, fromKid: fromHex(m.keyId), fromSeq: m.seq, fromTs: m.ts, data };
}
