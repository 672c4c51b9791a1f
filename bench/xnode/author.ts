// The client author of the cross-node rooms bench, in its own process: one ClientSession over `ws`
// that joins the room on node A and posts to it (`send`, a signed Post once the join answered,
// spec/rooms.md §3), as chat traffic does. It stays a full session: it verifies the room events it
// gets back (its own posts) and takes the node's receipts, which free its outbox. Stops on `close`,
// when the parent goes, or after 10 min.
import WebSocket from 'ws';
import { connect } from '../../src/adapters/ws/index.js';
import { fromHex, importPublicKey, importSigningKey, type ClientSession } from '../../src/index.js';
import { ROOM, memberSeed, now } from '../rooms/protocol.js';
import type { AuthorCommand, AuthorReply } from './protocol.js';

setTimeout(() => process.exit(0), 10 * 60_000).unref();
process.on('disconnect', () => process.exit(0));
const reply = (r: AuthorReply): void => void process.send!(r);

let session: ClientSession | undefined;
const refused: string[] = [];

/**
 * `count` posts, `perTick` per turn, `gapMs` between turns; each starts with its index. A full
 * outbox (the node has not acknowledged enough yet, [RCP-6.2]) waits for `drain`: the post's time
 * is taken when it is handed to the session, so that wait is not in its latency.
 */
async function post(s: ClientSession, count: number, size: number, perTick: number, gapMs: number): Promise<AuthorReply> {
  const sentAt: number[] = [];
  let drains = 0;
  for (let i = 0; i < count;) {
    for (let k = 0; k < perTick && i < count; k++, i++) {
      while (!s.writable) {
        drains++;
        await new Promise<void>((r) => {
          const off = s.on('drain', () => {
            off();
            r();
          });
        });
      }
      const payload = new Uint8Array(Math.max(size, 8));
      new DataView(payload.buffer).setUint32(0, i);
      sentAt.push(now());
      s.send(ROOM, payload);
    }
    await new Promise((r) => (gapMs > 0 ? setTimeout(r, gapMs) : setImmediate(r)));
  }
  return { op: 'posted', sentAt, drains, refused: refused.splice(0) };
}

process.on('message', (cmd: AuthorCommand) => {
  const run = async (): Promise<AuthorReply> => {
    switch (cmd.op) {
      case 'connect': {
        const serverKey = importPublicKey(fromHex(cmd.serverKey));
        const key = importSigningKey(memberSeed(cmd.index));
        session = await connect(cmd.url, { key, serverKey, WebSocket });
        // A refused post never reaches the members: counted, and the suite fails on any.
        session.on('refused', (r) => void refused.push(r.code));
        await session.join(ROOM);
        return { op: 'joined' };
      }
      case 'post':
        return post(session!, cmd.count, cmd.size, cmd.perTick, cmd.gapMs);
      case 'close':
        session?.close();
        // Gone once the answer is out: the suite need not wait for the process to end by itself.
        setImmediate(() => process.exit(0));
        return { op: 'closed' };
    }
  };
  run().then(reply, (err: unknown) => reply({ op: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
});
reply({ op: 'ready' });
