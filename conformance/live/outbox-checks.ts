// A client slow to acknowledge: the server's outbox towards it fills, and the server must wait for
// receipts rather than seal more or end the session.
import { RECEIPT_CONTENT_TYPE } from '../../src/delivery/receipt.js';
import { isRoomFrame } from '../../src/rooms/frames.js';
import { decodeEnvelope } from '../../src/wire/envelope.js';
import { expectEqual, type LiveCheck } from './check.js';
import { openPeer, until, type ServerCtx } from './peer.js';

/** The server's own outbox capacity the contract fixes (conformance/README.md, live mode). */
const OUTBOX = 128;
const REQUESTS = OUTBOX + 40;

export const OUTBOX_CHECKS: LiveCheck<ServerCtx>[] = [
  {
    name: 'with its outbox full the server seals nothing more and keeps the session; Results go out in order once receipts come',
    covers: ['HS-8.5', 'HS-6.10'],
    async run(ctx) {
      const alice = await openPeer(ctx, 'bob'); // bob: a fresh identity bucket
      const dataFrames = () =>
        alice.socket.received.filter((f) => f[0] === 0xd2 && !isRoomFrame(f) && decodeEnvelope(f).header.contentType !== RECEIPT_CONTENT_TYPE).length;
      const before = dataFrames();
      alice.socket.heldReceipts = [];
      const answered: number[] = [];
      let delivered = 0;
      alice.session.on('delivered', (seqs) => (delivered += seqs.length));
      const all: Promise<unknown>[] = [];
      // In batches the server acknowledges, so that only the server's outbox fills, not ours, and
      // paced under the default rate of 50 a second per connection.
      for (let i = 0; i < REQUESTS; i++) {
        all.push(alice.session.request('live.ping').then(() => answered.push(i)));
        if (i % 25 === 24 || i === REQUESTS - 1) {
          await until(() => delivered >= i + 1, 'receipts for our requests');
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      let last = -1;
      await until(
        () => {
          const stable = answered.length === last;
          last = answered.length;
          return stable;
        },
        'the Results to stop',
        5_000,
        300,
      );
      if (answered.length >= REQUESTS) throw new Error('every Result came without a receipt from the client');
      if (dataFrames() - before > OUTBOX) throw new Error(`the server sealed ${dataFrames() - before} data envelopes with ${OUTBOX} unacknowledged allowed`);
      let closed = false;
      alice.session.on('close', () => (closed = true));
      const held = alice.socket.heldReceipts;
      alice.socket.heldReceipts = undefined;
      for (const r of held) alice.socket.send(r);
      await Promise.all(all);
      expectEqual(
        answered,
        answered.slice().sort((a, b) => a - b),
        'the order of the Results',
      );
      expectEqual(answered.length, REQUESTS, 'Results');
      expectEqual(closed, false, 'session closed');
      alice.session.close();
    },
  },
];
