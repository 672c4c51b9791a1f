// Our test client against a server under test: an honest session whose raw socket it keeps, so a
// check can then misbehave on the wire (send bytes no honest client sends) and read the close code.
import WebSocket from 'ws';
import type { ClientSession } from '../../src/index.js';
import { connect, type ConnectOptions, type WebSocketConstructor } from '../../src/adapters/ws/index.js';
import { decodeEnvelope } from '../../src/wire/envelope.js';
import { RECEIPT_CONTENT_TYPE } from '../../src/delivery/receipt.js';
import { LIVE_ROOM, liveClientKey, liveServerPublic, type LiveIdentity } from './keys.js';

function isReceipt(frame: Uint8Array): boolean {
  try {
    return decodeEnvelope(frame).header.contentType === RECEIPT_CONTENT_TYPE;
  } catch {
    return false; // a handshake message
  }
}

/** Keeps every socket it opens, with the frames it sent and the close code it got. */
class RecordingSocket extends WebSocket {
  static last: RecordingSocket | undefined;
  readonly sent: Uint8Array[] = [];
  readonly received: Uint8Array[] = [];
  /** Set before connecting: the next socket cuts itself instead of handing its 2nd frame (the Welcome) on. */
  static loseWelcome = false;
  /** Rewrites the next frame the honest client sends (a misbehaving sender after a true seal). */
  tamperNext: ((frame: Uint8Array) => Uint8Array) | undefined;
  /** While set, the client's receipts are held here instead of sent (a peer slow to acknowledge). */
  heldReceipts: Uint8Array[] | undefined;
  readonly closed: Promise<number>;
  /** Whether the server accepted the WebSocket upgrade. */
  upgraded = false;
  /** The close frame's reason text, once closed. */
  closeReason = '';
  /** While set, every new socket holds the client's receipts from its first frame (they are lost in transit). */
  static holdReceipts = false;
  /** Set before connecting: the next socket never answers a ping (a peer whose transport died). */
  static silent = false;
  constructor(url: string, protocols?: string | string[], options?: WebSocket.ClientOptions) {
    super(url, protocols, RecordingSocket.silent ? { ...options, autoPong: false } : options);
    RecordingSocket.silent = false;
    RecordingSocket.last = this;
    this.closed = new Promise((resolve) =>
      this.once('close', (code: number, reason: Buffer) => {
        this.closeReason = reason.toString();
        resolve(code);
      }),
    );
    this.on('message', (data: Buffer) => this.received.push(new Uint8Array(data).slice()));
    this.once('open', () => (this.upgraded = true));
    if (RecordingSocket.holdReceipts) this.heldReceipts = [];
    this.#loseWelcome = RecordingSocket.loseWelcome;
    RecordingSocket.loseWelcome = false;
  }
  readonly #loseWelcome: boolean;
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (this.#loseWelcome && event === 'message' && this.received.length === 1) {
      this.terminate(); // the Welcome is lost in transit with the connection
      return true;
    }
    return super.emit(event, ...args);
  }
  override send(data: unknown, ...rest: unknown[]): void {
    if (this.heldReceipts && data instanceof Uint8Array && isReceipt(data)) {
      this.heldReceipts.push(data.slice());
      return;
    }
    if (this.tamperNext && data instanceof Uint8Array) {
      data = this.tamperNext(data.slice());
      this.tamperNext = undefined;
    }
    if (data instanceof Uint8Array) this.sent.push(data.slice());
    else if (data instanceof ArrayBuffer) this.sent.push(new Uint8Array(data).slice());
    (super.send as (...a: unknown[]) => void)(data, ...rest);
  }
}

export { RecordingSocket };

export interface Peer {
  session: ClientSession;
  socket: RecordingSocket;
  got: { from: string; text: string }[];
}

export interface ServerCtx {
  url: string;
  /** The interval the server under test pings at (`--ping-interval`, default 1,000 ms), [POL-5.6]. */
  pingIntervalMs?: number;
  /** The operator key whose node set the server under test presents (`--operator-key`, spec/nodes.md). */
  operatorKey?: Uint8Array;
}

export const DEFAULT_PING_INTERVAL_MS = 1_000;

/** An honest, joined session of one of the live identities. */
export async function openPeer(ctx: ServerCtx, id: LiveIdentity, resumeFrom?: ClientSession): Promise<Peer> {
  const options = {
    WebSocket: RecordingSocket as unknown as WebSocketConstructor,
    key: liveClientKey(id),
    serverKey: liveServerPublic(),
    resumeFrom,
  } as ConnectOptions;
  const session = await connect(ctx.url, options);
  const socket = RecordingSocket.last!;
  const got: Peer['got'] = [];
  session.on('message', (m) => got.push({ from: m.identity, text: new TextDecoder().decode(m.payload) }));
  if (!resumeFrom) await session.join(LIVE_ROOM);
  return { session, socket, got };
}

/** Sends raw bytes on the peer's socket and resolves with the close code the server sends. */
export function closeCodeAfter(peer: Peer, frame: Uint8Array): Promise<number> {
  peer.socket.send(frame);
  return peer.socket.closed;
}

export async function until(p: () => boolean, what: string, ms = 5_000, every = 5): Promise<void> {
  const end = Date.now() + ms;
  while (!p()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}
