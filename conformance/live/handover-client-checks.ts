// `--live-client CMD` and a handover (spec/handshake.md §7.1): what a client sees when another node
// took its session over. Our test server sends the client a Deliver ("x:first"), cuts the
// connection once the client acknowledged it, and accepts the resume; from its Welcome on it plays
// the node that took the session over: the honest session sends and hears nothing more, and the
// check seals data envelopes of its own with the server key for the resumed session, on a new
// stream or the earlier one, some carrying a Resent of the earlier stream.
import type { WebSocket } from 'ws';
import type { SecureServer } from '../../src/index.js';
import { randomBytes } from '../../src/bytes.js';
import { seal } from '../../src/envelope/seal.js';
import { decodeEnvelope } from '../../src/wire/envelope.js';
import { decodeWelcome } from '../../src/session/handshake.js';
import { DIRECTION_SERVER_TO_CLIENT, binding } from '../../src/session/transport.js';
import {
  MESSAGE_CONTENT_TYPE,
  OP_DELIVER,
  OP_RESENT,
  OP_SEND,
  decodeServerMessage,
  encodeClientMessage,
  encodeServerMessage,
} from '../../src/session/messages.js';
import { expectEqual, type LiveCheck } from './check.js';
import { runClient, type ClientCtx, type ClientRun } from './client-run.js';
import { LIVE_ROOM, liveOtherNodeKey, liveServerKey } from './keys.js';
import { memoryResume } from './memory-resume.js';
import { liveNodeSet, liveSecureServer } from './our-server.js';

/** The server data stream of the session before the cut, as the client was left holding it. */
interface Earlier {
  readonly stream: Uint8Array;
  /** The seq of "x:first", which the client acknowledged. */
  readonly received: number;
  /** A seq the stream never sent: the client cannot hold it. */
  readonly unsent: number;
}

interface Takeover {
  readonly earlier: Earlier;
  /** Sends `payload` sealed as `seq` of server data stream `stream` in the resumed session. */
  send(stream: Uint8Array, seq: number, payload: Uint8Array): void;
}

interface HandoverRun extends ClientRun {
  /** The close code of the resumed session's connection (the client's close frame), if it closed. */
  takeoverClose: number | undefined;
}

const kid = (): Uint8Array => liveServerKey().kid;

function deliver(text: string): Uint8Array {
  const data = new TextEncoder().encode(text);
  return encodeServerMessage({
    op: OP_DELIVER,
    action: 'send',
    room: LIVE_ROOM,
    from: 'server',
    fromRoles: [],
    fromKid: kid(),
    fromSeq: 0,
    fromTs: Date.now(),
    data,
  });
}

function resent(stream: Uint8Array, seq: number, message: Uint8Array): Uint8Array {
  return encodeServerMessage({ op: OP_RESENT, kid: kid(), stream, seq, message });
}

/** The stream, seq and payload of a server data envelope; undefined for anything else. */
function dataEnvelope(frame: Uint8Array): { stream: Uint8Array; seq: number; payload: Uint8Array } | undefined {
  try {
    const { header, payload } = decodeEnvelope(frame);
    return header.contentType === MESSAGE_CONTENT_TYPE ? { stream: header.stream, seq: header.seq, payload } : undefined;
  } catch {
    return undefined; // a handshake message or a room bundle
  }
}

function isFirst(payload: Uint8Array): boolean {
  try {
    const m = decodeServerMessage(payload);
    return m.op === OP_DELIVER && new TextDecoder().decode(m.data) === 'x:first';
  } catch {
    return false;
  }
}

/**
 * Runs the client through a cut and a resume whose data phase `script` plays; `'honest'` lets the
 * server that accepted the resume play it, and send "bye" in the session. With `otherNode`, the
 * client trusts a node set listing both live nodes, and the resume goes to the other node, which
 * takes the state over from the store the two share (a Welcome signed by another key). A third
 * connection is cut as it opens: a client that refused the resumed session has nothing more to
 * show, and the honest state would not match what the script made the client hold.
 */
async function runHandover(ctx: ClientCtx, script: ((t: Takeover) => void) | 'honest', otherNode = false): Promise<HandoverRun> {
  const nodeSet = liveNodeSet(1, { nodes: [liveServerKey().publicKey, liveOtherNodeKey().publicKey] });
  const shared = memoryResume();
  const secure = otherNode ? liveSecureServer({ nodeSet, resume: { shared } }) : liveSecureServer();
  const next = otherNode ? liveSecureServer({ key: liveOtherNodeKey(), nodeSet, resume: { shared } }) : undefined;
  const key = otherNode ? liveOtherNodeKey() : liveServerKey();
  let stream: Uint8Array | undefined;
  let received: number | undefined;
  let highest = -1;
  let takeoverClose: number | undefined;
  // Connection 0: the data envelopes the server sends there, "x:first" among them.
  const watchFirst = (ws: WebSocket): void => {
    const send = ws.send.bind(ws) as (...a: unknown[]) => void;
    ws.send = ((data: unknown, ...rest: unknown[]) => {
      const d = data instanceof Uint8Array ? dataEnvelope(new Uint8Array(data)) : undefined;
      if (d !== undefined) {
        stream ??= d.stream.slice();
        highest = Math.max(highest, d.seq);
        if (isFirst(d.payload)) received = d.seq;
      }
      send(data, ...rest);
    }) as typeof ws.send;
  };
  // Connection 1, the resume: the Welcome goes out, then only what the script sends.
  const takeOver = (ws: WebSocket): void => {
    const send = ws.send.bind(ws) as (...a: unknown[]) => void;
    let muted = false;
    ws.send = ((data: unknown, ...rest: unknown[]) => {
      if (muted) return;
      send(data, ...rest);
      let session: Uint8Array;
      try {
        session = decodeWelcome(new Uint8Array(data as Uint8Array)).body.session;
      } catch {
        return; // the Hello, or what the honest session sends
      }
      if (script === 'honest') return void sendBye(next ?? secure);
      muted = true;
      ws.removeAllListeners('message'); // the honest session hears the client no more
      const bound = binding(session, DIRECTION_SERVER_TO_CLIENT);
      const earlier = { stream: stream!, received: received!, unsent: highest + 1 };
      setImmediate(() =>
        script({
          earlier,
          send: (s, seq, payload) => send(seal(key, payload, { seq, stream: s, contentType: MESSAGE_CONTENT_TYPE, binding: bound })),
        }),
      );
    }) as typeof ws.send;
    ws.once('close', (code: number) => (takeoverClose = code));
  };
  const r = await runClient(ctx, secure, {
    operator: otherNode,
    ...(next === undefined ? {} : { next }),
    onServed(served) {
      served.onConnection((ws, index) => (index === 0 ? watchFirst(ws) : index === 1 ? takeOver(ws) : setImmediate(() => ws.terminate())));
    },
    onHello(server, served) {
      const session = server.members(LIVE_ROOM)[0]!;
      session.on('delivered', (seqs) => {
        if (received !== undefined && seqs.includes(received)) served.cut();
      });
      session.send(LIVE_ROOM, 'x:first');
    },
  });
  return { ...r, takeoverClose };
}

/** "bye" from the server, in the resumed session, once it is back in the room. */
function sendBye(server: SecureServer): void {
  const end = Date.now() + 2_000;
  const poll = (): void => {
    const session = server.members(LIVE_ROOM)[0];
    if (session !== undefined) session.send(LIVE_ROOM, 'bye');
    else if (Date.now() < end) setTimeout(poll, 10);
  };
  setImmediate(poll);
}

const newStream = (): Uint8Array => randomBytes(16);

export const HANDOVER_CLIENT_CHECKS: LiveCheck<ClientCtx>[] = [
  {
    name: 'a resumed session whose first server data envelope is seq 0 on a stream new to the client is a handover: its messages are handled',
    covers: ['HS-7.14'],
    async run(ctx) {
      const r = await runHandover(ctx, (t) => {
        const s = newStream();
        t.send(s, 0, deliver('x:new'));
        t.send(s, 1, deliver('bye'));
      });
      expectEqual(r.lines, ['x:first', 'x:new', 'bye'], "the client's output");
      expectEqual(r.code, 0, 'exit code');
    },
  },
  {
    name: 'after a handover, a server data envelope on the earlier stream ends the session with 4052 ERR_WRONG_STREAM',
    covers: ['HS-7.14'],
    async run(ctx) {
      const r = await runHandover(ctx, (t) => {
        t.send(newStream(), 0, deliver('x:new'));
        t.send(t.earlier.stream, t.earlier.unsent, deliver('x:old'));
      });
      expectEqual(r.takeoverClose, 4052, 'the close code of the resumed session');
      expectEqual(r.lines.slice(0, 2), ['x:first', 'x:new'], "the client's output before the refusal");
      if (r.lines.includes('x:old')) throw new Error('the client handled a message of the earlier stream after the handover');
    },
  },
  {
    name: 'a resumed session whose first server data envelope is on a new stream but not seq 0 ends with 4052 ERR_WRONG_STREAM',
    covers: ['HS-7.14'],
    async run(ctx) {
      const r = await runHandover(ctx, (t) => t.send(newStream(), 1, deliver('x:late')));
      expectEqual(r.takeoverClose, 4052, 'the close code of the resumed session');
      if (r.lines.includes('x:late')) throw new Error('the client handled a message of a new stream that did not start at 0');
    },
  },
  {
    name: 'a Resent is handled once against the record of its stream: a seq the client received is dropped, one it did not is handled, a second copy is dropped',
    covers: ['HS-7.15'],
    async run(ctx) {
      const r = await runHandover(ctx, (t) => {
        const s = newStream();
        const { stream, received, unsent } = t.earlier;
        t.send(s, 0, resent(stream, received, deliver('x:dup')));
        t.send(s, 1, resent(stream, unsent, deliver('x:resent')));
        t.send(s, 2, resent(stream, unsent, deliver('x:again')));
        t.send(s, 3, deliver('bye'));
      });
      expectEqual(r.lines, ['x:first', 'x:resent', 'bye'], "the client's output");
      expectEqual(r.code, 0, 'exit code');
    },
  },
  {
    name: "a Resent naming the session's current server data stream ends the session with 4050 ERR_MESSAGE_MALFORMED",
    covers: ['HS-7.15'],
    async run(ctx) {
      // The current stream is a new one (a handover), then the continued one (none).
      const moved = await runHandover(ctx, (t) => {
        const s = newStream();
        t.send(s, 0, deliver('x:new'));
        t.send(s, 1, resent(s, 2, deliver('x:bad')));
      });
      expectEqual(moved.takeoverClose, 4050, 'the close code after a handover');
      const stayed = await runHandover(ctx, (t) => {
        const { stream, unsent } = t.earlier;
        t.send(stream, unsent, resent(stream, unsent + 1, deliver('x:bad')));
      });
      expectEqual(stayed.takeoverClose, 4050, 'the close code on the continued stream');
      if ([...moved.lines, ...stayed.lines].includes('x:bad')) throw new Error('the client handled a Resent of its current server stream');
    },
    timeoutMs: () => 16_000,
  },
  {
    name: 'a Resent whose message is a Resent, or no server message, ends the session with 4050 ERR_MESSAGE_MALFORMED',
    covers: ['HS-7.15'],
    async run(ctx) {
      const nested = await runHandover(ctx, (t) => {
        const { stream, unsent } = t.earlier;
        t.send(newStream(), 0, resent(stream, unsent, resent(stream, unsent + 1, deliver('x:inner'))));
      });
      expectEqual(nested.takeoverClose, 4050, 'the close code for a Resent in a Resent');
      const client = await runHandover(ctx, (t) => {
        const send = encodeClientMessage({ op: OP_SEND, room: LIVE_ROOM, data: new TextEncoder().encode('x:send') });
        t.send(newStream(), 0, resent(t.earlier.stream, t.earlier.unsent, send));
      });
      expectEqual(client.takeoverClose, 4050, "the close code for a Resent carrying a client's Send");
      if ([...nested.lines, ...client.lines].some((l) => l === 'x:inner' || l === 'x:send'))
        throw new Error('the client handled what a malformed Resent carried');
    },
    timeoutMs: () => 16_000,
  },
  {
    name: 'a resume whose Welcome is signed by another node of the held set is a handover: that node starts its data stream at 0, and its messages are handled',
    covers: ['HS-7.14'],
    async run(ctx) {
      const r = await runHandover(ctx, 'honest', true);
      expectEqual(r.lines, ['x:first', 'bye'], "the client's output");
      expectEqual(r.code, 0, 'exit code');
    },
  },
  {
    name: 'a resume whose Welcome is signed by another node of the held set ends with 4052 ERR_WRONG_STREAM when its first data envelope is not seq 0',
    covers: ['HS-7.14'],
    async run(ctx) {
      const r = await runHandover(ctx, (t) => t.send(newStream(), 1, deliver('x:late')), true);
      expectEqual(r.takeoverClose, 4052, 'the close code of the resumed session');
      expectEqual(r.lines[0], 'x:first', "the client's first line");
      if (r.lines.includes('x:late')) throw new Error('the client handled a message of a new stream that did not start at 0');
    },
  },
];
