// How fast sessions are created ([POL-4.3]): one identity's new sessions and one address's upgrades
// each draw from a token bucket, and an attempt that finds its bucket empty is refused with
// ERR_RATE_LIMITED (close 4072 in the handshake, HTTP 429 at the upgrade). Runs last: it leaves the
// server's bucket for 127.0.0.1 empty for some seconds.
import WebSocket from 'ws';
import { expectEqual, type LiveCheck } from './check.js';
import { RecordingSocket, openPeer, type ServerCtx } from './peer.js';

/** The contract's buckets (conformance/README.md): 10/s burst 100 per identity, 20/s burst 200 per address. */
const IDENTITY_BURST = 100;
const ADDRESS_BURST = 200;

/** A bare upgrade, closed as soon as it opens: its HTTP status and X-Sealwire-Error when refused. */
function upgrade(url: string): Promise<{ status: number; code?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => {
      ws.terminate();
      resolve({ status: 101 });
    });
    ws.once('unexpected-response', (_req, res) => {
      const code = res.headers['x-sealwire-error'];
      resolve({ status: res.statusCode ?? 0, ...(typeof code === 'string' ? { code } : {}) });
      res.resume();
      ws.terminate();
    });
    ws.once('error', (err) => reject(err));
  });
}

export const RATE_CHECKS: LiveCheck<ServerCtx>[] = [
  {
    name: 'sessions created faster than the buckets allow are refused with ERR_RATE_LIMITED: an identity in the handshake (4072), an address at the upgrade (HTTP 429)',
    covers: ['POL-4.3'],
    timeoutMs: () => 30_000,
    async run(ctx) {
      // One identity, each session closed before the next, so no connection cap applies.
      let refused: { code?: string } | undefined;
      for (let i = 0; i < 3 * IDENTITY_BURST && refused === undefined; i++) {
        refused = await openPeer(ctx, 'alice').then(
          (p) => void p.session.close(),
          (err: unknown) => err as { code?: string },
        );
      }
      if (refused === undefined) throw new Error(`${3 * IDENTITY_BURST} handshakes of one identity in a row were all accepted`);
      expectEqual(refused.code, 'ERR_RATE_LIMITED', 'the handshake refused for its identity');
      // In the handshake, after the upgrade: not the address's bucket, which refuses before it.
      const socket = RecordingSocket.last!;
      expectEqual(socket.upgraded, true, 'the refused attempt got past the upgrade');
      // And before the Welcome: not a message bucket of [POL-3.1] closing an open session.
      expectEqual(socket.received.length, 1, 'frames the server sent before refusing (its hello only)');
      expectEqual(await socket.closed, 4072, 'the close code of the refused handshake');
      // The same address, before any handshake.
      let answer: { status: number; code?: string } = { status: 101 };
      for (let i = 0; i < 2 * ADDRESS_BURST && answer.status === 101; i++) answer = await upgrade(ctx.url);
      expectEqual(answer, { status: 429, code: 'ERR_RATE_LIMITED' }, 'the upgrade refused for its address');
    },
  },
];
