// The page's end-to-end encrypted rooms (sealwire/e2ee): messages are encrypted here for the devices
// of the room's members and decrypted here; the server orders and relays ciphertext it cannot read.
// A device reads what is sent after its device key reached the senders, never older history.
import { encryptedRoom, generateDeviceKey, type DecryptedMessage, type E2eeRoom, type RoomDevice } from '../../../src/e2ee/index.js';
import type { ClientSession } from '../../../src/session/index.js';

export interface EncryptedHooks {
  message(m: DecryptedMessage): void;
  refused(room: string, code: string): void;
  /** The devices holding a room's keys changed. */
  devices(room: string): void;
}

export class EncryptedRooms {
  readonly #rooms = new Map<string, E2eeRoom>();

  constructor(
    private readonly seed: Uint8Array,
    private readonly hooks: EncryptedHooks,
  ) {}

  has(room: string): boolean {
    return this.#rooms.has(room);
  }

  /** Joins `room` encrypted, with this device's key (the same one at every login in this browser). */
  async open(session: ClientSession, room: string): Promise<void> {
    if (this.#rooms.has(room)) return;
    const r = await encryptedRoom(session, room, { device: await generateDeviceKey(this.seed) });
    r.on('message', (m) => this.hooks.message(m));
    r.on('refused', (x) => this.hooks.refused(room, x.code));
    r.on('devices', () => this.hooks.devices(room));
    this.#rooms.set(room, r);
  }

  /** Encrypts and posts; resolves with the post's seq on the session's data stream (for its receipt). */
  send(room: string, text: string): Promise<number> {
    const r = this.#rooms.get(room);
    if (r === undefined) return Promise.reject(new Error(`not an encrypted room: ${room}`));
    return r.send(text);
  }

  /** Who holds the room's keys: the devices this one seals its chain to, itself included. */
  devices(room: string): readonly RoomDevice[] {
    return this.#rooms.get(room)?.devices() ?? [];
  }

  /** A new session after a reconnect: every room moves to it with its keys. */
  async adopt(session: ClientSession): Promise<void> {
    for (const r of this.#rooms.values()) await r.useSession(session);
  }
}
