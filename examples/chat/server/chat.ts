// What the server does with messages sealwire accepted: sealwire itself relays a room's messages
// to its members ([HS-8.3]); the chat keeps a short history per room and runs the custom actions
// that `authorize` allowed (history, delete, broadcast).
import type { SessionMessage, SecureServer, ServerMessage } from '../../../src/index.js';
import { ACTION_BROADCAST, ACTION_DELETE, ACTION_HISTORY, ACTION_TOKEN, messageId } from '../shared/protocol.js';
import { fromHex } from '../../../src/index.js';
import { parseDelete } from './rooms.js';

export const HISTORY_PER_ROOM = 50;

export interface Chat {
  /** The stored messages of `room`, oldest first. */
  history(room: string): readonly SessionMessage[];
  stop(): void;
}

/** Issues a fresh token for a verified session's identity, roles and key (ACTION_TOKEN). */
export type TokenIssuer = (identity: string, roles: readonly string[], publicKey: Uint8Array) => Promise<string>;

export function attachChat(secure: SecureServer, options: { historyPerRoom?: number; issueToken?: TokenIssuer } = {}): Chat {
  const limit = options.historyPerRoom ?? HISTORY_PER_ROOM;
  const rooms = new Map<string, SessionMessage[]>();

  const onMessage = (m: ServerMessage): void => {
    const room = m.room;
    if (m.action === 'send' && room !== null) {
      let list = rooms.get(room);
      if (list === undefined) rooms.set(room, (list = []));
      // Kept without the `session` (a live object): the signed facts and the payload only.
      const { session: _session, ...message } = m;
      list.push(message);
      if (list.length > limit) list.shift();
    } else if (m.action === ACTION_HISTORY && room !== null) {
      // Re-sent `as` their senders: the client sees who wrote them, their key ids and seqs.
      for (const entry of rooms.get(room) ?? []) m.session.send(room, entry.payload, { as: entry });
    } else if (m.action === ACTION_DELETE && room !== null) {
      const target = parseDelete(m.payload)!; // `validate` already refused anything else
      const list = rooms.get(room) ?? [];
      const i = list.findIndex((e) => messageId(e.keyId, e.seq) === messageId(target.keyId, target.seq));
      if (i !== -1) list.splice(i, 1);
      secure.publish(room, m.payload, { as: m });
    } else if (m.action === ACTION_TOKEN && options.issueToken !== undefined) {
      // For the key that signed this very request: the token binds the same device, nothing more.
      const entry = secure.keys.get(fromHex(m.keyId));
      if (entry === undefined) return;
      void options.issueToken(m.identity, m.roles, entry.key.bytes).then((token) => {
        if (m.session.state === 'open') m.session.send(null, token, { action: ACTION_TOKEN });
      });
    } else if (m.action === ACTION_BROADCAST) {
      for (const s of secure.sessions) if (s.state === 'open') s.send(null, m.payload, { as: m });
    }
  };
  const stop = secure.on('message', onMessage);
  return {
    history: (room) => rooms.get(room) ?? [],
    stop,
  };
}
