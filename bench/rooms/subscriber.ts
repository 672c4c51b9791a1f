// Room members of the rooms bench, in a process of their own so that the server's figures are
// not its load generator's. Both kinds count frames straight off their TCP sockets (bench/rooms/
// raw.ts): plain WebSocket subscribers (the baseline), and sealwire members that authenticate and
// join over `ws`, then stop handing frames to their sessions. One frame in 64 is fully verified
// (server signature or bundle root).
import WebSocket from 'ws';
import type { Socket } from 'node:net';
import { rawWebSocket, readFrames } from './raw.js';
import { connect, type WebSocketConstructor } from '../../src/adapters/ws/index.js';
import { importPublicKey, importSigningKey, fromHex, type ClientSession } from '../../src/index.js';
import { FrameChecker } from '../../src/rooms/frames.js';
import { memberSeed, now, type SubscriberCommand, type SubscriberReply } from './protocol.js';

setTimeout(() => process.exit(0), 10 * 60_000).unref();
process.on('disconnect', () => process.exit(0));
const reply = (r: SubscriberReply): void => void process.send!(r);

const SAMPLE = 64;
const lastAt: number[] = [];
let received = 0;
/** Frames counted: one in SAMPLE is verified, whatever number of events it carries. */
let frames = 0;
let expected = Infinity;
let sampled = 0;
let verified = 0;
let checker: FrameChecker | undefined;
let onDone: (() => void) | undefined;

function count(index: number, frame: Uint8Array | undefined): void {
  const t = now();
  if (!(lastAt[index]! >= t)) lastAt[index] = t;
  if (frame !== undefined && (frames++ & (SAMPLE - 1)) === 0) {
    sampled++;
    try {
      if (checker!.check(frame).type === 'events') verified++;
    } catch {
      // counted as sampled, not verified: the suite fails on any difference
    }
  }
  if (++received >= expected) onDone?.();
}

/** Bytes 0..5 of a single-form room event: tag 18, array of 4, the protected bstr, then map a7 01 alg 03. */
function isSingleRoomEvent(f: Buffer): boolean {
  if (f[0] !== 0xd2 || f[1] !== 0x84) return false;
  const p = f[2] === 0x58 ? 4 : f[2] === 0x59 ? 5 : -1;
  // The room event's content type is the 34-byte text "application/vnd.sealwire.room+cbor".
  return p > 0 && f[p] === 0xa7 && f[p + 3] === 0x03 && f[p + 4] === 0x78 && f[p + 5] === 34;
}

/** The number of events in a bundle: the head of its second member, after the root envelope. */
function bundleSize(frame: Uint8Array): number {
  let p = 1;
  const info = frame[p]! & 0x1f;
  let len = info;
  let head = 1;
  if (info === 24) [len, head] = [frame[p + 1]!, 2];
  else if (info === 25) [len, head] = [(frame[p + 1]! << 8) | frame[p + 2]!, 3];
  p += head + len;
  const n = frame[p]! & 0x1f;
  return n < 24 ? n : n === 24 ? frame[p + 1]! : (frame[p + 1]! << 8) | frame[p + 2]!;
}

/** A counted frame: events in it (a bundle's count, 1 for a single event), the frame for sampling. */
function onRoomFrame(seen: { n: number }): (payload: Buffer) => void {
  return (payload) => {
    const n = payload[0] === 0x82 ? bundleSize(payload) : isSingleRoomEvent(payload) ? 1 : 0;
    for (let k = 0; k < n; k++) count(seen.n++, k === 0 ? payload : undefined);
  };
}

/** A member's `ws` socket, kept so that it can be taken off its session after the join. */
class MemberWebSocket extends WebSocket {
  static made: MemberWebSocket[] = [];
  constructor(url: string, protocols?: string | string[], options?: WebSocket.ClientOptions) {
    super(url, protocols, { ...options, perMessageDeflate: false });
    MemberWebSocket.made.push(this);
  }
}

const memberSeen: { n: number }[] = [];

/** From now on the member's frames are counted off its socket and no longer reach its session. */
function detach(ws: MemberWebSocket): void {
  const socket = (ws as unknown as { _socket: Socket })._socket;
  socket.removeAllListeners('data');
  const seen = { n: 0 };
  memberSeen.push(seen);
  readFrames(socket, onRoomFrame(seen));
}

const plain: Socket[] = [];
const plainSeen: { n: number }[] = [];
const sessions: ClientSession[] = [];

async function connectAll(cmd: Extract<SubscriberCommand, { op: 'connect' }>): Promise<void> {
  if (cmd.mode === 'plain') {
    for (let i = 0; i < cmd.count; i++) {
      const seen = { n: 0 };
      plainSeen.push(seen);
      plain.push(
        await rawWebSocket(cmd.url, () => {
          frames++;
          count(seen.n++, undefined);
        }),
      );
    }
    return;
  }
  const serverKey = importPublicKey(fromHex(cmd.serverKey));
  checker = new FrameChecker(serverKey, 1 << 20);
  // A few handshakes in flight at once: the server, not this process, should set the pace.
  const WIDTH = 16;
  for (let i = 0; i < cmd.count; i += WIDTH) {
    const batch = Array.from({ length: Math.min(WIDTH, cmd.count - i) }, (_, k) =>
      connect(cmd.url, { key: importSigningKey(memberSeed(cmd.first + i + k)), serverKey, WebSocket: MemberWebSocket as unknown as WebSocketConstructor }),
    );
    sessions.push(...(await Promise.all(batch)));
  }
}

process.on('message', (cmd: SubscriberCommand) => {
  const run = async (): Promise<SubscriberReply> => {
    switch (cmd.op) {
      case 'connect':
        await connectAll(cmd);
        return { op: 'connected' };
      case 'join':
        for (let i = 0; i < sessions.length; i += 64) await Promise.all(sessions.slice(i, i + 64).map((s) => s.join(cmd.room)));
        for (const ws of MemberWebSocket.made) detach(ws);
        return { op: 'joined' };
      case 'expect': {
        const members = plain.length + sessions.length;
        expected = members * cmd.messages;
        if (received < expected) await new Promise<void>((r) => (onDone = r));
        const out: SubscriberReply = { op: 'received', lastAt: lastAt.slice(0, cmd.messages), sampled, verified };
        lastAt.length = 0;
        received = 0;
        expected = Infinity;
        for (const c of [...plainSeen, ...memberSeen]) c.n = 0;
        return out;
      }
      case 'close':
        for (const s of sessions) s.close();
        for (const socket of plain) socket.destroy();
        for (const ws of MemberWebSocket.made) (ws as unknown as { _socket: Socket })._socket.destroy();
        return { op: 'closed' };
    }
  };
  run().then(reply, (err: unknown) => reply({ op: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
});
reply({ op: 'ready' });
