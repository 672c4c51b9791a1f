// Checks that read what the server under test puts on the wire, beyond the verdicts: its hello,
// its extensions, the streams it seals on.
import WebSocket from 'ws';
import { decodeHello } from '../../src/session/handshake.js';
import { decodeEnvelope } from '../../src/wire/envelope.js';
import { isRoomFrame } from '../../src/rooms/frames.js';
import { RECEIPT_CONTENT_TYPE, decodeReceipt } from '../../src/delivery/receipt.js';
import { toHex } from '../../src/bytes.js';
import { expectEqual, type LiveCheck } from './check.js';
import { LIVE_ROOM } from './keys.js';
import { openPeer, until, type ServerCtx } from './peer.js';

/** The first frame of a raw connection (no client message sent), and the extensions agreed. */
function firstFrame(url: string, options: WebSocket.ClientOptions = {}): Promise<{ frame: Uint8Array; extensions: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('message', (data: Buffer) => {
      resolve({ frame: new Uint8Array(data).slice(), extensions: ws.extensions });
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

export const WIRE_CHECKS: LiveCheck<ServerCtx>[] = [
  {
    name: 'the server sends its hello first, with a fresh 32-byte nonce on every connection',
    covers: ['HS-2.1'],
    async run(ctx) {
      const nonces = new Set<string>();
      for (let i = 0; i < 8; i++) {
        const { nonce } = decodeHello((await firstFrame(ctx.url)).frame);
        expectEqual(nonce.length, 32, 'nonce length');
        nonces.add(toHex(nonce));
      }
      expectEqual(nonces.size, 8, 'distinct nonces in 8 hellos');
    },
  },
  {
    name: 'the server agrees to no per-message compression when the client offers it',
    covers: ['POL-5.2'],
    async run(ctx) {
      expectEqual((await firstFrame(ctx.url, { perMessageDeflate: true })).extensions, '', 'extensions');
    },
  },
  {
    name: 'the server seals on two streams of its key: data from seq 0 without gap, receipts apart from 0',
    covers: ['HS-6.7', 'RCP-2.3', 'ENV-9.2'],
    async run(ctx) {
      const alice = await openPeer(ctx, 'alice');
      for (let i = 0; i < 40; i++) alice.session.send(LIVE_ROOM, `r${i}`);
      // Tag 18 (a COSE_Sign1) and not a room frame: the server's session envelopes, no handshake message.
      const envelopes = () => alice.socket.received.filter((f) => f[0] === 0xd2 && !isRoomFrame(f)).map((f) => decodeEnvelope(f).header);
      await until(() => envelopes().some((h) => h.contentType === RECEIPT_CONTENT_TYPE), 'a receipt from the server');
      const streams = new Map<string, { receipt: boolean; seqs: number[] }>();
      for (const h of envelopes()) {
        const s = streams.get(toHex(h.stream)) ?? { receipt: h.contentType === RECEIPT_CONTENT_TYPE, seqs: [] };
        if (s.receipt !== (h.contentType === RECEIPT_CONTENT_TYPE)) throw new Error('a stream carries receipts and data');
        s.seqs.push(h.seq);
        streams.set(toHex(h.stream), s);
      }
      if (streams.size > 2) throw new Error(`the server sealed on ${streams.size} streams`);
      for (const [id, s] of streams)
        expectEqual(
          s.seqs,
          s.seqs.map((_, i) => i),
          `seqs of stream ${id}`,
        );
      // [ENV-9.2]: our client opened every one of them as version 1, or it would have closed.
      expectEqual(alice.socket.readyState, WebSocket.OPEN, 'the session after opening every envelope');
      alice.session.close();
    },
  },
  {
    name: "the server's receipts acknowledge the client's data stream only, never its receipts",
    covers: ['RCP-2.4'],
    async run(ctx) {
      const alice = await openPeer(ctx, 'alice');
      const receiptsIn = (frames: Uint8Array[]) =>
        frames
          .filter((f) => f[0] === 0xd2 && !isRoomFrame(f))
          .map((f) => decodeEnvelope(f))
          .filter((d) => d.header.contentType === RECEIPT_CONTENT_TYPE);
      // Enough data that both sides acknowledge: alice's receipts must exist before the server's last one.
      for (let i = 0; i < 40; i++) alice.session.send(LIVE_ROOM, `a${i}`);
      await until(() => receiptsIn(alice.socket.sent).length > 0, 'a receipt from alice');
      const seen = receiptsIn(alice.socket.received).length;
      for (let i = 0; i < 40; i++) alice.session.send(LIVE_ROOM, `b${i}`);
      await until(() => receiptsIn(alice.socket.received).length > seen, 'a receipt from the server after one of alice');
      const ownReceiptStreams = new Set(receiptsIn(alice.socket.sent).map((d) => toHex(d.header.stream)));
      for (const r of receiptsIn(alice.socket.received)) {
        const acked = toHex(decodeReceipt(r.payload).stream);
        if (ownReceiptStreams.has(acked)) throw new Error(`the server acknowledged alice's receipt stream ${acked}`);
      }
      alice.session.close();
    },
  },
];
