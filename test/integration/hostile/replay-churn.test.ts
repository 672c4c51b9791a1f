// Finding 5 of issue 15, the stream-cap half ([RPL-6.7]): every session adds two peer streams to
// the server's replay store, so session churn alone used to fill the stream cap and refuse every
// new stream (ERR_STREAM_LIMIT) for up to maxAge. Now a session's receipt stream leaves the store
// when the session ends, and its data stream when its resumable state is dropped. Real server on
// 127.0.0.1, real clients, the default (in-memory) store with a small cap.
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { KeyRing, MemoryReplayStore, Receiver, SecureServer, generateKeyPair, importSigningKey, type ServerSession } from '../../../src/index.js';
import { AsyncMemoryReplayStore } from '../../../src/replay/async-memory.js';
import { connect, type ConnectOptions, type WebSocketConstructor } from '../../../src/adapters/ws/index.js';
import { wsAdapter, type RunningAdapter } from '../../helpers/net-adapters.js';
import { serverKey, serverPublic } from '../../helpers/server-fixture.js';

const running: RunningAdapter[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
});

const SESSIONS = 12;

async function churn(store: MemoryReplayStore | AsyncMemoryReplayStore): Promise<{ delivered: number; closes: string[] }> {
  const keys = new KeyRing();
  const key = importSigningKey(generateKeyPair().secretKey);
  keys.add(key.publicKey, { identity: 'churner' });
  const server = new SecureServer({
    key: serverKey,
    keys,
    receiver: new Receiver({ keys, store }),
    authorize: () => true,
    limits: { maxResumable: 1 },
    rateLimit: { connection: { perSecond: 1e6, burst: 1e6 }, identity: { perSecond: 1e6, burst: 1e6 }, ipSessions: { perSecond: 1e6, burst: 1e6 }, identitySessions: { perSecond: 1e6, burst: 1e6 } },
  });
  const adapter = await wsAdapter.start(server, {});
  running.push(adapter);
  let delivered = 0;
  server.on('message', () => delivered++);
  const closes: string[] = [];
  let serverSide: ServerSession | undefined;
  server.on('session', (s) => (serverSide = s));
  for (let i = 0; i < SESSIONS; i++) {
    serverSide = undefined;
    const client = await connect(adapter.url, { WebSocket: WebSocket as unknown as WebSocketConstructor, key, serverKey: serverPublic } as ConnectOptions);
    await client.join('r'); // the server's Result on its data stream; the client's receipt on its receipt stream
    const before = delivered;
    client.send('r', new Uint8Array([i]));
    await expect.poll(() => delivered > before || serverSide?.state === 'closed', { timeout: 5000 }).toBe(true);
    await expect.poll(() => client.unacknowledged, { timeout: 5000 }).toBe(0);
    client.close();
    closes.push((await serverSide!.closed).reason);
  }
  return { delivered, closes };
}

describe('replay streams of ended sessions ([RPL-6.7])', () => {
  it('session churn does not fill the stream cap: every session is delivered (memory store, cap 6)', async () => {
    const store = new MemoryReplayStore({ maxStreams: 6 });
    const { delivered, closes } = await churn(store);
    expect(closes.filter((c) => c === 'ERR_STREAM_LIMIT')).toEqual([]);
    expect(delivered).toBe(SESSIONS);
    // The live resumable state's data stream, at most one ended session's, nothing more.
    expect(store.size).toBeLessThanOrEqual(3);
  }, 60_000);

  it('the same with an asynchronous store', async () => {
    const store = new AsyncMemoryReplayStore({ maxStreams: 6 });
    const { delivered, closes } = await churn(store);
    expect(closes.filter((c) => c === 'ERR_STREAM_LIMIT')).toEqual([]);
    expect(delivered).toBe(SESSIONS);
    await expect.poll(() => store.inner.size).toBeLessThanOrEqual(3);
  }, 60_000);

  it('forget drops one stream and leaves the horizon: the stream starts again, others are untouched', () => {
    const store = new MemoryReplayStore({ maxStreams: 4 });
    const kid = new Uint8Array([1, 2, 3]);
    const a = new Uint8Array(16).fill(0xaa);
    const b = new Uint8Array(16).fill(0xbb);
    const req = (stream: Uint8Array, seq: number) => ({ kid, stream, seq, ts: 1000, now: 1000, expiresAt: 61_000 });
    expect(store.commit(req(a, 0))).toBe('ok');
    expect(store.commit(req(b, 0))).toBe('ok');
    expect(store.commit(req(a, 0))).toBe('ERR_REPLAY');
    store.forget(kid, a);
    expect(store.size).toBe(1);
    expect(store.peek(kid, a)).toBeUndefined();
    expect(store.commit(req(b, 0))).toBe('ERR_REPLAY');
    // No horizon was recorded: a fresh envelope of the same age still passes on a new stream.
    expect(store.commit(req(new Uint8Array(16).fill(0xcc), 0))).toBe('ok');
  });
});
