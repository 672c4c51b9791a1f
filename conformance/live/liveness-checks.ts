// Liveness at the transport ([POL-5.6]): the server under test pings at the interval it declares
// (`--ping-interval`), cuts a peer that answered none of its pings within two intervals, and keeps
// one that answers.
import WebSocket from 'ws';
import { expectEqual, type LiveCheck } from './check.js';
import { DEFAULT_PING_INTERVAL_MS, RecordingSocket, openPeer, type ServerCtx } from './peer.js';

const interval = (ctx: ServerCtx): number => ctx.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS;
// Timers fire late under load, and uWS checks its timeouts on a coarse tick.
const slack = (ctx: ServerCtx): number => 1_000 + interval(ctx) / 4;

export const LIVENESS_CHECKS: LiveCheck<ServerCtx>[] = [
  {
    name: 'a peer that answers no ping is cut within two ping intervals; a peer that answers stays open',
    covers: ['POL-5.6'],
    timeoutMs: (ctx) => 2 * interval(ctx) + slack(ctx) + 4_000,
    async run(ctx) {
      const alice = await openPeer(ctx, 'alice');
      RecordingSocket.silent = true;
      const dead = await openPeer(ctx, 'bob');
      const opened = Date.now();
      const bound = 2 * interval(ctx) + slack(ctx);
      const cut = await Promise.race([dead.socket.closed.then(() => Date.now() - opened), new Promise<undefined>((r) => setTimeout(r, bound))]);
      if (cut === undefined) throw new Error(`a peer that answered no ping was still open after ${bound} ms (interval ${interval(ctx)} ms)`);
      // The honest peer has lived as long as the bound by now, answering every ping.
      await new Promise((r) => setTimeout(r, Math.max(0, bound - (Date.now() - opened))));
      expectEqual(alice.socket.readyState, WebSocket.OPEN, 'the peer that answers pings');
      alice.session.close();
    },
  },
];
