// Session MUSTs no vector can express (conformance/extra-tests.json names this file): the nonce source,
// the two streams per side and what travels on them, delivery of a committed envelope when the
// session closes mid-processing, the version a sender may use, and a forgotten acknowledgement
// record. All on the in-memory link, real crypto; the wire bytes are read from the link's capture.
import { describe, expect, it } from 'vitest';
import {
  AsyncMemoryReplayStore,
  KeyRing,
  ProtocolError,
  Receiver,
  toHex,
  type ReplayRequest,
  type ReplayVerdict,
  type SecureServerOptions,
  type ServerMessage,
} from '../../src/index.js';
import { RECEIPT_CONTENT_TYPE, decodeEnvelope, decodeReceipt } from '../../src/protocol.js';
import { MESSAGE_CONTENT_TYPE } from '../../src/session/messages.js';
import { isRoomFrame } from '../../src/rooms/frames.js';
import { NONCE_LENGTH, decodeHello } from '../../src/session/handshake.js';
import { memoryLink } from '../helpers/net-memory.js';
import { serverKey } from '../helpers/server-fixture.js';
import { makeServer, newKey, pair, sleep, until, type Pair } from '../helpers/session-pair.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The envelopes among captured messages (handshake messages are plain CBOR arrays, not tag 18). */
// Session envelopes only: room frames (spec/rooms.md) are not part of a session's streams ([ROOM-1.2]).
const envelopes = (captured: readonly Uint8Array[]) =>
  captured.filter((b) => b[0] === 0xd2 && !isRoomFrame(b)).map((b) => ({ bytes: b, ...decodeEnvelope(b) }));

describe('[HS-2.1] the ServerHello', () => {
  it('goes out as soon as the transport is open, each with a fresh 32-byte nonce (200 hellos, all distinct)', () => {
    const server = makeServer(newKey());
    const nonces = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const link = memoryLink();
      const session = server.accept(link.server, server.admit({ address: '127.0.0.1' }));
      // Sent inside accept(), before any client message.
      expect(link.fromServer).toHaveLength(1);
      const hello = decodeHello(link.fromServer[0]!);
      expect(hello.nonce).toHaveLength(NONCE_LENGTH);
      expect(hello.nonce).toHaveLength(32);
      nonces.add(toHex(hello.nonce));
      session.close();
    }
    expect(nonces.size).toBe(200);
  });
});

describe('[HS-6.7], [RCP-2.3], [RCP-2.4] two streams per side: data and receipts', () => {
  interface Streams {
    data: { stream: string; seqs: number[] };
    receipts: { stream: string; seqs: number[]; acked: string[] };
  }

  /** Splits one side's envelopes into its streams; fails on anything that is neither. */
  function streamsOf(captured: readonly Uint8Array[], kid: Uint8Array): Streams {
    const all = envelopes(captured);
    for (const e of all) expect(toHex(e.header.kid)).toBe(toHex(kid));
    const data = all.filter((e) => e.header.contentType === MESSAGE_CONTENT_TYPE);
    const receipts = all.filter((e) => e.header.contentType === RECEIPT_CONTENT_TYPE);
    // Nothing else travels: every envelope is a message or a receipt.
    expect(data.length + receipts.length).toBe(all.length);
    const byStream = new Set(all.map((e) => toHex(e.header.stream)));
    const dataStreams = new Set(data.map((e) => toHex(e.header.stream)));
    const receiptStreams = new Set(receipts.map((e) => toHex(e.header.stream)));
    // Exactly two streams, each carrying one kind only.
    expect(dataStreams.size).toBe(1);
    expect(receiptStreams.size).toBe(1);
    expect(byStream.size).toBe(2);
    return {
      data: { stream: [...dataStreams][0]!, seqs: data.map((e) => e.header.seq) },
      receipts: {
        stream: [...receiptStreams][0]!,
        seqs: receipts.map((e) => e.header.seq),
        acked: receipts.map((e) => toHex(decodeReceipt(e.payload).stream)),
      },
    };
  }

  const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

  async function traffic(p: Pair, n: number, m: number): Promise<void> {
    await p.client.join('r');
    for (let i = 0; i < n; i++) p.client.send('r', `u${i}`);
    for (let i = 0; i < m; i++) p.session.send(null, enc.encode(`d${i}`));
    await until(() => p.client.unacknowledged === 0 && p.session.unacknowledged === 0, 'both outboxes empty');
  }

  it('each side sends on one data stream (seqs from 0, no gap) and one distinct receipt stream carrying only receipts', async () => {
    const key = newKey();
    const server = makeServer(key);
    const p = pair(server, key);
    await p.client.ready;
    await traffic(p, 40, 7);
    const c = streamsOf(p.link.fromClient, key.kid);
    const s = streamsOf(p.link.fromServer, serverKey.kid);
    expect(c.data.stream).toBe(toHex(p.client.stream!));
    expect(s.data.stream).toBe(toHex(p.session.stream!));
    // 1 join + 40 sends from the client; 1 Position + 1 Result + 7 deliveries from the server.
    expect(c.data.seqs).toEqual(range(0, 41));
    expect(s.data.seqs).toEqual(range(0, 9));
    expect(c.receipts.seqs).toEqual(range(0, c.receipts.seqs.length));
    expect(s.receipts.seqs).toEqual(range(0, s.receipts.seqs.length));
    expect(c.receipts.seqs.length).toBeGreaterThan(0);
    expect(s.receipts.seqs.length).toBeGreaterThan(0);
    for (const side of [c, s]) expect(side.receipts.stream).not.toBe(side.data.stream);
    // [RCP-2.4]: a receipt acknowledges the peer's data stream, never the peer's receipt stream.
    expect(new Set(c.receipts.acked)).toEqual(new Set([s.data.stream]));
    expect(new Set(s.receipts.acked)).toEqual(new Set([c.data.stream]));
  });

  it('[RCP-2.4] receipts never enter the outbox and are never acknowledged: a quiet session stays quiet', async () => {
    const key = newKey();
    const server = makeServer(key);
    const p = pair(server, key);
    await p.client.ready;
    await traffic(p, 5, 3);
    // Both sides have sent receipts that nobody acknowledges, and their outboxes are empty.
    const sentReceipts = (captured: readonly Uint8Array[]) => envelopes(captured).filter((e) => e.header.contentType === RECEIPT_CONTENT_TYPE).length;
    expect(sentReceipts(p.link.fromClient)).toBeGreaterThan(0);
    expect(sentReceipts(p.link.fromServer)).toBeGreaterThan(0);
    expect(p.client.unacknowledged).toBe(0);
    expect(p.session.unacknowledged).toBe(0);
    const before = [p.link.fromClient.length, p.link.fromServer.length];
    // Several receipt delays (20 ms): a receipt answered by a receipt would ping-pong here.
    await sleep(120);
    expect([p.link.fromClient.length, p.link.fromServer.length]).toEqual(before);
    expect(p.client.unacknowledged).toBe(0);
    expect(p.session.unacknowledged).toBe(0);
  });

  it('a new session has new data and receipt streams; a resumed one keeps its data stream and takes a fresh receipt stream', async () => {
    const key = newKey();
    const server = makeServer(key);
    const first = pair(server, key);
    await first.client.ready;
    await traffic(first, 3, 2);
    const second = pair(server, key);
    await second.client.ready;
    await traffic(second, 3, 2);
    const c1 = streamsOf(first.link.fromClient, key.kid);
    const s1 = streamsOf(first.link.fromServer, serverKey.kid);
    const c2 = streamsOf(second.link.fromClient, key.kid);
    const s2 = streamsOf(second.link.fromServer, serverKey.kid);
    for (const [a, b] of [
      [c1, c2],
      [s1, s2],
    ] as const) {
      expect(b.data.stream).not.toBe(a.data.stream);
      expect(b.receipts.stream).not.toBe(a.receipts.stream);
    }

    first.client.close();
    await first.session.closed;
    const resumed = pair(server, key, first.client);
    await resumed.client.ready;
    await traffic(resumed, 3, 2);
    const c3 = streamsOf(resumed.link.fromClient, key.kid);
    const s3 = streamsOf(resumed.link.fromServer, serverKey.kid);
    // Data streams continue where the first session left them; receipt streams are new, from 0.
    expect(c3.data.stream).toBe(c1.data.stream);
    expect(s3.data.stream).toBe(s1.data.stream);
    expect(c3.data.seqs[0]).toBe(c1.data.seqs.at(-1)! + 1);
    expect(s3.data.seqs[0]).toBe(s1.data.seqs.at(-1)! + 1);
    for (const [old, now] of [
      [c1, c3],
      [s1, s3],
    ] as const) {
      expect(now.receipts.stream).not.toBe(old.receipts.stream);
      expect(now.receipts.seqs[0]).toBe(0);
    }
  });
});

/**
 * A replay store that commits at once and then holds its answer until released: the envelope is
 * committed while the session is still processing it.
 */
class HoldingStore extends AsyncMemoryReplayStore {
  hold = false;
  committed: Promise<ReplayRequest>;
  #onCommit!: (r: ReplayRequest) => void;
  #release: (() => void) | undefined;
  constructor() {
    super({ startedAt: 0 });
    this.committed = new Promise((r) => (this.#onCommit = r));
  }
  override check(req: ReplayRequest): Promise<ReplayVerdict> {
    return Promise.resolve(this.inner.check(req));
  }
  override async commit(req: ReplayRequest): Promise<ReplayVerdict> {
    const v = this.inner.commit(req);
    if (this.hold && v === 'ok') {
      this.hold = false;
      await new Promise<void>((resolve) => {
        this.#release = resolve;
        this.#onCommit(req);
      });
    }
    return v;
  }
  release(): void {
    this.#release?.();
  }
}

describe('[HS-7.7] a committed envelope reaches the application when the session closes mid-processing', () => {
  async function setup(options: Partial<SecureServerOptions> = {}) {
    const key = newKey();
    const keys = new KeyRing();
    keys.add(key.publicKey, { identity: 'alice' });
    const store = new HoldingStore();
    const server = makeServer(key, { keys, receiver: new Receiver({ keys, store }), ...options });
    const messages: ServerMessage[] = [];
    server.on('message', (m) => messages.push(m));
    const p = pair(server, key);
    await p.client.ready;
    await p.client.join('r');
    store.hold = true;
    p.client.send('r', 'committed while closing');
    const req = await store.committed;
    expect(req.seq).toBe(1); // the Send, after the Join
    return { ...p, server, store, key, messages };
  }

  it('the transport closes (1006) after the commit: the message is still delivered', async () => {
    const s = await setup();
    s.session.transportClosed(1006, 'connection lost');
    expect(s.session.state).toBe('closed');
    s.store.release();
    await until(() => s.messages.length === 1, 'the committed message');
    expect(dec.decode(s.messages[0]!.payload)).toBe('committed while closing');
  });

  it('a protocol close of the session (here ERR_RATE_LIMITED) does not drop it either', async () => {
    const s = await setup();
    s.session.fail(new ProtocolError('ERR_RATE_LIMITED', 'test'));
    s.store.release();
    await until(() => s.messages.length === 1, 'the committed message');
  });

  it('but not when the peer key was revoked meanwhile (ERR_KEY_REVOKED)', async () => {
    const s = await setup();
    s.server.keys.revokeKey(s.key.kid);
    expect((await s.session.closed).reason).toBe('ERR_KEY_REVOKED');
    s.store.release();
    await sleep(50);
    expect(s.messages).toHaveLength(0);
  });

  it('nor when the credential expired meanwhile (ERR_CREDENTIAL_EXPIRED)', async () => {
    const s = await setup({ authenticate: () => ({ identity: 'alice', expiresAt: Date.now() + 400 }) });
    expect((await s.session.closed).reason).toBe('ERR_CREDENTIAL_EXPIRED');
    s.store.release();
    await sleep(50);
    expect(s.messages).toHaveLength(0);
  });
});

describe("[RCP-5.4] a server that forgot a stream's acknowledgement record issues no receipt for it again", () => {
  it('the ended session is forgotten (maxResumable 1): its resume is refused and no later receipt names its stream', async () => {
    const alice = newKey();
    const keys = new KeyRing();
    keys.add(alice.publicKey, { identity: 'alice' });
    const bob = newKey();
    keys.add(bob.publicKey, { identity: 'bob' });
    const server = makeServer(alice, { keys, limits: { maxResumable: 1 } });
    const first = pair(server, alice);
    await first.client.ready;
    await first.client.join('r');
    for (let i = 0; i < 3; i++) first.client.send('r', `m${i}`);
    await until(() => first.client.unacknowledged === 0, 'acknowledged');
    const oldStream = toHex(first.client.stream!);
    const ackedOld = (captured: readonly Uint8Array[]) =>
      envelopes(captured).filter((e) => e.header.contentType === RECEIPT_CONTENT_TYPE && toHex(decodeReceipt(e.payload).stream) === oldStream);
    expect(ackedOld(first.link.fromServer).length).toBeGreaterThan(0);
    first.client.close();
    await first.session.closed;
    // Bob's session ends after alice's: with room for one, alice's state (and its record) goes.
    const other = pair(server, bob);
    await other.client.ready;
    other.client.close();
    await other.session.closed;

    const refused = pair(server, alice, first.client);
    await expect(refused.client.ready).rejects.toMatchObject({ code: 'ERR_RESUME_REFUSED', closeCode: 4097 });
    expect(envelopes(refused.link.fromServer)).toHaveLength(0);
    // The client starts afresh: a new stream from 0, and the server's receipts name only that one.
    const fresh = pair(server, alice);
    await fresh.client.ready;
    await fresh.client.join('r');
    for (let i = 0; i < 3; i++) fresh.client.send('r', `n${i}`);
    await until(() => fresh.client.unacknowledged === 0, 'acknowledged');
    expect(toHex(fresh.client.stream!)).not.toBe(oldStream);
    expect(envelopes(fresh.link.fromServer).some((e) => e.header.contentType === RECEIPT_CONTENT_TYPE)).toBe(true);
    expect(ackedOld(fresh.link.fromServer)).toHaveLength(0);
  });
});
