// [HS-8.5]: a Result that finds the server's outbox towards the client full waits for room instead
// of ending the session, and nothing the server sends later overtakes it; a client that never
// acknowledges cannot make the server hold more than 1,024 of them. Real servers, real sockets.
import { afterEach, describe, expect, it } from 'vitest';
import { generateKeyPair, importSigningKey, seal, type ServerSession } from '../../src/index.js';
import { fromHex } from '../../src/bytes.js';
import { binding, DIRECTION_CLIENT_TO_SERVER } from '../../src/session/transport.js';
import { encodeClientMessage, MESSAGE_CONTENT_TYPE, OP_JOIN } from '../../src/session/messages.js';
import { ADAPTERS, type RunningAdapter } from '../helpers/net-adapters.js';
import { deviceServer } from '../helpers/device-server.js';
import { connectRecorded, RecordingWebSocket } from '../helpers/net-clients.js';

const running: RunningAdapter[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
  RecordingWebSocket.instances.length = 0;
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

for (const factory of ADAPTERS) {
  describe(`Results and a full outbox, over ${factory.name}`, () => {
    async function start() {
      const key = importSigningKey(generateKeyPair().secretKey);
      const decided = { count: 0 };
      const authorize = () => {
        decided.count++;
        return true;
      };
      const { server, adapter } = await deviceServer(factory, key, running, { limits: { outboxCapacity: 4 }, authorize });
      const sessions: ServerSession[] = [];
      server.on('session', (s) => sessions.push(s));
      const { client, socket } = await connectRecorded(adapter.url, key, factory.channelBinding);
      await expect.poll(() => sessions.length).toBe(1);
      return { key, client, socket, session: sessions[0]!, decided };
    }

    /** The server pushes until its outbox towards the client is full; returns how many it sent. */
    function fill(session: ServerSession): number {
      let n = 0;
      while (session.writable) session.send(null, new TextEncoder().encode(`d${n++}`));
      return n;
    }

    it('a request while the outbox is full is answered once the client acknowledges; the session stays open', async () => {
      const { client, socket, session, decided } = await start();
      const down: string[] = [];
      client.on('message', (m) => down.push(`${new TextDecoder().decode(m.payload)}@${m.seq}`));
      socket.pause(); // the client reads nothing, so it acknowledges nothing
      const before = fill(session);
      expect(before).toBe(4);
      let answered = false;
      const request = client.request('ping').then(() => (answered = true));
      // The request arrives and is carried out; its Result waits for room.
      await expect.poll(() => decided.count).toBe(1);
      await sleep(50);
      expect(session.state).toBe('open');
      expect(answered).toBe(false);
      // Nothing the application sends overtakes it.
      expect(session.writable).toBe(false);
      expect(() => session.send(null, new TextEncoder().encode('later'))).toThrow(/outbox full/);
      // The first receipt frees room: an application that sends as soon as it hears of it, and
      // one that waits for `drain`, both come after the Result (seq 4 of the server's stream).
      const offDelivered = session.on('delivered', () => {
        offDelivered();
        session.send(null, new TextEncoder().encode('on delivered'));
      });
      const offDrain = session.on('drain', () => {
        offDrain();
        session.send(null, new TextEncoder().encode('on drain'));
      });
      socket.resume();
      await request;
      await expect.poll(() => down.length).toBe(6);
      expect(down).toEqual(['d0@0', 'd1@1', 'd2@2', 'd3@3', 'on delivered@5', 'on drain@6']);
      expect(session.state).toBe('open');
      expect(client.state).toBe('open');
      client.close();
    });

    for (const [joins, closes] of [[1024, false], [1025, true]] as const) {
      it(`a client that never acknowledges: ${joins} Results may wait${closes ? ', one more closes the session with ERR_OUTBOX_FULL' : ''}`, async () => {
        const { key, client, socket, session, decided } = await start();
        socket.pause();
        fill(session);
        // Joins of the client's key on a data stream of its own, bound to its session: each is
        // carried out and answered with a Result that can only wait.
        const stream = crypto.getRandomValues(new Uint8Array(16));
        const bind = binding(fromHex(client.sessionId!), DIRECTION_CLIENT_TO_SERVER);
        const join = encodeClientMessage({ op: OP_JOIN, room: 'r' });
        for (let seq = 0; seq < joins; seq++) {
          socket.inject(seal(key, join, { seq, stream, contentType: MESSAGE_CONTENT_TYPE, binding: bind }));
        }
        await expect.poll(() => decided.count, { timeout: 10_000 }).toBe(joins);
        if (closes) {
          expect(await session.closed).toMatchObject({ code: 4095, reason: 'ERR_OUTBOX_FULL' });
        } else {
          await sleep(50);
          expect(session.state).toBe('open');
        }
      });
    }
  });
}
