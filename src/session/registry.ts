// What a server knows about its sessions: room membership, the established sessions of each client
// key (revocation closes them, [POL-6.1]) and the client keys it learned from credentials ([HS-5.6]).
import { toHex } from '../bytes.js';
import { ProtocolError } from '../errors.js';
import type { KeyEntry, KeyRing } from '../keys/keyring.js';

/** What the registry needs of a session: its key id and a way to end it. */
export interface RegistryMember {
  readonly kid: Uint8Array | undefined;
  fail(error: ProtocolError): void;
}

const NO_MEMBERS: ReadonlySet<never> = new Set();

export class SessionRegistry<M extends RegistryMember> {
  readonly #rooms = new Map<string, Set<M>>();
  readonly #byKid = new Map<string, Set<M>>();
  // Client keys this server put in its ring for a credential, with their holders (sessions and
  // resumable states): the last holder gone removes the key, so the ring does not grow with every
  // client ever seen ([HS-5.6]).
  readonly #learned = new Map<string, { entry: KeyEntry; holders: number }>();

  constructor(private readonly keys: KeyRing) {}

  joined(member: M, room: string): void {
    let set = this.#rooms.get(room);
    if (set === undefined) this.#rooms.set(room, (set = new Set()));
    set.add(member);
  }

  left(member: M, room: string): void {
    const set = this.#rooms.get(room);
    if (set === undefined) return;
    set.delete(member);
    if (set.size === 0) this.#rooms.delete(room);
  }

  /** The room's members, live: copy before anything that may change them. */
  members(room: string): ReadonlySet<M> {
    return this.#rooms.get(room) ?? NO_MEMBERS;
  }

  /** An established session, found by its key for revocation. */
  registered(member: M): void {
    const id = toHex(member.kid!);
    let set = this.#byKid.get(id);
    if (set === undefined) this.#byKid.set(id, (set = new Set()));
    set.add(member);
  }

  unregistered(member: M): void {
    const id = toHex(member.kid!);
    const set = this.#byKid.get(id);
    set?.delete(member);
    if (set?.size === 0) this.#byKid.delete(id);
  }

  /** Closes every session of a revoked key, synchronously ([POL-6.1]); returns how many. */
  revoked(kid: Uint8Array): number {
    const live = [...(this.#byKid.get(toHex(kid)) ?? [])];
    for (const s of live) s.fail(new ProtocolError('ERR_KEY_REVOKED', 'key has been revoked'));
    return live.length;
  }

  /**
   * Counts one more holder of a client key the server learned ([HS-5.6]): `added` is the entry
   * this handshake just put in the ring, else the key was already there. False when the key is
   * not one the server learned (it was in the ring before: never removed by the server).
   */
  holdKey(kid: Uint8Array, added?: KeyEntry): boolean {
    const id = toHex(kid);
    let learned = this.#learned.get(id);
    if (added !== undefined) this.#learned.set(id, (learned = { entry: added, holders: 0 }));
    if (learned === undefined) return false;
    learned.holders++;
    return true;
  }

  /** One holder less; the last one removes the learned key from the ring. */
  releaseKey(kid: string): void {
    const learned = this.#learned.get(kid);
    if (learned === undefined || --learned.holders > 0) return;
    this.#learned.delete(kid);
    // Only the entry this server added: an operator may have removed it and added their own since.
    if (this.keys.get(learned.entry.kid) === learned.entry) this.keys.remove(learned.entry.kid);
  }
}
