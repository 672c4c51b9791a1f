// The checks our test client runs against a server under test (`--live-server URL`). Each one
// opens its own sessions and names the MUST ids it covers.
import { expectEqual, type LiveCheck } from './check.js';
import { toHex } from '../../src/bytes.js';
import { LIVE_ROOM, liveClientKey } from './keys.js';
import { closeCodeAfter, openPeer, until, type Peer, type ServerCtx } from './peer.js';
import { OP_ROOM_ACK, encodeClientMessage } from '../../src/session/messages.js';

const done = async (...peers: { session: { close(): void } }[]) => peers.forEach((p) => p.session.close());

/** The first data envelope a peer sent after the handshake (its sealed post). */
function lastSent(peer: { socket: { sent: Uint8Array[] } }): Uint8Array {
  const frame = peer.socket.sent.at(-1);
  if (!frame) throw new Error('the client sent nothing');
  return frame;
}

/** Sends a RoomAck in the peer's session, as a member would ([ROOM-6.8]). */
function sendAck(peer: Peer, room: string, epoch: Uint8Array, next: number): void {
  const payload = encodeClientMessage({ op: OP_ROOM_ACK, room, epoch, next, hash: new Uint8Array(32) });
  (peer.session as unknown as { sendPayload(p: Uint8Array): void }).sendPayload(payload);
}

export const SERVER_CHECKS: LiveCheck<ServerCtx>[] = [
  {
    name: 'a RoomAck is checked: past the head ERR_ACK_RANGE, another epoch ERR_STALE_EPOCH, a room not joined ERR_NOT_JOINED, each a Result; a valid one gets none',
    covers: ['ROOM-6.8'],
    async run(ctx) {
      const [alice, bob] = [await openPeer(ctx, 'alice'), await openPeer(ctx, 'bob')];
      alice.session.send(LIVE_ROOM, 'to acknowledge');
      await until(() => bob.got.length === 1, 'the post at bob');
      const at = bob.session.position(LIVE_ROOM);
      if (at === undefined) throw new Error('bob has no position in the room');
      const refused: string[] = [];
      bob.session.on('refused', (r) => refused.push(r.code));
      sendAck(bob, LIVE_ROOM, at.epoch, at.next);
      sendAck(bob, LIVE_ROOM, at.epoch, at.next + 1);
      sendAck(bob, LIVE_ROOM, new Uint8Array(16).fill(0xee), at.next);
      sendAck(bob, 'live-room-not-joined', at.epoch, 1);
      await until(() => refused.length >= 3, 'three refusals');
      await new Promise((r) => setTimeout(r, 50));
      expectEqual(refused, ['ERR_ACK_RANGE', 'ERR_STALE_EPOCH', 'ERR_NOT_JOINED'], 'Results, in order (the valid RoomAck got none)');
      expectEqual(bob.session.state, 'open', "bob's session");
      await done(alice, bob);
    },
  },
  {
    name: 'a post reaches the other member, from the verified author, in order',
    covers: ['HS-8.3', 'HS-8.4', 'ROOM-1.1', 'RPL-5.5'],
    async run(ctx) {
      const [alice, bob] = [await openPeer(ctx, 'alice'), await openPeer(ctx, 'bob')];
      for (let i = 0; i < 5; i++) alice.session.send(LIVE_ROOM, `m${i}`);
      await until(() => bob.got.length >= 5, "alice's five posts at bob");
      expectEqual(
        bob.got,
        [0, 1, 2, 3, 4].map((i) => ({ from: 'alice', text: `m${i}` })),
        "bob's deliveries",
      );
      await done(alice, bob);
    },
  },
  {
    name: 'a frame one byte over max_message_size (65536) closes with 1009',
    covers: ['POL-4.1'],
    async run(ctx) {
      const alice = await openPeer(ctx, 'alice');
      expectEqual(await closeCodeAfter(alice, new Uint8Array(65_536 + 1)), 1009, 'close code');
    },
  },
  {
    name: 'a truncated envelope in the data phase closes with 4001 ERR_TRUNCATED',
    covers: ['ERR-1.5', 'ERR-1.6'],
    async run(ctx) {
      const alice = await openPeer(ctx, 'alice');
      expectEqual(await closeCodeAfter(alice, new Uint8Array([0xd2, 0x84, 0x43])), 4001, 'close code');
    },
  },
  {
    name: 'a replayed data envelope is refused and not delivered again',
    covers: ['RPL-5.3'],
    async run(ctx) {
      const [alice, bob] = [await openPeer(ctx, 'alice'), await openPeer(ctx, 'bob')];
      alice.session.send(LIVE_ROOM, 'once');
      await until(() => bob.got.length === 1, 'the first delivery');
      const code = await closeCodeAfter(alice, lastSent(alice));
      expectEqual(code, 4030, 'close code');
      await new Promise((r) => setTimeout(r, 50));
      expectEqual(bob.got.length, 1, 'deliveries at bob');
      await done(bob);
    },
  },
  {
    name: 'an envelope with a broken signature closes with 4025 ERR_BAD_SIGNATURE, a reason without its bytes, and is not delivered',
    covers: ['ERR-1.6', 'ERR-1.4'],
    async run(ctx) {
      const [alice, bob] = [await openPeer(ctx, 'alice'), await openPeer(ctx, 'bob')];
      alice.session.send(LIVE_ROOM, 'first');
      await until(() => bob.got.length === 1, 'the first delivery');
      let signature = '';
      alice.socket.tamperNext = (frame) => {
        frame[frame.length - 1]! ^= 1; // the signature is the envelope's last member
        signature = toHex(frame.subarray(frame.length - 64));
        return frame;
      };
      alice.session.send(LIVE_ROOM, 'second-secret-words');
      const code = await alice.socket.closed;
      expectEqual(code, 4025, 'close code');
      // [ERR-1.4]: what goes on the wire about the failure names no payload and no signature bytes.
      const reason = alice.socket.closeReason.toLowerCase();
      for (const leak of ['second-secret-words', signature, signature.slice(0, 16), toHex(liveClientKey('alice').publicKey).slice(0, 16)]) {
        if (reason.includes(leak)) throw new Error(`the close reason "${alice.socket.closeReason}" contains ${leak}`);
      }
      expectEqual(bob.got.length, 1, 'deliveries at bob');
      await done(bob);
    },
  },
];
