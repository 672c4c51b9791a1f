// Room members of the rooms bench, in a process of their own so that the server's figures are
// not its load generator's: plain WebSocket subscribers (the baseline), or sealwire members that
// authenticate and join, then count the room's frames off the socket instead of handing them to
// their sessions, fully verifying one frame in 64 (server signature or batch proof).
import WebSocket from 'ws';
import { connect, type WebSocketConstructor } from '../../src/adapters/ws/index.js';
import { importPublicKey, importSigningKey, fromHex, type ClientSession } from '../../src/index.js';
import { FrameChecker, isRoomFrame } from '../../src/rooms/frames.js';
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

/** A member's socket: until `counting`, frames go to the session; then room frames are counted. */
class CountingWebSocket extends WebSocket {
  static made: CountingWebSocket[] = [];
  counting = false;
  seen = 0;
  constructor(url: string, protocols?: string | string[], options?: WebSocket.ClientOptions) {
    super(url, protocols, { ...options, perMessageDeflate: false });
    CountingWebSocket.made.push(this);
  }
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (this.counting && event === 'message' && args[1] === true) {
      const frame = new Uint8Array(args[0] as ArrayBuffer);
      if (isRoomFrame(frame)) {
        // A bundle carries several events: its head says how many (array of two, then the root bstr).
        const n = frame[0] === 0x82 ? bundleSize(frame) : 1;
        for (let k = 0; k < n; k++) count(this.seen++, k === 0 ? frame : undefined);
        return true;
      }
    }
    return super.emit(event, ...args);
  }
}

/** The number of events in a bundle: the head of its second member, after the root envelope. */
function bundleSize(frame: Uint8Array): number {
  let p = 1;
  const rootHead = frame[p]!;
  const info = rootHead & 0x1f;
  let len = info;
  let head = 1;
  if (info === 24) [len, head] = [frame[p + 1]!, 2];
  else if (info === 25) [len, head] = [(frame[p + 1]! << 8) | frame[p + 2]!, 3];
  p += head + len;
  const b = frame[p]!;
  const n = b & 0x1f;
  return n < 24 ? n : n === 24 ? frame[p + 1]! : (frame[p + 1]! << 8) | frame[p + 2]!;
}

const plain: WebSocket[] = [];
const plainSeen: { n: number }[] = [];
const sessions: ClientSession[] = [];

async function connectAll(cmd: Extract<SubscriberCommand, { op: 'connect' }>): Promise<void> {
  if (cmd.mode === 'plain') {
    for (let i = 0; i < cmd.count; i++) {
      const ws = new WebSocket(cmd.url, { perMessageDeflate: false });
      const seen = { n: 0 };
      plainSeen.push(seen);
      ws.on('message', () => {
        frames++;
        count(seen.n++, undefined);
      });
      plain.push(ws);
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
    }
    return;
  }
  const serverKey = importPublicKey(fromHex(cmd.serverKey));
  checker = new FrameChecker(serverKey, 1 << 20);
  // A few handshakes in flight at once: the server, not this process, should set the pace.
  const WIDTH = 16;
  for (let i = 0; i < cmd.count; i += WIDTH) {
    const batch = Array.from({ length: Math.min(WIDTH, cmd.count - i) }, (_, k) =>
      connect(cmd.url, { key: importSigningKey(memberSeed(cmd.first + i + k)), serverKey, WebSocket: CountingWebSocket as unknown as WebSocketConstructor }),
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
        for (const ws of CountingWebSocket.made) ws.counting = true;
        return { op: 'joined' };
      case 'expect': {
        const members = plain.length + sessions.length;
        expected = members * cmd.messages;
        if (received < expected) await new Promise<void>((r) => (onDone = r));
        const out: SubscriberReply = { op: 'received', lastAt: lastAt.slice(0, cmd.messages), sampled, verified };
        lastAt.length = 0;
        received = 0;
        expected = Infinity;
        for (const ws of CountingWebSocket.made) ws.seen = 0;
        for (const c of plainSeen) c.n = 0;
        return out;
      }
      case 'close':
        for (const s of sessions) s.close();
        for (const ws of plain) ws.terminate();
        return { op: 'closed' };
    }
  };
  run().then(reply, (err: unknown) => reply({ op: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
});
reply({ op: 'ready' });
