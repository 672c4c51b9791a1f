// Resume over a lost connection: what the client sent before the loss and after the resume reaches
// the other member once each, in order.
import { expectEqual, type LiveCheck } from './check.js';
import { LIVE_ROOM } from './keys.js';
import { RecordingSocket, openPeer, until, type ServerCtx } from './peer.js';

export const RESUME_CHECKS: LiveCheck<ServerCtx>[] = [
  {
    name: 'posts before a lost connection and after its resume reach the other member once each, in order',
    covers: ['HS-7.10'],
    async run(ctx) {
      const [alice, bob] = [await openPeer(ctx, 'alice'), await openPeer(ctx, 'bob')];
      for (let i = 0; i < 5; i++) alice.session.send(LIVE_ROOM, `m${i}`);
      alice.socket.terminate(); // no close frame: a network failure, the server may hold some unacknowledged
      await alice.session.closed;
      const again = await openPeer(ctx, 'alice', alice.session);
      for (let i = 5; i < 10; i++) again.session.send(LIVE_ROOM, `m${i}`);
      await until(() => bob.got.length >= 10, 'ten posts at bob');
      await new Promise((r) => setTimeout(r, 100));
      const expected = Array.from({ length: 10 }, (_, i) => ({ from: 'alice', text: `m${i}` }));
      expectEqual(bob.got, expected, "bob's deliveries");
      again.session.close();
      bob.session.close();
    },
  },
];

RESUME_CHECKS.push({
  name: 'a resume whose Welcome was lost can be made again: the server kept the named session resumable',
  covers: ['HS-7.4'],
  async run(ctx) {
    const [alice, bob] = [await openPeer(ctx, 'alice'), await openPeer(ctx, 'bob')];
    alice.session.send(LIVE_ROOM, 'before');
    await until(() => bob.got.length === 1, 'the first post at bob');
    alice.socket.terminate();
    await alice.session.closed;
    RecordingSocket.loseWelcome = true;
    const lost = await openPeer(ctx, 'alice', alice.session).then(
      () => undefined,
      (err: unknown) => err,
    );
    if (lost === undefined) throw new Error('the resume completed although its Welcome was lost');
    const again = await openPeer(ctx, 'alice', alice.session);
    again.session.send(LIVE_ROOM, 'after');
    await until(() => bob.got.length === 2, 'the post after the second resume');
    expectEqual(
      bob.got.map((g) => g.text),
      ['before', 'after'],
      "bob's deliveries",
    );
    again.session.close();
    bob.session.close();
  },
});

RESUME_CHECKS.push({
  name: 'a state re-sealed 8 times without a receipt of the client is not resumed a ninth time (ERR_RESUME_REFUSED)',
  covers: ['HS-7.9'],
  async run(ctx) {
    let peer = await openPeer(ctx, 'alice');
    RecordingSocket.holdReceipts = true;
    try {
      // A Result on the server's data stream that alice never acknowledges: every resume re-seals it.
      peer.socket.heldReceipts = [];
      let delivered = 0;
      peer.session.on('delivered', (seqs) => (delivered += seqs.length));
      await peer.session.request('live.ping');
      // The server's receipt for the request empties alice's own outbox: only the server's state grows.
      await until(() => delivered >= 1, "the server's receipt for the request");
      for (let resume = 1; resume <= 9; resume++) {
        peer.socket.terminate();
        await peer.session.closed;
        const before = RecordingSocket.last;
        const next = await openPeer(ctx, 'alice', peer.session).then(
          (p) => p,
          (err: unknown) => err as { code?: string },
        );
        if (!('session' in next)) {
          if (resume < 9) throw new Error(`resume ${resume} was refused (${next.code ?? 'no code'}) before the bound`);
          if (RecordingSocket.last === before) throw new Error('the client refused the resume itself: the server was not asked');
          expectEqual(next.code, 'ERR_RESUME_REFUSED', 'the ninth resume');
          return;
        }
        peer = next;
      }
      peer.session.close();
      throw new Error('the ninth resume of a state never acknowledged was accepted');
    } finally {
      RecordingSocket.holdReceipts = false;
    }
  },
});
