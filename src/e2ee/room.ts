// One end-to-end encrypted room on a client session (spec/e2ee.md): publishes this member's device
// key, keeps the device keys of the others, distributes a sender chain and rotates it when the
// room's devices change, encrypts posts and decrypts the posts of others, holding a message whose
// chain has not arrived yet for a bounded time.
import { ProtocolError, type ErrorCode } from '../errors.js';
import { equalBytes, fromHex, payloadBytes, randomBytes, toHex } from '../bytes.js';
import { Emitter, type Listener } from '../session/emitter.js';
import type { ClientSession } from '../session/client-session.js';
import { GLOBAL_TIMERS } from '../session/timers.js';
import type { SessionMessage } from '../session/events.js';
import { Lru } from '../rooms/lru.js';
import { Chain } from './chain.js';
import { generateDeviceKey, signDeviceStatement, verifyDeviceStatement, type DeviceKey } from './device.js';
import { decodeKeyRequest, encodeKeyRequest, openDistribution, sealDistribution } from './distribution.js';
import { HeldMessages } from './held.js';
import { decodeMessage, decryptMessage, encryptMessage, type DecodedMessage } from './encrypt0.js';
import {
  CHAIN_ID_LENGTH,
  CHAIN_KEY_LENGTH,
  DEVICE_CONTENT_TYPE,
  HOLD_MS,
  KEYS_CONTENT_TYPE,
  MAX_CHAINS,
  MAX_DEVICES,
  MAX_SEEN_CHAINS,
  MESSAGE_CONTENT_TYPE,
  REQUEST_CONTENT_TYPE,
} from './suite.js';
import type { E2eeEnv, E2eeRoomEvents, E2eeRoomOptions, E2eeSession, RoomDevice } from './room-types.js';

export type { DecryptedMessage, E2eeEnv, E2eeRefusal, E2eeRoomEvents, E2eeRoomOptions, E2eeSession, RoomDevice } from './room-types.js';

const PLATFORM: E2eeEnv = { clock: () => Date.now(), timers: GLOBAL_TIMERS, random: randomBytes };

/** A device statement is about 200 bytes; nothing larger is read. */
const MAX_STATEMENT_SIZE = 1024;

interface Device extends RoomDevice {
  readonly ts: number;
}

interface Sending {
  readonly epoch: Uint8Array;
  readonly id: Uint8Array;
  readonly chain: Chain;
  /** The device set it was distributed to (`#devicesVersion`). */
  readonly version: number;
}

/**
 * An end-to-end encrypted room: the server relays and orders ciphertext it cannot read.
 * Create it with {@link encryptedRoom}.
 */
export class E2eeRoom<S extends E2eeSession = ClientSession> extends Emitter<E2eeRoomEvents> {
  readonly #devices = new Lru<Device>(MAX_DEVICES);
  #devicesVersion = 0;
  readonly #chains = new Lru<Chain>(MAX_CHAINS);
  readonly #seen = new Lru<true>(MAX_SEEN_CHAINS);
  readonly #held: HeldMessages;
  /** Key requests sent, per sender and chain: one each. @see [E2E-6.2] */
  readonly #requested = new Lru<true>(MAX_SEEN_CHAINS);
  #sending: Sending | undefined;
  /** Incoming posts are handled one at a time, in stream order (a distribution opens asynchronously). */
  #inbound: Promise<void> = Promise.resolve();
  #outbound: Promise<unknown> = Promise.resolve();
  #repostQueued = false;
  #closed = false;
  #off: () => void = () => {};
  readonly #kid: string;
  #session: S;

  private constructor(
    session: S,
    readonly room: string,
    readonly device: DeviceKey,
    holdMs: number,
    private readonly listen: boolean,
    private readonly env: E2eeEnv,
  ) {
    super();
    this.#session = session;
    this.#kid = toHex(session.signingKey().kid);
    this.#held = new HeldMessages(holdMs, env.timers, (h) =>
      this.#refuse(h.m, new ProtocolError('ERR_E2EE_NO_KEY', 'no key distribution for this message in time')),
    );
    this.#listen();
  }

  /** The client session this room posts through and reads. */
  get session(): S {
    return this.#session;
  }

  #listen(): void {
    this.#off();
    this.#off = this.listen
      ? this.#session.on('message', (m) => {
          if (m.room === this.room) this.receive(m);
        })
      : () => {};
  }

  /**
   * Moves the room to another session of the same key (after a reconnect: `stayConnected`'s
   * `session` event), keeping its keys. Joins the room in it unless it is joined already (a
   * resumed session), then posts the device statement again, so that the room's current members
   * (a fresh session may find a new epoch) seal their chains to this device.
   * @example
   * ```ts
   * client.on('session', ({ session }) => void room.useSession(session))
   * ```
   */
  async useSession(session: S): Promise<void> {
    if (!equalBytes(session.signingKey().kid, fromHex(this.#kid))) throw new RangeError('"session" signs with another key than this room\'s');
    this.#session = session;
    this.#listen();
    if (session.position(this.room) === undefined) await session.join(this.room);
    await this.publishDevice();
  }

  /** @internal use {@link encryptedRoom}; `env` is virtual in the conformance driver. */
  static async create<S extends E2eeSession>(session: S, room: string, options: E2eeRoomOptions, env: E2eeEnv = PLATFORM): Promise<E2eeRoom<S>> {
    const holdMs = options.holdMs ?? HOLD_MS;
    if (!Number.isSafeInteger(holdMs) || holdMs < 1 || holdMs > 60_000) throw new RangeError(`"holdMs" expected 1–60000, got ${String(holdMs)}`);
    const r = new E2eeRoom(session, room, options.device ?? (await generateDeviceKey()), holdMs, options.listen !== false, env);
    r.#setDevice({ identity: session.identity ?? '', keyId: r.#kid, x25519: r.device.publicKey, ts: 0 });
    if (options.join !== false) await session.join(room, { history: options.history === true });
    await r.publishDevice();
    return r;
  }

  /** The devices this member would seal its next chain to, itself included. */
  devices(): RoomDevice[] {
    return [...this.#devices.values()].map(({ identity, keyId, x25519 }) => ({ identity, keyId, x25519 }));
  }

  /** Posts this member's device statement (again). @see [E2E-2.1] */
  async publishDevice(): Promise<void> {
    const statement = await signDeviceStatement(this.session.signingKey(), this.device.publicKey, this.env.clock());
    await this.session.post(this.room, statement, { contentType: DEVICE_CONTENT_TYPE });
  }

  /**
   * Encrypts and posts `data`; first distributes a new chain when this member has none for the
   * room's epoch or the room's devices changed since. Resolves once the post was handed to the
   * session, with its seq on the session's data stream (the `delivered` event names it).
   * @throws {ProtocolError} `ERR_NOT_JOINED`, `ERR_SESSION_CLOSED`, `ERR_OUTBOX_FULL`
   * @see [E2E-4.2]
   */
  send(data: Uint8Array | string): Promise<number> {
    const plaintext = payloadBytes(data, 'data').slice();
    const run = this.#outbound.then(() => this.#send(plaintext));
    this.#outbound = run.catch(() => {});
    return run;
  }

  async #send(plaintext: Uint8Array): Promise<number> {
    if (this.#closed) throw new ProtocolError('ERR_SESSION_CLOSED', 'encrypted room closed');
    const at = this.session.position(this.room);
    if (at === undefined) throw new ProtocolError('ERR_NOT_JOINED', 'join the room before sending');
    let s = this.#sending;
    if (s === undefined || s.version !== this.#devicesVersion || !equalBytes(s.epoch, at.epoch)) s = await this.#rotate(at.epoch);
    const chain = s;
    return this.session.post(
      this.room,
      (where) => {
        // The epoch moved between the distribution and this post: members could not read it.
        if (!equalBytes(where.epoch, chain.epoch)) throw new ProtocolError('ERR_STALE_EPOCH', 'the room epoch changed: send again');
        const { index, key } = chain.chain.advance();
        const context = { room: this.room, epoch: where.epoch, author: this.session.signingKey().kid, stream: where.stream, seq: where.seq };
        return encryptMessage(chain.id, index, key, context, plaintext);
      },
      { contentType: MESSAGE_CONTENT_TYPE },
    );
  }

  /** A new chain, sealed to every device held now ([E2E-5.1]: the leaver is no longer held). @see [E2E-3.1] */
  async #rotate(epoch: Uint8Array): Promise<Sending> {
    const version = this.#devicesVersion;
    const id = this.env.random(CHAIN_ID_LENGTH);
    const chainKey = this.env.random(CHAIN_KEY_LENGTH);
    const recipients = [...this.#devices.values()].map((d) => ({ kid: fromHex(d.keyId), x25519: d.x25519 }));
    const sender = this.session.signingKey().kid;
    const payload = await sealDistribution({ room: this.room, epoch, sender, chain: id, chainKey }, recipients);
    await this.session.post(this.room, payload, { contentType: KEYS_CONTENT_TYPE });
    return (this.#sending = { epoch, id, chain: new Chain(chainKey), version });
  }

  /**
   * Handles one message of the session in this room. Called for every `message` event of the
   * session; exposed so that recorded messages can be replayed into a member (tests, tools).
   */
  receive(m: SessionMessage): void {
    this.#inbound = this.#inbound.then(() => this.#handle(m)).catch((err: unknown) => this.#refuse(m, err));
  }

  /** Waits until every message received so far was handled. */
  async settled(): Promise<void> {
    await this.#inbound;
  }

  async #handle(m: SessionMessage): Promise<void> {
    if (this.#closed) return;
    if (m.verified === 'server' && (m.action === 'join' || m.action === 'leave')) return this.#presence(m);
    if (m.verified !== 'author' || m.action !== 'send') throw new ProtocolError('ERR_E2EE_UNENCRYPTED', 'not an end-to-end encrypted post');
    switch (m.contentType) {
      case DEVICE_CONTENT_TYPE:
        return this.#deviceStatement(m);
      case KEYS_CONTENT_TYPE:
        return this.#distribution(m);
      case MESSAGE_CONTENT_TYPE:
        return this.#message(m, decodeMessage(m.payload));
      case REQUEST_CONTENT_TYPE:
        return this.#keyRequest(m);
      default:
        throw new ProtocolError('ERR_E2EE_UNENCRYPTED', 'not an end-to-end encrypted post');
    }
  }

  /** A member left or was removed: forget its devices, so the next send rotates. @see [E2E-5.1] */
  #presence(m: SessionMessage): void {
    if (m.action !== 'leave') return;
    let changed = false;
    for (const d of [...this.#devices.values()]) {
      if (d.identity === m.identity && d.keyId !== this.#kid) changed = this.#devices.delete(d.keyId) || changed;
    }
    if (changed) this.#changed();
    // Another session of our identity left: the others forgot our device with it, so tell them again.
    if (m.identity === this.#session.identity) this.publishDevice().catch(() => {});
  }

  /** Keeps one device key per kid, the newest ([E2E-2.2]). @see [E2E-2.1] */
  #deviceStatement(m: SessionMessage): void {
    const author = this.session.authorKey(this.room, m.keyId);
    if (author === undefined) throw new ProtocolError('ERR_UNKNOWN_KEY', 'no statement for this author');
    const s = verifyDeviceStatement(m.payload, author, MAX_STATEMENT_SIZE);
    const held = this.#devices.get(m.keyId);
    if (held !== undefined && (held.ts > s.ts || equalBytes(held.x25519, s.x25519))) return;
    this.#setDevice({ identity: m.identity, keyId: m.keyId, x25519: s.x25519, ts: s.ts });
    // A newcomer, or a member back with a fresh session (a new device key for its kid), learns the
    // current members' device keys from their statements, posted again.
    if (!this.#repostQueued) {
      this.#repostQueued = true;
      queueMicrotask(() => {
        this.#repostQueued = false;
        if (!this.#closed) this.publishDevice().catch(() => {});
      });
    }
  }

  #setDevice(d: Device): void {
    // Our own device is used by every chain we make: never the least recently used one forgotten.
    this.#devices.get(this.#kid);
    this.#devices.set(d.keyId, d);
    this.#changed();
  }

  #changed(): void {
    this.#devicesVersion++;
    this.emit('devices', this.devices());
  }

  /** @see [E2E-3.3] */
  async #distribution(m: SessionMessage): Promise<void> {
    const epoch = m.epoch ?? new Uint8Array(0);
    const opened = await openDistribution(m.payload, {
      room: this.room,
      epoch,
      sender: fromHex(m.keyId),
      me: fromHex(this.#kid),
      privateKey: this.device.privateKey,
      seen: (chain) => this.#seen.has(m.keyId + toHex(chain)),
    });
    const name = m.keyId + toHex(opened.chain);
    this.#seen.set(name, true);
    if (opened.chainKey === undefined) return;
    this.#chains.set(name, new Chain(opened.chainKey));
    // Messages that waited for this chain, in the order they arrived.
    for (const h of this.#held.take(m.keyId, opened.chain)) {
      try {
        this.#message(h.m, h.d);
      } catch (err) {
        this.#refuse(h.m, err);
      }
    }
  }

  /** A message without its chain is held ([E2E-6.1]). @see [E2E-4.3] */
  #message(m: SessionMessage, d: DecodedMessage): void {
    const chain = this.#chains.get(m.keyId + toHex(d.chain));
    if (chain === undefined) return this.#hold(m, d);
    const key = chain.take(d.index);
    const context = { room: this.room, epoch: m.epoch!, author: fromHex(m.keyId), stream: m.authorStream!, seq: m.seq };
    let payload: Uint8Array;
    try {
      payload = decryptMessage(d, key, context);
    } catch (err) {
      chain.restore(d.index, key);
      throw err;
    }
    this.emit('message', { room: this.room, identity: m.identity, keyId: m.keyId, offset: m.offset, seq: m.seq, ts: m.ts, payload });
  }

  /** Holds the message, and asks its sender once per chain to rotate. @see [E2E-6.2] */
  #hold(m: SessionMessage, d: DecodedMessage): void {
    this.#held.hold(m, d);
    const name = m.keyId + toHex(d.chain);
    if (this.#requested.has(name)) return;
    this.#requested.set(name, true);
    this.#session.post(this.room, encodeKeyRequest(fromHex(m.keyId), d.chain), { contentType: REQUEST_CONTENT_TYPE }).catch(() => {});
  }

  /** A member asks this sender for its key: the next message goes on a new chain. @see [E2E-6.2] */
  #keyRequest(m: SessionMessage): void {
    const r = decodeKeyRequest(m.payload);
    if (toHex(r.sender) === this.#kid && this.#devices.has(m.keyId)) this.#devicesVersion++;
  }

  #refuse(m: SessionMessage, err: unknown): void {
    const code: ErrorCode = err instanceof ProtocolError ? err.code : 'ERR_INTERNAL';
    this.emit('refused', { room: this.room, code, keyId: m.keyId, offset: m.offset });
  }

  /** Stops listening, reports nothing more and forgets every key. The session stays as it is. */
  close(): void {
    this.#closed = true;
    this.#off();
    this.#held.clear();
    this.#chains.clear();
    this.#sending = undefined;
  }

  override on<K extends keyof E2eeRoomEvents>(event: K, listener: Listener<E2eeRoomEvents[K]>): () => void {
    return super.on(event, listener);
  }
}

/**
 * Makes `room` end-to-end encrypted on this session: joins it (unless `join: false`), publishes a
 * device key and returns the room, which encrypts what it sends and decrypts what others send.
 * Every member must use it; plaintext posts in the room are refused with `ERR_E2EE_UNENCRYPTED`.
 * Wire format EXPERIMENTAL (spec/e2ee.md).
 * @example
 * ```ts
 * import { encryptedRoom } from 'sealwire/e2ee'
 * const room = await encryptedRoom(session, 'health')
 * room.on('message', (m) => console.log(m.identity, new TextDecoder().decode(m.payload)))
 * room.on('refused', (r) => console.warn(r.code)) // e.g. ERR_E2EE_NO_KEY
 * await room.send('only members can read this')
 * ```
 */
export function encryptedRoom(session: ClientSession, room: string, options: E2eeRoomOptions = {}): Promise<E2eeRoom> {
  return E2eeRoom.create(session, room, options);
}
