// The driver's encrypted-room member ops (conformance/README.md, spec/e2ee.md §2–§6): one E2eeRoom,
// the very class an application uses, on a recorded session port and a virtual clock. A vector feeds
// it posts and room notices and reads what it outputs: plaintexts, refusals, and the posts it would
// publish, named by kind so that any implementation's random chain ids and HPKE seals compare equal.
import { createHash } from 'node:crypto';
import { equalBytes, toHex } from '../../src/bytes.js';
import type { PublicKey } from '../../src/keys/keys.js';
import { importPublicKey, importSigningKey } from '../../src/keys/keys.js';
import type { SessionMessage } from '../../src/session/events.js';
import type { PostBuilder } from '../../src/session/client-rooms.js';
import { E2eeRoom, type E2eeEnv, type E2eeSession } from '../../src/e2ee/room.js';
import { generateDeviceKey } from '../../src/e2ee/device.js';
import { decodeDistribution, decodeKeyRequest } from '../../src/e2ee/distribution.js';
import { decodeMessage } from '../../src/e2ee/encrypt0.js';
import { DEVICE_CONTENT_TYPE, KEYS_CONTENT_TYPE, MESSAGE_CONTENT_TYPE, REQUEST_CONTENT_TYPE } from '../../src/e2ee/suite.js';
import { RequestError, hex, optHex, optObject, optString, optUint, string, uint, type Answer, type Json, type Request } from './fields.js';
import { VirtualTime } from './virtual-time.js';

/** Deterministic draws: SHA-256 of the reset's seed and a counter, so a run's chains repeat. */
function seeded(seed: Uint8Array): (length: number) => Uint8Array {
  let counter = 0;
  return (length) => {
    const out = new Uint8Array(length);
    for (let at = 0; at < length; at += 32) {
      const block = createHash('sha256').update(seed).update(String(counter++)).digest();
      out.set(block.subarray(0, Math.min(32, length - at)), at);
    }
    return out;
  };
}

interface Member {
  /** Set once created: the room posts its device statement while it is made. */
  room: E2eeRoom<E2eeSession> | undefined;
  readonly time: VirtualTime;
  readonly name: string;
  readonly epoch: Uint8Array;
  readonly stream: Uint8Array;
  readonly keys: Map<string, PublicKey>;
  /** Our chain ids in order of distribution: a vector names them 1, 2, … */
  readonly chains: Uint8Array[];
  events: Json[];
  posts: Json[];
  seq: number;
}

export class E2eeMemberOps {
  #m: Member | undefined;

  /** `e2ee.member.reset`: a member of `room` in `epoch`, joined, with its device key posted. */
  async reset(req: Request): Promise<Answer> {
    this.#m?.room?.close();
    const name = string(req, 'room');
    const epoch = hex(req, 'epoch', 16);
    const signing = importSigningKey(hex(req, 'seed', 32));
    const identity = string(req, 'identity');
    const time = new VirtualTime(uint(req, 'now'));
    const random = seeded(hex(req, 'seed', 32));
    const env: E2eeEnv = { clock: time.now, timers: time.timers, random };
    const device = await generateDeviceKey(hex(req, 'deviceSeed', 32));
    const keys = new Map<string, PublicKey>([[toHex(signing.kid), importPublicKey(signing.publicKey)]]);
    const m: Member = { room: undefined, time, name, epoch, stream: random(16), keys, chains: [], events: [], posts: [], seq: 0 };
    const port: E2eeSession = {
      identity,
      signingKey: () => signing,
      position: (room) => (room === name ? { epoch, next: 0 } : undefined),
      post: (_room, data, options) => Promise.resolve(this.#record(m, data, options?.contentType)),
      authorKey: (_room, kid) => keys.get(kid),
      join: () => Promise.resolve(),
      on: () => () => {},
    } as E2eeSession;
    const holdMs = optUint(req, 'holdMs');
    const room = await E2eeRoom.create(port, name, { device, join: false, listen: false, ...(holdMs === undefined ? {} : { holdMs }) }, env);
    m.room = room;
    this.#m = m;
    room.on('message', (d) => void m.events.push({ message: { keyId: d.keyId, offset: d.offset ?? null, plaintext: toHex(d.payload) } }));
    room.on('refused', (r) => void m.events.push({ refused: { code: r.code, keyId: r.keyId, offset: r.offset ?? null } }));
    return this.#answer(m);
  }

  /** `e2ee.member.receive`: moves the clock to `now` (expiring holds), then hands the member `post`, if any. */
  async receive(req: Request): Promise<Answer> {
    const m = this.#need();
    await this.#advance(m, uint(req, 'now'));
    const p = optObject(req, 'post');
    if (p !== undefined) {
      m.room!.receive(this.#message(m, p));
      await this.#settle(m);
    }
    return this.#answer(m);
  }

  /** `e2ee.member.send`: at `now`, the posts the member publishes to send `plaintext`. */
  async send(req: Request): Promise<Answer> {
    const m = this.#need();
    await this.#advance(m, uint(req, 'now'));
    await m.room!.send(hex(req, 'plaintext'));
    await this.#settle(m);
    return this.#answer(m);
  }

  #need(): Member {
    if (this.#m === undefined) throw new RequestError('e2ee.member.reset first');
    return this.#m;
  }

  async #advance(m: Member, now: number): Promise<void> {
    if (now < m.time.now()) throw new RequestError('"now" went backwards');
    await m.time.advance(now - m.time.now(), () => this.#settle(m));
  }

  /** Lets the member finish: its queue of posts, then what it posts in reaction (device statement, request). */
  async #settle(m: Member): Promise<void> {
    for (let i = 0; i < 3; i++) {
      await m.room?.settled();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  #message(m: Member, p: Request): SessionMessage {
    const kind = optString(p, 'kind') ?? 'post';
    const identity = string(p, 'identity');
    const base = { identity, roles: [], room: m.name, seq: optUint(p, 'seq') ?? 0, ts: m.time.now(), offset: uint(p, 'offset') };
    if (kind === 'join' || kind === 'leave') return { ...base, keyId: '', action: kind, payload: new Uint8Array(0), verified: 'server' };
    if (kind !== 'post' && kind !== 'relay') throw new RequestError('"kind" expected post, relay, join or leave');
    const author = toHex(hex(p, 'author'));
    const authorKey = optHex(p, 'authorKey');
    if (authorKey !== undefined) m.keys.set(author, importPublicKey(authorKey));
    const payload = hex(p, 'payload');
    // A relay is a Send the server names the author of ([ROOM-2.4]): a content type it claims proves nothing.
    if (kind === 'relay') {
      const contentType = optString(p, 'contentType');
      return { ...base, keyId: author, action: 'send', payload, verified: 'server', ...(contentType === undefined ? {} : { contentType }) };
    }
    return {
      ...base,
      keyId: author,
      action: 'send',
      payload,
      verified: 'author',
      contentType: string(p, 'contentType'),
      authorStream: hex(p, 'stream', 16),
      epoch: m.epoch,
    };
  }

  #record(m: Member, data: Uint8Array | string | PostBuilder, contentType: unknown): number {
    const seq = m.seq++;
    const bytes =
      typeof data === 'function' ? data({ epoch: m.epoch, stream: m.stream, seq }) : typeof data === 'string' ? new TextEncoder().encode(data) : data;
    if (contentType === DEVICE_CONTENT_TYPE) m.posts.push({ device: {} });
    else if (contentType === KEYS_CONTENT_TYPE) {
      const d = decodeDistribution(bytes);
      m.chains.push(d.chain);
      m.posts.push({ keys: { chain: m.chains.length, copies: d.copies.map((c) => toHex(c.recipient)).sort() } });
    } else if (contentType === REQUEST_CONTENT_TYPE) {
      const r = decodeKeyRequest(bytes);
      m.posts.push({ request: { sender: toHex(r.sender), chain: toHex(r.chain) } });
    } else if (contentType === MESSAGE_CONTENT_TYPE) {
      const d = decodeMessage(bytes);
      m.posts.push({ message: { chain: m.chains.findIndex((c) => equalBytes(c, d.chain)) + 1, index: d.index } });
    } else throw new Error(`the member posted content type ${String(contentType)}`);
    return seq;
  }

  /** What the member output since the last op, and the device keys it would seal its next chain to. */
  #answer(m: Member): Answer {
    const devices = m
      .room!.devices()
      .map((d) => ({ identity: d.identity, kid: d.keyId, x25519: toHex(d.x25519) }))
      .sort((a, b) => (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0));
    const out: Answer = { ok: true, events: m.events, posts: m.posts, devices };
    m.events = [];
    m.posts = [];
    return out;
  }
}
