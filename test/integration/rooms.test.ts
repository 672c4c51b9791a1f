// Rooms as signed streams on real sockets (spec/rooms.md), over ws and uWS: one sealed event for
// every member, authors verified by every member, and a compromised server (here: a proxy in front
// of one member that holds the server's key) able to withhold but not to alter or invent a message.
import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import WebSocket from 'ws';
import { KeyRing, SecureServer, generateKeyPair, importSigningKey, type SigningKey } from '../../src/index.js';
import { connect, type ConnectOptions, type WebSocketConstructor } from '../../src/adapters/ws/index.js';
import type { RoomNotice } from '../../src/rooms/member.js';
import type { JoinOptions } from '../../src/session/client-rooms.js';
import { OP_ROOM_ACK, encodeClientMessage } from '../../src/session/messages.js';
import { isRoomFrame } from '../../src/rooms/frames.js';
import { webCryptoVerify, type AsyncVerify } from '../../src/crypto/webcrypto.js';
import { VerifyPool } from '../../src/pool/index.js';
import type { PublicKey } from '../../src/index.js';
import { sealRoom } from '../../src/rooms/seal.js';
import {
  decodeRoomEvent,
  decodeStatement,
  encodeRoomEvent,
  encodeStatement,
  KEY_CONTENT_TYPE,
  KIND_POST,
  ROLE,
  ROOM_CONTENT_TYPE,
  roomAad,
} from '../../src/rooms/wire.js';
import { decodeEnvelope, encodeEnvelope } from '../../src/wire/envelope.js';
import { ADAPTERS, type RunningAdapter } from '../helpers/net-adapters.js';
import { serverKey, serverPublic } from '../helpers/server-fixture.js';

const text = new TextDecoder();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A client socket that records every frame it receives and lets a test rewrite them (a proxy). */
class ProxiedWebSocket extends WebSocket {
  static rewrite: ((frame: Uint8Array, socket: ProxiedWebSocket) => Uint8Array | undefined) | undefined;
  static last: ProxiedWebSocket | undefined;
  readonly received: Uint8Array[] = [];
  constructor(url: string, protocols?: string | string[], options?: WebSocket.ClientOptions) {
    super(url, protocols, options);
    ProxiedWebSocket.last = this;
  }
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'message' && args[1] === true) {
      // The client adapter asks for ArrayBuffers: hand back the same type.
      const frame = new Uint8Array(args[0] as ArrayBuffer).slice();
      this.received.push(frame);
      const out = ProxiedWebSocket.rewrite?.(frame, this) ?? frame;
      return super.emit(event, out.slice().buffer, true);
    }
    return super.emit(event, ...args);
  }
}

/** A single-form room frame's header and payload (these tests send one event per tick). */
function parts(frame: Uint8Array): { header: ReturnType<typeof decodeEnvelope>['header']; payload: Uint8Array } {
  const d = decodeEnvelope(frame);
  return { header: d.header, payload: d.payload };
}

/** Room event frames: single events, and bundles (first byte 0x82) of several. */
const roomEvents = (frames: readonly Uint8Array[]) =>
  frames.filter((f) => isRoomFrame(f) && (f[0] === 0x82 || parts(f).header.contentType === ROOM_CONTENT_TYPE));

const running: RunningAdapter[] = [];
afterEach(async () => {
  ProxiedWebSocket.rewrite = undefined;
  for (const r of running.splice(0)) await r.close();
});

async function waitFor(p: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!p()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(2);
  }
}

for (const factory of ADAPTERS) {
  describe(`room streams over ${factory.name}`, () => {
    async function setup(rooms: { historyCount?: number } = {}) {
      const keys = new KeyRing();
      const clientKeys = new Map<string, SigningKey>();
      for (const id of ['alice', 'bob', 'carol', 'mallory']) {
        const k = importSigningKey(generateKeyPair().secretKey);
        keys.add(k.publicKey, { identity: id });
        clientKeys.set(id, k);
      }
      const server = new SecureServer({ key: serverKey, keys, authorize: () => true, rooms: { positionMs: 100, ...rooms } });
      const adapter = await factory.start(server, {});
      running.push(adapter);
      const join = async (id: string, room = 'lobby', joinOptions: JoinOptions = {}, extra: Partial<ConnectOptions> = {}) => {
        const options = { WebSocket: ProxiedWebSocket as unknown as WebSocketConstructor, key: clientKeys.get(id)!, serverKey: serverPublic, ...extra } as ConnectOptions;
        const client = await connect(adapter.url, options);
        const socket = ProxiedWebSocket.last!;
        const got: { from: string; text: string; offset: number | undefined; verified: string | undefined }[] = [];
        const notices: RoomNotice[] = [];
        client.on('message', (m) => got.push({ from: m.identity, text: text.decode(m.payload), offset: m.offset, verified: m.verified }));
        client.on('room', (n) => notices.push(n));
        await client.join(room, joinOptions);
        return { client, socket, got, notices };
      };
      return { server, keys, clientKeys, join, adapter };
    }

    // [ROOM-2.3], [ROOM-3.1], [ROOM-4.3], [ROOM-8]
    it('every member receives the identical bytes, and verifies the author of each message', async () => {
      const { server, join } = await setup();
      const [alice, bob, carol] = [await join('alice'), await join('bob'), await join('carol')];
      alice.client.send('lobby', 'hello from alice');
      await waitFor(() => bob.got.length === 1, "alice's message");
      server.publish('lobby', 'an announcement');
      await waitFor(() => bob.got.length === 2 && carol.got.length === 2, 'both members got both events');
      expect(bob.got[0]).toEqual({ from: 'alice', text: 'hello from alice', offset: 0, verified: 'author' });
      expect(bob.got[1]).toMatchObject({ text: 'an announcement', offset: 1, verified: 'server' });
      const framesOf = (m: { socket: ProxiedWebSocket }) => roomEvents(m.socket.received).map((f) => Buffer.from(f).toString('hex'));
      expect(framesOf(bob)).toEqual(framesOf(carol));
      expect(framesOf(alice)).toEqual(framesOf(bob));
      expect(framesOf(bob)).toHaveLength(2);
      expect(carol.notices.filter((n) => n.type === 'refused')).toEqual([]);
    });

    // [ROOM-1.3], [ROOM-4.2], [ROOM-8]: the server's key can re-sign anything; the author's cannot be forged
    it("a server that rewrites an author's words: every member refuses that event with ERR_BAD_SIGNATURE, and reads on", async () => {
      const { join } = await setup();
      // carol verifies as a browser does, with the platform's WebCrypto ahead of her checks.
      const webcrypto = (await webCryptoVerify())!;
      let asked = 0;
      const roomVerify: AsyncVerify = (key, message, signature) => (asked++, webcrypto(key, message, signature));
      const [alice, bob, carol] = [await join('alice'), await join('bob'), await join('carol', 'lobby', {}, { roomVerify })];
      expect(carol.client.roomVerification).toBe('custom');
      // The compromised server rewrites alice's post and signs the room event again with its own key.
      ProxiedWebSocket.rewrite = (frame) => {
        if (!isRoomFrame(frame) || frame[0] === 0x82) return undefined;
        const { header, payload } = parts(frame);
        if (header.contentType !== ROOM_CONTENT_TYPE) return undefined;
        const event = decodeRoomEvent(payload);
        if (event.body.kind !== KIND_POST) return undefined;
        const post = decodeEnvelope(event.body.post);
        if (text.decode(post.payload) !== 'pay bob 10') return undefined;
        const forged = encodeEnvelope(post.protectedBytes, new TextEncoder().encode('pay mallory 10000'), post.signature);
        const body = encodeRoomEvent({ room: event.room, body: { kind: KIND_POST, post: forged } });
        return sealRoom(serverKey, { contentType: ROOM_CONTENT_TYPE, stream: header.stream, seq: header.seq, ts: header.ts }, body, roomAad(ROLE.event));
      };
      alice.client.send('lobby', 'pay bob 10');
      for (const m of [bob, carol]) await waitFor(() => m.notices.some((n) => n.type === 'refused'), 'the refusal');
      alice.client.send('lobby', 'and thanks');
      for (const m of [bob, carol]) {
        await waitFor(() => m.got.length === 1, 'the next message');
        expect(m.got.map((g) => g.text)).toEqual(['and thanks']);
        expect(m.notices).toContainEqual({ type: 'refused', room: 'lobby', code: 'ERR_BAD_SIGNATURE', offset: 0 });
        expect(m.client.state).toBe('open');
      }
      // Two events and a statement: the server's three signatures and alice's two, all asked ahead.
      expect(asked).toBe(5);
    });

    // [ROOM-4.1], [ROOM-1.3]: a statement altered in transit, or naming a key that is not its kid's
    it('a member that verifies a burst on a pool of worker threads gets every post once, in order, each verified', async () => {
      const { join } = await setup();
      const pool = new VerifyPool({ threads: 2 });
      try {
        let asked = 0;
        const counted = { verify: (k: PublicKey, m: Uint8Array, s: Uint8Array) => (asked++, pool.verify(k, m, s)) };
        const [alice, bob] = [await join('alice'), await join('bob', 'lobby', {}, { roomVerify: counted })];
        const sent = Array.from({ length: 60 }, (_, i) => `burst ${i}`);
        for (const t of sent) alice.client.send('lobby', t);
        await waitFor(() => bob.got.length === sent.length, 'the burst');
        expect(bob.got.map((g) => g.text)).toEqual(sent);
        expect(bob.got.map((g) => g.offset)).toEqual(sent.map((_, i) => i));
        expect(bob.got.every((g) => g.verified === 'author')).toBe(true);
        expect(bob.notices.filter((n) => n.type === 'refused')).toEqual([]);
        expect(asked).toBeGreaterThan(sent.length); // every author signature, and the server's
      } finally {
        await pool.close();
      }
    });

    // [ROOM-6.8]
    it('a member acknowledges the stream now and then with a signed RoomAck, never per event; the server checks each', async () => {
      const { server, join, clientKeys, adapter } = await setup();
      const acks: { identity: string; room: string; next: number; hash: string; seq: number }[] = [];
      server.on('roomAck', (a) => acks.push({ identity: a.identity, room: a.room, next: a.next, hash: Buffer.from(a.hash).toString('hex'), seq: a.seq }));
      const [alice, bob] = [await join('alice'), await join('bob', 'lobby', {}, { roomAcks: true })];
      const frames: Uint8Array[] = [];
      bob.client.on('evidence', (e) => e.binding.length === 0 && frames.push(e.envelope));
      for (let i = 0; i < 5; i++) alice.client.send('lobby', `m${i}`);
      await waitFor(() => bob.got.length === 5, 'five');
      await waitFor(() => acks.length === 1, 'an acknowledgement at the next check');
      await sleep(350); // three more checks (100 ms): nothing new, so no new RoomAck
      expect(acks).toHaveLength(1);
      // A resume rejoins with a check Position ([ROOM-6.6]): bob stands where he acknowledged, so
      // the resumed session acknowledges nothing again.
      bob.socket.terminate();
      await bob.client.closed;
      const options = { WebSocket: ProxiedWebSocket as unknown as WebSocketConstructor, key: clientKeys.get('bob')!, serverKey: serverPublic, roomAcks: true, resumeFrom: bob.client };
      const resumed = await connect(adapter.url, options as ConnectOptions);
      await sleep(250);
      expect(acks).toHaveLength(1);
      bob.client = resumed;
      const last = frames[frames.length - 1]!;
      expect(acks[0]).toMatchObject({ identity: 'bob', room: 'lobby', next: 5, hash: createHash('sha256').update(last).digest('hex') });
      alice.client.send('lobby', 'm5');
      await waitFor(() => acks.length === 2, 'the next one, once the stream moved');
      expect(acks[1]!.next).toBe(6);
      // What the server refuses, each with a Result; the session stays open.
      const epoch = bob.client.position('lobby')!.epoch;
      const refusals: string[] = [];
      bob.client.on('refused', (r) => refusals.push(r.code));
      const send = (m: Parameters<typeof encodeClientMessage>[0]) => (bob.client as unknown as { sendPayload(p: Uint8Array): void }).sendPayload(encodeClientMessage(m));
      const hash = new Uint8Array(32);
      send({ op: OP_ROOM_ACK, room: 'lobby', epoch, next: 7, hash });
      send({ op: OP_ROOM_ACK, room: 'lobby', epoch, next: 0, hash });
      send({ op: OP_ROOM_ACK, room: 'lobby', epoch: new Uint8Array(16), next: 1, hash });
      send({ op: OP_ROOM_ACK, room: 'elsewhere', epoch, next: 1, hash });
      await waitFor(() => refusals.length === 4, 'four refusals');
      expect(refusals).toEqual(['ERR_ACK_RANGE', 'ERR_ACK_RANGE', 'ERR_STALE_EPOCH', 'ERR_NOT_JOINED']);
      expect(acks).toHaveLength(2);
      expect(bob.client.state).toBe('open');
    });

    it('a tampered key statement is refused (ERR_BAD_SIGNATURE, ERR_BAD_KEY), and the posts it would vouch for are refused with ERR_UNKNOWN_KEY', async () => {
      const { clientKeys, join } = await setup();
      const [alice, bob, carol] = [await join('alice'), await join('bob'), await join('carol')];
      const mallory = clientKeys.get('mallory')!;
      ProxiedWebSocket.rewrite = (frame, socket) => {
        if (!isRoomFrame(frame) || frame[0] === 0x82) return undefined;
        const d = decodeEnvelope(frame);
        if (d.header.contentType !== KEY_CONTENT_TYPE) return undefined;
        if (socket === bob.socket) {
          const bad = frame.slice();
          bad[bad.length - 70]! ^= 1; // inside the payload: the server's signature no longer verifies
          return bad;
        }
        // carol's copy names mallory's key under alice's kid, signed by the server's key.
        const s = decodeStatement(d.payload);
        const payload = encodeStatement({ ...s, key: mallory.publicKey });
        return sealRoom(
          serverKey,
          { contentType: KEY_CONTENT_TYPE, stream: d.header.stream, seq: d.header.seq, ts: d.header.ts },
          payload,
          roomAad(ROLE.statement),
        );
      };
      alice.client.send('lobby', 'hello');
      for (const [m, code] of [
        [bob, 'ERR_BAD_SIGNATURE'],
        [carol, 'ERR_BAD_KEY'],
      ] as const) {
        await waitFor(() => m.notices.filter((n) => n.type === 'refused').length === 2, 'two refusals');
        expect(m.notices.filter((n) => n.type === 'refused').map((n) => (n as { code: string }).code)).toEqual([code, 'ERR_UNKNOWN_KEY']);
        expect(m.got).toEqual([]);
      }
    });

    // [ROOM-1.1], [ROOM-2.1], [ROOM-6.1], [ROOM-6.4], [HS-6.8]: an event replayed into another room, another epoch, a session
    it('an event replayed into another room, another epoch or a session stream is refused with its code', async () => {
      const first = await setup();
      const alice = await first.join('alice', 'a');
      const bob = await first.join('bob', 'b');
      alice.client.send('a', 'in room a');
      await waitFor(() => roomEvents(alice.socket.received).length === 1, "alice's echo");
      const fromA = roomEvents(alice.socket.received)[0]!;
      // Into bob's stream of room b: the event names room a.
      bob.client.receive(fromA);
      expect(bob.notices).toContainEqual({ type: 'refused', room: 'a', code: 'ERR_NOT_JOINED' });
      // Another epoch of room a (another server signing with the same key): the old event is refused.
      const second = await setup();
      const other = await second.join('carol', 'a');
      other.client.receive(fromA);
      expect(other.notices).toContainEqual({ type: 'refused', room: 'a', code: 'ERR_WRONG_STREAM', offset: 0 });
      // alice's author envelope sent to the server as a session envelope: not her data stream.
      const authorEnvelope = (decodeRoomEvent(parts(fromA).payload).body as { post: Uint8Array }).post;
      alice.socket.send(authorEnvelope);
      expect((await alice.client.closed).error?.code).toBe('ERR_WRONG_STREAM');
    });

    // [ROOM-6.3], [ROOM-6.4]: exactly once, in order, within history; "lost" past it
    it('a member that reconnects recovers what it missed exactly once, in order; past history it is told so', async () => {
      const { join } = await setup({ historyCount: 8 });
      const alice = await join('alice');
      const bob = await join('bob');
      alice.client.send('lobby', 'm0');
      await waitFor(() => bob.got.length === 1, 'm0');
      const at = bob.client.position('lobby')!;
      bob.client.close();
      for (let i = 1; i <= 5; i++) alice.client.send('lobby', `m${i}`);
      await sleep(30);
      // A fresh session names where the last one stood.
      const again = await join('bob', 'lobby', { from: at });
      await waitFor(() => again.got.length === 5, `recovered ${again.got.length}`);
      expect(again.got.map((g) => g.text)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
      expect(again.notices).toContainEqual({ type: 'position', room: 'lobby', status: 'recovered', count: 5, next: 6 });
      const stood = again.client.position('lobby')!;
      again.client.close();
      // One event per tick, each its own frame, so that history's count cap falls between them.
      for (let i = 6; i <= 20; i++) {
        alice.client.send('lobby', `m${i}`);
        await waitFor(() => alice.client.position('lobby')!.next === i + 1, `m${i} in the stream`);
      }
      await sleep(30);
      const late = await join('bob', 'lobby', { from: stood });
      await waitFor(() => late.got.length === 8, `history ${late.got.length}`);
      // History holds the last 8; the member is told that some are missing.
      expect(late.got.map((g) => g.text)).toEqual(Array.from({ length: 8 }, (_, i) => `m${13 + i}`));
      expect(late.notices).toContainEqual({ type: 'position', room: 'lobby', status: 'lost', count: 8, next: 21 });
    });

    // [POL-6.1], [ROOM-3.3]: revocation ends the author's sessions; nothing it sends later reaches anyone
    it("a revoked author's later messages are refused", async () => {
      const { server, clientKeys, join } = await setup();
      const alice = await join('alice');
      const bob = await join('bob');
      alice.client.send('lobby', 'before');
      await waitFor(() => bob.got.length === 1, 'before');
      server.keys.revokeKey(clientKeys.get('alice')!.kid);
      expect((await alice.client.closed).error?.code).toBe('ERR_KEY_REVOKED');
      expect(() => alice.client.send('lobby', 'after')).toThrow();
      await expect(join('alice')).rejects.toMatchObject({ code: 'ERR_KEY_REVOKED' });
      await sleep(30);
      expect(bob.got.map((g) => g.text)).toEqual(['before']);
    });
  });
}
