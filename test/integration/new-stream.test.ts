// [HS-6.11]: a data stream new to a session starts at seq 0 on a stream no acknowledgement record
// holds. Real servers on 127.0.0.1; the "hostile" envelopes are sealed with the client's own key
// and bound to its live session, so only the stream and seq make them wrong.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  KeyRing,
  MemoryReplayStore,
  Receiver,
  SecureServer,
  generateKeyPair,
  importSigningKey,
  seal,
  type ReplayRequest,
  type ReplayStore,
  type ServerSession,
  type SigningKey,
} from '../../src/index.js';
import { decodeEnvelope } from '../../src/wire/envelope.js';
import { binding, DIRECTION_CLIENT_TO_SERVER, DIRECTION_SERVER_TO_CLIENT } from '../../src/session/transport.js';
import { encodeClientMessage, encodeServerMessage, MESSAGE_CONTENT_TYPE, OP_DELIVER, OP_JOIN } from '../../src/session/messages.js';
import { fromHex } from '../../src/bytes.js';
import { attach } from '../../src/adapters/ws/index.js';
import { ADAPTERS, type RunningAdapter } from '../helpers/net-adapters.js';
import { serverKey } from '../helpers/server-fixture.js';
import { connectRecorded, RecordingWebSocket } from '../helpers/net-clients.js';

/**
 * A replay store that can lose every stream at once, as a store that evicted them would
 * (spec/replay.md §6), while the server's acknowledgement records live on.
 */
class ForgetfulStore implements ReplayStore {
  #inner = new MemoryReplayStore();
  readonly window = this.#inner.window;
  readonly strict = this.#inner.strict;
  readonly maxStreams = this.#inner.maxStreams;
  readonly startedAt = this.#inner.startedAt;
  readonly synchronous = true;
  forgetAll(): void {
    this.#inner = new MemoryReplayStore();
  }
  check(request: ReplayRequest) {
    return this.#inner.check(request);
  }
  commit(request: ReplayRequest) {
    return this.#inner.commit(request);
  }
}

const running: RunningAdapter[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
  RecordingWebSocket.instances.length = 0;
});

async function start(factory: (typeof ADAPTERS)[number]) {
  const keys = new KeyRing();
  const clientKey = importSigningKey(generateKeyPair().secretKey);
  keys.add(clientKey.publicKey, { identity: 'alice' });
  const store = new ForgetfulStore();
  const joined: string[] = [];
  const server = new SecureServer({
    key: serverKey,
    keys,
    receiver: new Receiver({ keys, store }),
    authorize: (req) => {
      if (req.action === 'join' && req.room !== null) joined.push(req.room);
      return true;
    },
  });
  const adapter = await factory.start(server, {});
  running.push(adapter);
  const sessions: ServerSession[] = [];
  server.on('session', (s) => sessions.push(s));
  const open = async () => {
    const before = sessions.length;
    const { client, socket } = await connectRecorded(adapter.url, clientKey, factory.channelBinding);
    await expect.poll(() => sessions.length).toBe(before + 1);
    return { client, socket, session: sessions.at(-1)! };
  };
  return { server, adapter, store, clientKey, open, sessions, joined };
}

/** A Join for `room`, sealed by `key` as data of the live session `sessionId` on `stream` at `seq`. */
function joinEnvelope(key: SigningKey, sessionId: string, stream: Uint8Array, seq: number, room: string): Uint8Array {
  return seal(key, encodeClientMessage({ op: OP_JOIN, room }), {
    seq,
    stream,
    contentType: MESSAGE_CONTENT_TYPE,
    binding: binding(fromHex(sessionId), DIRECTION_CLIENT_TO_SERVER),
  });
}

const randomStream = (): Uint8Array => crypto.getRandomValues(new Uint8Array(16));

describe.each(ADAPTERS.map((a) => [a.name, a] as const))('a new data stream ([HS-6.11]) over %s', (_name, factory) => {
  it('control: a first data envelope at seq 0 on a stream of its own is accepted', async () => {
    const { clientKey, open, joined } = await start(factory);
    const { client, socket } = await open();
    socket.inject(joinEnvelope(clientKey, client.sessionId!, randomStream(), 0, 'control'));
    // Verified, committed and authorized. (The client then refuses the server's receipt for a
    // stream it never sent on itself: that is its own rule, [RCP-6.3].)
    await expect.poll(() => joined).toEqual(['control']);
  });

  it('a first data envelope at seq 1 is refused with ERR_WRONG_STREAM', async () => {
    const { clientKey, open } = await start(factory);
    const { client, socket, session } = await open();
    socket.inject(joinEnvelope(clientKey, client.sessionId!, randomStream(), 1, 'r'));
    const info = await session.closed;
    expect(info).toMatchObject({ code: 4052, reason: 'ERR_WRONG_STREAM' });
  });

  it('a fresh session cannot take over the stream of a resumable one, even when the replay store forgot it', async () => {
    const { store, clientKey, open } = await start(factory);
    const first = await open();
    await first.client.join('r');
    // The stream the server now holds an acknowledgement record for, with seq 0 recorded.
    const stream = decodeEnvelope(first.socket.sent.at(-1)!).header.stream.slice();
    first.socket.terminate(); // a lost connection: the session stays resumable, its record kept
    await first.session.closed;

    // While the store remembers the stream, its seq 0 is a replay.
    const second = await open();
    second.socket.inject(joinEnvelope(clientKey, second.client.sessionId!, stream, 0, 'r'));
    expect(await second.session.closed).toMatchObject({ reason: 'ERR_REPLAY' });

    // Once the store forgot it, only the acknowledgement record stands in the way.
    store.forgetAll();
    const third = await open();
    third.socket.inject(joinEnvelope(clientKey, third.client.sessionId!, stream, 0, 'r'));
    expect(await third.session.closed).toMatchObject({ code: 4052, reason: 'ERR_WRONG_STREAM' });
  });
});

describe('a new data stream of the server, as the client sees it ([HS-6.11])', () => {
  /** A Deliver sealed with the server's key for the client's live session, on `stream` at `seq`. */
  function deliverEnvelope(sessionId: string, stream: Uint8Array, seq: number): Uint8Array {
    const payload = encodeServerMessage({
      op: OP_DELIVER,
      action: 'send',
      room: 'r',
      from: 'someone',
      fromRoles: [],
      fromKid: new Uint8Array(32),
      fromSeq: 0,
      fromTs: Date.now(),
      data: Uint8Array.of(1),
    });
    return seal(serverKey, payload, {
      seq,
      stream,
      contentType: MESSAGE_CONTENT_TYPE,
      binding: binding(fromHex(sessionId), DIRECTION_SERVER_TO_CLIENT),
    });
  }

  // The server's own socket of the one connection, to put frames on it that its session never sealed.
  async function startWithServerSocket() {
    const keys = new KeyRing();
    const clientKey = importSigningKey(generateKeyPair().secretKey);
    keys.add(clientKey.publicKey, { identity: 'alice' });
    const server = new SecureServer({ key: serverKey, keys, authorize: () => true });
    const http = createServer();
    const attached = attach(server, { server: http, path: '/s' });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    running.push({
      close: async () => {
        await attached.close();
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
      },
    } as RunningAdapter);
    const { client } = await connectRecorded(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/s`, clientKey, true);
    const serverSocket = [...attached.wss.clients][0]!;
    return { client, serverSocket };
  }

  it('control: seq 0 on a stream of its own is delivered', async () => {
    const { client, serverSocket } = await startWithServerSocket();
    const seen: unknown[] = [];
    client.on('message', (m) => seen.push(m));
    serverSocket.send(deliverEnvelope(client.sessionId!, randomStream(), 0));
    await expect.poll(() => seen.length).toBe(1);
  });

  it('a first data envelope of the server at seq 5 ends the client session with ERR_WRONG_STREAM', async () => {
    const { client, serverSocket } = await startWithServerSocket();
    const seen: unknown[] = [];
    client.on('message', (m) => seen.push(m));
    serverSocket.send(deliverEnvelope(client.sessionId!, randomStream(), 5));
    expect(await client.closed).toMatchObject({ code: 4052, reason: 'ERR_WRONG_STREAM' });
    expect(seen).toEqual([]);
  });
});
