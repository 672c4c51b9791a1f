// `--live-client CMD` with a node set (spec/nodes.md §4): the client is told the live operator key
// and service, our test server presents a set signed by it and sends newer ones in the session.
import { signNodeSet, type SecureServer } from '../../src/index.js';
import { isNodeSetFrame } from '../../src/nodes/node-set.js';
import { isRoomFrame } from '../../src/rooms/frames.js';
import { sealRoom } from '../../src/rooms/seal.js';
import { KIND_ANNOUNCE, ROLE, ROOM_CONTENT_TYPE, decodeRoomEvent, roomAad } from '../../src/rooms/wire.js';
import { decodeEnvelope } from '../../src/wire/envelope.js';
import { expectEqual, type LiveCheck } from './check.js';
import { runClient, type ClientCtx } from './client-run.js';
import { LIVE_ROOM, LIVE_SERVICE, liveOperatorKey, liveOtherNodeKey, liveServerKey } from './keys.js';
import { liveNodeSet, liveSecureServer } from './our-server.js';

const serverNode = (): Uint8Array => liveServerKey().publicKey;
const otherNode = (): Uint8Array => liveOtherNodeKey().publicKey;

/** The text a single room frame of the server's own carries (`publish`), or undefined for any other frame. */
function roomText(frame: Uint8Array): string | undefined {
  if (!isRoomFrame(frame) || frame[0] === 0x82) return undefined; // 0x82: a bundle, not resealed
  try {
    const d = decodeEnvelope(frame);
    if (d.header.contentType !== ROOM_CONTENT_TYPE) return undefined;
    const body = decodeRoomEvent(d.payload).body;
    return body.kind === KIND_ANNOUNCE ? new TextDecoder().decode(body.data) : undefined;
  } catch {
    return undefined;
  }
}

/** The frame as the other node of the service would have relayed it: the same header and payload under its key. */
function byOtherNode(frame: Uint8Array): Uint8Array {
  const d = decodeEnvelope(frame);
  const h = d.header;
  return sealRoom(liveOtherNodeKey(), { contentType: ROOM_CONTENT_TYPE, stream: h.stream, seq: h.seq, ts: h.ts }, d.payload.slice(), roomAad(ROLE.event));
}

/** The first close code the server saw after `from` (ms), with its time. */
function firstClose(secure: SecureServer): { code?: number; at?: number } {
  const seen: { code?: number; at?: number } = {};
  secure.on('event', (e) => {
    if (e.type === 'close' && e.closeCode !== undefined && seen.code === undefined) Object.assign(seen, { code: e.closeCode, at: Date.now() });
  });
  return seen;
}

export const NODE_CLIENT_CHECKS: LiveCheck<ClientCtx>[] = [
  {
    name: 'a node set sent in the session is checked in order with the room frames before it, and one refused is reported with its code while the session goes on',
    covers: ['NODE-4.1'],
    async run(ctx) {
      const secure = liveSecureServer({ nodeSet: liveNodeSet(1, { nodes: [serverNode(), otherNode()] }) });
      // What went out after "hello", in order: the other node's frame, the newer set, the older set, "bye".
      const out: string[] = [];
      let once = false;
      let sent = false;
      const r = await runClient(ctx, secure, {
        operator: true,
        onHello(server, served) {
          if (once) return;
          once = true;
          // Room events go out a tick after they are published, one tick's events in one bundle:
          // each step waits until the frame before it went out.
          served.rewrite((frame) => {
            const text = roomText(frame);
            if (isNodeSetFrame(frame)) out.push('set');
            else if (text !== undefined) out.push(text);
            if (text !== 'x:one') return undefined;
            // Once: a client that refused "x:one" may ask for it again from history.
            if (!sent)
              setImmediate(() => {
                // Version 2 drops the other node: applied before "x:one" is checked, it would refuse it.
                server.presentNodeSet(liveNodeSet(2));
                // Version 1 again, signed anew (other bytes): ERR_REPLAY, and the session goes on.
                served.sendRaw(liveNodeSet(1, { nodes: [serverNode(), otherNode()], now: 1 }));
                server.publish(LIVE_ROOM, 'bye');
              });
            sent = true;
            return byOtherNode(frame);
          });
          // Sealed by the other node, which the held set (version 1) lists: valid when checked in order.
          // A tick after the relay of "hello", so it goes out alone, in the single form.
          setTimeout(() => server.publish(LIVE_ROOM, 'x:one'), 20);
        },
      });
      // A client that refused "x:one" asks for it again and again: the first frames say enough.
      expectEqual(out.length > 6 ? [...out.slice(0, 6), `and ${out.length - 6} more`] : out, ['x:one', 'set', 'set', 'bye'], 'what our server sent, in order');
      expectEqual(r.posts, [{ identity: 'alice', text: 'hello' }], 'posts the server verified');
      expectEqual(r.handshakes, ['accept'], 'handshakes');
      expectEqual(r.lines, ['x:one', 'refused ERR_REPLAY', 'bye'], "the client's output");
      expectEqual(r.code, 0, 'exit code');
    },
  },
  {
    name: 'a node set sent in the session that drops the node the client is on closes the session with 4021 ERR_KEY_REVOKED',
    covers: ['NODE-4.2'],
    async run(ctx) {
      const secure = liveSecureServer({ nodeSet: liveNodeSet(1) });
      const closed = firstClose(secure);
      const r = await runClient(ctx, secure, {
        operator: true,
        onHello(server, served) {
          // The operator's word, as another node would relay it: it cannot come from this node ([NODE-3.3]).
          served.sendRaw(liveNodeSet(2, { nodes: [otherNode()] }));
          server.publish(LIVE_ROOM, 'bye');
        },
      });
      expectEqual(closed.code, 4021, 'the close code of the session');
      expectEqual(
        r.handshakes.filter((o) => o === 'accept'),
        ['accept'],
        'handshakes the server accepted',
      );
      if (r.lines.includes('bye')) throw new Error('the client took "bye", sent after the set that dropped its node');
      if (r.code === 0) throw new Error('the client exited 0 although its only node was dropped');
    },
  },
  {
    name: "a session closes with 4022 ERR_KEY_EXPIRED when its node's entry in the held set expires",
    covers: ['NODE-4.2'],
    async run(ctx) {
      const secure = liveSecureServer({ nodeSet: liveNodeSet(1) });
      const closed = firstClose(secure);
      let expires = 0;
      const r = await runClient(ctx, secure, {
        operator: true,
        onHello(server) {
          if (expires !== 0) return;
          // Version 2 keeps the set an hour but ends this node's entry in 500 ms; no newer set follows.
          expires = Date.now() + 500;
          const nodes = [{ key: serverNode(), notAfter: expires }];
          server.presentNodeSet(signNodeSet(liveOperatorKey(), { service: LIVE_SERVICE, version: 2, notAfter: Date.now() + 3_600_000, nodes }));
        },
      });
      expectEqual(closed.code, 4022, 'the close code of the session');
      if (closed.at! < expires) throw new Error(`the session closed ${expires - closed.at!} ms before its node's entry expired`);
      if (r.code === 0) throw new Error('the client exited 0 without "bye"');
    },
  },
];
