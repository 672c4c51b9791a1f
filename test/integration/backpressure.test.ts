// Slow consumers on real sockets (spec/policy.md §8), for every adapter: a client that stops
// reading cannot make the server buffer without bound. Its data pauses at half the send-buffer cap
// (measured exactly through the adapter: uWS getBufferedAmount(), ws bufferedAmount), its outbox
// fills, and the relay closes it with ERR_OUTBOX_FULL while a fast member of the same room gets
// everything. The slow client then resumes and receives exactly what was sealed for it.
import { afterEach, describe, expect, it } from 'vitest';
import {
  KeyRing,
  SecureServer,
  generateKeyPair,
  importSigningKey,
  type ClientSession,
  type ServerSession,
  type SigningKey,
} from '../../src/index.js';
import { connect, type ConnectOptions, type WebSocketConstructor } from '../../src/adapters/ws/index.js';
import { ADAPTERS, nativeUws, type RunningAdapter } from '../helpers/net-adapters.js';
import { serverKey, serverPublic } from '../helpers/server-fixture.js';
import { TrackedWebSocket } from '../helpers/tracked-ws.js';

const text = new TextDecoder();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));


const running: RunningAdapter[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
});

const CAP = 64 * 1024;
// Larger than what loopback TCP buffers absorb, so the server's own send buffer fills before the outbox.
const OUTBOX_BYTES = 32 * 1024 * 1024;
const PAYLOAD = 16 * 1024;

it('uWebSockets.js is the native binary, not the JS fallback', () => {
  expect(() => nativeUws()).not.toThrow();
});

for (const factory of ADAPTERS) {
  describe(`slow consumer over ${factory.name}`, () => {
    // [POL-8.1], [POL-8.2], [POL-8.3]: buffered bytes reported, data paused under the cap, a slow member closed with 4095
    it('server memory stays bounded: data pauses under the cap, the slow member is closed (4095), then resumes losing nothing', async () => {
      const keys = new KeyRing();
      const slowKey = importSigningKey(generateKeyPair().secretKey);
      const fastKey = importSigningKey(generateKeyPair().secretKey);
      keys.add(slowKey.publicKey, { identity: 'slow' });
      keys.add(fastKey.publicKey, { identity: 'fast' });
      const server = new SecureServer({
        key: serverKey,
        keys,
        authorize: () => true,
        limits: { maxBufferedAmount: CAP, outboxCapacity: 1024, outboxBytes: OUTBOX_BYTES },
        rateLimit: { connection: { perSecond: 1e6, burst: 1e6 }, identity: { perSecond: 1e6, burst: 1e6 } },
      });
      const adapter = await factory.start(server, {});
      running.push(adapter);
      const sessions = new Map<string, ServerSession>();
      server.on('session', (s) => sessions.set(s.identity!, s));
      const options = (key: SigningKey): ConnectOptions =>
        ({ WebSocket: TrackedWebSocket as unknown as WebSocketConstructor, key, serverKey: serverPublic }) as ConnectOptions;

      const fast = await connect(adapter.url, options(fastKey));
      const fastGot: number[] = [];
      fast.on('message', (m) => fastGot.push(Number(text.decode(m.payload.subarray(0, 8)))));
      await fast.join('r');
      const slowGot: number[] = [];
      const onSlow = (c: ClientSession): void => void c.on('message', (m) => slowGot.push(Number(text.decode(m.payload.subarray(0, 8)))));
      const slow = await connect(adapter.url, options(slowKey));
      onSlow(slow);
      await slow.join('r');
      const slowSocket = TrackedWebSocket.last!;
      slowSocket.pause(); // the slow consumer stops reading; TCP fills, then the server's buffer
      const slowServer = sessions.get('slow')!;
      const fastServer = sessions.get('fast')!;

      let maxBuffered = 0;
      let sealedForSlow = 0;
      let published = 0;
      const payload = new Uint8Array(PAYLOAD);
      while (slowServer.state === 'open' && published < 20_000) {
        // Paced to the fast member, so that only the slow one falls behind.
        while (fastServer.unacknowledged > 256) await sleep(1);
        payload.set(new TextEncoder().encode(String(published).padEnd(8, ' ')));
        const n = server.publish('r', payload);
        if (n === 2) sealedForSlow++;
        published++;
        maxBuffered = Math.max(maxBuffered, slowServer.bufferedAmount);
        expect(slowServer.unacknowledged).toBeLessThanOrEqual(1024);
        if (published % 16 === 0) await sleep(0);
      }

      // The policy fired: the relay closed the member that stopped acknowledging.
      expect(slowServer.closeInfo).toMatchObject({ code: 4095, reason: 'ERR_OUTBOX_FULL' });
      // The transport buffer was used (the pause path ran) and never passed the cap.
      expect(maxBuffered).toBeGreaterThan(0);
      expect(maxBuffered).toBeLessThanOrEqual(CAP);
      // What the server held for the slow member is bounded exactly: at most CAP bytes in the
      // transport (above) plus the outbox's 1,024 envelopes (checked at every step), however much
      // the room carried; and it carried more than the outbox could ever hold.
      expect(published).toBeGreaterThan(1024);
      console.info(`${factory.name}: published ${published} x ${PAYLOAD} B, slow member's buffer peaked at ${maxBuffered} B (cap ${CAP})`);
      // The fast member received every message, in order, and is still open.
      await waitFor(() => fastGot.length === published, `fast member got ${fastGot.length} of ${published}`);
      expect(fastGot).toEqual(Array.from({ length: published }, (_, i) => i));
      expect(fast.state).toBe('open');

      // The slow client reads again, sees the close, resumes, and gets exactly what was sealed for it.
      slowSocket.resume();
      expect((await slow.closed).reason).toBe('ERR_OUTBOX_FULL');
      const resumed = await connect(adapter.url, { ...options(slowKey), resumeFrom: slow });
      onSlow(resumed);
      await waitFor(() => slowGot.length >= sealedForSlow, `slow member got ${slowGot.length} of ${sealedForSlow}`);
      expect(slowGot).toEqual(Array.from({ length: sealedForSlow }, (_, i) => i));
      resumed.close();
      fast.close();
    }, 60_000);
  });
}

async function waitFor(p: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 20_000;
  while (!p()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(2);
  }
}
